// Two Coffer nodes on one PostgreSQL: one keyring and one audit chain between them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, type Harness, login, startHarness } from '../../../test/harness.ts';
import { type App, buildApp } from '../../app.ts';
import { base32Decode, hotp, totpStep } from '../../crypto/totp.ts';
import { type Database, openDatabase } from '../../db/database.ts';
import { AUDIT_MAC_LABEL } from '../audit/audit-chain.ts';
import { verifyAuditChain } from '../audit/audit-verify.ts';

describe('two nodes on one PostgreSQL', () => {
  let a: Harness;
  let b: App;
  let dbB: Database;
  before(async () => {
    a = await startHarness('postgres');
    dbB = await openDatabase(a.config.databaseUrl);
    b = await buildApp({ config: a.config, database: dbB });
    await b.start(); // unseals from the shared key file
    await b.app.ready();
  });
  after(async () => {
    await b.app.close();
    await dbB.close();
    await a.close();
  });

  it('a key term added on one node takes the next write on the other, and both read both', async () => {
    const adminA = await adminToken(a);
    const rot = await call(a, 'POST', '/api/v1/sys/rotate-key', { token: adminA });
    assert.equal(rot.status, 200);
    assert.equal(rot.body.activeTerm, 2);
    assert.equal(b.services.seal.keys?.keyring.activeTerm, 1, 'node B has not seen the rotation yet');

    // enrol on node B: the seed must be written under term 2 at once
    const u = await createUser(b, await adminToken(b), 'password_user');
    const enrol = await call(b, 'POST', '/api/v1/me/totp', { token: u.token, body: { currentPassword: u.password } });
    assert.equal(enrol.status, 200);
    const row = await dbB.db.selectFrom('users').select('totp_secret_enc').where('id', '=', u.id).executeTakeFirstOrThrow();
    assert.match(row.totp_secret_enc ?? '', /^c1\.2\./);
    const code = hotp(base32Decode(enrol.body.secret), totpStep(Date.now()));
    assert.equal(
      (await call(a, 'POST', '/api/v1/me/totp/confirm', { token: u.token, body: { code } })).status,
      200,
      'node A decrypts what B wrote',
    );

    // a seed written by A under term 3 is read by B, which has never loaded term 3
    assert.equal((await call(a, 'POST', '/api/v1/sys/rotate-key', { token: adminA })).status, 200);
    const v = await createUser(a, adminA, 'password_user');
    const enrolV = await call(a, 'POST', '/api/v1/me/totp', { token: v.token, body: { currentPassword: v.password } });
    const seed = base32Decode(enrolV.body.secret);
    const step = totpStep(Date.now());
    assert.equal((await call(a, 'POST', '/api/v1/me/totp/confirm', { token: v.token, body: { code: hotp(seed, step - 1) } })).status, 200);
    await login(b, v.username, v.password, { totpCode: hotp(seed, step) });
  });

  it('builds one intact audit chain from concurrent writes on both nodes', async () => {
    const tA = await adminToken(a);
    const tB = await adminToken(b);
    await Promise.all(Array.from({ length: 40 }, (_, i) => call(i % 2 ? a : b, 'GET', '/api/v1/auth/whoami', { token: i % 2 ? tA : tB })));
    // both nodes MAC with the keyring; after the rotations above (terms 2 and 3 added on A), node B
    // follows the newest term it finds in the head, so terms never go backwards in the chain
    const r = await verifyAuditChain(a.database.db, { macKey: (t) => b.services.seal.keys?.keyring.derive(t, AUDIT_MAC_LABEL) });
    assert.equal(r.ok, true, JSON.stringify(r.firstBad));
    assert.equal(r.macsChecked, true);
    assert.ok(r.records >= 40);
    const last = await a.database.db.selectFrom('audit_log').select('mac_term').orderBy('seq', 'desc').limit(40).execute();
    assert.deepEqual([...new Set(last.map((x) => x.mac_term))], [3], 'the writes of both nodes after the rotation use term 3');
  });
});
