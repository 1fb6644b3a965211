// One secret, three APIs (issue 11, proof): the native API, PMP and senhasegura reach the same
// value through the same services, each read leaves its own audit record naming the API, and a
// secret the API user may not see is absent from every list and answers like a missing one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, dialects, type Harness, startHarness } from '../../test/harness.ts';
import { apiUser, PMP, pmp } from '../../test/pmp.ts';
import { oauthToken } from '../../test/senhasegura-client.ts';

for (const dialect of dialects) {
  describe(`one secret through the native API, PMP and senhasegura [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let api: { id: string; key: string };
    let keyId: string;
    let bearer: string;
    const canary = `canary-${randomBytes(12).toString('hex')}`;
    const hiddenCanary = `hidden-${randomBytes(12).toString('hex')}`;
    const ids: Record<string, string> = {};

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'Datacenter' } });
      ids.vault = v.body.id;
      for (const name of ['web01', 'db01']) {
        const f = await call(h, 'POST', '/api/v1/folders', { token: admin, body: { vaultId: ids.vault, name } });
        assert.equal(f.status, 201, f.raw);
        ids[name] = f.body.id;
      }
      const s = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: {
          vaultId: ids.vault,
          folderId: ids.web01,
          template: 'host-credential',
          name: 'deploy',
          fields: { username: 'deploy', password: canary, host: 'web01' },
        },
      });
      assert.equal(s.status, 201, s.raw);
      ids.secret = s.body.id;
      const hidden = await call(h, 'POST', '/api/v1/secrets', {
        token: admin,
        body: {
          vaultId: ids.vault,
          folderId: ids.db01,
          template: 'host-credential',
          name: 'dba',
          fields: { username: 'dba', password: hiddenCanary, host: 'db01' },
        },
      });
      ids.hidden = hidden.body.id;
      api = await apiUser(h, admin, 'automation');
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: admin,
        body: { nodeId: ids.web01, principalType: 'user', principalId: api.id, level: 'reveal' },
      });
      assert.equal(g.status, 201, g.raw);
      const keys = await call(h, 'GET', `/api/v1/users/${api.id}/api-keys`, { token: admin });
      keyId = keys.body.items[0].id;
      bearer = await oauthToken(h, keyId, api.key);
    });
    after(async () => h?.close());

    const revealRecords = (secretId: string) =>
      h.database.db
        .selectFrom('audit_log')
        .select(['via', 'outcome', 'actor_id', 'details'])
        .where('action', '=', 'secret.reveal')
        .where('object_id', '=', secretId)
        .orderBy('seq')
        .execute();

    it('gives the same value through each API, with one reveal record per read naming the API', async () => {
      const native = await call(h, 'POST', `/api/v1/secrets/${ids.secret}/reveal`, { token: api.key, body: {} });
      assert.equal(native.status, 200, native.raw);
      assert.equal(native.body.values.password, canary);

      const lookup = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: 'web01', ACCOUNTNAME: 'deploy' },
      });
      assert.equal(lookup.body.operation.result.status, 'Success', lookup.raw);
      const { RESOURCEID: rid, ACCOUNTID: aid } = lookup.body.operation.Details;
      assert.match(String(rid), /^\d+$/);
      assert.match(String(aid), /^\d+$/);
      const viaPmp = await pmp(h, 'GET', `/resources/${rid}/accounts/${aid}/password`, { token: api.key });
      assert.equal(viaPmp.body.operation.result.status, 'Success', viaPmp.raw);
      assert.equal(viaPmp.body.operation.Details.PASSWORD, canary);

      const viaSenha = await h.app.inject({
        method: 'GET',
        url: '/iso/pam/credential/deploy@web01',
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(viaSenha.statusCode, 200, viaSenha.body);
      const cred = viaSenha.json().credential;
      assert.equal(cred.password, canary);
      assert.equal(cred.content, canary);
      assert.equal(cred.id, String(aid), 'one integer per object, whichever API shows it');

      const recs = await revealRecords(ids.secret as string);
      assert.deepEqual(
        recs.map((r) => [r.via, r.outcome, r.actor_id]),
        [
          ['native', 'success', api.id],
          ['pmp', 'success', api.id],
          ['senhasegura', 'success', api.id],
        ],
      );
      for (const r of recs) assert.ok(!String(r.details).includes(canary), 'no value in the audit trail');
      const verify = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(verify.body.ok, true, JSON.stringify(verify.body.firstBad));
    });

    it('a secret the API user may not see: absent from every list, and answered like a missing one', async () => {
      const nums = await h.coffer.services.numbering.numbersOf(h.database.db, 'secret', [ids.hidden as string]);
      const hiddenNum = String(nums.get(ids.hidden as string));
      const folderNum = String(await h.coffer.services.numbering.numberOf(h.database.db, 'folder', ids.db01 as string));
      const missingNum = '987654321';

      // native: 404 either way
      const n1 = await call(h, 'POST', `/api/v1/secrets/${ids.hidden}/reveal`, { token: api.key, body: {} });
      const n2 = await call(h, 'POST', '/api/v1/secrets/sec_00000000000000000000000000/reveal', { token: api.key, body: {} });
      assert.deepEqual([n1.status, n1.body.error.code], [n2.status, n2.body.error.code]);

      // PMP: not in the resources list, and the same failure as a missing resource/account
      const list = await pmp(h, 'GET', '/resources', { token: api.key });
      const names = (list.body.operation.Details ?? []).map((r: { 'RESOURCE NAME': string }) => r['RESOURCE NAME']);
      assert.ok(names.includes('web01') && !names.includes('db01'), JSON.stringify(names));
      assert.equal(list.body.operation.totalRows, names.length);
      const strip = (b: { operation: Record<string, unknown> }) => JSON.stringify(b.operation.result);
      const p1 = await pmp(h, 'GET', `/resources/${folderNum}/accounts/${hiddenNum}/password`, { token: api.key });
      const p2 = await pmp(h, 'GET', `/resources/${missingNum}/accounts/${missingNum}/password`, { token: api.key });
      assert.equal(p1.body.operation.result.status, 'Failed');
      assert.equal(strip(p1.body), strip(p2.body));
      const p3 = await pmp(h, 'GET', `/resources/${folderNum}/accounts`, { token: api.key });
      const p4 = await pmp(h, 'GET', `/resources/${missingNum}/accounts`, { token: api.key });
      assert.equal(strip(p3.body), strip(p4.body));
      const p5 = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: 'db01', ACCOUNTNAME: 'dba' },
      });
      const p6 = await pmp(h, 'GET', '/resources/getResourceIdAccountId', {
        token: api.key,
        query: { RESOURCENAME: 'nope', ACCOUNTNAME: 'dba' },
      });
      assert.equal(strip(p5.body), strip(p6.body));

      // senhasegura: not listed; by id and by username@hostname like a missing one
      const sl = await h.app.inject({ method: 'GET', url: '/iso/pam/credential', headers: { authorization: `Bearer ${bearer}` } });
      const listed = sl.json().credentials.map((c: { id: string }) => c.id);
      assert.ok(!listed.includes(hiddenNum) && listed.length === 1, JSON.stringify(listed));
      for (const [a, b] of [
        [hiddenNum, missingNum],
        ['dba@db01', 'nobody@db01'],
      ]) {
        const s1 = await h.app.inject({ method: 'GET', url: `/iso/pam/credential/${a}`, headers: { authorization: `Bearer ${bearer}` } });
        const s2 = await h.app.inject({ method: 'GET', url: `/iso/pam/credential/${b}`, headers: { authorization: `Bearer ${bearer}` } });
        assert.equal(s1.statusCode, 400);
        assert.deepEqual(
          [s1.statusCode, s1.json().response, s1.json().exception],
          [s2.statusCode, s2.json().response, s2.json().exception],
        );
      }
      // nothing of it anywhere in what the API user got
      for (const r of [list, p1, p3, p5]) assert.ok(!r.raw.includes(hiddenCanary) && !r.raw.includes('dba'));
      assert.equal((await revealRecords(ids.hidden as string)).filter((r) => r.outcome === 'success').length, 0);
      assert.ok(PMP.startsWith('/restapi'));
    });
  });
}
