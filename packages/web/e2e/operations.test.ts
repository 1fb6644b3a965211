// Operations through the UI against the real server, each checked on the server afterwards: an
// administrator force-checks-in someone else's checkout (with an audited reason); a webhook is
// created (its signing secret shown once), sent a test that a real HTTP receiver gets, and its
// delivery log shows that delivery.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@coffer/sdk/client';
import type { Browser, Page } from 'playwright-core';
import { ADMIN } from '../../server/test/harness.ts';
import { launch, newContext, type Server, shot, signIn, startServer, watchErrors } from './helpers.ts';

describe('web UI: operations', { timeout: 180_000 }, () => {
  let server: Server;
  let browser: Browser;
  let A: Page;
  const errors: string[] = [];
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  let hookUrl = '';
  let secretId = '';

  before(async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/coffer-hook`;
    // the job queue runs (webhook deliveries); the receiver is on loopback, allowed here only
    server = await startServer({ jobs: true, config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 2000, maxAttempts: 3 } } });
    const a = server.admin;
    const vault = await a.vaults.create({ name: 'Ops', policy: { checkout: { exclusive: true } } });
    const secret = await a.secrets.create({
      vaultId: vault.id,
      template: 'web-login',
      name: 'switch01',
      fields: { password: 'sw1tch-01-long-password-77' },
    });
    secretId = secret.id;
    const gina = await a.users.create({ username: 'gina', password: 'gina-temporary-passphrase-53', role: 'password_user' });
    const g = createClient({ baseUrl: server.base });
    await g.auth.login('gina', 'gina-temporary-passphrase-53');
    await g.users.changeOwnPassword('gina-temporary-passphrase-53', 'gina-own-long-passphrase-4e1');
    await g.auth.login('gina', 'gina-own-long-passphrase-4e1');
    assert.ok('id' in gina, 'gina is created at once (one administrator: no dual control)');
    await a.grants.create({ nodeId: secret.id, principalType: 'user', principalId: gina.id, level: 'reveal' });
    const co = await g.checkouts.start(secret.id, { reason: 'CHG-77 switch upgrade', durationMinutes: 60 });
    assert.equal(co.active, true);
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
    receiver.close();
  });

  it("an administrator force-checks-in gina's checkout with a reason; the checkout ends, audited", async () => {
    await A.goto(`${server.base}/workflow/checkouts`);
    const listed = A.getByRole('row', { name: /switch01.*gina/ });
    await listed.waitFor();
    assert.match((await listed.textContent()) ?? '', /CHG-77 switch upgrade/);
    await listed.getByRole('button', { name: 'Force check-in' }).click();
    const d = A.getByRole('alertdialog');
    assert.equal(await d.getByRole('button', { name: 'Force check-in' }).isDisabled(), true, 'no force without a reason');
    await d.getByLabel('Reason').fill('gina is on leave, INC-9001');
    await shot(A, 'screen-force-checkin');
    await d.getByRole('button', { name: 'Force check-in' }).click();
    await A.getByText('No secret is checked out.').waitFor();
    // no active checkout is left (the API lists active ones only); the store says how it ended
    assert.deepEqual((await server.admin.checkouts.list({ scope: 'all', secretId })).items, []);
    const row = await server.h.database.db
      .selectFrom('checkouts')
      .select(['end_reason', 'active'])
      .where('secret_id', '=', secretId)
      .executeTakeFirstOrThrow();
    assert.equal(row.end_reason, 'forced');
    assert.equal(Number(row.active), 0);
    const audit = await server.admin.audit.list({ action: 'checkout.end', limit: 10 });
    const rec = audit.items.find((r) => r.objectId === secretId);
    assert.ok(rec, 'the forced check-in is audited');
    assert.equal(rec.outcome, 'success');
    assert.equal(rec.via, 'web');
    assert.equal(rec.actorName, ADMIN.username);
    assert.equal(rec.reason, 'gina is on leave, INC-9001');
  });

  it('creates a webhook (secret shown once), sends a test that the receiver gets, and shows it in the delivery log', async () => {
    await A.goto(`${server.base}/admin/webhooks`);
    await A.getByText('No webhooks.').waitFor();
    await A.getByLabel('Target URL').fill(hookUrl);
    await A.getByRole('button', { name: 'Add webhook' }).click();
    const shown = A.getByRole('alert').filter({ hasText: 'The signing secret, shown this once' });
    await shown.waitFor();
    const signing = ((await shown.locator('code').textContent()) ?? '').trim();
    assert.ok(signing.length >= 16, 'the signing secret is shown');
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    await shown.waitFor({ state: 'detached' });
    assert.ok(!(await A.content()).includes(signing), 'the secret is gone from the page');
    const hooks = await server.admin.webhooks.list();
    assert.equal(hooks.items.length, 1);
    assert.equal(hooks.items[0]!.url, hookUrl);

    const card = A.getByRole('region', { name: `Webhook ${hookUrl}` });
    await card.getByRole('button', { name: 'Send a test' }).click();
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 1, 'the receiver got the test delivery');
    assert.match(received[0]!.body, /ping/);
    await card.getByRole('button', { name: 'Delivery log' }).click();
    const delivery = card.getByRole('row', { name: /ping.*delivered/ });
    await delivery.waitFor({ timeout: 15_000 });
    assert.match((await delivery.textContent()) ?? '', /204/);
    await shot(A, 'screen-webhook-deliveries');
    const log = await server.admin.webhooks.deliveries(hooks.items[0]!.id);
    assert.deepEqual(
      log.items.map((x) => [x.eventType, x.state, x.lastStatus]),
      [['ping', 'delivered', 204]],
    );
    const audit = await server.admin.audit.list({ action: 'webhook.*', limit: 20 });
    assert.ok(
      audit.items.some((r) => r.action === 'webhook.create' && r.via === 'web'),
      'the creation is audited via web',
    );
    assert.ok(!JSON.stringify(audit.items).includes(signing), 'the signing secret is in no audit record');
    assert.deepEqual(errors, []);
  });
});
