// A Passwork API client for the contract tests, speaking as the Passwork connectors do: an API
// key (a Coffer API key of the user) exchanged at POST /api/v4/auth/login/{apiKey} for a token
// sent as Passwork-Auth; values base64-encoded; attachments base64 twice with the connectors' hash.
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { call, createUser, type Harness, type Res } from './harness.ts';

export const PW = '/api/v4';

export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** The connectors' attachment hash: SHA-256 of the bytes read as Latin-1 and encoded in UTF-8. */
export const connectorHash = (bytes: Buffer) =>
  createHash('sha256')
    .update(Buffer.from(bytes.toString('latin1'), 'utf8'))
    .digest('hex');
export const encodeFile = (bytes: Buffer) => Buffer.from(bytes.toString('base64')).toString('base64');
export const decodeFile = (data: string) => Buffer.from(Buffer.from(data, 'base64').toString('latin1'), 'base64');

/** A Coffer API key for a user (the Passwork "API key"). */
export async function apiKeyFor(h: Harness, user: { token: string; password: string }, name = 'passwork'): Promise<string> {
  const k = await call(h, 'POST', '/api/v1/me/api-keys', {
    token: user.token,
    body: { name, currentPassword: user.password, allowedCidrs: ['127.0.0.1'], expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
  });
  assert.equal(k.status, 201, k.raw);
  return k.body.key as string;
}

/** A request as the connectors send it: JSON body, Passwork-Auth header. */
export function pw(
  h: Harness,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Res> {
  return call(h, method, `${PW}${path}`, {
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    headers: { ...(opts.token ? { 'passwork-auth': opts.token } : {}), ...opts.headers },
  });
}

export async function pwLogin(h: Harness, apiKey: string, useMasterPassword = false) {
  const r = await pw(h, 'POST', `/auth/login/${apiKey}`, { body: { useMasterPassword } });
  assert.equal(r.status, 200, r.raw);
  assert.equal(r.body.status, 'success');
  return r.body.data as { token: string; refreshToken: string };
}

/** A user with an API key and a Passwork session. */
export async function passworkUser(h: Harness, admin: string, role: 'password_administrator' | 'password_user' = 'password_administrator') {
  const user = await createUser(h, admin, role);
  const apiKey = await apiKeyFor(h, user);
  const { token, refreshToken } = await pwLogin(h, apiKey);
  return { ...user, apiKey, pwToken: token, pwRefresh: refreshToken };
}

/** Asserts Passwork's error envelope. */
export function assertError(r: Res, status: number, code?: string) {
  assert.equal(r.status, status, r.raw);
  assert.equal(r.body.status, 'error', r.raw);
  assert.equal(typeof r.body.code, 'string');
  assert.equal(typeof r.body.data?.errorMessage, 'string', r.raw);
  if (code) assert.equal(r.body.code, code, r.raw);
}

// --- client-side encryption as the connectors do it (CryptoJS-compatible AES, Passwork's base32) ---

const B32 = '0123456789abcdefghjkmnpqrtuvwxyz';

function base32(text: string): string {
  let bits = 0;
  let n = 0;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    bits = (bits << 8) | byte;
    n += 8;
    while (n >= 5) {
      out += B32[(bits >> (n - 5)) & 31];
      n -= 5;
      bits &= (1 << n) - 1;
    }
  }
  if (n > 0) out += B32[(bits << (5 - n)) & 31];
  return out;
}

function unbase32(text: string): string {
  let bits = 0;
  let n = 0;
  const out: number[] = [];
  for (const ch of text) {
    const v = B32.indexOf(ch);
    if (v < 0) continue;
    bits = (bits << 5) | v;
    n += 5;
    if (n >= 8) {
      out.push((bits >> (n - 8)) & 0xff);
      n -= 8;
      bits &= (1 << n) - 1;
    }
  }
  return Buffer.from(out).toString('utf8');
}

function evpKey(pass: string, salt: Buffer): { key: Buffer; iv: Buffer } {
  let d = Buffer.alloc(0);
  let all = Buffer.alloc(0);
  while (all.length < 48) {
    d = createHash('md5')
      .update(Buffer.concat([d, Buffer.from(pass, 'utf8'), salt]))
      .digest();
    all = Buffer.concat([all, d]);
  }
  return { key: all.subarray(0, 32), iv: all.subarray(32, 48) };
}

/** What the connectors' encrypt_aes makes: "Salted__" + salt + AES-256-CBC, base64, then base32. */
export function aesEncode(plain: string | Buffer, pass: string): string {
  const salt = randomBytes(8);
  const { key, iv } = evpKey(pass, salt);
  const c = createCipheriv('aes-256-cbc', key, iv);
  const body = Buffer.concat([c.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), c.final()]);
  return base32(Buffer.concat([Buffer.from('Salted__'), salt, body]).toString('base64'));
}

export function aesDecode(data: string, pass: string): Buffer {
  const raw = Buffer.from(unbase32(data), 'base64');
  const { key, iv } = evpKey(pass, raw.subarray(8, 16));
  const d = createDecipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([d.update(raw.subarray(16)), d.final()]);
}

/** The master key from Passwork's master key options and the master password (the Python connector's way). */
export function masterKeyOf(mkOptions: string, masterPassword: string): string {
  const m = /^pbkdf:(.+):(.+):(.+):(.+)$/i.exec(mkOptions);
  assert.ok(m, mkOptions);
  const [, , iterations, bytes, salt] = m;
  return pbkdf2Sync(masterPassword, salt as string, Number(iterations), Number(bytes), 'sha256').toString('base64');
}

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * What a Passwork client in master-password mode makes for `user`: a private vault (its password
 * encrypted with the master key) holding one item whose password it encrypted (`plain`).
 */
export async function passworkEncryptedItem(
  h: Harness,
  user: { token: string; password: string },
  opts: { vaultName: string; itemName: string; plain: string },
): Promise<{ vaultId: string; itemId: string }> {
  const token = (await pwLogin(h, await apiKeyFor(h, user), true)).token;
  const mk = masterKeyOf((await pw(h, 'GET', '/user/get-master-key-options', { token })).body.data.mkOptions, 'the master password');
  const headers = { 'passwork-masterhash': sha256Hex(mk) };
  const vaultPassword = randomBytes(16).toString('hex');
  const salt = randomBytes(8).toString('hex');
  const vault = await pw(h, 'POST', '/vaults', {
    token,
    headers,
    body: { name: opts.vaultName, passwordCrypted: aesEncode(vaultPassword, mk), salt, passwordHash: sha256Hex(vaultPassword + salt) },
  });
  assert.equal(vault.status, 201, vault.raw);
  const itemKey = randomBytes(24).toString('base64');
  const item = await pw(h, 'POST', '/passwords', {
    token,
    headers,
    body: {
      vaultId: vault.body.data,
      name: opts.itemName,
      login: 'root',
      cryptedPassword: aesEncode(opts.plain, itemKey),
      cryptedKey: aesEncode(itemKey, vaultPassword),
    },
  });
  assert.equal(item.status, 200, item.raw);
  return { vaultId: vault.body.data, itemId: item.body.data.id };
}
