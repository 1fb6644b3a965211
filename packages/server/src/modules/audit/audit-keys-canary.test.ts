// The audit's keys stay out of the store, the logs and the audit trail (issue 10 §1: the MAC key is
// derived from the keyring and never stored in clear): the MAC keys of every key term (after a key
// rotation there are two), the key of the audit HMACs and the signing key, in raw bytes and in every
// text form, are found nowhere — while the records they protect are there and verify.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Canary, hits, type Scan, storeScans } from '../../../test/canary.ts';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { AUDIT_MAC_LABEL } from './audit-chain.ts';

function keyCanary(name: string, raw: Buffer): Canary {
  const texts = [raw.toString('hex'), raw.toString('hex').toUpperCase(), raw.toString('base64'), raw.toString('base64url')];
  return { name, texts, bytes: [raw] };
}

for (const dialect of dialects) {
  describe(`audit keys never stored [${dialect}]`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect, { config: { logLevel: 'debug' } });
    });
    after(async () => h.close());

    it('finds no MAC key (every term), audit HMAC key or signing key in the store, the logs or the records', async () => {
      const admin = await adminToken(h);
      for (let i = 0; i < 3; i++)
        assert.equal((await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: `v${i}` } })).status, 201);
      const rotated = await call(h, 'POST', '/api/v1/sys/rotate-key', { token: admin });
      assert.ok(rotated.status < 300, rotated.raw);
      await h.coffer.services.jobs.runDue();
      for (let i = 3; i < 6; i++)
        assert.equal((await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: `v${i}` } })).status, 201);

      const keys = h.coffer.services.seal.keys;
      assert.ok(keys);
      const terms = [1, 2];
      const macKeys = terms.map((t) => keys.keyring.derive(t, AUDIT_MAC_LABEL));
      assert.ok(
        macKeys.every((k) => k !== undefined),
        'both key terms derive a MAC key',
      );
      const canaries = [
        ...macKeys.map((k, i) => keyCanary(`audit MAC key of term ${terms[i]}`, k?.export() as Buffer)),
        keyCanary('audit HMAC key', keys.auditHmacKey),
        keyCanary('audit signing key', keys.auditSigner.privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer),
      ];
      const records = await h.database.db.selectFrom('audit_log').selectAll().execute();
      assert.ok(records.length > 8 && records.every((r) => typeof r.mac === 'string' || r.mac === null));
      const verify = await call(h, 'GET', '/api/v1/audit/verify', { token: admin });
      assert.equal(verify.status, 200, verify.raw);
      assert.equal(verify.body.ok, true, verify.raw);
      const scans: Scan[] = [
        { where: 'logs', text: h.logs() },
        { where: 'audit records', text: JSON.stringify(records) },
        ...(await storeScans(h)),
      ];
      assert.deepEqual(hits(canaries, scans), []);
      // the scan can find a key: the same bytes put where it looks are found
      assert.notDeepEqual(hits(canaries, [{ where: 'planted', bytes: Buffer.concat([Buffer.from('x'), keys.auditHmacKey]) }]), []);
    });
  });
}
