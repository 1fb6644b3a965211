// The main path through the UI, in a real Chromium against the real server: sign-in with TOTP,
// a tree, a secret, reveal with a reason, share; a second user (forced password change) requests
// access, the approver approves in another browser context, the requester checks out and in; the
// audit screen shows every step, each through the web surface.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN } from '../../server/test/harness.ts';
import {
  launch,
  newContext,
  recordRequests,
  repoRoot,
  type Server,
  settle,
  shot,
  signIn,
  startServer,
  totp,
  waitInPage,
  watchErrors,
} from './helpers.ts';

describe('web UI: the main path', { timeout: 240_000 }, () => {
  let server: Server;
  let browser: Browser;
  let adminCtx: BrowserContext;
  let bobCtx: BrowserContext;
  let A: Page;
  let B: Page;
  let recA: Awaited<ReturnType<typeof recordRequests>>;
  const errors: string[] = [];
  let totpSecret = '';
  const bobTemp = 'bob-temporary-passphrase-31';
  const bobNew = 'a-new-long-passphrase-for-bob-8c1';
  let generated = '';
  let secretUrl = '';
  const depths: { screen: string; depth: number; chain: string[] }[] = [];

  before(async () => {
    server = await startServer();
    // the administrator turns TOTP on (native API); the UI sign-in then asks for a code
    const enrol = await server.admin.totp.begin({ currentPassword: ADMIN.password });
    totpSecret = enrol.secret;
    await server.admin.totp.confirm(totp(totpSecret));
    await server.admin.users.create({ username: 'bob', password: bobTemp, role: 'password_user' });
    browser = await launch();
    adminCtx = await newContext(browser);
    bobCtx = await newContext(browser);
    A = await adminCtx.newPage();
    B = await bobCtx.newPage();
    recA = await recordRequests(A);
    watchErrors(A, errors);
    watchErrors(B, errors);
    for (const p of [A, B]) {
      p.on('request', (r) => urls.push(r.url()));
      p.on('framenavigated', (f) => urls.push(f.url()));
    }
  });

  // every URL either page requested or showed, and what each step left in the pages' storage
  const urls: string[] = [];
  const storage: string[] = [];
  const sensitive = new Set<string>();
  const collect = async () => {
    for (const ctx of [adminCtx, bobCtx]) {
      for (const c of await ctx.cookies()) if (c.name === 'coffer_session' && c.value) sensitive.add(c.value);
      for (const p of ctx.pages()) {
        // the CSRF token lives in the app's memory only; the session answer carries it
        if (!p.url().startsWith(server.base)) continue; // about:blank before its first step has no storage
        storage.push((await p.evaluate('JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage } })')) as string);
      }
    }
  };

  let step = 0;
  afterEach(async () => {
    await collect();
    // what both users saw at the end of each step (kept when a step fails)
    step++;
    await shot(A, `step-${String(step).padStart(2, '0')}-admin`).catch(() => {});
    await shot(B, `step-${String(step).padStart(2, '0')}-bob`).catch(() => {});
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in with TOTP; nothing sensitive is kept in storage or the URL', async () => {
    await recA.reset();
    await A.goto(`${server.base}/`);
    await A.getByLabel('Username').waitFor();
    await recA.idle();
    depths.push({ screen: 'sign-in', ...(await recA.depth()) });
    await A.getByLabel('Username').fill(ADMIN.username);
    await A.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await shot(A, '01-sign-in');
    await A.getByRole('button', { name: 'Sign in' }).click();
    // the next time step: the one used to confirm the enrolment is spent
    await A.getByLabel('Authentication code').fill(totp(totpSecret, 1));
    await A.getByRole('button', { name: 'Sign in' }).click();
    await A.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    const cookies = await adminCtx.cookies();
    const session = cookies.find((c) => c.name === 'coffer_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    const stored = (await A.evaluate('JSON.stringify({ l: { ...localStorage }, s: { ...sessionStorage }, url: location.href })')) as string;
    assert.ok(!stored.includes(session.value), 'the session token is in no storage and not in the URL');
    assert.deepEqual(JSON.parse(stored).l, {});
    assert.deepEqual(JSON.parse(stored).s, {});
  });

  it('creates a vault, folders and a secret with a generated password', async () => {
    await A.getByRole('button', { name: 'New vault' }).click();
    await A.getByRole('dialog').getByLabel('Name').fill('Prod');
    await A.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await A.getByRole('heading', { name: 'Prod', level: 1 }).waitFor();
    await A.getByRole('button', { name: 'New folder' }).click();
    await A.getByRole('dialog').getByLabel('Name').fill('Servers');
    await A.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await A.getByRole('link', { name: 'Servers' }).first().click();
    await A.getByRole('heading', { name: 'Servers', level: 1 }).waitFor();
    await A.getByRole('button', { name: 'New folder' }).click();
    await A.getByRole('dialog').getByLabel('Name').fill('Linux');
    await A.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await A.getByRole('main').getByRole('link', { name: 'Linux' }).waitFor();
    // the tree shows the vault; expanding it shows the folder
    const tree = A.getByRole('treegrid', { name: 'Vaults and folders' });
    await tree.getByRole('row', { name: /Prod/ }).waitFor();

    await A.getByRole('button', { name: 'New secret' }).click();
    await A.getByRole('heading', { name: 'New secret' }).waitFor();
    await A.getByRole('button', { name: /Template/ }).click();
    await A.getByRole('option', { name: 'Unix account (SSH)' }).click();
    await A.getByLabel('Name', { exact: true }).fill('db01');
    await A.getByLabel('Host', { exact: true }).fill('db01.example.net');
    await A.getByLabel('Username', { exact: true }).fill('postgres');
    await A.getByRole('button', { name: 'Generate' }).click();
    await waitInPage(A, `document.querySelector('input[type="password"]')?.value.length === 24`);
    generated = await A.locator('input[type="password"]').first().inputValue();
    await A.getByText(/Strength: (good|strong)/).waitFor();
    await A.getByLabel('Tags').fill('prod, db');
    await A.getByRole('button', { name: 'Create secret' }).click();
    await A.getByRole('heading', { name: /db01/, level: 1 }).waitFor();
    secretUrl = A.url();
    assert.match(new URL(secretUrl).pathname, /^\/secrets\/[^/]+$/);
    assert.ok(!secretUrl.includes(generated), 'no value in the URL');
    await shot(A, '03-secret');
  });

  it('sets the vault policy: a reason, approval and exclusive checkout', async () => {
    await A.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
    await A.getByRole('link', { name: 'Policies' }).click();
    await A.getByRole('button', { name: /Vault/ }).click();
    await A.getByRole('option', { name: 'Prod' }).click();
    await A.getByText('Policy of Prod').waitFor();
    await A.getByText('Revealing needs a reason').click();
    await A.getByText('Revealing or checking out needs an approved request').click();
    await A.getByText('Exclusive checkout').click();
    await A.getByRole('button', { name: 'Save policy' }).click();
    await A.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  });

  it('reveals with a reason; the value hides again on blur', async () => {
    await recA.reset();
    await A.goto(secretUrl);
    await A.getByRole('button', { name: 'Reveal Password' }).waitFor();
    await recA.idle();
    depths.push({ screen: 'secret', ...(await recA.depth()) });
    await A.getByRole('button', { name: 'Reveal Password' }).click();
    const dialog = A.getByRole('dialog', { name: 'Why do you need this value?' });
    await dialog.getByLabel('Reason').fill('INC-4711');
    await dialog.getByRole('button', { name: 'Reveal' }).click();
    await A.getByTestId('value-password').waitFor();
    assert.equal(await A.getByTestId('value-password').textContent(), generated);
    // leaving the window hides revealed values
    await A.evaluate(`window.dispatchEvent(new Event('blur'))`);
    await A.getByTestId('value-password').waitFor({ state: 'detached' });
  });

  it('shares the secret with bob', async () => {
    await A.getByRole('tab', { name: 'Sharing' }).click();
    await A.getByLabel('Share with (exact username)').fill('bob');
    await A.getByRole('button', { name: /Level/ }).click();
    await A.getByRole('option', { name: 'Reveal (values)' }).click();
    await A.getByRole('button', { name: 'Share', exact: true }).click();
    await A.getByRole('cell', { name: 'bob', exact: true }).waitFor();
  });

  it('bob changes his temporary password, then requests access', async () => {
    await signIn(B, server.base, 'bob', bobTemp);
    await B.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await shot(B, '02-change-password');
    await B.getByLabel('Current password').fill(bobTemp);
    await B.getByLabel('New password', { exact: true }).fill(bobNew);
    await B.getByLabel('New password again').fill(bobNew);
    await B.getByRole('button', { name: 'Change password' }).click();
    await B.getByText('Password changed. Sign in with the new one.').waitFor();
    await B.getByLabel('Username').fill('bob');
    await B.getByLabel('Password', { exact: true }).fill(bobNew);
    await B.getByRole('button', { name: 'Sign in' }).click();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Shared with me' }).click();
    await B.getByRole('link', { name: 'db01' }).click();
    await B.getByRole('heading', { name: /db01/, level: 1 }).waitFor();
    await B.getByText('Access to this secret needs an approved request.').waitFor();
    await B.getByRole('button', { name: 'Request access' }).click();
    const d = B.getByRole('dialog');
    await d.getByLabel('Reason').fill('CHG-1234 restart');
    await d.getByLabel('For how many minutes').fill('30');
    await d.getByRole('button', { name: 'Send request' }).click();
    await B.getByText(/Your request is waiting for approval/).waitFor();
    await B.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My requests' }).click();
    await B.getByRole('row', { name: /db01.*waiting for approval/ }).waitFor();
    await shot(B, '04-my-requests');
  });

  it('the approver approves in the other browser context', async () => {
    await recA.reset();
    await A.goto(`${server.base}/workflow/inbox`);
    await A.getByRole('row', { name: /db01.*CHG-1234/ }).waitFor();
    await recA.idle();
    depths.push({ screen: 'approvals', ...(await recA.depth()) });
    await shot(A, '05-approvals');
    await A.getByRole('button', { name: /^Approve bob/ }).click();
    await A.getByRole('dialog').getByLabel('Comment (audited)').fill('ok for the change window');
    await A.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await A.getByText('Nothing is waiting for your approval.').waitFor();
  });

  it('bob sees the approval live, checks out and checks in', async () => {
    // My requests refetches by itself while open: the approval shows without a reload
    await B.getByRole('row', { name: /db01.*approved/ }).waitFor({ timeout: 15_000 });
    await B.getByRole('button', { name: 'Check out' }).click();
    await B.getByRole('row', { name: /db01.*checked out/ }).waitFor();
    await B.getByRole('link', { name: 'db01' }).click();
    await B.getByText(/Checked out by you — \d+ min \d+ s left|Checked out by you — \d+ min/).waitFor();
    await B.getByRole('button', { name: 'Reveal Password' }).click();
    await B.getByTestId('value-password').waitFor();
    assert.equal(await B.getByTestId('value-password').textContent(), generated);
    await shot(B, '06-checked-out');
    await B.getByRole('button', { name: 'Check in' }).click();
    await B.getByText(/Checked out by you/).waitFor({ state: 'detached' });
  });

  it('the audit screen shows every step, through the web surface', async () => {
    await recA.reset();
    await A.goto(`${server.base}/audit`);
    await A.getByText(/intact/).waitFor();
    await recA.idle();
    depths.push({ screen: 'audit', ...(await recA.depth()) });
    const expect: [string, RegExp][] = [
      ['vault.*', /vault\.create/],
      ['folder.*', /folder\.create/],
      ['secret.create', /secret\.create/],
      ['secret.reveal', /secret\.reveal/],
      ['secret.share', /secret\.share/],
      ['request.*', /request\.create/],
      ['request.approve', /request\.approve/],
      ['checkout.*', /checkout\.start/],
    ];
    for (const [filter, action] of expect) {
      await A.getByLabel('Action', { exact: true }).fill(filter);
      await A.getByRole('button', { name: 'Apply' }).click();
      const row = A.getByRole('row').filter({ hasText: action }).filter({ hasText: 'success' }).first();
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /web/, `${filter}: recorded via the web surface`);
    }
    // the reveal carries its reason; the checkin ended the checkout
    await A.getByLabel('Action', { exact: true }).fill('secret.reveal');
    await A.getByRole('button', { name: 'Apply' }).click();
    await A.getByRole('row').filter({ hasText: 'INC-4711' }).first().waitFor();
    await A.getByLabel('Action', { exact: true }).fill('checkout.*');
    await A.getByRole('button', { name: 'Apply' }).click();
    const checkoutRows = (await A.getByRole('row').allTextContents()).join('\n');
    assert.match(checkoutRows, /checkout\.(end|checkin)/, 'the checkin is audited');
    await shot(A, '07-audit');
    const readme = path.join(repoRoot, 'docs', 'img', 'web-ui.png');
    if (!existsSync(readme) || process.env.COFFER_UPDATE_SCREENSHOT === '1') {
      mkdirSync(path.dirname(readme), { recursive: true });
      await A.goto(secretUrl);
      await A.getByRole('heading', { name: /db01/, level: 1 }).waitFor();
      await settle(A);
      await A.screenshot({ path: readme });
    }
  });

  it('no session token, CSRF token, password or TOTP seed was in any URL or in storage at any step', async () => {
    for (const ctx of [adminCtx, bobCtx]) {
      const r = await ctx.request.get(`${server.base}/ui/session`, { headers: { 'x-coffer-ui': '1' } });
      assert.equal(r.status(), 200);
      sensitive.add(((await r.json()) as { csrfToken: string }).csrfToken);
    }
    for (const v of [generated, totpSecret, ADMIN.password, bobTemp, bobNew]) sensitive.add(v);
    assert.ok(sensitive.size >= 8, `values to look for: ${sensitive.size}`);
    assert.ok(urls.length > 50, `URLs seen: ${urls.length}`);
    for (const v of sensitive) {
      const enc = encodeURIComponent(v);
      for (const u of urls) assert.ok(!u.includes(v) && !u.includes(enc), `a sensitive value in the URL ${u}`);
    }
    assert.ok(storage.length >= 12, `storage read after each step (${storage.length})`);
    for (const s of storage) assert.equal(s, JSON.stringify({ l: {}, s: {} }), 'storage stays empty');
  });

  it('no screen loaded in a request chain deeper than 2, and the pages logged no error', () => {
    for (const d of depths) assert.ok(d.depth <= 2, `${d.screen}: depth ${d.depth}: ${d.chain.join(' -> ')}`);
    assert.deepEqual(errors, []);
  });
});
