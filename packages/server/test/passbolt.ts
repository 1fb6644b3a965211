// A Passbolt API client for the contract tests, speaking as Passbolt's clients do: requests under
// /passbolt with `api-version=v2` (unless given), JSON bodies, the session of this API, OpenPGP keys
// made in the test (openpgp.js), values encrypted per reader and signed by the writer.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as openpgp from 'openpgp';
import { createPassboltIds } from '../src/apis/passbolt/ids.ts';
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

/** The server's public key as Passbolt clients fetch it (GET /auth/verify.json). */
export async function pbServerKey(h: Pick<Harness, 'app'>): Promise<{ fingerprint: string; keydata: string }> {
  const r = await pb(h, 'GET', '/auth/verify.json');
  assert.equal(r.status, 200, r.raw);
  return r.body.body;
}

/** The JWT login's challenge: `{version, domain, verify_token, verify_token_expiry}` encrypted to the server, signed by `signer`. */
export async function jwtChallenge(
  h: Pick<Harness, 'app'>,
  signer: openpgp.PrivateKey,
  over: Record<string, unknown> = {},
): Promise<{ challenge: string; verifyToken: string }> {
  const server = await pbServerKey(h);
  const verifyToken = (over.verify_token as string | undefined) ?? randomUUID();
  const body = {
    version: '1.0.0',
    domain: PB_BASE,
    verify_token: verifyToken,
    verify_token_expiry: Math.floor(Date.now() / 1000) + 120,
    ...over,
  };
  return { challenge: await encryptFor(JSON.stringify(body), [server.keydata], signer), verifyToken };
}

/** The base URL a client is configured with (inject answers as host localhost:80). */
export const PB_BASE = 'http://localhost:80/passbolt';

/** The user's UUID on this API (the id their Passbolt clients know them by). */
export async function pbUserId(h: Harness, userId: string): Promise<string> {
  return `00000000-0000-4000-8000-${(await h.coffer.services.numbering.numberOf(h.database.db, 'user', userId)).toString(16).padStart(12, '0')}`;
}

/**
 * A session of the Passbolt API for a user who has registered their key: the real JWT login over
 * HTTP (POST /auth/jwt/login.json); returns the access token (a JWT) that `pb()` sends as Bearer.
 */
export async function pbLogin(h: Harness, user: { id: string; key: PbKey }): Promise<string> {
  return (await pbJwtLogin(h, user)).accessToken;
}

/** The JWT login, whole: the access and refresh tokens and the decrypted answer. */
export async function pbJwtLogin(h: Harness, user: { id: string; key: PbKey }) {
  const server = await pbServerKey(h);
  const uuid = await pbUserId(h, user.id);
  const { challenge, verifyToken } = await jwtChallenge(h, user.key.priv);
  const r = await pb(h, 'POST', '/auth/jwt/login.json', { body: { user_id: uuid, challenge } });
  assert.equal(r.status, 200, r.raw);
  const answer = JSON.parse(await decryptWith(r.body.body.challenge, user.key.priv, server.keydata));
  assert.equal(answer.verify_token, verifyToken);
  return { accessToken: answer.access_token as string, refreshToken: answer.refresh_token as string, answer, uuid, res: r };
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

/** The Set-Cookie headers of an answer, by cookie name: `{value, attributes}`. */
export function setCookies(r: Res): Map<string, { value: string; attributes: string }> {
  const raw = r.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? (raw as string[]) : [String(raw)];
  const out = new Map<string, { value: string; attributes: string }>();
  for (const c of list) {
    const semi = c.indexOf(';');
    const pair = semi < 0 ? c : c.slice(0, semi);
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), { value: pair.slice(eq + 1), attributes: semi < 0 ? '' : c.slice(semi + 1).trim() });
  }
  return out;
}

/** GPGAuth stage 1 then 2 for a user with a registered key: the session cookie, the CSRF token and the answers. */
export async function pbGpgLogin(h: Pick<Harness, 'app'>, key: PbKey) {
  const server = await pbServerKey(h);
  const s1 = await pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: key.fingerprint } } });
  assert.equal(s1.status, 200, s1.raw);
  const armored = decodeURIComponent(String(s1.headers['x-gpgauth-user-auth-token']));
  const nonce = await decryptWith(armored, key.priv, server.keydata);
  const s2 = await pb(h, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: key.fingerprint, user_token_result: nonce } } });
  assert.equal(s2.status, 200, s2.raw);
  const cookies = setCookies(s2);
  const session = cookies.get('passbolt_session')?.value as string;
  const csrf = cookies.get('csrfToken')?.value as string;
  return { session, csrf, nonce, s1, s2, cookie: `passbolt_session=${session}; csrfToken=${csrf}` };
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
