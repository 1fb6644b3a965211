// A Passbolt API client for the contract tests, speaking as Passbolt's clients do: requests under
// /passbolt with `api-version=v2` (unless given), JSON bodies, the session of this API, OpenPGP keys
// made in the test (openpgp.js), values encrypted per reader and signed by the writer.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as openpgp from 'openpgp';
import { createPassboltIds } from '../src/apis/passbolt/ids.ts';
import { anonymousActor } from '../src/modules/auth/actor.ts';
import { call, createUser, type Harness, type Res } from './harness.ts';

export const PB = '/passbolt';

export interface PbKey {
  priv: openpgp.PrivateKey;
  armoredPrivate: string;
  pub: string;
  fingerprint: string;
}

/** A key pair for an e-mail address (Curve25519, as Passbolt's extension makes by default; RSA with `rsaBits`). */
export async function pbKey(email: string, opts: { rsaBits?: number } = {}): Promise<PbKey> {
  const k = opts.rsaBits
    ? await openpgp.generateKey({ type: 'rsa', rsaBits: opts.rsaBits, userIDs: [{ name: 'T', email }], format: 'armored' })
    : await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'T', email }], format: 'armored' });
  const priv = await openpgp.readPrivateKey({ armoredKey: k.privateKey });
  return { priv, armoredPrivate: k.privateKey, pub: k.publicKey, fingerprint: priv.getFingerprint().toUpperCase() };
}

export async function encryptFor(text: string, toArmored: string[], signer: openpgp.PrivateKey): Promise<string> {
  const encryptionKeys = await Promise.all(toArmored.map((armoredKey) => openpgp.readKey({ armoredKey })));
  return (await openpgp.encrypt({ message: await openpgp.createMessage({ text }), encryptionKeys, signingKeys: signer })) as string;
}

export async function decryptWith(armored: string, priv: openpgp.PrivateKey, writerArmored?: string): Promise<string> {
  const { data } = await openpgp.decrypt({
    message: await openpgp.readMessage({ armoredMessage: armored }),
    decryptionKeys: priv,
    ...(writerArmored ? { verificationKeys: await openpgp.readKey({ armoredKey: writerArmored }), expectSigned: true } : {}),
  });
  return data as string;
}

/** A request as Passbolt's clients send it (api-version=v2 added unless the path names one). */
export function pb(
  h: Pick<Harness, 'app'>,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Res> {
  const url = path.includes('api-version=') ? path : `${path}${path.includes('?') ? '&' : '?'}api-version=v2`;
  return call(h, method, `${PB}${url}`, {
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
}

/**
 * A session of the Passbolt API for a user who has registered their key.
 * TODO(pb-auth): replace with the real JWT or GPGAuth login once it exists (same signature).
 */
export async function pbLogin(h: Harness, user: { id: string; key: PbKey }): Promise<string> {
  const ctx = { actor: anonymousActor, requestId: randomUUID(), sourceIp: '127.0.0.1', audited: false, via: 'passbolt' as const };
  const s = await h.coffer.services.auth.signInWithKey(ctx, user.id);
  return s.accessToken;
}

/** A Coffer user with an e-mail address, their OpenPGP key registered, and a Passbolt session. */
export async function passboltUser(
  h: Harness,
  admin: string,
  role: 'administrator' | 'password_administrator' | 'password_user' = 'password_user',
) {
  const email = `pb${Math.random().toString(36).slice(2, 8)}@example.com`;
  const u = await createUser(h, admin, role, { email });
  const key = await pbKey(email);
  const r = await call(h, 'PUT', '/api/v1/me/openpgp-key', { token: u.token, body: { armoredKey: key.pub } });
  assert.ok(r.status < 300, r.raw);
  const pbToken = await pbLogin(h, { id: u.id, key });
  return { ...u, email, key, pbToken };
}

/** Asserts Passbolt's envelope: header.status, header.code = HTTP status, a message. */
export function assertEnvelope(r: Res, status: number): void {
  assert.equal(r.status, status, r.raw);
  assert.equal(r.body?.header?.status, status < 300 ? 'success' : 'error', r.raw);
  assert.equal(r.body.header.code, status, r.raw);
  assert.equal(typeof r.body.header.message, 'string');
  assert.match(r.body.header.id, /^[0-9a-f-]{36}$/);
  assert.ok('body' in r.body, r.raw);
}

/**
 * An E2E vault of `owner` (who manages it) with one secret whose value is `text`, encrypted for
 * the owner (its one reader), made through the native API; `resource` is its Passbolt UUID.
 */
export async function e2eResource(h: Harness, owner: { token: string; id: string; key: PbKey }, text: string) {
  const v = await call(h, 'POST', '/api/v1/vaults', {
    token: owner.token,
    body: { name: `pb-${Math.random().toString(36).slice(2, 10)}`, encryption: 'e2e' },
  });
  assert.equal(v.status, 201, v.raw);
  const s = await call(h, 'POST', '/api/v1/secrets', {
    token: owner.token,
    body: {
      vaultId: v.body.id,
      template: 'web-login',
      name: 'pb-resource',
      fields: { username: 'root', url: 'https://db.example' },
      messages: [{ userId: owner.id, message: await encryptFor(text, [owner.key.pub], owner.key.priv) }],
    },
  });
  assert.equal(s.status, 201, s.raw);
  const ids = createPassboltIds(h.database.db, h.coffer.services.numbering);
  return { vaultId: v.body.id as string, secretId: s.body.id as string, resource: await ids.uuidOf('secret', s.body.id) };
}
