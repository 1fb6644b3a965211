// Administration: users, groups, grants, API users and keys, policies, webhooks, key rotation,
// and the signed-in user's own account.
import { Link } from 'react-aria-components';
import { Empty, PageHeader } from '../../components/ui.tsx';
import { AccountPanel } from './account.tsx';
import { ApiUsersPanel } from './api-users.tsx';
import { GrantsPanel } from './grants.tsx';
import { GroupsPanel } from './groups.tsx';
import { KeyringPanel } from './keyring.tsx';
import { PoliciesPanel } from './policies.tsx';
import { UsersPanel } from './users.tsx';
import { WebhooksPanel } from './webhooks.tsx';

const TABS = [
  { id: 'users', label: 'Users', el: () => <UsersPanel /> },
  { id: 'groups', label: 'Groups', el: () => <GroupsPanel /> },
  { id: 'grants', label: 'Grants', el: () => <GrantsPanel /> },
  { id: 'api-users', label: 'API users and keys', el: () => <ApiUsersPanel /> },
  { id: 'policies', label: 'Policies', el: () => <PoliciesPanel /> },
  { id: 'webhooks', label: 'Webhooks', el: () => <WebhooksPanel /> },
  { id: 'keys', label: 'Key rotation', el: () => <KeyringPanel /> },
  { id: 'account', label: 'My account', el: () => <AccountPanel /> },
];

export default function Admin({ tab }: { tab: string }) {
  const current = TABS.find((t) => t.id === tab);
  return (
    <section className="page" aria-labelledby="page-title">
      <PageHeader title={current ? current.label : 'Administration'} />
      <nav aria-label="Administration" className="subnav">
        <ul className="tab-list">
          {TABS.map((t) => (
            <li key={t.id}>
              <Link href={`/admin/${t.id}`} className="tab" aria-current={t.id === tab ? 'page' : undefined}>
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="tab-panel">{current ? current.el() : <Empty>Unknown page.</Empty>}</div>
    </section>
  );
}
