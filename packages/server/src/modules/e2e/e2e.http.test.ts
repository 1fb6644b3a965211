// End-to-end encrypted vaults through the real server (ADR 0022), on both dialects: the server's
// OpenPGP key, users' keys (refused when private, for another e-mail, expired), E2E secrets whose
// value is one message per reader (clear values refused, missing or extra readers refused and named,
// messages not for the reader's key or with packets around the encrypted data refused), reveal of
// one's own message through the same gate and audit, shares that need a message for the new reader,
// rotationRequired after a reader left or changed key, what the server cannot do refused, and a
// canary scan: the plaintext is nowhere on the server (store, logs, audit, error bodies).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { canary, hits, storeScans, value } from '../../../test/canary.ts';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';

type User = Awaited<ReturnType<typeof createUser>> & { email: string; priv: openpgp.PrivateKey; pub: string };

async function keyFor(email: string, opts: { date?: Date; keyExpirationTime?: number } = {}) {
  const k = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'T', email }],
    format: 'armored',
    ...opts,
  });
  return { priv: await openpgp.readPrivateKey({ armoredKey: k.privateKey }), pub: k.publicKey };
}

async function encryptFor(text: string, to: string[], signer: openpgp.PrivateKey) {
  const encryptionKeys = await Promise.all(to.map((armoredKey) => openpgp.readKey({ armoredKey })));
  return (await openpgp.encrypt({ message: await openpgp.createMessage({ text }), encryptionKeys, signingKeys: signer })) as string;
}

async function decrypt(armored: string, priv: openpgp.PrivateKey, writerKey: string) {
  const { data } = await openpgp.decrypt({
    message: await openpgp.readMessage({ armoredMessage: armored }),
    decryptionKeys: priv,
    verificationKeys: await openpgp.readKey({ armoredKey: writerKey }),
    expectSigned: true,
  });
  return data as string;
}

