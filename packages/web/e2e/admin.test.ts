// Administration through the UI against the real server: a gated change becomes an admin request
// that a second administrator approves in another browser context and the requester executes;
// an API key is shown once; the key rotation shows its progress to the end; the import wizard
// reports a dry run with its name clashes, then imports.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@coffer/sdk/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN } from '../../server/test/harness.ts';
import { launch, newContext, type Server, shot, signIn, startServer, watchErrors } from './helpers.ts';

describe('web UI: administration', { timeout: 240_000 }, () => {
  let server: Server;
  let browser: Browser;
  let adminCtx: BrowserContext;
  let A: Page;
  const errors: string[] = [];
  const erin = { username: 'erin', temp: 'erin-temporary-passphrase-64', password: 'erin-own-long-passphrase-7d2' };
  let vaultId = '';

  before(async () => {
    server = await startServer({ jobs: true });
    const a = server.admin;
    await a.users.create({ username: erin.username, password: erin.temp, role: 'administrator' });
    const e = createClient({ baseUrl: server.base });
    await e.auth.login(erin.username, erin.temp);
    await e.users.changeOwnPassword(erin.temp, erin.password);
    await a.users.create({ username: 'frank', password: 'frank-temporary-passphrase-19', role: 'password_user' });
    const vault = await a.vaults.create({ name: 'Imports' });
    vaultId = vault.id;
    await a.secrets.create({ vaultId, template: 'web-login', name: 'router', fields: { password: 'an-existing-password-of-router' } });
    browser = await launch();
    adminCtx = await newContext(browser);
    A = await adminCtx.newPage();
    watchErrors(A, errors);
    await signIn(A, server.base, ADMIN.username, ADMIN.password);
    await A.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('dual control: a password reset waits for another administrator, who approves; then it is executed', async () => {
    await A.goto(`${server.base}/admin/users`);
    await A.getByRole('button', { name: 'Actions for frank' }).click();
    await A.getByRole('menuitem', { name: 'Set a temporary password…' }).click();
    await A.getByRole('dialog').getByLabel('Temporary password').fill('frank-new-temporary-passphrase-88');
    await A.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await A.getByText(/Waiting for another administrator's approval \(request adm_/).waitFor();

    const ectx = await newContext(browser);
    const E = await ectx.newPage();
    watchErrors(E, errors);
    await signIn(E, server.base, erin.username, erin.password);
    await E.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await E.goto(`${server.base}/workflow/admin-requests`);
    const row = E.getByRole('row', { name: /frank/ });
    await row.getByRole('button', { name: 'Approve' }).click();
    await E.getByText('Nothing waits for you.').waitFor();
    await ectx.close();

    await A.goto(`${server.base}/workflow/admin-requests`);
    await A.getByRole('row', { name: /frank.*approved/ })
      .getByRole('button', { name: 'Execute' })
      .click();
    await A.getByRole('dialog').getByRole('button', { name: 'Execute' }).click();
    await A.getByRole('row', { name: /frank.*executed/ }).waitFor();
    await shot(A, 'screen-admin-requests');
    // frank's password is the new one now: his sign-in asks him to replace it
    const f = createClient({ baseUrl: server.base });
    const t = await f.auth.login('frank', 'frank-new-temporary-passphrase-88');
    assert.equal(t.mustChangePassword, true);
  });

  it('an API key is shown once, then listed without it', async () => {
    await A.goto(`${server.base}/admin/account`);
    await A.getByRole('button', { name: 'New API key' }).click();
    const d = A.getByRole('dialog');
    await d.getByLabel('Name', { exact: true }).fill('backup job');
    await d.getByLabel('Used from').fill('127.0.0.1');
    await d.getByLabel('Your password').fill(ADMIN.password);
    await d.getByRole('button', { name: 'Create key' }).click();
    const key = (await A.getByTestId('new-api-key').textContent()) ?? '';
    assert.match(key, /^cfk_/);
    await d.getByRole('button', { name: 'I have stored it' }).click();
    await A.getByRole('cell', { name: 'backup job', exact: true }).waitFor();
    assert.ok(!(await A.content()).includes(key), 'the key is gone from the page');
    // the key works, from the address it is bound to
    const k = createClient({ baseUrl: server.base, apiKey: key });
    assert.equal((await k.auth.whoami()).username, ADMIN.username);
  });

  it('rotates the key and shows the re-encryption to its end', async () => {
    await A.goto(`${server.base}/admin/keys`);
    await A.getByText('Active key term: 1').waitFor();
    await A.getByRole('button', { name: 'Rotate the key' }).click();
    await A.getByText('Active key term: 2').waitFor();
    await A.getByText(/Re-encryption done to term 2/).waitFor({ timeout: 30_000 });
    assert.equal((await server.admin.sys.keyring()).reencryption.status, 'done');
  });

  it('imports a CSV: the dry run reports the clash, nothing is created until the import', async () => {
    await A.goto(`${server.base}/transfer`);
    await A.locator('input[type="file"]')
      .first()
      .setInputFiles({
        name: 'export.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(
          'name,username,password,url\nrouter,admin,r0uter-pass-from-csv-91,https://router.lan\nswitch,admin,sw1tch-pass-from-csv-27,https://switch.lan\n',
        ),
      });
    await A.getByText('export.csv').waitFor();
    await A.getByRole('button', { name: 'Next' }).click();
    await A.getByRole('button', { name: /Vault/ }).first().click();
    await A.getByRole('option', { name: 'Imports' }).click();
    await A.getByRole('button', { name: 'Dry run' }).click();
    await A.getByRole('heading', { name: 'Dry run: nothing was created' }).waitFor();
    await A.getByText('1 would be created').waitFor();
    await A.getByRole('row', { name: /router.*skipped/ }).waitFor();
    await shot(A, 'screen-import-dry-run');
    assert.equal((await server.admin.secrets.search({ vaultId })).items.length, 1, 'the dry run created nothing');
    await A.getByRole('button', { name: 'Import now' }).click();
    await A.getByRole('heading', { name: 'Imported' }).waitFor();
    const names = (await server.admin.secrets.search({ vaultId })).items.map((s) => s.name).sort();
    assert.deepEqual(names, ['router', 'switch']);
    assert.deepEqual(errors, []);
  });

  for (const [file, type, content, expected] of [
    [
      'vault.xml',
      'text/xml',
      '<?xml version="1.0" encoding="UTF-8"?><KeePassFile><Root><Group><Name>Root</Name>' +
        '<Entry><String><Key>Title</Key><Value>kp-router</Value></String><String><Key>UserName</Key><Value>admin</Value></String>' +
        '<String><Key>Password</Key><Value ProtectInMemory="True">kp-pass-from-xml-55</Value></String></Entry>' +
        '<Group><Name>Servers</Name><Entry><String><Key>Title</Key><Value>kp-web01</Value></String>' +
        '<String><Key>Password</Key><Value>kp-pass-from-xml-56</Value></String></Entry></Group>' +
        '</Group></Root></KeePassFile>',
      ['kp-router', 'kp-web01'],
    ],
    [
      'bitwarden_export.json',
      'application/json',
      JSON.stringify({
        encrypted: false,
        folders: [{ id: 'f1', name: 'Cloud' }],
        items: [
          { id: 'i1', type: 1, name: 'bw-aws', folderId: 'f1', login: { username: 'ops', password: 'bw-pass-from-json-77', uris: [] } },
          { id: 'i2', type: 2, name: 'bw-note', folderId: null, notes: 'a note', secureNote: { type: 0 } },
        ],
      }),
      ['bw-aws', 'bw-note'],
    ],
  ] as const) {
    it(`imports ${file} through the same wizard: the format follows the file name, dry run, then import`, async () => {
      const v = await server.admin.vaults.create({ name: `Target ${expected[0].slice(0, 2)}` });
      await A.goto(`${server.base}/transfer`);
      await A.locator('input[type="file"]')
        .first()
        .setInputFiles({ name: file, mimeType: type, buffer: Buffer.from(content) });
      await A.getByText(file).waitFor();
      await A.getByRole('button', { name: 'Next' }).click();
      await A.getByRole('button', { name: /Vault/ }).first().click();
      await A.getByRole('option', { name: `Target ${expected[0].slice(0, 2)}` }).click();
      await A.getByRole('button', { name: 'Dry run' }).click();
      await A.getByRole('heading', { name: 'Dry run: nothing was created' }).waitFor();
      await A.getByText(`${expected.length} would be created`).waitFor();
      assert.equal((await server.admin.secrets.search({ vaultId: v.id })).items.length, 0, 'the dry run created nothing');
      await A.getByRole('button', { name: 'Import now' }).click();
      await A.getByRole('heading', { name: 'Imported' }).waitFor();
      const names = (await server.admin.secrets.search({ vaultId: v.id })).items.map((x) => x.name).sort();
      assert.deepEqual(names, [...expected].sort());
      assert.deepEqual(errors, []);
    });
  }
});
