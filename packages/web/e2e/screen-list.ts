// Every screen of the UI with data in it: name, path, and a text that shows the screen has its data.
// `ids` names a vault, a folder in it and a secret in that folder (named grafana, with a file ca.pem,
// metadata "Ownership" and two versions), as screens.test.ts and csp.test.ts make them.
export function screenList(ids: Record<string, string>): [string, string, string][] {
  return [
    // name, path, text that shows the screen has its data
    ['vaults', '/vaults', 'Ops'],
    ['vault', `/vaults/${ids.vault}`, 'Web'],
    ['folder', `/vaults/${ids.vault}/folders/${ids.folder}`, 'grafana'],
    ['secret', `/secrets/${ids.secret}`, 'grafana.example.net'],
    ['secret-edit', `/secrets/${ids.secret}/edit`, 'Save changes'],
    ['secret-files', `/secrets/${ids.secret}/files`, 'ca.pem'],
    ['secret-metadata', `/secrets/${ids.secret}/metadata`, 'Ownership'],
    ['secret-history', `/secrets/${ids.secret}/history`, 'Compare versions'],
    ['secret-sharing', `/secrets/${ids.secret}/sharing`, 'Not shared with anyone directly.'],
    ['secret-access', `/secrets/${ids.secret}/access`, 'Effective access policy'],
    ['new-secret', `/new-secret?vault=${ids.vault}&folder=${ids.folder}`, 'Create secret'],
    ['search', '/search', 'grafana'],
    ['shared', '/shared', 'Nothing has been shared with you yet.'],
    ['trash', '/trash', 'The trash is empty.'],
    ['my-requests', '/workflow/requests', 'You have no access requests.'],
    ['approvals', '/workflow/inbox', 'Nothing is waiting for your approval.'],
    ['checkouts', '/workflow/checkouts', 'No secret is checked out.'],
    ['admin-requests', '/workflow/admin-requests', 'Waiting for my approval'],
    ['audit', '/audit', 'intact'],
    ['users', '/admin/users', 'carol'],
    ['groups', '/admin/groups', 'dbas'],
    ['grants', '/admin/grants', 'Choose a vault or folder.'],
    ['api-users', '/admin/api-users', 'ci-build'],
    ['policies', '/admin/policies', 'Choose a vault or folder.'],
    ['webhooks', '/admin/webhooks', 'No webhooks.'],
    ['key-rotation', '/admin/keys', 'Active key term'],
    ['account', '/admin/account', 'My API keys'],
    ['transfer', '/transfer', 'Choose a file'],
  ];
}
