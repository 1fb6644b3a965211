// Passbolt's logins over real HTTPS with a listening server (self-signed certificate): the cookies
// of a GPGAuth login carry Secure, and the JWT login's domain is the https base URL the client uses.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminToken, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { decryptWith, encryptFor, passboltUser, pbUserId } from '../../../test/passbolt.ts';
import { httpsSend, startTlsApp } from '../../../test/tls-app.ts';

const dialect = dialects[0] ?? 'sqlite';
describe(`Passbolt over HTTPS [${dialect}]`, () => {
  let h: Harness;
  let closeTls: () => Promise<void> = async () => {};
  let port = 0;
  let user: Awaited<ReturnType<typeof passboltUser>>;

  const send = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    httpsSend(port, method, `/passbolt${url}`, body === undefined ? undefined : JSON.stringify(body), {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    });
  const cookiesOf = (headers: Record<string, unknown>) => (headers['set-cookie'] as string[] | undefined) ?? [];

  before(async () => {
    h = await startHarness(dialect);
    user = await passboltUser(h, await adminToken(h));
    ({ port, close: closeTls } = await startTlsApp(h));
  });
  after(async () => {
    await closeTls();
    await h.close();
  });

  it('GPGAuth: the session and CSRF cookies are Secure', async () => {
    const server = (await send('GET', '/auth/verify.json')).json.body;
    const s1 = await send('POST', '/auth/login.json', { gpg_auth: { keyid: user.key.fingerprint } });
    assert.equal(s1.status, 200, s1.text);
    const nonce = await decryptWith(decodeURIComponent(String(s1.headers['x-gpgauth-user-auth-token'])), user.key.priv, server.keydata);
    const s2 = await send('POST', '/auth/login.json', { gpg_auth: { keyid: user.key.fingerprint, user_token_result: nonce } });
    assert.equal(s2.status, 200, s2.text);
    const cookies = cookiesOf(s2.headers);
    const session = cookies.find((c) => c.startsWith('passbolt_session='));
    assert.match(session ?? '', /; HttpOnly; SameSite=Strict; Secure$/);
    assert.match(cookies.find((c) => c.startsWith('csrfToken=')) ?? '', /; Secure$/);
    const token = (session ?? '').split(';')[0];
    assert.equal((await send('GET', '/auth/is-authenticated.json', undefined, { cookie: token as string })).status, 200);
  });

  it('JWT: the challenge names the https base URL; the refresh cookie is Secure', async () => {
    const server = (await send('GET', '/auth/verify.json')).json.body;
    const challenge = {
      version: '1.0.0',
      domain: `https://127.0.0.1:${port}/passbolt`,
      verify_token: randomUUID(),
      verify_token_expiry: Math.floor(Date.now() / 1000) + 120,
    };
    const uuid = await pbUserId(h, user.id);
    const r = await send('POST', '/auth/jwt/login.json', {
      user_id: uuid,
      challenge: await encryptFor(JSON.stringify(challenge), [server.keydata], user.key.priv),
    });
    assert.equal(r.status, 200, r.text);
    const answer = JSON.parse(await decryptWith(r.json.body.challenge, user.key.priv, server.keydata));
    assert.equal(answer.domain, challenge.domain);
    assert.match(cookiesOf(r.headers).find((c) => c.startsWith('refresh_token=')) ?? '', /; Secure$/);
    assert.equal(
      (await send('GET', '/auth/is-authenticated.json', undefined, { authorization: `Bearer ${answer.access_token}` })).status,
      200,
    );
    // the plain-HTTP base URL is another place: refused
    const plain = { ...challenge, verify_token: randomUUID(), domain: `http://127.0.0.1:${port}/passbolt` };
    const bad = await send('POST', '/auth/jwt/login.json', {
      user_id: uuid,
      challenge: await encryptFor(JSON.stringify(plain), [server.keydata], user.key.priv),
    });
    assert.equal(bad.status, 403, bad.text);
  });
});
