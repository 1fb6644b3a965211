// senhasegura's protected information API (/iso/pam/info, /api/pam/info) over real HTTP (inject)
// on both dialects. The client cases name the public client whose requests and parsing they
// reproduce: senhasegura-rs and its Node binding senhasegura-js (create: JSON {name, content,
// identifier, type}, reads `info.content`/`info.identifier`; access: GET by an integer id or a
// tag, `info.id` a string of digits; disable: DELETE by id; errors: `response{status, message,
// error}` + `exception{code, message, detail|null}` with 1023/1024/1026), and senhasegura's API
// reference. No code of theirs is used here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiClient, form, oauthToken } from '../../../test/senhasegura-client.ts';
import { AppError } from '../../lib/app-error.ts';
import { errorAnswer } from './envelope.ts';

// biome-ignore lint/suspicious/noExplicitAny: a parsed answer body
type Body = any;

/** What senhasegura-rs deserializes an error into, and the code it matches on. */
function assertApiError(body: Body, status: number, code: number, message: string) {
  assert.equal(body.response.status, status);
  assert.equal(body.response.error, true);
  assert.equal(body.response.message, `${code}: ${message}`);
  assert.deepEqual(body.exception, { code, message: `${code}: ${message}`, detail: null });
}

// the API reference's example content: backslashes, quotes, a slash
const CONTENT = 'hdjskasdhdj2789208/3\\G+H-J_K\'#JK"NAOAPARECE"JSJSJSJS';

