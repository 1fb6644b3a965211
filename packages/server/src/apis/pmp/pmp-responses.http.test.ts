// The response schemas of the PMP API (responses.ts, set by kit.op): every route has one for each
// status it can answer, every fixed-shape object is closed, a tour of every operation loses nothing
// between the handler and the wire, and a field not in the schema never leaves the server.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { apiUser, form, inputData, pmp } from '../../../test/pmp.ts';
import { PMP_PATH, type WireWatch, watchPmpWire } from '../../../test/pmp-wire.ts';

const TEXT_JSON = 'text/json';
/** Every status a PMP route can answer (envelope.ts statusOf). */
const STATUSES = ['200', '429', '500', '503'];

interface Route {
  method: string;
  url: string;
  action: string;
  response: Record<string, unknown> | undefined;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The objects of a schema that are not closed (additionalProperties neither false nor a schema). */
function openObjects(s: unknown, where: string, out: string[]): string[] {
  if (!isObj(s)) return out;
  if (s.type === 'object' && s.additionalProperties !== false && !isObj(s.additionalProperties)) out.push(where);
  if (isObj(s.properties)) for (const [k, v] of Object.entries(s.properties)) openObjects(v, `${where}.${k}`, out);
  if (isObj(s.additionalProperties)) openObjects(s.additionalProperties, `${where}.*`, out);
  if (s.items !== undefined) openObjects(s.items, `${where}[]`, out);
  for (const k of ['anyOf', 'oneOf', 'allOf'])
    if (Array.isArray(s[k])) for (const [i, x] of (s[k] as unknown[]).entries()) openObjects(x, `${where}.${k}${i}`, out);
  return out;
}

for (const dialect of dialects) {
  describe(`PMP response schemas (${dialect})`, () => {
    let h: Harness;
    let wire: WireWatch;
    const routes: Route[] = [];
    // the allow-list test: a hook that adds fields the schemas do not name, before serialization
    let leak = false;
    let admin: string;
    let api: { id: string; key: string };

    before(async () => {
      wire = watchPmpWire();
      const onInit = (message: unknown) => {
        const app = (message as { fastify: FastifyInstance }).fastify;
        app.addHook('onRoute', (r: RouteOptions) => {
          for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
            routes.push({
              method: String(method).toUpperCase(),
              url: r.url,
              action: String((r.config as Json | undefined)?.action ?? ''),
              response: (r.schema as Json | undefined)?.response as Json | undefined,
            });
          }
        });
        app.addHook('preSerialization', async (req, _reply, payload) => {
          if (!leak || !req.url.includes(PMP_PATH) || !isObj(payload) || !isObj(payload.operation)) return payload;
          const op = payload.operation as Json;
          const details = op.Details;
          return {
            internal: 'top',
            operation: {
              ...op,
              internal: 'operation',
              result: { ...(op.result as Json), internal: 'result' },
              ...(isObj(details) ? { Details: { ...details, INTERNAL: 'details' } } : {}),
              ...(Array.isArray(details) ? { Details: details.map((d) => ({ ...d, INTERNAL: 'row' })) } : {}),
            },
          };
        });
      };
      diagnostics.subscribe('fastify.initialization', onInit);
      try {
        h = await startHarness(dialect);
        admin = await adminToken(h);
        api = await apiUser(h, admin, 'pmp-tour');
      } finally {
        diagnostics.unsubscribe('fastify.initialization', onInit);
        wire.stop();
      }
    });
    after(async () => h.close());

    const pmpRoutes = () => routes.filter((r) => r.url.startsWith(PMP_PATH));

    it('every PMP route has a response schema for 200, 429, 500 and 503, with closed objects', () => {
      assert.ok(pmpRoutes().length >= 28 * 2, `PMP routes: ${pmpRoutes().length}`);
      const problems: string[] = [];
      for (const r of pmpRoutes()) {
        const where = `${r.method} ${r.url}`;
        for (const status of STATUSES) {
          const s = r.response?.[status];
          if (!isObj(s)) {
            problems.push(`${where}: no response schema for ${status}`);
            continue;
          }
          problems.push(...openObjects(s, `${where} ${status}`, []));
          const op = (s.properties as Json | undefined)?.operation as Json | undefined;
          const props = (op?.properties ?? {}) as Json;
          if (!isObj(props.name) || !isObj(props.result)) problems.push(`${where} ${status}: not the PMP envelope`);
          if (status !== '200' && ('Details' in props || 'totalRows' in props))
            problems.push(`${where} ${status}: an error has no Details`);
          if (isObj(op) && Array.isArray(op.required) && op.required.some((k) => k === 'Details' || k === 'totalRows')) {
            problems.push(`${where} ${status}: Details and totalRows cannot be required (a failure has neither)`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    it('a tour of every operation: the wire holds exactly what the handler answered', async () => {
      const user = await apiUser(h, admin, 'pmp-tour-user', 'password_user');
      const adm = await apiUser(h, admin, 'pmp-tour-admin', 'administrator');
      const ok = (r: { body: { operation?: { result?: { status?: string } } }; raw: string }) =>
        assert.equal(r.body.operation?.result?.status, 'Success', r.raw);

      ok(await pmp(h, 'GET', '/resources', { token: api.key, tokenInQuery: true }));
      ok(
        await pmp(h, 'POST', '/resources', {
          token: api.key,
          contentType: TEXT_JSON,
          body: form({
            RESOURCENAME: 'tour-res',
            ACCOUNTNAME: 'root',
            RESOURCETYPE: 'Linux',
            PASSWORD: 'tour-pw-1',
            NOTES: 'the tour',
            DNSNAME: 'tour.example.com',
            RESOURCEURL: 'https://tour.example.com',
            LOCATION: 'Here',
            DEPARTMENT: 'Ops',
            RESOURCEOWNER: 'ops',
            RESOURCEGROUPNAME: 'g',
            RESOURCEPASSWORDPOLICY: 'Strong',
            DOMAINNAME: 'example.com',
            RESOURCEDESCRIPTION: 'tour resource',
            RESOURCECUSTOMFIELD: [{ CUSTOMLABEL: 'Rack', CUSTOMVALUE: 'R1' }],
            ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Owner team', CUSTOMVALUE: 'ops' }],
          }),
        }),
      );
      const list = await pmp(h, 'GET', '/resources', { token: api.key });
      ok(list);
      const rid: string = list.body.operation.Details[0]['RESOURCE ID'];
      ok(await pmp(h, 'GET', '/resources/resourcename/tour-res', { token: api.key }));
      ok(await pmp(h, 'GET', '/resources/resourcename/tour-res/accounts/accountname/root', { token: api.key }));
      const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: 'tour-res', ACCOUNTNAME: 'root' },
      });
      ok(ids);
      const aid: string = ids.body.operation.Details.ACCOUNTID;
      const accounts = await pmp(h, 'GET', `/resources/${rid}/accounts`, { token: api.key });
      ok(accounts);
      assert.ok(accounts.body.operation.Details['CUSTOM FIELD'] && accounts.body.operation.Details['ACCOUNT LIST'].length === 1);
      const details = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}`, { token: api.key });
      ok(details);
      assert.ok(details.body.operation.Details['CUSTOM FIELD']);
      const added = await pmp(h, 'POST', `/resources/${rid}/accounts`, {
        token: api.key,
        contentType: 'application/json',
        body: inputData({
          ACCOUNTLIST: [
            { ACCOUNTNAME: 'svc', PASSWORD: 's-pass', ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'k', CUSTOMVALUE: 'v' }] },
            { ACCOUNTNAME: 'svc2', PASSWORD: 'again' },
          ],
        }),
      });
      ok(added);
      assert.equal(added.body.operation.Details.length, 2);
      const pw = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
      ok(pw);
      assert.equal(pw.body.operation.Details.PASSWORD, 'tour-pw-1');
      ok(
        await pmp(h, 'PUT', `/resources/${rid}/accounts/${aid}/password`, {
          token: api.key,
          contentType: TEXT_JSON,
          body: form({ NEWPASSWORD: 'tour-pw-2', RESETTYPE: 'LOCAL', REASON: 'tour' }),
        }),
      );
      ok(await pmp(h, 'GET', '/passwords/generate', { token: api.key, query: { INPUT_DATA: inputData({ POLICY: 'Medium' }) } }));
      const both = await pmp(h, 'GET', '/resources/getResourceAccountDetails', {
        token: api.key,
        query: { RESOURCEID: rid, ACCOUNTID: aid },
      });
      ok(both);
      assert.equal(JSON.parse(both.body.operation.Details.ACCOUNTDETAILS).PASSWORD, 'tour-pw-2');
      ok(await pmp(h, 'GET', '/resources/resourcetypes', { token: api.key }));
      ok(
        await pmp(h, 'PUT', `/resources/${rid}`, {
          token: api.key,
          contentType: TEXT_JSON,
          body: form({ LOCATION: 'There', RESOURCECUSTOMFIELD: [{ CUSTOMLABEL: 'Rack', CUSTOMVALUE: 'R2' }] }),
        }),
      );
      ok(
        await pmp(h, 'PUT', `/resources/${rid}/accounts/${aid}`, {
          token: api.key,
          contentType: TEXT_JSON,
          body: form({ NOTES: 'edited', ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Owner team', CUSTOMVALUE: 'sec' }] }),
        }),
      );

      // password requests: the owner shares the resource with the user and requires approval there
      const found = await call(h, 'GET', '/api/v1/lookup/pmp?resourceName=tour-res&accountName=root', { token: api.key });
      const grant = await call(h, 'POST', '/api/v1/grants', {
        token: api.key,
        body: { nodeId: found.body.resourceId, principalType: 'user', principalId: user.id, level: 'reveal' },
      });
      assert.equal(grant.status, 201, grant.raw);
      const p = await call(h, 'PATCH', `/api/v1/folders/${found.body.resourceId}`, {
        token: api.key,
        body: { policy: { approval: { required: true } } },
      });
      assert.equal(p.status, 200, p.raw);
      // a gate: the Ansible lookup's PASSWORD_REASON inside ACCOUNTDETAILS
      const gated = await pmp(h, 'GET', '/resources/getResourceAccountDetails', {
        token: user.key,
        query: { RESOURCEID: rid, ACCOUNTID: aid },
      });
      ok(gated);
      assert.ok(JSON.parse(gated.body.operation.Details.ACCOUNTDETAILS).PASSWORD_REASON);
      const ask = async (reason: string) =>
        ok(
          await pmp(h, 'POST', `/accounts/${aid}/requestpassword`, {
            token: user.key,
            contentType: TEXT_JSON,
            body: form({ REASON: reason }),
          }),
        );
      await ask('first');
      const waiting = await pmp(h, 'GET', '/accounts/passwordaccessrequests', { token: api.key });
      ok(waiting);
      const requester: string = waiting.body.operation.Details['REQUESTER USERID'];
      ok(await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/approve`, { token: api.key }));
      ok(await pmp(h, 'POST', `/accounts/${aid}/checkout`, { token: user.key }));
      ok(await pmp(h, 'POST', `/accounts/${aid}/checkin`, { token: user.key, contentType: TEXT_JSON, body: form({ REASON: 'done' }) }));
      await ask('second');
      ok(await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/approve`, { token: api.key }));
      ok(await pmp(h, 'POST', `/accounts/${aid}/checkout`, { token: user.key }));
      ok(await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/checkin`, { token: api.key }));
      await ask('third');
      ok(await pmp(h, 'POST', `/accounts/${aid}/requester/${requester}/reject`, { token: api.key }));

      // users
      const created = await pmp(h, 'POST', '/user', {
        token: adm.key,
        contentType: TEXT_JSON,
        body: form({ USERNAME: 'tour-bot', ROLE: 'Password User', ISAPIUSER: 'true', HOSTNAME: 'bot.example.com' }),
      });
      ok(created);
      ok(await pmp(h, 'GET', '/user/getUserId', { token: adm.key, query: { USERNAME: 'tour-bot' } }));
      ok(await pmp(h, 'PUT', '/user/lock', { token: adm.key, query: { USERNAME: 'tour-bot' } }));
      ok(await pmp(h, 'POST', '/user/unlock', { token: adm.key, query: { USERNAME: 'tour-bot' } }));
      ok(await pmp(h, 'DELETE', `/user/${created.body.operation.Details.USERID}`, { token: adm.key }));

      // failures: the same envelope, through the same route schemas
      for (const r of [
        await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: 'not-a-token' }),
        await pmp(h, 'GET', `/resources/${rid}/accounts/987654`, { token: api.key }),
        await pmp(h, 'POST', '/resources', { token: api.key, contentType: TEXT_JSON, body: 'INPUT_DATA={broken' }),
      ]) {
        assert.equal(r.status, 200);
        assert.equal(r.body.operation.result.status, 'Failed');
        assert.deepEqual(Object.keys(r.body.operation).sort(), ['name', 'result']);
      }
      ok(await pmp(h, 'DELETE', `/resources/${rid}`, { token: api.key }));

      assert.deepEqual(wire.mismatches, []);
      // every operation answered Success at least once, through its schema; with Details where it has any
      const actions = new Set(pmpRoutes().map((r) => r.action));
      const succeeded = new Set(wire.answers.filter((a) => a.result === 'Success').map((a) => a.action));
      assert.deepEqual(
        [...actions].filter((a) => !succeeded.has(a)),
        [],
      );
      for (const r of pmpRoutes()) {
        const ok200 = r.response?.['200'] as Json;
        const op = (ok200.properties as Json).operation as Json;
        if (!('Details' in (op.properties as Json))) continue;
        assert.ok(
          wire.answers.some((a) => a.action === r.action && a.hasDetails),
          `${r.method} ${r.url}: no answer with Details was checked`,
        );
      }
      assert.ok(wire.answers.some((a) => a.result === 'Failed'));
    });

    it('a field not in the schema does not leave the server', async () => {
      const created = await pmp(h, 'POST', '/resources', {
        token: api.key,
        contentType: TEXT_JSON,
        body: form({ RESOURCENAME: 'leak-res', ACCOUNTNAME: 'root', RESOURCETYPE: 'Linux', PASSWORD: 'leak-pw' }),
      });
      assert.equal(created.body.operation.result.status, 'Success', created.raw);
      leak = true;
      try {
        const ids = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
          token: api.key,
          query: { RESOURCENAME: 'leak-res', ACCOUNTNAME: 'root' },
        });
        const { RESOURCEID: rid, ACCOUNTID: aid } = ids.body.operation.Details;
        assert.deepEqual(Object.keys(ids.body.operation.Details).sort(), ['ACCOUNTID', 'RESOURCEID']);
        const pw = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
        assert.deepEqual(pw.body, {
          operation: {
            name: 'GET PASSWORD',
            result: { status: 'Success', message: 'Password fetched successfully' },
            Details: { PASSWORD: 'leak-pw' },
          },
        });
        const list = await pmp(h, 'GET', '/resources', { token: api.key });
        assert.deepEqual(Object.keys(list.body).sort(), ['operation']);
        assert.deepEqual(Object.keys(list.body.operation).sort(), ['Details', 'name', 'result', 'totalRows']);
        assert.ok(!list.raw.includes('INTERNAL') && !list.raw.includes('internal'), list.raw);
        const failed = await pmp(h, 'GET', `/resources/${rid}/accounts/987654/password`, { token: api.key });
        assert.equal(failed.body.operation.result.status, 'Failed');
        assert.ok(!failed.raw.includes('internal'), failed.raw);
        assert.deepEqual(Object.keys(failed.body.operation.result).sort(), ['message', 'status']);
      } finally {
        leak = false;
      }
    });
  });
}