for (const dialect of dialects) {
  describe(`E2E vaults [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let alice: User;
    let bob: User;
    let carol: User;
    const errors: string[] = [];
    const plain = value('e2e-plaintext');
    const req = async (...args: Parameters<typeof call>) => {
      const r = await call(...args);
      if (r.status >= 400) errors.push(r.raw);
      return r;
    };
    const mkUser = async (role: 'password_user' | 'password_administrator'): Promise<User> => {
      const n = `${Math.random().toString(36).slice(2, 8)}@example.com`;
      const u = await createUser(h, admin, role, { email: n });
      const k = await keyFor(n);
      return { ...u, email: n, ...k };
    };

    before(async () => {
      h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      admin = await adminToken(h);
      alice = await mkUser('password_administrator');
      bob = await mkUser('password_user');
      carol = await mkUser('password_user');
    });
    after(async () => h?.close());

    it('has a server key made at init, its private half sealed', async () => {
      const r = await req(h, 'GET', '/api/v1/sys/openpgp-key');
      assert.equal(r.status, 200, r.raw);
      assert.match(r.body.fingerprint, /^[0-9a-f]{40}$/);
      const key = await openpgp.readKey({ armoredKey: r.body.armoredKey });
      assert.equal(key.isPrivate(), false);
      assert.equal(key.getFingerprint(), r.body.fingerprint);
      const row = await h.database.db.selectFrom('system_keys').selectAll().where('name', '=', 'openpgp-server').executeTakeFirstOrThrow();
      assert.doesNotMatch(row.value_enc, /PRIVATE KEY|-----BEGIN/);
      const priv = await openpgp.readPrivateKey({ armoredKey: await h.coffer.services.seal.openpgpPrivateKey() });
      assert.equal(priv.getFingerprint(), r.body.fingerprint);
    });

    it('registers users keys and refuses private, foreign, expired and malformed ones', async () => {
      const bad = async (armoredKey: string, why: RegExp) => {
        const r = await req(h, 'PUT', '/api/v1/me/openpgp-key', { token: alice.token, body: { armoredKey } });
        assert.equal(r.status, 400, r.raw);
        assert.equal(r.body.error.code, 'user.openpgp_key_invalid');
        assert.match(r.body.error.message, why);
      };
      await bad(alice.priv.armor(), /private key/);
      await bad((await keyFor('someone@else.example')).pub, /e-mail/);
      const past = new Date(Date.now() - 3 * 86400_000);
      await bad((await keyFor(alice.email, { date: past, keyExpirationTime: 86400 })).pub, /expired/);
      await bad('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnonsense\n-----END PGP PUBLIC KEY BLOCK-----\n', /OpenPGP|key/);
      for (const u of [alice, bob, carol]) {
        const r = await req(h, 'PUT', '/api/v1/me/openpgp-key', { token: u.token, body: { armoredKey: u.pub } });
        assert.equal(r.status, 200, r.raw);
        assert.equal(r.body.fingerprint, u.priv.getFingerprint());
      }
      const mine = await req(h, 'GET', '/api/v1/me/openpgp-key', { token: bob.token });
      assert.equal(mine.body.fingerprint, bob.priv.getFingerprint());
      const other = await req(h, 'GET', `/api/v1/users/openpgp-key?username=${bob.username}`, { token: carol.token });
      assert.equal(other.status, 200, other.raw);
      assert.equal(other.body.userId, bob.id);
      const audit = await h.database.db.selectFrom('audit_log').select('action').where('action', '=', 'user.openpgp_key_set').execute();
      assert.ok(audit.length >= 3);
    });

    it('stores one message per reader, checked, and hands each reader their own', async () => {
      const v = await req(h, 'POST', '/api/v1/vaults', { token: alice.token, body: { name: `e2e-${dialect}`, encryption: 'e2e' } });
      assert.equal(v.status, 201, v.raw);
      assert.equal(v.body.encryption, 'e2e');
      const base = { vaultId: v.body.id, template: 'web-login', name: 'db-root', fields: { username: 'root', url: 'https://db.example' } };
      // a value in clear is refused, never stored
      const clear = await req(h, 'POST', '/api/v1/secrets', {
        token: alice.token,
        body: { ...base, fields: { ...base.fields, password: plain } },
      });
      assert.equal(clear.status, 409, clear.raw);
      assert.equal(clear.body.error.code, 'secret.e2e_unsupported');
      // no message for the one reader (alice): named
      const none = await req(h, 'POST', '/api/v1/secrets', { token: alice.token, body: base });
      assert.equal(none.body.error.code, 'secret.e2e_readers_mismatch');
      assert.match(none.body.error.message, new RegExp(alice.id));
      // a message for bob, who is no reader
      const m = await encryptFor(plain, [alice.pub], alice.priv);
      const extra = await req(h, 'POST', '/api/v1/secrets', {
        token: alice.token,
        body: {
          ...base,
          messages: [
            { userId: alice.id, message: m },
            { userId: bob.id, message: m },
          ],
        },
      });
      assert.equal(extra.body.error.code, 'secret.e2e_readers_mismatch');
      assert.match(extra.body.error.message, new RegExp(`not readers: ${bob.id}`));
      // a message encrypted to bob's key, labelled alice's
      const wrongKey = await req(h, 'POST', '/api/v1/secrets', {
        token: alice.token,
        body: { ...base, messages: [{ userId: alice.id, message: await encryptFor(plain, [bob.pub], alice.priv) }] },
      });
      assert.equal(wrongKey.status, 400, wrongKey.raw);
      assert.equal(wrongKey.body.error.code, 'secret.e2e_message_invalid');
      // appended packets, a signed message in clear, two messages in one
      // the encrypted message with a literal data packet appended after it (the CVE-2025-47934 shape)
      const appended = await (async () => {
        const pgp = openpgp as unknown as {
          unarmor(t: string): Promise<{ data: Uint8Array }>;
          armor(type: number, data: Uint8Array): string;
        };
        const lit = (await openpgp.createMessage({ binary: new TextEncoder().encode('appended') })).packets.write() as Uint8Array;
        return pgp.armor(openpgp.enums.armor.message, new Uint8Array([...(await pgp.unarmor(m)).data, ...lit]));
      })();
      const signedClear = (await openpgp.sign({
        message: await openpgp.createMessage({ text: 'in clear' }),
        signingKeys: alice.priv,
      })) as string;
      for (const message of [appended, signedClear, `${m}\n${m}`, 'not a message']) {
        const r = await req(h, 'POST', '/api/v1/secrets', {
          token: alice.token,
          body: { ...base, messages: [{ userId: alice.id, message }] },
        });
        assert.equal(r.status, 400, `${message.slice(0, 40)}: ${r.raw}`);
        assert.equal(r.body.error.code, 'secret.e2e_message_invalid', r.raw);
      }
      const ok = await req(h, 'POST', '/api/v1/secrets', {
        token: alice.token,
        body: { ...base, messages: [{ userId: alice.id, message: m }] },
      });
      assert.equal(ok.status, 201, ok.raw);
      assert.equal(ok.body.e2e, true);
      assert.deepEqual(ok.body.sensitiveFields, []);
      const id = ok.body.id as string;
      // clear metadata stays searchable
      const found = await req(h, 'GET', '/api/v1/secrets?q=db.example', { token: alice.token });
      assert.ok(found.body.items.some((s: { id: string }) => s.id === id));
      const rv = await req(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: alice.token, body: {} });
      assert.equal(rv.status, 200, rv.raw);
      assert.deepEqual(rv.body.values, {});
      assert.equal(await decrypt(rv.body.e2e.message, alice.priv, rv.body.e2e.writerKey), plain);
      assert.equal(rv.body.e2e.rotationRequired, false);
      const audited = await h.database.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'secret.reveal')
        .where('object_id', '=', id)
        .execute();
      assert.equal(audited.length, 1);

      // share with bob: refused without a message for him, accepted with one
      const noMsg = await req(h, 'POST', `/api/v1/secrets/${id}/shares`, { token: alice.token, body: { userId: bob.id, level: 'reveal' } });
      assert.equal(noMsg.status, 409, noMsg.raw);
      assert.equal(noMsg.body.error.code, 'secret.e2e_readers_mismatch');
      assert.match(noMsg.body.error.message, new RegExp(bob.id));
      const mb = await encryptFor(plain, [bob.pub], alice.priv);
      const shared = await req(h, 'POST', `/api/v1/secrets/${id}/shares`, {
        token: alice.token,
        body: { userId: bob.id, level: 'reveal', messages: [{ userId: bob.id, message: mb }] },
      });
      assert.equal(shared.status, 201, shared.raw);
      const rb = await req(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: bob.token, body: {} });
      assert.equal(await decrypt(rb.body.e2e.message, bob.priv, rb.body.e2e.writerKey), plain);
      // carol, no reader, gets a 404 as for any secret she may not see
      assert.equal((await req(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: carol.token, body: {} })).status, 404);
      const readers = await req(h, 'GET', `/api/v1/secrets/${id}/readers`, { token: alice.token });
      assert.deepEqual(readers.body.items.map((r: { userId: string }) => r.userId).sort(), [alice.id, bob.id].sort());
      assert.equal(readers.body.rotationRequired, false);

      // removing bob marks the secret; a new value for the remaining readers clears it
      await req(h, 'DELETE', `/api/v1/grants/${shared.body.id}`, { token: alice.token });
      const after1 = await req(h, 'GET', `/api/v1/secrets/${id}`, { token: alice.token });
      assert.equal(after1.body.rotationRequired, true);
      const plain2 = `${plain}-2`;
      const upd = await req(h, 'PATCH', `/api/v1/secrets/${id}`, {
        token: alice.token,
        body: { messages: [{ userId: alice.id, message: await encryptFor(plain2, [alice.pub], alice.priv) }] },
      });
      assert.equal(upd.status, 200, upd.raw);
      assert.equal((await req(h, 'GET', `/api/v1/secrets/${id}`, { token: alice.token })).body.rotationRequired, false);
      // alice replaces her key: her message is for the old one
      const k2 = await keyFor(alice.email);
      assert.equal((await req(h, 'PUT', '/api/v1/me/openpgp-key', { token: alice.token, body: { armoredKey: k2.pub } })).status, 200);
      assert.equal((await req(h, 'GET', `/api/v1/secrets/${id}`, { token: alice.token })).body.rotationRequired, true);
      const re = await req(h, 'PUT', `/api/v1/secrets/${id}/messages`, {
        token: alice.token,
        body: { messages: [{ userId: alice.id, message: await encryptFor(plain2, [k2.pub], k2.priv) }] },
      });
      assert.equal(re.status, 200, re.raw);
      assert.equal(re.body.rotationRequired, false);

      // what the server cannot do on an E2E secret
      const rot = await req(h, 'POST', `/api/v1/secrets/${id}/rotate`, { token: alice.token, body: {} });
      assert.equal(rot.body.error?.code, 'secret.e2e_unsupported', rot.raw);
      const ver = await req(h, 'POST', `/api/v1/secrets/${id}/history/1/reveal`, { token: alice.token, body: {} });
      assert.equal(ver.body.error?.code, 'secret.e2e_unsupported', ver.raw);
      const imp = await req(h, 'POST', '/api/v1/import', {
        token: alice.token,
        body: { format: 'csv', content: `name,username,password\nx,y,${plain}\n`, vaultId: v.body.id },
      });
      assert.equal(imp.body.error?.code, 'secret.e2e_unsupported', imp.raw);
      const att = await h.app.inject({
        method: 'POST',
        url: `/api/v1/secrets/${id}/attachments?name=f.txt`,
        headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(plain),
      });
      errors.push(att.body);
      assert.equal(JSON.parse(att.body).error?.code, 'secret.e2e_unsupported', att.body);
      const target = await req(h, 'PUT', `/api/v1/secrets/${id}/rotation-target`, {
        token: alice.token,
        body: { kind: 'postgres', host: '127.0.0.1', port: 5432 },
      });
      assert.equal(target.body.error?.code, 'secret.e2e_unsupported', target.raw);
      assert.equal((await h.database.db.selectFrom('rotation_targets').selectAll().execute()).length, 0);
      const exp = await req(h, 'POST', '/api/v1/export', {
        token: alice.token,
        body: { vaultId: v.body.id, passphrase: 'a long export passphrase' },
      });
      assert.equal(exp.body.error?.code, 'secret.e2e_unsupported', exp.raw);
      // nothing came in beside the one message
      const after = await h.database.db.selectFrom('secret_messages').select('message').where('secret_id', '=', id).execute();
      assert.equal(after.length, 1);
    });

    it('the plaintext is nowhere on the server: store, logs, audit, error bodies', async () => {
      const c = canary('e2e', plain);
      const c2 = canary('e2e-2', `${plain}-2`);
      const utf16 = [plain, `${plain}-2`].map((p) => ({ where: 'utf16', bytes: Buffer.from(p, 'utf16le') }));
      const audit = await h.database.db.selectFrom('audit_log').selectAll().execute();
      const scans = [
        ...(await storeScans(h)),
        { where: 'logs', text: h.logs() },
        { where: 'audit', text: JSON.stringify(audit) },
        { where: 'errors', text: errors.join('\n') },
      ];
      assert.ok(errors.length >= 8, 'error bodies were collected');
      assert.deepEqual(hits([c, c2], scans), []);
      for (const u of utf16)
        for (const s of scans) assert.ok(!(s.bytes ?? Buffer.from(s.text ?? '')).includes(u.bytes), `utf-16 in ${s.where}`);
    });

    it('a store without the server key (from before migration 0018) gets one at its next unseal', async () => {
      const before = (await req(h, 'GET', '/api/v1/sys/openpgp-key')).body.fingerprint as string;
      await h.database.db.deleteFrom('system_keys').where('name', '=', 'openpgp-server').execute();
      assert.equal((await call(h, 'GET', '/api/v1/sys/openpgp-key')).status, 404);
      const sealed = await call(h, 'POST', '/api/v1/sys/seal', { token: admin, body: {} });
      assert.equal(sealed.status, 200, sealed.raw);
      await h.coffer.services.seal.autoUnseal();
      const r = await call(h, 'GET', '/api/v1/sys/openpgp-key');
      assert.equal(r.status, 200, r.raw);
      assert.notEqual(r.body.fingerprint, before);
      const priv = await openpgp.readPrivateKey({ armoredKey: await h.coffer.services.seal.openpgpPrivateKey() });
      assert.equal(priv.getFingerprint(), r.body.fingerprint);
    });
  });
}
