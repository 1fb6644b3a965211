import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { CHUNK_BYTES } from './attachments.service.ts';

const MAX = 2 * 1024 * 1024;
const CANARY = 'attachment-canary-Zr8#q2Lw';

/** Every byte value, in a shuffled but reproducible order, `n` bytes long. */
function allBytes(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = i < 256 ? i : (x >>> 16) & 0xff;
  }
  return b;
}

function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  return (async () => {
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
}

for (const dialect of dialects) {
  describe(`attachments of secrets [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let owner: Awaited<ReturnType<typeof createUser>>;
    let viewer: Awaited<ReturnType<typeof createUser>>;
    let revealer: Awaited<ReturnType<typeof createUser>>;
    let outsider: Awaited<ReturnType<typeof createUser>>;
    const ids = { vault: '', restricted: '', a: '', b: '', r: '' };
    /** Attachment ids by file name. */
    const att: Record<string, string> = {};

    async function upload(
      token: string,
      secretId: string,
      name: string | null,
      data: Buffer | Readable,
      opts: { headers?: Record<string, string>; query?: string } = {},
    ) {
      const q = name === null ? (opts.query ?? '') : `?name=${encodeURIComponent(name)}${opts.query ? `&${opts.query}` : ''}`;
      const r = await h.app.inject({
        method: 'POST',
        url: `/api/v1/secrets/${secretId}/attachments${q}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', ...opts.headers },
        payload: data,
      });
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null, headers: r.headers };
    }

    async function download(
      token: string,
      secretId: string,
      attId: string,
      opts: { query?: string; headers?: Record<string, string> } = {},
    ) {
      const r = await h.app.inject({
        method: 'GET',
        url: `/api/v1/secrets/${secretId}/attachments/${attId}${opts.query ? `?${opts.query}` : ''}`,
        headers: { authorization: `Bearer ${token}`, ...opts.headers },
      });
      return { status: r.statusCode, raw: r.rawPayload, headers: r.headers, json: () => JSON.parse(r.body) };
    }

    const counts = async () => ({
      attachments: Number(
        (
          await h.database.db
            .selectFrom('attachments')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      chunks: Number(
        (
          await h.database.db
            .selectFrom('attachment_chunks')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    });
    const chunksOf = (attId: string) =>
      h.database.db.selectFrom('attachment_chunks').select(['idx', 'data_enc']).where('attachment_id', '=', attId).orderBy('idx').execute();
    const versionOf = async (secretId: string) =>
      Number((await h.database.db.selectFrom('secrets').select('version').where('id', '=', secretId).executeTakeFirstOrThrow()).version);
    const setChunk = (attId: string, idx: number, data_enc: string) =>
      h.database.db.updateTable('attachment_chunks').set({ data_enc }).where('attachment_id', '=', attId).where('idx', '=', idx).execute();

    before(async () => {
      h = await startHarness(dialect, { config: { attachmentMaxBytes: MAX } });
      admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      viewer = await createUser(h, admin, 'password_user');
      revealer = await createUser(h, admin, 'password_user');
      outsider = await createUser(h, admin, 'password_user');
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `Files ${dialect}` } });
      assert.equal(v.status, 201, v.raw);
      ids.vault = v.body.id;
      const restricted = await call(h, 'POST', '/api/v1/folders', {
        token: owner.token,
        body: { vaultId: ids.vault, name: 'Restricted', policy: { requireReason: true } },
      });
      assert.equal(restricted.status, 201, restricted.raw);
      ids.restricted = restricted.body.id;
      for (const [who, level] of [
        [viewer, 'view'],
        [revealer, 'reveal'],
      ] as const) {
        const g = await call(h, 'POST', '/api/v1/grants', {
          token: owner.token,
          body: { nodeId: ids.vault, principalType: 'user', principalId: who.id, level },
        });
        assert.equal(g.status, 201, g.raw);
      }
      const mk = async (name: string, folderId?: string) => {
        const s = await call(h, 'POST', '/api/v1/secrets', {
          token: owner.token,
          body: {
            vaultId: ids.vault,
            ...(folderId ? { folderId } : {}),
            template: 'unix-account',
            name,
            fields: { host: 'h1', username: 'root', password: 'pw-not-the-canary' },
          },
        });
        assert.equal(s.status, 201, s.raw);
        return s.body.id as string;
      };
      ids.a = await mk('server a');
      ids.b = await mk('server b');
      ids.r = await mk('restricted server', ids.restricted);
    });
    after(async () => h?.close());

    it('round-trips binary content: all byte values, several chunks, a chunk boundary, an empty file, more than the JSON body limit', async () => {
      const files: Array<[string, Buffer]> = [
        ['all-bytes.bin', allBytes(256)],
        ['multi.bin', allBytes(3 * CHUNK_BYTES + 123, 3)],
        ['boundary.bin', allBytes(CHUNK_BYTES, 5)],
        ['two-boundary.bin', allBytes(2 * CHUNK_BYTES, 9)],
        ['empty.bin', Buffer.alloc(0)],
        ['big.bin', allBytes(1536 * 1024, 11)], // above the 1 MiB JSON body limit
        ['exactly-max.bin', allBytes(MAX, 13)],
      ];
      for (const [name, data] of files) {
        const v0 = await versionOf(ids.a);
        const up = await upload(owner.token, ids.a, name, data);
        assert.equal(up.status, 201, `${name}: ${JSON.stringify(up.body)}`);
        assert.equal(up.body.name, name);
        assert.equal(up.body.size, data.length);
        assert.equal(up.body.secretId, ids.a);
        assert.match(up.body.id, /^att_[0-9a-z]{26}$/);
        att[name] = up.body.id;
        const chunks = await chunksOf(up.body.id);
        assert.equal(chunks.length, Math.max(1, Math.ceil(data.length / CHUNK_BYTES)), `${name}: chunk count`);
        assert.deepEqual(
          chunks.map((c) => Number(c.idx)),
          chunks.map((_, i) => i),
        );
        assert.equal(await versionOf(ids.a), v0 + 1, 'an upload is a new version');
        const down = await download(revealer.token, ids.a, up.body.id);
        assert.equal(down.status, 200, name);
        assert.equal(down.headers['content-type'], 'application/octet-stream');
        assert.equal(Number(down.headers['content-length']), data.length);
        assert.match(String(down.headers['content-disposition']), /^attachment; filename="/);
        assert.ok(down.raw.equals(data), `${name}: the same bytes come back`);
      }
      const list = await call(h, 'GET', `/api/v1/secrets/${ids.a}/attachments`, { token: viewer.token });
      assert.equal(list.status, 200, list.raw);
      assert.deepEqual(list.body.items.map((a: { name: string }) => a.name).sort(), files.map(([n]) => n).sort());
      assert.equal(list.body.items.find((a: { name: string }) => a.name === 'empty.bin').size, 0);
      const hist = await call(h, 'GET', `/api/v1/secrets/${ids.a}/history`, { token: owner.token });
      assert.deepEqual(hist.body.items[0].changedFields, ['attachment:exactly-max.bin']);
      assert.equal(hist.body.items[0].action, 'attachment.add');
      // the secret's values survive the version bumps
      const rev = await call(h, 'POST', `/api/v1/secrets/${ids.a}/reveal`, { token: owner.token, body: {} });
      assert.equal(rev.body.values.password, 'pw-not-the-canary');
    });

    it('takes the name from x-filename (percent-encoded UTF-8) and the media type from x-content-type', async () => {
      const name = 'Übersicht “2024” ü.pdf';
      const up = await upload(owner.token, ids.b, null, Buffer.from('%PDF-1.7 fake'), {
        headers: { 'x-filename': encodeURIComponent(name), 'x-content-type': 'application/PDF' },
      });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.equal(up.body.name, name);
      assert.equal(up.body.contentType, 'application/pdf');
      const down = await download(owner.token, ids.b, up.body.id);
      assert.equal(down.status, 200);
      assert.equal(down.headers['content-type'], 'application/octet-stream', 'never served as the declared type');
      assert.equal(
        down.headers['content-disposition'],
        `attachment; filename="_bersicht _2024_ _.pdf"; filename*=UTF-8''${encodeURIComponent(name)}`,
      );
      assert.equal(down.raw.toString(), '%PDF-1.7 fake');
      await call(h, 'DELETE', `/api/v1/secrets/${ids.b}/attachments/${up.body.id}`, { token: owner.token });
    });

    it('refuses bad names, a missing name, a second name, a duplicate, JSON bodies; stores nothing for any of them', async () => {
      const before = await counts();
      const v0 = await versionOf(ids.b);
      for (const bad of ['../etc/passwd', 'a/b', 'a\\b', '..', '.', ' ', 'x'.repeat(256)]) {
        const r = await upload(owner.token, ids.b, bad, Buffer.from('x'));
        assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'validation.failed');
      }
      for (const header of ['a%0Ab', '%00', 'x%2Fy', '%E0%A4%A']) {
        const r = await upload(owner.token, ids.b, null, Buffer.from('x'), { headers: { 'x-filename': header } });
        assert.equal(r.status, 400, `${header}: ${JSON.stringify(r.body)}`);
      }
      const none = await upload(owner.token, ids.b, null, Buffer.from('x'));
      assert.equal(none.status, 400);
      const two = await upload(owner.token, ids.b, 'a.txt', Buffer.from('x'), { headers: { 'x-filename': 'b.txt' } });
      assert.equal(two.status, 400);
      const badType = await upload(owner.token, ids.b, 'a.txt', Buffer.from('x'), { query: 'contentType=text%2Fhtml%3B%20x' });
      assert.equal(badType.status, 400);
      const json = await call(h, 'POST', `/api/v1/secrets/${ids.b}/attachments?name=a.json`, { token: owner.token, body: { a: 1 } });
      assert.equal(json.status, 415, json.raw);
      assert.equal(json.body.error.code, 'request.unsupported_media_type');
      const text = await h.app.inject({
        method: 'POST',
        url: `/api/v1/secrets/${ids.b}/attachments?name=a.txt`,
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/plain' },
        payload: 'hello',
      });
      assert.equal(text.statusCode, 415);
      assert.deepEqual(await counts(), before);
      assert.equal(await versionOf(ids.b), v0);
      const first = await upload(owner.token, ids.b, 'dup.txt', Buffer.from('one'));
      assert.equal(first.status, 201);
      const dup = await upload(owner.token, ids.b, 'dup.txt', Buffer.from('two'));
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 'conflict');
      assert.equal((await download(owner.token, ids.b, first.body.id)).raw.toString(), 'one');
      // other routes do not take octet-stream bodies: the parser belongs to the upload route only
      const other = await h.app.inject({
        method: 'POST',
        url: '/api/v1/secrets',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from('{}'),
      });
      assert.equal(other.statusCode, 415, other.body);
    });

    it('queues concurrent changes to one secret: different names all land, one name only once, never a 5xx', async () => {
      const v0 = await versionOf(ids.b);
      const many = await Promise.all(
        Array.from({ length: 4 }, (_, i) => upload(owner.token, ids.b, `parallel-${i}.bin`, allBytes(CHUNK_BYTES + i, 60 + i))),
      );
      assert.deepEqual(
        many.map((r) => r.status),
        [201, 201, 201, 201],
        JSON.stringify(many.map((r) => r.body)),
      );
      assert.equal(await versionOf(ids.b), v0 + 4);
      const same = await Promise.all(Array.from({ length: 3 }, () => upload(owner.token, ids.b, 'same.bin', Buffer.from('same'))));
      assert.deepEqual(same.map((r) => r.status).sort(), [201, 409, 409], JSON.stringify(same.map((r) => r.body)));
      const dels = await Promise.all(
        many.map((r) => call(h, 'DELETE', `/api/v1/secrets/${ids.b}/attachments/${r.body.id}`, { token: owner.token })),
      );
      assert.deepEqual(
        dels.map((r) => r.status),
        [204, 204, 204, 204],
      );
      assert.equal(await versionOf(ids.b), v0 + 9);
    });

    it('never stores the content in clear: chunk rows, the whole database file, logs and audit hold no canary', async () => {
      const canaryBuf = Buffer.from(CANARY);
      const data = Buffer.concat([allBytes(70_000, 21), canaryBuf, allBytes(5000, 23), canaryBuf]);
      const up = await upload(owner.token, ids.a, 'canary.bin', data);
      assert.equal(up.status, 201);
      const down = await download(owner.token, ids.a, up.body.id);
      assert.ok(down.raw.equals(data));
      const forms = [
        CANARY,
        canaryBuf.toString('hex'),
        canaryBuf.toString('base64').slice(0, 24),
        canaryBuf.toString('base64url').slice(0, 24),
      ];
      // the file's own base64 around the canary (any alignment)
      const pos = data.indexOf(canaryBuf);
      forms.push(data.subarray(pos - (pos % 3), pos - (pos % 3) + 24).toString('base64'));
      const chunks = await chunksOf(up.body.id);
      assert.equal(chunks.length, 2);
      for (const c of chunks) {
        assert.match(c.data_enc, /^c1\.\d+\.[A-Za-z0-9_-]+$/);
        for (const f of forms) assert.ok(!c.data_enc.includes(f), `chunk ${c.idx} holds ${f}`);
      }
      const row = await h.database.db.selectFrom('attachments').selectAll().where('id', '=', up.body.id).executeTakeFirstOrThrow();
      assert.deepEqual(Object.keys(row).sort(), ['content_type', 'created_at', 'created_by', 'id', 'name', 'secret_id', 'size']);
      const audit = await h.database.db.selectFrom('audit_log').selectAll().execute();
      const auditText = JSON.stringify(audit);
      for (const f of forms) {
        assert.ok(!auditText.includes(f), `audit holds ${f}`);
        assert.ok(!h.logs().includes(f), `logs hold ${f}`);
      }
      if (dialect === 'sqlite') {
        const file = path.join(h.dir, 'coffer.db');
        const bytes = Buffer.concat([file, `${file}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
        assert.ok(bytes.length > 100_000, 'the database holds the chunks');
        assert.ok(bytes.includes(Buffer.from(chunks[0]?.data_enc.slice(10, 60) as string)), 'the scan sees the stored chunks');
        for (const f of forms) assert.equal(bytes.indexOf(Buffer.from(f)), -1, `the database file holds ${f}`);
      }
    });

    it('refuses an upload over the limit with 413 and stores nothing (with and without Content-Length)', async () => {
      const before = await counts();
      const v0 = await versionOf(ids.b);
      const over = await upload(owner.token, ids.b, 'over.bin', allBytes(MAX + 1, 31));
      assert.equal(over.status, 413, JSON.stringify(over.body));
      assert.equal(over.body.error.code, 'request.body_too_large');
      // a streamed body without Content-Length: the running count stops it
      let produced = 0;
      const endless = new Readable({
        read() {
          if (produced > MAX * 3) return this.push(null);
          produced += 65536;
          this.push(randomBytes(65536));
        },
      });
      const streamed = await upload(owner.token, ids.b, 'streamed.bin', endless);
      assert.equal(streamed.status, 413, JSON.stringify(streamed.body));
      assert.deepEqual(await counts(), before, 'nothing stored');
      assert.equal(await versionOf(ids.b), v0, 'no new version');
      const audit = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'attachment.upload')
        .where('outcome', '=', 'failure')
        .where('reason', '=', 'request.body_too_large')
        .execute();
      assert.ok(audit.length >= 2, 'the refusals are audited');
    });

    it('over a real socket: a chunked upload over the limit gets 413 before the client has sent it all', async () => {
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = h.app.server.address() as AddressInfo;
      const before = await counts();
      const result = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
        let sent = 0;
        let done = false;
        const req = http.request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/api/v1/secrets/${ids.b}/attachments?name=socket.bin`,
          headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
        });
        req.on('response', (res) => {
          done = true;
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
          res.on('error', reject);
        });
        req.on('error', (e) => {
          if (!done) reject(e);
        });
        const piece = randomBytes(64 * 1024);
        const pump = () => {
          while (!done && sent < 20 * MAX) {
            sent += piece.length;
            if (!req.write(piece)) {
              req.once('drain', pump);
              return;
            }
          }
          if (!done) req.end();
        };
        pump();
      });
      assert.equal(result.status, 413, result.body);
      assert.equal(JSON.parse(result.body).error.code, 'request.body_too_large');
      assert.ok(result.sent < 20 * MAX, `the server answered before the whole body was sent (${result.sent} bytes)`);
      assert.deepEqual(await counts(), before);
    });

    it('over a real socket: a client that keeps sending after the 413 gets the 413 and is cut off long before its body ends', async () => {
      await h.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => {}); // already listening after the test above
      const { port } = h.app.server.address() as AddressInfo;
      const LIMIT = 64 * 1024 * 1024; // far beyond what the server reads and drops after answering
      const result = await new Promise<{ status: number | null; sent: number; how: string }>((resolve) => {
        let sent = 0;
        let status: number | null = null;
        const req = http.request({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/api/v1/secrets/${ids.b}/attachments?name=stubborn.bin`,
          headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
        });
        // the answer is noted but the client does not stop sending
        req.on('response', (res) => {
          status = res.statusCode ?? null;
          res.resume();
        });
        req.on('error', (e) => resolve({ status, sent, how: (e as NodeJS.ErrnoException).code ?? 'error' }));
        req.on('close', () => resolve({ status, sent, how: 'close' }));
        const piece = randomBytes(64 * 1024);
        const pump = () => {
          while (sent < LIMIT) {
            sent += piece.length;
            if (!req.write(piece)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end();
        };
        pump();
      });
      assert.equal(result.status, 413, `answered ${result.status} (${result.how})`);
      assert.ok(result.sent < LIMIT, `the server read all ${result.sent} bytes of a refused upload`);
    });

    it('lets a viewer list but not download (403), an outsider neither (404 like a missing secret)', async () => {
      const attId = att['all-bytes.bin'] as string;
      assert.equal((await download(viewer.token, ids.a, attId)).status, 403);
      assert.equal((await download(viewer.token, ids.a, attId)).json().error.code, 'forbidden');
      const seen = await download(outsider.token, ids.a, attId);
      const missingSecret = await download(outsider.token, 'sec_00000000000000000000000000', attId);
      assert.equal(seen.status, 404);
      assert.deepEqual(
        { ...seen.json().error, requestId: null },
        { ...missingSecret.json().error, requestId: null },
        'an invisible secret answers like a missing one',
      );
      const outsiderList = await call(h, 'GET', `/api/v1/secrets/${ids.a}/attachments`, { token: outsider.token });
      assert.equal(outsiderList.status, 404);
      // the viewer and the revealer may not change attachments; the outsider does not see the secret
      for (const who of [viewer, revealer]) {
        assert.equal((await upload(who.token, ids.a, 'x.txt', Buffer.from('x'))).status, 403);
        assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.a}/attachments/${attId}`, { token: who.token })).status, 403);
      }
      assert.equal((await upload(outsider.token, ids.a, 'x.txt', Buffer.from('x'))).status, 404);
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.a}/attachments/${attId}`, { token: outsider.token })).status, 404);
      // an attachment is only reached through its own secret
      assert.equal((await download(owner.token, ids.b, attId)).status, 404);
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.b}/attachments/${attId}`, { token: owner.token })).status, 404);
      assert.equal((await download(owner.token, ids.a, 'att_00000000000000000000000000')).status, 404);
      // the revealer can download
      const ok = await download(revealer.token, ids.a, attId);
      assert.equal(ok.status, 200);
      assert.ok(ok.raw.equals(allBytes(256)));
    });

    it('asks for a reason where the policy requires one, and audits the download with it', async () => {
      const up = await upload(owner.token, ids.r, 'key.pem', Buffer.from(`-----BEGIN KEY-----\n${CANARY}\n`));
      assert.equal(up.status, 201);
      const none = await download(owner.token, ids.r, up.body.id);
      assert.equal(none.status, 400);
      assert.equal(none.json().error.code, 'validation.failed');
      const viaQuery = await download(owner.token, ids.r, up.body.id, { query: 'reason=INC-4711%20disk%20swap' });
      assert.equal(viaQuery.status, 200);
      const viaHeader = await download(owner.token, ids.r, up.body.id, { headers: { 'x-reveal-reason': 'CHG-42' } });
      assert.equal(viaHeader.status, 200);
      assert.ok(viaHeader.raw.toString().includes(CANARY));
      const records = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'attachment.download')
        .where('object_id', '=', up.body.id)
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        records.map((r) => [r.outcome, r.reason, r.actor_id]),
        [
          ['failure', 'validation.failed', owner.id],
          ['success', 'INC-4711 disk swap', owner.id],
          ['success', 'CHG-42', owner.id],
        ],
      );
      assert.deepEqual(JSON.parse(records[1]?.details as string), { secretId: ids.r, name: 'key.pem', size: up.body.size });
      // no reason needed outside the restricted folder
      assert.equal((await download(owner.token, ids.a, att['empty.bin'] as string)).status, 200);
    });

    it('a download without a reason takes the reason of the caller’s approved reveal request or checkout, as a reveal does', async () => {
      const post = (token: string, url: string, body: unknown) => call(h, 'POST', url, { token, body });
      const folder = async (name: string, policy: unknown) => {
        const f = await post(owner.token, '/api/v1/folders', { vaultId: ids.vault, parentId: ids.restricted, name, policy });
        assert.equal(f.status, 201, f.raw);
        return f.body.id as string;
      };
      const gated = await folder('Gated files', {
        requireReason: true,
        approval: { required: true, approvers: [{ type: 'user', id: owner.id }] },
      });
      const exclusive = await folder('Checked-out files', { requireReason: true, checkout: { exclusive: true, maxMinutes: 30 } });
      const secretIn = async (folderId: string, name: string) => {
        const s = await post(owner.token, '/api/v1/secrets', {
          vaultId: ids.vault,
          folderId,
          template: 'unix-account',
          name,
          fields: { host: 'h1', username: 'root', password: 'pw-not-the-canary' },
        });
        assert.equal(s.status, 201, s.raw);
        const up = await upload(owner.token, s.body.id, 'backup.key', Buffer.from(`key ${CANARY}`));
        assert.equal(up.status, 201);
        return { secretId: s.body.id as string, attId: up.body.id as string };
      };
      const records = async (attId: string) =>
        (
          await h.database.db
            .selectFrom('audit_log')
            .select(['outcome', 'reason', 'details'])
            .where('action', '=', 'attachment.download')
            .where('object_id', '=', attId)
            .where('actor_id', '=', revealer.id)
            .orderBy('seq')
            .execute()
        ).map((r) => [r.outcome, r.reason, JSON.parse(r.details ?? '{}').reasonFrom ?? null]);

      // an approved reveal request
      const g = await secretIn(gated, 'gated server');
      const early = await download(revealer.token, g.secretId, g.attId);
      assert.equal(early.status, 403, 'nothing approved yet: approval is what is missing, not a reason');
      assert.equal(early.json().error.code, 'secret.approval_required');
      const req = await post(revealer.token, '/api/v1/access-requests', {
        secretId: g.secretId,
        reason: 'INC-88 restore the backup',
        durationMinutes: 30,
      });
      assert.equal(req.status, 201, req.raw);
      assert.equal((await post(owner.token, `/api/v1/access-requests/${req.body.id}/approve`, { comment: 'ok' })).status, 200);
      const borrowed = await download(revealer.token, g.secretId, g.attId);
      assert.equal(borrowed.status, 200, borrowed.raw.toString());
      assert.ok(borrowed.raw.toString().includes(CANARY));
      const given = await download(revealer.token, g.secretId, g.attId, { query: 'reason=second%20look' });
      assert.equal(given.status, 200);
      assert.deepEqual(await records(g.attId), [
        ['denied', 'secret.approval_required', null],
        ['success', 'INC-88 restore the backup', req.body.id],
        ['success', 'second look', null],
      ]);

      // the caller's own checkout; after the checkin a reason is required again
      const c = await secretIn(exclusive, 'checked-out server');
      const co = await post(revealer.token, `/api/v1/secrets/${c.secretId}/checkout`, { reason: 'CHG-5 swap the disk' });
      assert.equal(co.status, 201, co.raw);
      assert.equal((await download(revealer.token, c.secretId, c.attId)).status, 200);
      assert.equal((await post(revealer.token, `/api/v1/secrets/${c.secretId}/checkin`, {})).status, 200);
      const afterCheckin = await download(revealer.token, c.secretId, c.attId);
      assert.equal(afterCheckin.status, 400);
      assert.deepEqual(afterCheckin.json().error.details, [{ path: '/reason', message: 'required by policy' }]);
      assert.deepEqual(await records(c.attId), [
        ['success', 'CHG-5 swap the disk', co.body.id],
        ['failure', 'validation.failed', null],
      ]);
    });

    it('detects swapped, moved and dropped chunks: no corrupted plaintext is sent, never a complete-looking file', async () => {
      const data = allBytes(3 * CHUNK_BYTES + 500, 41);
      const up = await upload(owner.token, ids.b, 'tamper.bin', data);
      assert.equal(up.status, 201);
      const attId = up.body.id as string;
      const orig = await chunksOf(attId);
      assert.equal(orig.length, 4);
      const enc = orig.map((c) => c.data_enc);
      const restore = async () => {
        for (const [i, e] of enc.entries()) await setChunk(attId, i, e);
      };

      // the first chunk fails: the documented integrity error before any byte, naming no record
      await setChunk(attId, 0, enc[1] as string);
      await setChunk(attId, 1, enc[0] as string);
      const first = await download(owner.token, ids.b, attId);
      assert.equal(first.status, 500, first.raw.toString());
      assert.equal(first.json().error.code, 'integrity.failed');
      assert.ok(!first.raw.includes(data.subarray(0, 64)));
      assert.ok(!first.raw.includes(attId) && !first.raw.includes('chunk'));
      const firstRecord = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'integrity.failure')
        .where('request_id', '=', first.json().error.requestId)
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(firstRecord.details as string), {
        record: { type: 'attachment', id: attId, field: 'chunk:0' },
        during: 'attachment.download',
      });
      await restore();
      assert.ok((await download(owner.token, ids.b, attId)).raw.equals(data), 'restored');

      // a later chunk fails mid-stream: the connection is aborted
      const midStream = async () => {
        let got: Buffer | undefined;
        try {
          got = (await download(owner.token, ids.b, attId)).raw;
        } catch {
          got = undefined; // the response was destroyed
        }
        assert.ok(got === undefined || (!got.equals(data) && got.length < data.length), 'no complete file over inject');
        await h.app.listen({ port: 0, host: '127.0.0.1' }).catch(() => undefined);
        const { port } = h.app.server.address() as AddressInfo;
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/secrets/${ids.b}/attachments/${attId}`, {
          headers: { authorization: `Bearer ${owner.token}` },
        });
        assert.equal(res.status, 200, 'the headers went out with the first chunk');
        await assert.rejects(res.arrayBuffer(), 'reading the body fails: the connection was aborted');
        // the reveal's success record, then its failure and the integrity record naming the chunk
        const requestId = res.headers.get('x-request-id') as string;
        const rows = await waitForRows(requestId, 3);
        assert.deepEqual(
          rows.map((r) => [r.action, r.outcome, r.reason]),
          [
            ['attachment.download', 'success', null],
            ['attachment.download', 'error', 'integrity.failed'],
            ['integrity.failure', 'error', 'integrity.failed'],
          ],
        );
        const detail = JSON.parse(rows[2]?.details as string);
        assert.equal(detail.record.type, 'attachment');
        assert.equal(detail.record.id, attId);
        assert.match(detail.record.field, /^chunk:[1-9]$/);
        assert.ok(
          h
            .logs()
            .split('\n')
            .some((l) => l.includes(requestId) && l.includes('"level":50') && l.includes('download aborted') && l.includes(attId)),
          'logged at error level under the request id',
        );
      };
      /** The audit records of a request: the failure is written while the connection is cut, so wait for them. */
      const waitForRows = (requestId: string, n: number) =>
        waitFor('the audit records of the aborted download', async () => {
          const rows = await h.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('seq').execute();
          return rows.length >= n ? rows : undefined;
        });
      await setChunk(attId, 2, enc[3] as string);
      await setChunk(attId, 3, enc[2] as string);
      await midStream();
      await restore();
      // a chunk of another file at the same index
      const other = await upload(owner.token, ids.b, 'other.bin', allBytes(3 * CHUNK_BYTES + 500, 43));
      const otherChunks = await chunksOf(other.body.id);
      await setChunk(attId, 2, otherChunks[2]?.data_enc as string);
      await midStream();
      await restore();
      // trailing chunks dropped, and the size shrunk to match: the last chunk is not flagged last
      await h.database.db.deleteFrom('attachment_chunks').where('attachment_id', '=', attId).where('idx', '=', 3).execute();
      await h.database.db
        .updateTable('attachments')
        .set({ size: 3 * CHUNK_BYTES })
        .where('id', '=', attId)
        .execute();
      await midStream();
      await h.database.db
        .insertInto('attachment_chunks')
        .values({ attachment_id: attId, idx: 3, data_enc: enc[3] as string })
        .execute();
      await h.database.db.updateTable('attachments').set({ size: data.length }).where('id', '=', attId).execute();
      assert.ok((await download(owner.token, ids.b, attId)).raw.equals(data), 'restored');
      const failures = await h.database.db
        .selectFrom('audit_log')
        .select(['outcome', 'reason'])
        .where('action', '=', 'attachment.download')
        .where('object_id', '=', attId)
        .where('outcome', '=', 'error')
        .execute();
      assert.ok(failures.length >= 4, `integrity failures are audited (${failures.length})`);
      assert.ok(failures.every((f) => f.reason === 'integrity.failed'));
      assert.ok(!h.logs().includes(CANARY));
    });

    it('re-encrypts the chunks on key rotation; downloads still work', async () => {
      const data = allBytes(2 * CHUNK_BYTES + 7, 51);
      const up = await upload(owner.token, ids.b, 'rotate.bin', data);
      assert.equal(up.status, 201);
      const rot = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.equal(rot.status, 200, rot.raw);
      const term = rot.body.activeTerm as number;
      await waitFor('re-encryption', async () => {
        const k = await call(h, 'GET', '/api/v1/sys/keyring', { token: admin });
        assert.equal(k.status, 200, k.raw);
        return k.body.reencryption.status === 'done' && k.body.reencryption.targetTerm === term ? true : undefined;
      });
      const all = await h.database.db.selectFrom('attachment_chunks').select('data_enc').execute();
      assert.ok(all.length > 10);
      assert.deepEqual(
        all.filter((c) => !c.data_enc.startsWith(`c1.${term}.`)),
        [],
        'every chunk is on the new term',
      );
      assert.ok((await download(revealer.token, ids.b, up.body.id)).raw.equals(data));
      assert.ok((await download(revealer.token, ids.a, att['multi.bin'] as string)).raw.equals(allBytes(3 * CHUNK_BYTES + 123, 3)));
      // an upload after the rotation is written under the new term
      const after = await upload(owner.token, ids.b, 'after-rotation.bin', Buffer.from('x'));
      assert.ok((await chunksOf(after.body.id))[0]?.data_enc.startsWith(`c1.${term}.`));

      // a rotation (and its whole re-encryption run) while an upload is still being read: the chunks
      // sealed under the old term are moved to the new one before they are stored
      const slow = new PassThrough();
      const body = allBytes(3 * CHUNK_BYTES + 99, 53);
      const pending = upload(owner.token, ids.b, 'during-rotation.bin', slow);
      slow.write(body.subarray(0, 2 * CHUNK_BYTES + 10));
      await new Promise((r) => setTimeout(r, 50));
      const rot2 = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.equal(rot2.status, 200, rot2.raw);
      const term2 = rot2.body.activeTerm as number;
      await waitFor('re-encryption', async () => {
        const k = await call(h, 'GET', '/api/v1/sys/keyring', { token: admin });
        return k.body.reencryption.status === 'done' && k.body.reencryption.targetTerm === term2 ? true : undefined;
      });
      slow.end(body.subarray(2 * CHUNK_BYTES + 10));
      const during = await pending;
      assert.equal(during.status, 201, JSON.stringify(during.body));
      const stored = await chunksOf(during.body.id);
      assert.equal(stored.length, 4);
      assert.deepEqual(
        stored.filter((c) => !c.data_enc.startsWith(`c1.${term2}.`)).map((c) => c.idx),
        [],
        'no chunk is left on the old term',
      );
      assert.ok((await download(revealer.token, ids.b, during.body.id)).raw.equals(body));
    });

    it('restoring a version brings back the files it had; files added since are set aside, not lost', async () => {
      const names = async () =>
        (await call(h, 'GET', `/api/v1/secrets/${ids.b}/attachments`, { token: owner.token })).body.items
          .map((a: { name: string }) => a.name)
          .sort();
      const restore = async (version: number) => {
        const r = await call(h, 'POST', `/api/v1/secrets/${ids.b}/history/${version}/restore`, { token: owner.token });
        assert.equal(r.status, 200, r.raw);
      };
      const content = async (name: string) => {
        const items = (await call(h, 'GET', `/api/v1/secrets/${ids.b}/attachments`, { token: owner.token })).body.items;
        const a = items.find((x: { name: string }) => x.name === name);
        assert.ok(a, `${name} is listed`);
        const d = await download(owner.token, ids.b, a.id);
        assert.equal(d.status, 200);
        return d.raw;
      };
      const one = allBytes(CHUNK_BYTES + 10, 3);
      const two = Buffer.from('second file');
      const before = await names();
      assert.equal((await upload(owner.token, ids.b, 'one.bin', one)).status, 201);
      const vOne = await versionOf(ids.b);
      assert.equal((await upload(owner.token, ids.b, 'two.txt', two)).status, 201);
      const vBoth = await versionOf(ids.b);
      const oneId = (
        await h.database.db
          .selectFrom('attachments')
          .select('id')
          .where('name', '=', 'one.bin')
          .where('secret_id', '=', ids.b)
          .executeTakeFirstOrThrow()
      ).id;
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.b}/attachments/${oneId}`, { token: owner.token })).status, 204);
      assert.deepEqual(await names(), [...before, 'two.txt'].sort());
      assert.equal((await download(owner.token, ids.b, oneId)).status, 404, 'a removed file cannot be downloaded');
      const aside = await h.database.db
        .selectFrom('attachment_removed_chunks')
        .select('data_enc')
        .where('attachment_id', '=', oneId)
        .execute();
      assert.equal(aside.length, 2, 'kept aside: both chunks, still encrypted');
      assert.ok(aside.every((c) => c.data_enc.startsWith('c1.')));

      await restore(vBoth);
      assert.deepEqual(await names(), [...before, 'one.bin', 'two.txt'].sort());
      assert.ok((await content('one.bin')).equals(one), 'the restored file is the same file');
      await restore(vOne);
      assert.deepEqual(await names(), [...before, 'one.bin'].sort(), 'a file added after the version is set aside');
      // the name of a file set aside is free again
      const newer = Buffer.from('a newer second file');
      assert.equal((await upload(owner.token, ids.b, 'two.txt', newer)).status, 201);
      assert.ok((await content('two.txt')).equals(newer));
      await restore(vBoth);
      assert.ok((await content('two.txt')).equals(two), "the version's own two.txt comes back, the newer one goes aside");
      const hist = await call(h, 'GET', `/api/v1/secrets/${ids.b}/history`, { token: owner.token });
      assert.equal(hist.body.items[0].action, `restore:${vBoth}`);
      const audit = await h.database.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'secret.restore_version')
        .where('object_id', '=', ids.b)
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(audit.details as string).attachments, { restored: 1, setAside: 1, missing: 0 });
    });

    it('deletes an attachment (a new version), and purging the secret deletes the rest', async () => {
      const attId = att['big.bin'] as string;
      const v0 = await versionOf(ids.a);
      const del = await call(h, 'DELETE', `/api/v1/secrets/${ids.a}/attachments/${attId}`, { token: owner.token });
      assert.equal(del.status, 204, del.raw);
      assert.equal(await versionOf(ids.a), v0 + 1);
      const hist = await call(h, 'GET', `/api/v1/secrets/${ids.a}/history`, { token: owner.token });
      assert.deepEqual(hist.body.items[0].changedFields, ['attachment:big.bin']);
      assert.equal(hist.body.items[0].action, 'attachment.remove');
      assert.equal((await chunksOf(attId)).length, 0);
      assert.equal((await download(owner.token, ids.a, attId)).status, 404);
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.a}/attachments/${attId}`, { token: owner.token })).status, 404);

      const left = await h.database.db.selectFrom('attachments').select('id').where('secret_id', '=', ids.a).execute();
      assert.ok(left.length > 3);
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids.a}`, { token: owner.token })).status, 204);
      // a trashed secret's attachments are out of reach
      assert.equal((await download(owner.token, ids.a, left[0]?.id as string)).status, 404);
      assert.equal((await upload(owner.token, ids.a, 'late.txt', Buffer.from('x'))).status, 404);
      assert.equal((await call(h, 'DELETE', `/api/v1/trash/${ids.a}`, { token: owner.token })).status, 204);
      assert.equal((await h.database.db.selectFrom('attachments').select('id').where('secret_id', '=', ids.a).execute()).length, 0);
      const orphans = await h.database.db
        .selectFrom('attachment_chunks')
        .select('attachment_id')
        .where(
          'attachment_id',
          'in',
          left.map((l) => l.id),
        )
        .execute();
      assert.equal(orphans.length, 0, 'the chunks went with them');
      const removed = await h.database.db.selectFrom('attachments_removed').select('id').where('secret_id', '=', ids.a).execute();
      assert.equal(removed.length, 0, 'files set aside go with the purged secret');
      const removedChunks = await h.database.db
        .selectFrom('attachment_removed_chunks')
        .select('idx')
        .where('attachment_id', '=', attId)
        .execute();
      assert.equal(removedChunks.length, 0);
    });
  });
}
