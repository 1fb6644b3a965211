// Search as you type with the API's filters (text, tag, template, expiring), the trash (move a
// secret there from its page, restore it, purge another), and user administration (a locked
// account unlocked, an account disabled), each checked on the server afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@coffer/sdk/client';
import type { Browser, Page } from 'playwright-core';
import { ADMIN } from '../../server/test/harness.ts';
import { launch, newContext, type Server, shot, signIn, startServer, watchErrors } from './helpers.ts';

describe('web UI: search, trash and user administration', { timeout: 180_000 }, () => {
  let server: Server;
  let browser: Browser;
  let A: Page;
  const errors: string[] = [];
  const ids: Record<string, string> = {};
  const ivan = { username: 'ivan', temp: 'ivan-temporary-passphrase-35', password: 'ivan-own-long-passphrase-0c7' };

  before(async () => {
    server = await startServer();
    const a = server.admin;
    const v = await a.vaults.create({ name: 'Fleet' });
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const web = await a.secrets.create({
      vaultId: v.id,
      template: 'web-login',
      name: 'portal-prod',
      tags: ['prod'],
      fields: { password: 'portal-prod-password-61' },
      expiresAt: soon,
    });
    const ssh = await a.secrets.create({
      vaultId: v.id,
      template: 'unix-account',
      name: 'portal-ssh',
      tags: ['dev'],
      fields: { host: 'p.example.net', username: 'root', password: 'portal-ssh-password-72' },
    });
    const old = await a.secrets.create({
      vaultId: v.id,
      template: 'web-login',
      name: 'legacy-wiki',
      tags: ['dev'],
      fields: { password: 'legacy-wiki-password-83' },
    });
    Object.assign(ids, { vault: v.id, web: web.id, ssh: ssh.id, old: old.id });
    await a.users.create({ username: ivan.username, password: ivan.temp, role: 'password_user' });
    const c = createClient({ baseUrl: server.base });
    await c.auth.login(ivan.username, ivan.temp);
    await c.users.changeOwnPassword(ivan.temp, ivan.password);
    browser = await launch();
    const ctx = await newContext(browser);
    A = await ctx.newPage();
    watchErrors(A, errors);
    await signIn(A, server.base, ADMIN.username, ADMIN.password);
    await A.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const results = async () => {
    const table = A.getByRole('table', { name: 'Search results' });
    return (await table.getByRole('link').allTextContents()).sort();
  };
  const expectResults = async (names: string[]) => {
    for (let i = 0; i < 50; i++) {
      if (JSON.stringify(await results()) === JSON.stringify(names)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await results(), names);
  };

  it('searches as you type, narrowed by tag, template and expiry', async () => {
    await A.goto(`${server.base}/search`);
    await expectResults(['legacy-wiki', 'portal-prod', 'portal-ssh']);
    await A.getByLabel('Search secrets').pressSequentially('portal', { delay: 30 });
    await expectResults(['portal-prod', 'portal-ssh']);
    await A.getByLabel('Tag').fill('dev');
    await expectResults(['portal-ssh']);
    await A.getByLabel('Tag').fill('');
    await A.getByRole('button', { name: /Template/ }).click();
    await A.getByRole('option', { name: 'Web login' }).click();
    await expectResults(['portal-prod']);
    await A.getByLabel('Search secrets').fill('');
    await expectResults(['legacy-wiki', 'portal-prod']);
    await A.getByText('Expiring within 30 days').click();
    await expectResults(['portal-prod']);
    await shot(A, 'screen-search-filters');
  });

  it('moves a secret to the trash from its page, restores it, and purges another', async () => {
    for (const [id, name] of [
      [ids.old!, 'legacy-wiki'],
      [ids.ssh!, 'portal-ssh'],
    ]) {
      await A.goto(`${server.base}/secrets/${id}`);
      await A.getByRole('button', { name: `Actions for ${name}` }).click();
      await A.getByRole('menuitem', { name: 'Move to trash…' }).click();
      await A.getByRole('alertdialog').getByRole('button', { name: 'Move to trash' }).click();
      await A.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
    }
    assert.deepEqual((await server.admin.secrets.listTrash()).items.map((s) => s.name).sort(), ['legacy-wiki', 'portal-ssh']);
    await A.goto(`${server.base}/trash`);
    await A.getByRole('button', { name: 'Restore portal-ssh' }).click();
    await A.getByRole('link', { name: 'portal-ssh' }).waitFor({ state: 'detached' });
    assert.equal((await server.admin.secrets.get(ids.ssh!)).secret.name, 'portal-ssh', 'restored');
    // purging asks first: cancel keeps it, confirm deletes it for good
    await A.getByRole('button', { name: 'Purge legacy-wiki' }).click();
    await A.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
    await A.getByRole('alertdialog').waitFor({ state: 'detached' });
    assert.deepEqual(
      (await server.admin.secrets.listTrash()).items.map((s) => s.name),
      ['legacy-wiki'],
      'a cancelled purge keeps it',
    );
    await A.getByRole('button', { name: 'Purge legacy-wiki' }).click();
    await A.getByRole('alertdialog').getByRole('button', { name: 'Purge' }).click();
    await A.getByText('The trash is empty.').waitFor();
    assert.deepEqual((await server.admin.secrets.listTrash()).items, []);
    await assert.rejects(server.admin.secrets.get(ids.old!), /not_found|not found/i, 'purged for good');
  });

  it('unlocks a locked account and disables another one', async () => {
    const c = createClient({ baseUrl: server.base });
    for (let i = 0; i < 6; i++) await c.auth.login(ivan.username, 'a-wrong-password-for-ivan').catch(() => {});
    await assert.rejects(c.auth.login(ivan.username, ivan.password), 'locked: even the right password is refused');
    await A.goto(`${server.base}/admin/users`);
    const row = A.getByRole('row', { name: /ivan/ });
    await row.getByText(/locked/).waitFor();
    await A.getByRole('button', { name: 'Actions for ivan' }).click();
    await A.getByRole('menuitem', { name: 'Unlock' }).click();
    await A.getByRole('status').filter({ hasText: 'ivan unlocked.' }).waitFor();
    await c.auth.login(ivan.username, ivan.password);
    await A.getByRole('button', { name: 'Actions for ivan' }).click();
    await A.getByRole('menuitem', { name: 'Disable' }).click();
    await A.getByRole('status').filter({ hasText: 'ivan disabled.' }).waitFor();
    await assert.rejects(
      createClient({ baseUrl: server.base }).auth.login(ivan.username, ivan.password),
      'a disabled account cannot sign in',
    );
    const users = await server.admin.users.list({});
    assert.equal(users.items.find((u) => u.username === 'ivan')?.status, 'disabled');
    const audit = await server.admin.audit.list({ action: 'user.*', limit: 20 });
    for (const action of ['user.unlock', 'user.disable'])
      assert.ok(
        audit.items.some((r) => r.action === action && r.via === 'web' && r.outcome === 'success'),
        `${action} audited via web`,
      );
    // deleting asks first
    await A.getByRole('button', { name: 'Actions for ivan' }).click();
    await A.getByRole('menuitem', { name: 'Delete' }).click();
    const confirm = A.getByRole('alertdialog');
    await confirm.getByText(/Delete “ivan”\?/).waitFor();
    assert.ok(
      (await server.admin.users.list({})).items.some((u) => u.username === 'ivan'),
      'nothing deleted before the confirmation',
    );
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await A.getByRole('status').filter({ hasText: 'ivan deleted.' }).waitFor();
    assert.ok(!(await server.admin.users.list({})).items.some((u) => u.username === 'ivan'), 'deleted after it');
    assert.deepEqual(errors, []);
  });
});
