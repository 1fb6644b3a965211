import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { WebhookDelivery } from '@coffer/contracts/webhooks';
import { webhookEventTypes } from '@coffer/contracts/webhooks';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { verifyWebhookSignature } from './signature.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on 127.0.0.1 answering the listed statuses in turn (the last one repeats). */
async function receiver(statuses: number[], extraHeaders: Record<string, string> = {}) {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)] as number;
      res.writeHead(status, { 'content-type': 'text/plain', ...extraHeaders });
      res.end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

for (const dialect of dialects) {
  describe(`webhooks [${dialect}]`, () => {
    const clock = manualClock(Date.now());
    let h: Harness;
    let admin: string;
    /** Every signing secret the API returned: none may show up anywhere else. */
    const secrets: string[] = [];

    before(async () => {
      h = await startHarness(dialect, {
        clock,
        config: { webhooks: { allowedTargets: ['127.0.0.1/32'], timeoutMs: 2000, maxAttempts: 4 } },
      });
      // the tests drive the queue themselves, one poll at a time
      await h.coffer.services.jobs.stop();
      admin = await adminToken(h);
    });
    after(async () => h.close());

    const runDue = () => h.coffer.services.jobs.runDue();

    async function createHook(url: string, events: string[] = ['secret.rotated'], extra: Record<string, unknown> = {}) {
      const r = await call(h, 'POST', '/api/v1/webhooks', { token: admin, body: { url, events, ...extra } });
      assert.equal(r.status, 201, r.raw);
      secrets.push(r.body.secret);
      return r.body as { webhook: { id: string }; secret: string };
    }

    async function log(id: string) {
      const r = await call(h, 'GET', `/api/v1/webhooks/${id}/deliveries`, { token: admin });
      assert.equal(r.status, 200, r.raw);
      return r.body.items as WebhookDelivery[];
    }

    /** Moves the clock to the time the pending delivery job is due again. */
    async function toNextAttempt(deliveryId: string) {
      const job = await h.database.db
        .selectFrom('job_queue')
        .select(['run_at', 'state'])
        .where('kind', '=', 'webhook.deliver')
        .where('payload', '=', JSON.stringify({ deliveryId }))
        .executeTakeFirstOrThrow();
      assert.equal(job.state, 'queued');
      assert.ok(Number(job.run_at) > clock.now(), 'the retry waits (backoff)');
      clock.set(Number(job.run_at));
    }

    it('creates a webhook showing its secret once; list and get never show it', async () => {
      const { webhook, secret } = await createHook('http://127.0.0.1:9/x', ['checkout.started', 'secret.rotated'], {
        description: 'siem',
      });
      assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      const got = await call(h, 'GET', `/api/v1/webhooks/${webhook.id}`, { token: admin });
      assert.equal(got.status, 200);
      assert.deepEqual(
        { url: got.body.url, events: got.body.events, enabled: got.body.enabled, description: got.body.description },
        { url: 'http://127.0.0.1:9/x', events: ['checkout.started', 'secret.rotated'], enabled: true, description: 'siem' },
      );
      const list = await call(h, 'GET', '/api/v1/webhooks', { token: admin });
      assert.ok(list.body.items.some((w: { id: string }) => w.id === webhook.id));
      for (const r of [got, list]) {
        assert.ok(!r.raw.includes(secret), 'no secret in list/get');
        assert.ok(!r.raw.includes('"secret"') && !r.raw.includes('whsec_'), 'no secret field at all');
      }
      const row = await h.database.db.selectFrom('webhooks').select('secret_enc').where('id', '=', webhook.id).executeTakeFirstOrThrow();
      assert.ok(!row.secret_enc.includes(secret.slice(6)) && row.secret_enc.startsWith('c1.'), 'stored encrypted');
      assert.equal((await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin })).status, 204);
      assert.equal((await call(h, 'GET', `/api/v1/webhooks/${webhook.id}`, { token: admin })).status, 404);
    });

    it('takes a subscription to every event a webhook can receive (what the web UI preselects)', async () => {
      const every = webhookEventTypes.filter((t) => t !== 'ping');
      const { webhook } = await createHook('http://127.0.0.1:9/all', [...every]);
      assert.deepEqual([...(webhook as unknown as { events: string[] }).events].sort(), [...every].sort());
      const twice = await call(h, 'POST', '/api/v1/webhooks', {
        token: admin,
        body: { url: 'http://127.0.0.1:9/d', events: ['secret.rotated', 'secret.rotated'] },
      });
      assert.equal(twice.status, 400, twice.raw);
      assert.equal((await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin })).status, 204);
    });

    it('refuses non-administrators (403) on every webhook route', async () => {
      const { webhook } = await createHook('http://127.0.0.1:9/x');
      for (const role of ['password_administrator', 'password_auditor', 'password_user'] as const) {
        const u = await createUser(h, admin, role);
        const id = webhook.id;
        for (const [method, url, body] of [
          ['GET', '/api/v1/webhooks', undefined],
          ['POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/y', events: ['ping'] }],
          ['POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/y', events: ['secret.rotated'] }],
          ['GET', `/api/v1/webhooks/${id}`, undefined],
          ['PATCH', `/api/v1/webhooks/${id}`, { enabled: false }],
          ['DELETE', `/api/v1/webhooks/${id}`, undefined],
          ['POST', `/api/v1/webhooks/${id}/rotate-secret`, undefined],
          ['GET', `/api/v1/webhooks/${id}/deliveries`, undefined],
          ['POST', `/api/v1/webhooks/${id}/test`, undefined],
        ] as const) {
          const r = await call(h, method, url, { token: u.token, ...(body ? { body } : {}) });
          // `ping` is not subscribable: that body fails validation before any permission check
          const expected = body && 'events' in body && body.events[0] === 'ping' ? 400 : 403;
          assert.equal(r.status, expected, `${role} ${method} ${url}: ${r.raw}`);
        }
      }
      const still = await call(h, 'GET', `/api/v1/webhooks/${webhook.id}`, { token: admin });
      assert.equal(still.body.enabled, true, 'nothing changed');
      const denials = await h.database.db
        .selectFrom('audit_log')
        .select(['action', 'outcome'])
        .where('action', '=', 'webhook.rotate_secret')
        .where('outcome', '=', 'denied')
        .execute();
      assert.equal(denials.length, 3, 'denials are audited');
      await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin });
    });

    it('delivers a signed ping the receiver can verify, with stable ids', async () => {
      const rx = await receiver([200]);
      try {
        const { webhook, secret } = await createHook(rx.url);
        const t = await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/test`, { token: admin });
        assert.equal(t.status, 202, t.raw);
        assert.equal(rx.got.length, 0, 'queued, not sent inline');
        assert.ok((await runDue()) >= 1);
        assert.equal(rx.got.length, 1);
        const req = rx.got[0] as Received;
        assert.equal(req.headers['content-type'], 'application/json');
        assert.equal(req.headers['coffer-webhook-id'], webhook.id);
        assert.equal(req.headers['coffer-delivery-id'], t.body.deliveryId);
        const ts = req.headers['coffer-timestamp'] as string;
        assert.equal(Number(ts), Math.floor(clock.now() / 1000));
        const sig = req.headers['coffer-signature'] as string;
        assert.match(sig, /^v1=[0-9a-f]{64}$/);
        assert.equal(verifyWebhookSignature(secret, ts, req.body, sig, 300, clock.now()), true, 'the signature verifies');
        assert.equal(verifyWebhookSignature(secret, ts, `${req.body} `, sig, 300, clock.now()), false);
        assert.equal(verifyWebhookSignature(secret, ts, req.body, sig, 300, clock.now() + 301_000), false, 'stale');
        const event = JSON.parse(req.body);
        assert.deepEqual(Object.keys(event).sort(), ['data', 'id', 'occurredAt', 'type']);
        assert.equal(event.type, 'ping');
        assert.equal(event.id, t.body.eventId);
        assert.deepEqual(event.data, { webhookId: webhook.id, requestedBy: 'admin' });
        const [d] = await log(webhook.id);
        assert.equal(d?.id, t.body.deliveryId);
        assert.equal(d?.state, 'delivered');
        assert.equal(d?.attempts, 1);
        assert.equal(d?.lastStatus, 200);
        assert.equal(d?.lastError, null);
        assert.deepEqual(d?.payload, event);
        assert.equal(await runDue(), 0, 'delivered once');
        await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin });
      } finally {
        await rx.close();
      }
    });

    it('retries a failing receiver with backoff: fails twice, then succeeds on the 3rd attempt', async () => {
      const rx = await receiver([500, 503, 204]);
      try {
        const { webhook, secret } = await createHook(rx.url);
        const t = await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/test`, { token: admin });
        await runDue();
        let [d] = await log(webhook.id);
        assert.deepEqual(
          [d?.state, d?.attempts, d?.lastStatus, d?.lastError],
          ['pending', 1, 500, 'webhook.http_status: the receiver answered 500'],
        );
        assert.ok(d?.nextAttemptAt);
        assert.equal(await runDue(), 0, 'not before the backoff');
        await toNextAttempt(t.body.deliveryId);
        await runDue();
        [d] = await log(webhook.id);
        assert.deepEqual([d?.state, d?.attempts, d?.lastStatus], ['pending', 2, 503]);
        await toNextAttempt(t.body.deliveryId);
        await runDue();
        [d] = await log(webhook.id);
        assert.deepEqual([d?.state, d?.attempts, d?.lastStatus, d?.lastError, d?.nextAttemptAt], ['delivered', 3, 204, null, null]);
        assert.equal(rx.got.length, 3);
        assert.equal(new Set(rx.got.map((g) => g.headers['coffer-delivery-id'])).size, 1, 'one delivery id across retries');
        assert.equal(new Set(rx.got.map((g) => g.body)).size, 1, 'the same body every time');
        const stamps = rx.got.map((g) => Number(g.headers['coffer-timestamp']));
        assert.ok(stamps[0]! < stamps[1]! && stamps[1]! < stamps[2]!, 'each attempt is signed at its own time');
        for (const g of rx.got) {
          const [ts, sig] = [g.headers['coffer-timestamp'] as string, g.headers['coffer-signature'] as string];
          assert.ok(verifyWebhookSignature(secret, ts, g.body, sig, 3600, clock.now()));
        }
        await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin });
      } finally {
        await rx.close();
      }
    });

    it('gives up after maxAttempts, and never follows a redirect', async () => {
      const rx = await receiver([302], { location: 'http://169.254.169.254/latest/meta-data/' });
      try {
        const { webhook } = await createHook(rx.url);
        const t = await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/test`, { token: admin });
        await runDue();
        for (let i = 2; i <= 4; i++) {
          await toNextAttempt(t.body.deliveryId);
          await runDue();
        }
        const [d] = await log(webhook.id);
        assert.deepEqual([d?.state, d?.attempts, d?.lastStatus, d?.nextAttemptAt], ['failed', 4, 302, null]);
        assert.match(d?.lastError ?? '', /^webhook\.redirect: /);
        assert.equal(rx.got.length, 4, 'only the receiver was contacted');
        clock.advance(86_400_000);
        await runDue();
        assert.equal(rx.got.length, 4, 'no attempt after giving up');
        admin = await adminToken(h); // the day passed ended the session
        await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin });
      } finally {
        await rx.close();
      }
    });

    it('publish is an outbox: a rolled-back transaction delivers nothing; a committed one reaches subscribed, enabled webhooks only', async () => {
      const rx = await receiver([200]);
      try {
        const a = await createHook(`${rx.url}?a`, ['secret.rotated']);
        const b = await createHook(`${rx.url}?b`, ['checkout.started']);
        const c = await createHook(`${rx.url}?c`, ['secret.rotated'], { enabled: false });
        const { webhooks } = h.coffer.services;
        await assert.rejects(
          h.database.db.transaction().execute(async (trx) => {
            const r = await webhooks.publish(trx, { type: 'secret.rotated', data: { secretId: 'sec_x', by: 'admin' } });
            assert.equal(r.deliveries, 1);
            throw new Error('the use case failed');
          }),
          /the use case failed/,
        );
        await runDue();
        assert.equal(rx.got.length, 0, 'nothing sent for a rolled-back event');
        for (const w of [a, b, c]) assert.deepEqual(await log(w.webhook.id), []);
        const published = await h.database.db
          .transaction()
          .execute((trx) => webhooks.publish(trx, { type: 'secret.rotated', data: { secretId: 'sec_y', reason: 'scheduled' } }));
        assert.equal(published.deliveries, 1);
        await runDue();
        assert.equal(rx.got.length, 1);
        assert.equal(rx.got[0]?.headers['coffer-webhook-id'], a.webhook.id);
        const event = JSON.parse(rx.got[0]?.body as string);
        assert.equal(event.id, published.eventId);
        assert.deepEqual([event.type, event.data], ['secret.rotated', { secretId: 'sec_y', reason: 'scheduled' }]);
        assert.equal((await log(b.webhook.id)).length, 0, 'not subscribed');
        assert.equal((await log(c.webhook.id)).length, 0, 'disabled');
        for (const w of [a, b, c]) await call(h, 'DELETE', `/api/v1/webhooks/${w.webhook.id}`, { token: admin });
      } finally {
        await rx.close();
      }
    });

    it('rotates the secret (later attempts sign with the new one); a disabled webhook gets no test and its pending deliveries are cancelled', async () => {
      const rx = await receiver([200]);
      try {
        const { webhook, secret: old } = await createHook(rx.url);
        const rot = await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/rotate-secret`, { token: admin });
        assert.equal(rot.status, 200, rot.raw);
        secrets.push(rot.body.secret);
        assert.notEqual(rot.body.secret, old);
        await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/test`, { token: admin });
        await runDue();
        const g = rx.got[0] as Received;
        const [ts, sig] = [g.headers['coffer-timestamp'] as string, g.headers['coffer-signature'] as string];
        assert.equal(verifyWebhookSignature(rot.body.secret, ts, g.body, sig, 300, clock.now()), true);
        assert.equal(verifyWebhookSignature(old, ts, g.body, sig, 300, clock.now()), false);

        // a delivery queued before the webhook is disabled is cancelled, not sent
        const queued = await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/test`, { token: admin });
        const off = await call(h, 'PATCH', `/api/v1/webhooks/${webhook.id}`, { token: admin, body: { enabled: false } });
        assert.equal(off.body.enabled, false);
        await runDue();
        assert.equal(rx.got.length, 1);
        const states = new Map((await log(webhook.id)).map((d) => [d.id, d.state]));
        assert.equal(states.get(queued.body.deliveryId), 'cancelled');
        assert.deepEqual([...states.values()].sort(), ['cancelled', 'delivered']);
        const t = await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/test`, { token: admin });
        assert.equal(t.status, 409);
        await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin });
      } finally {
        await rx.close();
      }
    });

    it('pages the delivery log newest first', async () => {
      const { webhook } = await createHook('http://127.0.0.1:9/x');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        clock.advance(1);
        ids.push((await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/test`, { token: admin })).body.deliveryId);
      }
      const p1 = await call(h, 'GET', `/api/v1/webhooks/${webhook.id}/deliveries?limit=3`, { token: admin });
      const p2 = await call(h, 'GET', `/api/v1/webhooks/${webhook.id}/deliveries?limit=3&cursor=${p1.body.nextCursor}`, { token: admin });
      assert.deepEqual(
        [...p1.body.items, ...p2.body.items].map((d: { id: string }) => d.id),
        [...ids].reverse(),
      );
      assert.equal(p2.body.nextCursor, null);
      await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin });
      assert.equal((await call(h, 'GET', `/api/v1/webhooks/${webhook.id}/deliveries`, { token: admin })).status, 404);
    });

    it('keeps the signing secret across a key rotation (re-encrypted under the new term)', async () => {
      const rx = await receiver([200]);
      try {
        const { webhook, secret } = await createHook(rx.url);
        const rot = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
        assert.equal(rot.status, 200, rot.raw);
        const term = rot.body.activeTerm as number;
        const end = Date.now() + 20_000;
        for (;;) {
          const row = await h.database.db
            .selectFrom('webhooks')
            .select('secret_enc')
            .where('id', '=', webhook.id)
            .executeTakeFirstOrThrow();
          if (row.secret_enc.startsWith(`c1.${term}.`)) break;
          assert.ok(Date.now() < end, `the secret moves to term ${term}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        await call(h, 'POST', `/api/v1/webhooks/${webhook.id}/test`, { token: admin });
        await runDue();
        const g = rx.got[0] as Received;
        assert.ok(
          verifyWebhookSignature(
            secret,
            g.headers['coffer-timestamp'] as string,
            g.body,
            g.headers['coffer-signature'] as string,
            300,
            clock.now(),
          ),
        );
        await call(h, 'DELETE', `/api/v1/webhooks/${webhook.id}`, { token: admin });
      } finally {
        await rx.close();
      }
    });

    it('never shows a signing secret in logs, audit records or the delivery log', async () => {
      assert.ok(secrets.length >= 8);
      const logs = h.logs();
      const audit = (await h.database.db.selectFrom('audit_log').selectAll().execute()).map((r) => JSON.stringify(r)).join('\n');
      const deliveries = (await h.database.db.selectFrom('webhook_deliveries').selectAll().execute())
        .map((r) => JSON.stringify(r))
        .join('\n');
      const jobs = (await h.database.db.selectFrom('job_queue').selectAll().execute()).map((r) => JSON.stringify(r)).join('\n');
      for (const s of secrets) {
        for (const [where, text] of [
          ['logs', logs],
          ['audit', audit],
          ['deliveries', deliveries],
          ['jobs', jobs],
        ] as const) {
          assert.ok(!text.includes(s) && !text.includes(s.slice(6)), `a secret in ${where}`);
        }
      }
      assert.ok(audit.includes('webhook.create') && audit.includes('webhook.rotate_secret'), 'the audit trail has the webhook actions');
    });
  });

  describe(`webhook targets without an allowlist [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    before(async () => {
      h = await startHarness(dialect);
      await h.coffer.services.jobs.stop();
      admin = await adminToken(h);
    });
    after(async () => h.close());

    it('refuses loopback, metadata, private, mapped and non-http targets with webhook.target_refused', async () => {
      for (const url of [
        'http://127.0.0.1/hook',
        'http://127.1.2.3:8080/',
        'http://169.254.169.254/latest/meta-data/',
        'http://[::ffff:127.0.0.1]/',
        'http://[::ffff:a9fe:a9fe]/',
        'http://[::1]:8080/',
        'http://[fe80::1]/',
        'http://[fd00::5]/',
        'http://10.1.2.3/',
        'http://172.20.0.1/',
        'http://192.168.1.1/',
        'http://0.0.0.0/',
        'http://2130706433/',
        'http://0x7f.1/',
        'http://localhost:7300/',
        'http://224.0.0.1/',
        'ftp://example.com/',
        'file:///etc/passwd',
        'http://user:pw@example.com/',
        'not a url at all',
      ]) {
        const r = await call(h, 'POST', '/api/v1/webhooks', { token: admin, body: { url, events: ['secret.rotated'] } });
        assert.equal(r.status, 400, `${url}: ${r.raw}`);
        assert.equal(r.body.error.code, 'webhook.target_refused', url);
      }
      const localhost = await call(h, 'POST', '/api/v1/webhooks', {
        token: admin,
        body: { url: 'http://localhost/', events: ['secret.rotated'] },
      });
      assert.match(localhost.body.error.message, /resolves to (127\.0\.0\.1|::1) \(loopback\)/);
      const list = await call(h, 'GET', '/api/v1/webhooks', { token: admin });
      assert.deepEqual(list.body.items, [], 'nothing was created');
      const refusals = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome', 'reason'])
        .where('action', '=', 'webhook.create')
        .execute();
      assert.ok(refusals.length >= 20 && refusals.every((r) => r.outcome === 'failure' && r.reason === 'webhook.target_refused'));
    });

    it('accepts a public address, and checks a changed URL again', async () => {
      const r = await call(h, 'POST', '/api/v1/webhooks', {
        token: admin,
        body: { url: 'https://93.184.215.14/hook', events: ['grant.expired'] },
      });
      assert.equal(r.status, 201, r.raw);
      const id = r.body.webhook.id;
      const bad = await call(h, 'PATCH', `/api/v1/webhooks/${id}`, { token: admin, body: { url: 'http://169.254.169.254/' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'webhook.target_refused');
      const ok = await call(h, 'PATCH', `/api/v1/webhooks/${id}`, { token: admin, body: { events: ['grant.expired', 'checkout.ended'] } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.url, 'https://93.184.215.14/hook');
      assert.deepEqual(ok.body.events, ['grant.expired', 'checkout.ended']);
    });
  });
}
