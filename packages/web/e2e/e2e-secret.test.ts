// A secret of an end-to-end encrypted vault in the browser: the UI holds no private key, so it says
// how to read the value (CLI or SDK) instead of offering a reveal that could only hand back an
// OpenPGP message; its clear metadata shows as for any secret.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createClient } from '../../sdk/src/client.ts';
import { createE2e, generateKeyPair, unlockKey } from '../../sdk/src/e2e.ts';
import { adminToken, createUser } from '../../server/test/harness.ts';
import { launch, newContext, type Server, shot, signIn, startServer, watchErrors } from './helpers.ts';

describe('web UI: an end-to-end encrypted secret', { timeout: 120_000 }, () => {
  let server: Server;
  let browser: Browser;
  let user: Awaited<ReturnType<typeof createUser>>;
  let secretId = '';
  let vaultId = '';

  before(async () => {
    server = await startServer();
    const email = `web-e2e-${Math.random().toString(36).slice(2, 8)}@example.com`;
    user = await createUser(server.h, await adminToken(server.h), 'password_administrator', { email });
    const client = createClient({ baseUrl: server.base, token: user.token });
    const pair = await generateKeyPair({ email, passphrase: 'a passphrase for the key' });
    const { privateKey, armoredPublic } = await unlockKey(pair.armoredPrivate, 'a passphrase for the key');
    await client.openpgp.register(armoredPublic);
    const vault = await client.vaults.create({ name: 'Sealed end to end', encryption: 'e2e' });
    vaultId = vault.id;
    const s = await createE2e(client, privateKey).create(
      { vaultId, template: 'web-login', name: 'payroll-db', fields: { username: 'payroll' } },
      { password: 'e2e-value-never-in-the-browser' },
    );
    secretId = s.id;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the clear metadata and how to read the value, offers no reveal, and never receives the value', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const errors: string[] = [];
    watchErrors(page, errors);
    const bodies: string[] = [];
    page.on('response', async (r) => {
      if (r.url().includes('/ui/api/')) bodies.push(await r.text().catch(() => ''));
    });
    await signIn(page, server.base, user.username, user.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await page.goto(`${server.base}/secrets/${secretId}`);
    await page.getByRole('heading', { name: /payroll-db/, level: 1 }).waitFor();
    const notice = page.getByTestId('e2e-notice');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /end-to-end encrypted.*coffer reveal/s);
    assert.equal(await page.getByRole('button', { name: 'Reveal Password' }).count(), 0, 'no reveal offered');
    assert.equal(await page.getByRole('button', { name: 'Copy Password' }).count(), 0, 'no copy of a value it cannot read');
    assert.ok(await page.getByText('payroll', { exact: true }).first().isVisible(), 'the clear user name is shown');
    await shot(page, 'e2e-secret');
    assert.ok(!bodies.some((b) => b.includes('e2e-value-never-in-the-browser')), 'the value never reached the browser');
    assert.deepEqual(errors, []);
    await ctx.close();
  });
});
