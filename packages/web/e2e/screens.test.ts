// Every screen, in a real Chromium against the real server: loads under the strict CSP without an
// error, in a request chain no deeper than 2, and passes axe-core with no serious or critical
// violation. Plus what needs the browser's clock: values hidden again after 30 s, the clipboard
// cleared after 30 s, the idle lock; and the sign-in with a recovery code.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ALLOWED_INLINE_STYLES } from '../../server/src/apis/web/csp.ts';
import { ADMIN } from '../../server/test/harness.ts';
import {
  axe,
  cspReport,
  describeViolations,
  launch,
  newContext,
  recordRequests,
  type Server,
  settle,
  shot,
  signIn,
  startServer,
  totp,
  watchCsp,
  watchErrors,
} from './helpers.ts';
import { screenList } from './screen-list.ts';

describe('web UI: every screen', { timeout: 300_000 }, () => {
  let server: Server;
  let browser: Browser;
  const ids: Record<string, string> = {};
  const carol = { username: 'carol', temp: 'carol-temporary-passphrase-77', password: 'carol-own-long-passphrase-2b9', recovery: '' };

  before(async () => {
    server = await startServer();
    const a = server.admin;
    const vault = await a.vaults.create({ name: 'Ops', description: 'operations' });
    const folder = await a.folders.create({ vaultId: vault.id, name: 'Web' });
    await a.folders.create({ vaultId: vault.id, parentId: folder.id, name: 'Frontends' });
    const secret = await a.secrets.create({
      vaultId: vault.id,
      folderId: folder.id,
      template: 'web-login',
      name: 'grafana',
      tags: ['monitoring'],
      fields: { url: 'https://grafana.example.net', username: 'ops', password: 'a-very-long-grafana-password-31' },
      customFields: [{ name: 'team', type: 'text', value: 'sre' }],
    });
    await a.secrets.update(secret.id, { description: 'dashboards', fields: { password: 'the-second-grafana-password-55' } });
    await a.attachments.upload(secret.id, new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n'), {
      name: 'ca.pem',
      contentType: 'application/x-pem-file',
    });
    await a.metadata.set({ nodeId: secret.id, section: 'Ownership', name: 'team', type: 'string', value: 'sre' });
    await a.groups.create({ name: 'dbas' });
    await a.users.create({ username: 'ci-build', kind: 'api', role: 'password_user', boundHost: '127.0.0.1' });
    // carol: TOTP with recovery codes (she signs in with one below)
    await a.users.create({ username: carol.username, password: carol.temp, role: 'password_user' });
    const { createClient } = await import('@coffer/sdk/client');
    const c = createClient({ baseUrl: server.base });
    await c.auth.login(carol.username, carol.temp);
    await c.users.changeOwnPassword(carol.temp, carol.password);
    await c.auth.login(carol.username, carol.password);
    const enrol = await c.totp.begin({ currentPassword: carol.password });
    carol.recovery = (await c.totp.confirm(totp(enrol.secret))).recoveryCodes[0]!;
    ids.vault = vault.id;
    ids.folder = folder.id;
    ids.secret = secret.id;
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const screens = () => screenList(ids);

  async function open(page: Page, path: string, text: string): Promise<void> {
    await page.goto(`${server.base}${path}`);
    await page.getByText(text, { exact: false }).first().waitFor();
    await settle(page);
  }

  it('every screen loads under the CSP with no violation, without an error, in at most two request levels', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const errors: string[] = [];
    watchErrors(page, errors);
    await watchCsp(page);
    const rec = await recordRequests(page);
    const csp: string[] = [];
    const inline = new Set<string>();
    const checkCsp = async (name: string) => {
      const r = await cspReport(page);
      for (const v of r.violations) csp.push(`${name}: ${v}`);
      for (const st of r.styles) {
        inline.add(st.text);
        if (!ALLOWED_INLINE_STYLES.includes(st.text) || !st.applied) csp.push(`${name}: inline style refused: ${st.text}`);
      }
    };
    await page.goto(`${server.base}/`);
    await page.getByLabel('Username').waitFor();
    await checkCsp('sign-in');
    await signIn(page, server.base, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    const report: string[] = [];
    for (const [name, path, text] of screens()) {
      await rec.reset();
      await open(page, path, text);
      await rec.idle();
      const d = await rec.depth();
      report.push(`${name}: depth ${d.depth} (${d.count} requests)`);
      assert.ok(d.depth <= 2, `${name}: a request chain of ${d.depth}: ${d.chain.join(' -> ')} (${d.timeline})`);
      await checkCsp(name);
      await shot(page, `screen-${name}`);
    }
    console.log(report.join('\n'));
    assert.deepEqual(csp, [], 'no CSP violation on any screen');
    // (a desktop Chromium gets none of React Aria's inline styles; csp.test.ts drives the iOS one)
    console.log(`inline styles seen: ${inline.size}`);
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  it('axe-core finds no serious or critical violation on any screen, dialogs included', async () => {
    // only this context bypasses the CSP: axe is injected as a script
    const ctx = await newContext(browser, { bypassCSP: true });
    const page = await ctx.newPage();
    const failures: string[] = [];
    const scan = async (name: string) => {
      const v = await axe(page);
      if (v.length) failures.push(`${name}:\n${describeViolations(v)}`);
    };
    await page.goto(`${server.base}/`);
    await page.getByLabel('Username').waitFor();
    await scan('sign-in');
    await signIn(page, server.base, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    for (const [name, path, text] of screens()) {
      await open(page, path, text);
      await scan(name);
    }
    // dialogs and menus
    await open(page, '/vaults', 'Ops');
    await page.getByRole('button', { name: 'New vault' }).click();
    await page.getByRole('dialog').waitFor();
    await scan('dialog: new vault');
    await page.keyboard.press('Escape');
    await open(page, `/secrets/${ids.secret}`, 'grafana.example.net');
    await page.getByRole('button', { name: `Actions for grafana` }).click();
    await page.getByRole('menu').waitFor();
    await scan('menu: secret actions');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Actions for grafana' }).click();
    await page.getByRole('menuitem', { name: 'Request access…' }).click();
    await page.getByRole('dialog').waitFor();
    await scan('dialog: request access');
    await page.keyboard.press('Escape');
    await page.getByRole('banner').getByRole('button', { name: 'admin', exact: true }).click();
    await page.getByRole('menu').waitFor();
    await scan('menu: account');
    await page.keyboard.press('Escape');
    await ctx.close();
    // the forced password change, in a context of its own
    await server.admin.users.create({ username: 'dave', password: 'dave-temporary-passphrase-40', role: 'password_user' });
    const ctx2 = await newContext(browser, { bypassCSP: true });
    const p2 = await ctx2.newPage();
    await signIn(p2, server.base, 'dave', 'dave-temporary-passphrase-40');
    await p2.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    const v = await axe(p2);
    if (v.length) failures.push(`change password:\n${describeViolations(v)}`);
    await ctx2.close();
    assert.equal(failures.join('\n\n'), '');
  });

  it('signs in with a recovery code instead of a TOTP code', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signIn(page, server.base, carol.username, carol.password);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(carol.recovery);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await ctx.close();
  });

  it('hides a revealed value after 30 s, clears the clipboard after 30 s, and locks when idle (browser clock)', async () => {
    const ctx = await newContext(browser);
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
    const page = await ctx.newPage();
    await page.clock.install();
    await signIn(page, server.base, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await page.goto(`${server.base}/secrets/${ids.secret}`);
    await page.getByRole('button', { name: 'Reveal Password' }).click();
    await page.getByTestId('value-password').waitFor();
    assert.equal(await page.getByTestId('value-password').textContent(), 'the-second-grafana-password-55');
    await page.clock.fastForward(29_000);
    assert.equal(await page.getByTestId('value-password').count(), 1, 'still shown before 30 s');
    await page.clock.fastForward(2_000);
    await page.getByTestId('value-password').waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Copy Password' }).click();
    await page.getByText('Password copied. The clipboard is cleared in 30 seconds.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), 'the-second-grafana-password-55');
    await page.clock.fastForward(31_000);
    await page.getByText('Clipboard cleared.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), '');

    // no input for the session's idle time (1800 s here): the UI signs out and drops its data
    await page.clock.fastForward(1_801_000);
    await page.clock.runFor(2_000);
    await shot(page, 'idle-lock');
    await page.getByText('Locked. Sign in again to go on.').waitFor();
    assert.equal(await page.getByLabel('Username').inputValue(), ADMIN.username);
    const cookies = await ctx.cookies();
    assert.ok(!cookies.some((c) => c.name === 'coffer_session' && c.value), 'the session cookie is gone');
    await ctx.close();
  });

  it('renames, moves by menu and by drag in the tree, and breaks inheritance', async () => {
    const a = server.admin;
    const vault = await a.vaults.create({ name: 'Tree' });
    const left = await a.folders.create({ vaultId: vault.id, name: 'Left' });
    const right = await a.folders.create({ vaultId: vault.id, name: 'Right' });
    const leaf = await a.folders.create({ vaultId: vault.id, parentId: left.id, name: 'Leaf' });
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signIn(page, server.base, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();

    // rename, by the folder's menu
    await page.goto(`${server.base}/vaults/${vault.id}/folders/${leaf.id}`);
    await page.getByRole('button', { name: 'Actions for Leaf' }).click();
    await page.getByRole('menuitem', { name: 'Rename…' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('Leaf2');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Leaf2', level: 1 }).waitFor();
    assert.equal((await a.folders.get(leaf.id)).name, 'Leaf2');

    // move by menu: Leaf2 to the top of the vault
    await page.getByRole('button', { name: 'Actions for Leaf2' }).click();
    await page.getByRole('menuitem', { name: 'Move to…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: /Vault/ }).click();
    await page.getByRole('option', { name: 'Tree' }).click();
    await dialog.getByRole('button', { name: 'Move here' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await a.folders.get(leaf.id)).parentId, null);

    // move by drag: in the tree, Leaf2 dropped onto Right
    const tree = page.getByRole('treegrid', { name: 'Vaults and folders' });
    // the vault of the page is expanded already
    await tree.getByRole('row', { name: /Right/ }).waitFor();
    await tree.getByRole('row', { name: /Leaf2/ }).dragTo(tree.getByRole('row', { name: /Right/ }));
    for (let i = 0; i < 50 && (await a.folders.get(leaf.id)).parentId !== right.id; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await a.folders.get(leaf.id)).parentId, right.id, 'dropped onto Right');

    // break inheritance
    await page.goto(`${server.base}/vaults/${vault.id}/folders/${right.id}`);
    await page.getByRole('button', { name: 'Actions for Right' }).click();
    await page.getByRole('menuitem', { name: 'Break inheritance…' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Break inheritance' }).click();
    await page.getByText('This folder does not inherit permissions from above.').waitFor();
    assert.equal((await a.folders.get(right.id)).inheritPermissions, false);
    await ctx.close();
  });

  it("a secret's files (upload with progress, download), history (compare, restore) and 'why can X'", async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signIn(page, server.base, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await page.goto(`${server.base}/secrets/${ids.secret}/files`);
    await page.getByRole('cell', { name: 'ca.pem', exact: true }).waitFor();
    const content = Buffer.alloc(3 * 1024 * 1024, 7);
    await page
      .locator('input[type="file"]')
      .first()
      .setInputFiles({ name: 'dump.bin', mimeType: 'application/octet-stream', buffer: content });
    await page.getByRole('cell', { name: 'dump.bin', exact: true }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download dump.bin' }).click()]);
    assert.equal(download.suggestedFilename(), 'dump.bin');
    const { readFile } = await import('node:fs/promises');
    assert.ok(Buffer.compare(await readFile((await download.path())!), content) === 0, 'the downloaded file is the uploaded one');

    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByText('Compare versions').waitFor();
    const before = (await server.admin.secrets.get(ids.secret!)).secret.version;
    await page.getByRole('button', { name: /From/ }).click();
    await page.getByRole('option', { name: 'Version 1' }).click();
    await page.getByText(/Changed fields:/).waitFor();
    assert.match((await page.getByText(/Changed fields:/).textContent()) ?? '', /password/);
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    for (let i = 0; i < 50 && (await server.admin.secrets.get(ids.secret!)).secret.version === before; i++)
      await new Promise((r) => setTimeout(r, 100));
    const restored = await server.admin.secrets.reveal(ids.secret!, { fields: ['password'] });
    assert.equal(restored.values.password, 'a-very-long-grafana-password-31', 'version 1 is current again');

    await page.getByRole('tab', { name: 'Access' }).click();
    await page.getByLabel('User (empty: you)').fill('carol');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByText('carol cannot reveal').waitFor();
    await page.getByLabel('User (empty: you)').fill('');
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByText('You can reveal').waitFor();
    await page.locator('ol.chain li.applies').first().waitFor();
    await shot(page, 'screen-explain');
    await ctx.close();
  });
});