for (const dialect of dialects) {
  describe(`senhasegura protected information [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let client: Awaited<ReturnType<typeof apiClient>>;
    let token: string;
    const bearer = () => ({ authorization: `Bearer ${token}` });
    const get = (url: string) => call(h, 'GET', url, { headers: bearer() });
    const post = (url: string, body: unknown) => call(h, 'POST', url, { headers: bearer(), body });

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      client = await apiClient(h, admin);
      token = await oauthToken(h, client.clientId, client.clientSecret);
    });
    after(async () => h.close());

    let id = '';
    it('senhasegura-rs/-js create_protected_information: JSON {name, content, identifier, type} -> 201, info echoes identifier and content', async () => {
      const r = await post('/iso/pam/info', {
        name: 'saas_vault1',
        content: 'login: mt4adm, password: mt4admp4ss',
        identifier: 'INFOSAASVAULT1',
        type: 'access Credential',
      });
      assert.equal(r.status, 201, r.raw);
      assert.equal(r.body.response.status, 201);
      assert.equal(r.body.response.error, false);
      assert.equal(r.body.response.message, 'Information successfully registered!');
      assert.equal(r.body.response.mensagem, 'Information successfully registered!');
      assert.equal(r.body.info.identifier, 'INFOSAASVAULT1');
      assert.equal(r.body.info.content, 'login: mt4adm, password: mt4admp4ss'); // a String in the client, not optional
      assert.equal(r.body.info.name, 'saas_vault1');
      assert.equal(r.body.info.type, 'access Credential');
      assert.match(r.body.info.id, /^\d+$/);
      id = r.body.info.id;
      // kept as a secure note tagged senhasegura-info in the adapter's vault (the API user's; the
      // access token is a Coffer session of that user, good on senhasegura only: natively, the key)
      const native = { authorization: `Bearer ${client.clientSecret}` };
      const s = await call(h, 'GET', '/api/v1/secrets?q=INFOSAASVAULT1&template=secure-note', { headers: native });
      assert.equal(s.status, 200, s.raw);
      const item = s.body.items.find((x: { name: string }) => x.name === 'INFOSAASVAULT1');
      assert.ok(item, s.raw);
      assert.deepEqual(item.tags, ['senhasegura-info']);
      assert.equal(item.path, '/');
      const vault = await call(h, 'GET', `/api/v1/vaults/${item.vaultId}`, { headers: native });
      assert.equal(vault.body.name, 'senhasegura', vault.raw);
      assert.ok(!s.raw.includes('mt4admp4ss'));
    });

    it('senhasegura-rs access_protected_information(id): GET /iso/pam/info/{id} -> info{id (digits), tag, type, content}, a reveal audited via senhasegura', async () => {
      const r = await get(`/iso/pam/info/${id}`);
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.response.status, 200);
      assert.equal(r.body.response.message, `Information ${id}`);
      assert.equal(r.body.response.error_code, 0);
      assert.equal(r.body.info.id, id);
      assert.equal(Number.parseInt(r.body.info.id, 10), Number(id)); // deserialize_number_from_string
      assert.equal(r.body.info.tag, 'INFOSAASVAULT1');
      assert.equal(r.body.info.type, 'access Credential');
      assert.equal(r.body.info.content, 'login: mt4adm, password: mt4admp4ss');
      const secretId = await h.coffer.services.numbering.idOf(h.database.db, 'secret', Number(id));
      const audit = await call(h, 'GET', '/api/v1/audit?action=secret.reveal&limit=5', { token: admin });
      assert.equal(audit.status, 200, audit.raw);
      const rec = audit.body.items.find(
        (x: { action: string; objectId: string }) => x.action === 'secret.reveal' && x.objectId === secretId,
      );
      assert.ok(rec, audit.raw);
      assert.equal(rec.via, 'senhasegura');
      assert.ok(!audit.raw.includes('mt4admp4ss'), 'no content in the audit trail');
    });

    it('senhasegura-rs access by tag (ProtectedInformationIdentifier::Tag), also on /api/pam; the reference content byte for byte', async () => {
      const c = await post('/api/pam/info', { content: CONTENT, identifier: 'reference-28', type: 'Access credential' });
      assert.equal(c.status, 201, c.raw);
      for (const url of [
        '/iso/pam/info/reference-28',
        '/iso/pam/info/REFERENCE-28',
        `/api/pam/info/${c.body.info.id}`,
        '/api/pam/info/reference-28',
      ]) {
        const r = await get(url);
        assert.equal(r.status, 200, `${url}: ${r.raw}`);
        assert.equal(r.body.info.id, c.body.info.id, url);
        assert.equal(r.body.info.content, CONTENT, url);
        assert.equal(r.body.info.tag, 'reference-28', url);
      }
    });

    it('senhasegura-rs InformationNotFound: unknown id or tag -> 400 1023 with exception.detail null, never 404 or 5xx', async () => {
      for (const url of ['/iso/pam/info/999999', '/iso/pam/info/no-such-info', '/api/pam/info/0', '/iso/pam/info/%20']) {
        const r = await get(url);
        assert.equal(r.status, 400, `${url}: ${r.raw}`);
        assertApiError(r.body, 400, 1023, 'Information not found');
      }
      const d = await call(h, 'DELETE', '/iso/pam/info/999999', { headers: bearer() });
      assert.equal(d.status, 400, d.raw);
      assertApiError(d.body, 400, 1023, 'Information not found');
    });

    it('content missing (senhasegura-rs MissingContentParameter): 400 1026, JSON or form', async () => {
      for (const body of [{ name: 'x' }, { content: '' }, { content: null, identifier: 'y' }]) {
        const r = await post('/iso/pam/info', body);
        assert.equal(r.status, 400, r.raw);
        assertApiError(r.body, 400, 1026, 'The information content was not informed');
      }
      const f = await form(h, 'POST', '/iso/pam/info', { name: 'only-a-name' }, bearer());
      assert.equal(f.statusCode, 400, f.body);
      assertApiError(JSON.parse(f.body), 400, 1026, 'The information content was not informed');
    });

    it('a form body creates too; the same identifier again updates (200, changed "false" then "true")', async () => {
      const f = await form(
        h,
        'POST',
        '/iso/pam/info',
        { identifier: 'form-info', content: 'v1', type: 'note', users_allowed: 'admin, ops' },
        bearer(),
      );
      assert.equal(f.statusCode, 201, f.body);
      const fid = JSON.parse(f.body).info.id;
      assert.equal(JSON.parse(f.body).info.users_allowed, null, 'users_allowed is not kept');
      const same = await post('/iso/pam/info', { identifier: 'form-info', content: 'v1', type: 'note' });
      assert.equal(same.status, 200, same.raw);
      assert.equal(same.body.response.changed, 'false');
      assert.equal(same.body.info.id, fid);
      const changed = await post('/iso/pam/info', { identifier: 'form-info', content: 'v2', service: 'svc' });
      assert.equal(changed.status, 200, changed.raw);
      assert.equal(changed.body.response.changed, 'true');
      assert.equal(changed.body.response.message, 'Information updated successfully!');
      const r = await get(`/iso/pam/info/${fid}`);
      assert.equal(r.body.info.content, 'v2');
      assert.equal(r.body.info.service, 'svc');
      assert.equal(r.body.info.type, 'note', 'an attribute not sent is kept');
    });

    it('lists items without content; the credential list and credential names leave them out', async () => {
      const cred = await form(
        h,
        'POST',
        '/iso/pam/credential',
        { identifier: 'INFOSAASVAULT1', hostname: 'h1', ip: '10.0.0.1', username: 'u1', content: 'cred-pass' },
        bearer(),
      );
      assert.equal(cred.statusCode, 201, `a credential of the same name is another object: ${cred.body}`);
      const credId = JSON.parse(cred.body).credential.id;
      assert.notEqual(credId, id);
      for (const url of ['/iso/pam/info', '/iso/pam/info/', '/api/pam/info']) {
        const l = await get(url);
        assert.equal(l.status, 200, l.raw);
        const ids = l.body.infos.map((x: { id: string }) => x.id);
        assert.ok(ids.includes(id), url);
        assert.ok(!ids.includes(credId), `${url}: a credential is no information`);
        assert.match(l.body.response.message, /^\d+ information items? found$/);
        assert.ok(!l.raw.includes('mt4admp4ss'), 'a list is not a reveal');
        assert.equal(l.body.infos.find((x: { id: string }) => x.id === id).tag, 'INFOSAASVAULT1');
      }
      const creds = await get('/iso/pam/credential');
      const credIds = creds.body.credentials.map((x: { id: string }) => x.id);
      assert.ok(credIds.includes(credId));
      assert.ok(!credIds.includes(id), 'an information item is not listed as a credential');
      const byName = await get('/iso/pam/credential/INFOSAASVAULT1');
      assert.equal(byName.status, 200, byName.raw);
      assert.equal(byName.body.credential.id, credId);
      assert.equal(byName.body.credential.password, 'cred-pass');
      assert.equal((await get(`/iso/pam/info/${credId}`)).body.exception.code, 1023, 'a credential id is no information id');
      for (const url of [`/iso/pam/credential/${id}`, `/api/pam/credential/${id}`, `/iso/pam/key/${id}`]) {
        const r = await get(url);
        assert.equal(r.status, 400, `${url}: ${r.raw}`);
        assert.ok([1007, 1015].includes(r.body.exception.code), `an information id is no credential id: ${r.raw}`);
        assert.ok(!r.raw.includes('mt4admp4ss'));
      }
      const del = await call(h, 'DELETE', `/iso/pam/credential/${id}`, { headers: bearer() });
      assert.equal(del.body.exception.code, 1007, 'nor deactivated as a credential');
      assert.equal((await get(`/iso/pam/info/${id}`)).status, 200);
    });

    it('senhasegura-rs disable_protected_information(id): DELETE -> 200; then GET and DELETE answer 1024 Inactive information', async () => {
      const c = await post('/iso/pam/info', { content: 'to-disable', identifier: 'disable-me' });
      const did = c.body.info.id;
      const d = await call(h, 'DELETE', `/iso/pam/info/${did}`, { headers: bearer() });
      assert.equal(d.status, 200, d.raw);
      assert.equal(d.body.response.message, 'Information successfully disabled');
      assert.equal(d.body.response.error, false);
      for (const [method, url] of [
        ['GET', `/iso/pam/info/${did}`],
        ['GET', '/iso/pam/info/disable-me'],
        ['DELETE', `/iso/pam/info/${did}`],
        ['DELETE', '/api/pam/info/disable-me'],
      ] as const) {
        const r = await call(h, method, url, { headers: bearer() });
        assert.equal(r.status, 400, `${method} ${url}: ${r.raw}`);
        assertApiError(r.body, 400, 1024, 'Inactive information');
      }
      assert.ok(!(await get('/iso/pam/info')).body.infos.some((x: { id: string }) => x.id === did));
    });

    it('bad input answers the envelope (400), never a 5xx', async () => {
      const bads: Array<[string, string]> = [
        ['application/json', '{not json'],
        ['application/json', '[1,2]'],
        ['application/json', '"text"'],
        ['application/json', JSON.stringify({ content: { nested: true } })],
        ['application/json', JSON.stringify({ content: 'x', identifier: ['a', 'b'] })],
        ['application/json', JSON.stringify({ content: 'x', identifier: 'i'.repeat(301) })],
        ['application/json', JSON.stringify({ content: 'x', users_allowed: [{ a: 1 }] })],
        ['application/json', JSON.stringify({ content: 'x'.repeat(70_000) })],
        ['application/x-www-form-urlencoded', 'content=x&__proto__=y'],
      ];
      for (const [type, payload] of bads) {
        const r = await h.app.inject({ method: 'POST', url: '/iso/pam/info', payload, headers: { 'content-type': type, ...bearer() } });
        assert.equal(r.statusCode, 400, `${payload.slice(0, 60)}: ${r.body}`);
        const b = JSON.parse(r.body);
        assert.equal(b.response.error, true);
        assert.equal(b.response.status, 400);
      }
      const long = await get(`/iso/pam/info/${'x'.repeat(400)}`);
      assert.equal(long.status, 400, long.raw);
      assert.equal(long.body.response.error, true);
      const unauth = await call(h, 'GET', `/iso/pam/info/${id}`);
      assert.equal(unauth.status, 401);
      assert.equal(unauth.body.exception.code, 1001);
    });

    it('an item the API user may not see answers exactly like a missing one, and is not listed', async () => {
      const vault = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: `info-hidden-${dialect}` } });
      assert.equal(vault.status, 201, vault.raw);
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: {
          vaultId: vault.body.id,
          template: 'secure-note',
          name: 'hidden-info',
          fields: { notes: 'hidden-content' },
          tags: ['senhasegura-info'],
        },
      });
      assert.equal(s.status, 201, s.raw);
      const num = await h.coffer.services.numbering.numberOf(h.database.db, 'secret', s.body.id);
      const missing = await get('/iso/pam/info/999998');
      for (const [method, url] of [
        ['GET', `/iso/pam/info/${num}`],
        ['GET', '/iso/pam/info/hidden-info'],
        ['DELETE', `/iso/pam/info/${num}`],
      ] as const) {
        const r = await call(h, method, url, { headers: bearer() });
        assert.equal(r.status, missing.status, url);
        assert.deepEqual(r.body, missing.body, url);
        assert.ok(!r.raw.includes('hidden-content'));
      }
      // hidden in the trash too: not "inactive"
      assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${s.body.id}`, { token: admin })).status < 300, true);
      assert.deepEqual((await get(`/iso/pam/info/${num}`)).body, missing.body);
      assert.ok(!(await get('/iso/pam/info')).body.infos.some((x: { id: string }) => x.id === String(num)));
      // the same identifier from the API user makes its own item, it does not touch the hidden one
      const mine = await post('/iso/pam/info', { identifier: 'hidden-info', content: 'mine' });
      assert.equal(mine.status, 201, mine.raw);
    });

    it('an item gated by approval answers 403 1021, never the content', async () => {
      const vault = await call(h, 'POST', '/api/v1/vaults', {
        token: admin,
        body: { name: `info-gated-${dialect}`, policy: { approval: { required: true } } },
      });
      assert.equal(vault.status, 201, vault.raw);
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: {
          vaultId: vault.body.id,
          template: 'secure-note',
          name: 'gated-info',
          fields: { notes: 'gated-content' },
          tags: ['senhasegura-info'],
        },
      });
      assert.equal(s.status, 201, s.raw);
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: vault.body.id, principalType: 'user', principalId: client.user.id, level: 'reveal' },
      });
      assert.equal(g.status, 201, g.raw);
      const num = await h.coffer.services.numbering.numberOf(h.database.db, 'secret', s.body.id);
      for (const url of [`/iso/pam/info/${num}`, '/iso/pam/info/gated-info']) {
        const r = await get(url);
        assert.equal(r.status, 403, r.raw);
        assert.equal(r.body.exception.code, 1021);
        assert.equal(r.body.response.error, true);
        assert.ok(!r.raw.includes('gated-content'));
      }
      // listed (visible), without content
      const l = await get('/iso/pam/info');
      assert.ok(l.body.infos.some((x: { id: string }) => x.id === String(num)));
      assert.ok(!l.raw.includes('gated-content'));
    });

    it("on info routes Coffer's own conflict, rate-limit and media-type errors leave 1023/1024/1026 to senhasegura's meanings", () => {
      const cases: Array<[AppError, number, number]> = [
        [new AppError('conflict', 'x'), 409, 1033],
        [new AppError('request.rate_limited', 'x'), 429, 1034],
        [new AppError('request.unsupported_media_type', 'x'), 415, 1035],
        [new AppError('not_found', 'x'), 400, 1023],
      ];
      for (const [err, status, code] of cases) {
        const a = errorAnswer(err, 'info');
        assert.equal(a.status, status);
        assert.equal(a.body.exception?.code, code);
        assert.match(a.body.response.message, new RegExp(`^${code}: `));
      }
      assert.equal(errorAnswer(new AppError('conflict', 'x'), 'credential').body.exception?.code, 1023, 'credentials keep theirs');
    });

    it('no content reaches the log', () => {
      const logs = h.logs();
      for (const canary of ['mt4admp4ss', 'NAOAPARECE', 'gated-content', 'hidden-content']) assert.ok(!logs.includes(canary), canary);
    });
  });
}
