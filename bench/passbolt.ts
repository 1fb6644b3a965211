// "Passbolt secret fetch": GET /passbolt/secrets/resource/{id}.json with the session cookie of a
// GPGAuth login (what go-passbolt and the Python clients do), over a pool of resources of an
// end-to-end encrypted vault: the caller's own OpenPGP message through the same audited reveal use
// case as the native reveal. Set up through the native API (a user with an e-mail address and a
// registered key, an E2E vault, one message per secret made here with openpgp.js).
import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { api, expect } from './api.ts';
import { type Common, type CompatArgs, measureIf } from './bracketed.ts';
import type { LoadResult } from './measure.ts';
import { runLoad } from './measure.ts';

const PB = '/passbolt';
const POOL = 100;

interface PassboltBench {
  cookie: string;
  resources: string[];
}

async function pbFetch(baseUrl: string, method: string, path: string, opts: { body?: unknown; cookie?: string } = {}) {
  const r = await fetch(`${baseUrl}${PB}${path}${path.includes('?') ? '&' : '?'}api-version=v2`, {
    method,
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await r.text();
  let body: { header?: { status?: string }; body?: unknown } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  if (r.status !== 200 || body?.header?.status !== 'success')
    throw new Error(`Passbolt ${method} ${path}: ${r.status} ${text.slice(0, 500)}`);
  return { headers: r.headers, body: body.body };
}

/** A user with a key, an E2E vault of POOL secrets, a GPGAuth session: what the load needs. */
async function setUp(baseUrl: string, adminToken: string): Promise<PassboltBench> {
  const email = `bench-passbolt-${randomBytes(3).toString('hex')}@example.com`;
  const username = email.split('@')[0] as string;
  const temporary = `bench-${randomBytes(12).toString('hex')}`;
  expect(
    'create Passbolt bench user',
    await api(baseUrl, 'POST', '/api/v1/users', {
      token: adminToken,
      body: { username, password: temporary, role: 'password_administrator', email },
    }),
    201,
  );
  const first = expect<{ accessToken: string }>(
    'first login',
    await api(baseUrl, 'POST', '/api/v1/auth/login', { body: { username, password: temporary } }),
    200,
  );
  const own = `bench-own-${randomBytes(12).toString('hex')}`;
  expect(
    'password change',
    await api(baseUrl, 'POST', '/api/v1/me/password', { token: first.accessToken, body: { currentPassword: temporary, newPassword: own } }),
    200,
  );
  const token = expect<{ accessToken: string }>(
    'login',
    await api(baseUrl, 'POST', '/api/v1/auth/login', { body: { username, password: own } }),
    200,
  ).accessToken;
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Bench', email }], format: 'armored' });
  const priv = await openpgp.readPrivateKey({ armoredKey: k.privateKey });
  expect('register key', await api(baseUrl, 'PUT', '/api/v1/me/openpgp-key', { token, body: { armoredKey: k.publicKey } }), 200);
  const me = await openpgp.readKey({ armoredKey: k.publicKey });
  const vaultId = expect<{ id: string }>(
    'E2E vault',
    await api(baseUrl, 'POST', '/api/v1/vaults', {
      token,
      body: { name: `bench-passbolt-${randomBytes(3).toString('hex')}`, encryption: 'e2e' },
    }),
    201,
  ).id;
  const userId = expect<{ userId: string }>('own key', await api(baseUrl, 'GET', '/api/v1/me/openpgp-key', { token }), 200).userId;
  for (let i = 0; i < POOL; i++) {
    const message = (await openpgp.encrypt({
      message: await openpgp.createMessage({ text: JSON.stringify({ password: `bench-pb-${i}-${randomBytes(6).toString('hex')}` }) }),
      encryptionKeys: me,
      signingKeys: priv,
    })) as string;
    expect(
      'E2E secret',
      await api(baseUrl, 'POST', '/api/v1/secrets', {
        token,
        body: { vaultId, template: 'web-login', name: `bench-pb-${i}`, fields: { username: `u${i}` }, messages: [{ userId, message }] },
      }),
      201,
    );
  }
  // GPGAuth: stage 1 (the server's token encrypted to our key), stage 2 (its plaintext back)
  const fingerprint = priv.getFingerprint().toUpperCase();
  const s1 = await pbFetch(baseUrl, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: fingerprint } } });
  const armored = decodeURIComponent(s1.headers.get('x-gpgauth-user-auth-token') ?? '');
  const nonce = (await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: armored }), decryptionKeys: priv }))
    .data as string;
  const s2 = await pbFetch(baseUrl, 'POST', '/auth/login.json', { body: { gpg_auth: { keyid: fingerprint, user_token_result: nonce } } });
  // a client's cookie jar: the session cookie and the CSRF token cookie the server handed out
  const jar = s2.headers.getSetCookie().join('\n');
  const session = /passbolt_session=([^;]+)/.exec(jar)?.[1];
  const csrf = /csrfToken=([^;]+)/.exec(jar)?.[1];
  if (!session || !csrf) throw new Error('Passbolt bench: GPGAuth set no passbolt_session or csrfToken cookie');
  const cookie = `passbolt_session=${session}; csrfToken=${csrf}`;
  const list = (await pbFetch(baseUrl, 'GET', '/resources.json', { cookie })).body as Array<{ id: string; name: string }>;
  const resources = list.filter((r) => r.name.startsWith('bench-pb-')).map((r) => r.id);
  if (resources.length !== POOL) throw new Error(`Passbolt bench: ${resources.length} of ${POOL} resources listed`);
  // every fetched message opens with our key (a sample, before the load)
  for (const id of resources.slice(0, 10)) {
    const s = (await pbFetch(baseUrl, 'GET', `/secrets/resource/${id}.json`, { cookie })).body as { data: string };
    const plain = (await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: s.data }), decryptionKeys: priv }))
      .data as string;
    if (!plain.includes('bench-pb-')) throw new Error('Passbolt bench: a fetched message did not decrypt to its value');
  }
  return { cookie, resources };
}

export async function passboltFetchLoad(baseUrl: string, adminToken: string, connections: number, c: Common): Promise<LoadResult> {
  const { cookie, resources } = await setUp(baseUrl, adminToken);
  return runLoad({
    ...c,
    connections,
    scenario: `Passbolt secret fetch, ${POOL} E2E resources`,
    url: baseUrl,
    method: 'GET',
    headers: { cookie },
    nextPath: () => `${PB}/secrets/resource/${resources[Math.floor(Math.random() * resources.length)]}.json?api-version=v2`,
  });
}

/** The Passbolt fetch when BENCH_SCENARIOS selects `passbolt`, in the compatibility APIs' loop (run.ts). */
export function passboltLoadsWith(adminToken: string) {
  return (a: CompatArgs): Promise<LoadResult[]> =>
    measureIf(
      a,
      'passbolt',
      () => `Passbolt secret fetch (${a.connections} connections)`,
      (c) => passboltFetchLoad(a.baseUrl, adminToken, a.connections, c),
    );
}
