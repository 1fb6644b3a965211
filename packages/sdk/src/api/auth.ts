import { seg, type Transport } from '../transport.ts';
import type {
  ApiKey,
  BeginTotp,
  CreateApiKey,
  CreatedApiKey,
  Page,
  PendingApproval,
  Reauth,
  RecoveryCodes,
  TokenPair,
  TotpEnrollment,
  WhoAmI,
} from '../types.ts';

/** Sign-in, sessions and the identity behind the client's credential. */
export function authApi(t: Transport) {
  return {
    /**
     * Signs in and makes the new session this client's credential (`onTokens` is called).
     * Give `totpCode` or `recoveryCode` when the account has TOTP on; without one the server
     * answers `auth.mfa_required`. Unknown users, wrong passwords, disabled and locked accounts
     * all answer `auth.invalid_credentials`. `mustChangePassword: true` in the answer: the password
     * was set by an administrator; until `users.changeOwnPassword` the session can do nothing else
     * (other calls fail with `auth.password_change_required`), and after it, sign in again.
     */
    async login(username: string, password: string, second: { totpCode?: string; recoveryCode?: string } = {}): Promise<TokenPair> {
      const pair = await t.json<TokenPair>({
        method: 'POST',
        path: '/api/v1/auth/login',
        body: { username, password, ...second },
        auth: 'public',
      });
      await t.adopt(pair);
      return pair;
    },
    /**
     * Exchanges the refresh token for new tokens now (the client also does this by itself when the
     * access token is refused). Concurrent calls share one exchange; `onTokens` is called once. A
     * session idle past its limit cannot be refreshed: sign in again.
     */
    refresh(): Promise<TokenPair> {
      return t.refresh();
    },
    /** Ends this session and its refresh tokens on the server, and forgets them here. */
    async logout(): Promise<void> {
      await t.json({ method: 'POST', path: '/api/v1/auth/logout' });
      t.forgetSession();
    },
    /** Who the credential belongs to: user, role, session or API key, scopes. */
    whoami(): Promise<WhoAmI> {
      return t.json({ method: 'GET', path: '/api/v1/auth/whoami' });
    },
    /**
     * Exchanges the client's API key for a session (bound to the same key: revoking the key ends it)
     * and makes that session the client's credential (`onTokens` is called).
     */
    async exchangeApiKey(): Promise<TokenPair> {
      if (!t.hasApiKey()) throw new Error('Coffer SDK: exchangeApiKey needs the apiKey option');
      const pair = await t.json<TokenPair>({ method: 'POST', path: '/api/v1/auth/token', auth: 'apikey' });
      await t.adopt(pair);
      return pair;
    },
  };
}

/** API keys: host-bound credentials for programs. The key itself is shown once, at creation. */
export function apiKeysApi(t: Transport) {
  return {
    /**
     * Creates a key for yourself; the answer's `key` is shown only now. Needs `currentPassword`
     * (and `totpCode` with TOTP) and an `expiresAt` at most the server's maximum ahead (365 days by
     * default); a binding to every address (`0.0.0.0/0`, `::/0`) also needs `allowAnyAddress: true`.
     */
    createForMe(input: CreateApiKey): Promise<CreatedApiKey> {
      return t.json({ method: 'POST', path: '/api/v1/me/api-keys', body: input });
    },
    /** Your API keys (never the keys themselves). */
    listMine(): Promise<Page<ApiKey>> {
      return t.json({ method: 'GET', path: '/api/v1/me/api-keys' });
    },
    /**
     * Creates a key for a user, e.g. an API user (needs `apikeys.manage`; you re-authenticate as
     * yourself). Gated for anyone but yourself: a `PendingApproval`, and the key comes from
     * `adminRequests.execute` once approved.
     */
    createForUser(userId: string, input: CreateApiKey): Promise<CreatedApiKey | PendingApproval> {
      return t.json({ method: 'POST', path: `/api/v1/users/${seg(userId)}/api-keys`, body: input });
    },
    /** A user's API keys (needs `apikeys.manage`). */
    listForUser(userId: string): Promise<Page<ApiKey>> {
      return t.json({ method: 'GET', path: `/api/v1/users/${seg(userId)}/api-keys` });
    },
    /** Revokes a key: yours, or any with `apikeys.manage`. Sessions exchanged from it end too. */
    async revoke(id: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/api-keys/${seg(id)}` });
    },
  };
}

/** TOTP second factor of the signed-in user. */
export function totpApi(t: Transport) {
  return {
    /**
     * Starts enrolment; the seed and otpauth URI are shown only now. Needs re-authentication: your
     * current password (a wrong one is `auth.reauth_failed` and counts toward the lockout).
     */
    begin(proof: BeginTotp): Promise<TotpEnrollment> {
      return t.json({ method: 'POST', path: '/api/v1/me/totp', body: proof });
    },
    /** Confirms enrolment with a current code; the recovery codes are shown only now. */
    confirm(code: string): Promise<RecoveryCodes> {
      return t.json({ method: 'POST', path: '/api/v1/me/totp/confirm', body: { code } });
    },
    /** Turns TOTP off; needs re-authentication, and ends all your sessions and keys (this one too). */
    async disable(proof: Reauth): Promise<void> {
      await t.json({ method: 'POST', path: '/api/v1/me/totp/disable', body: proof });
    },
    /** Replaces your recovery codes (needs re-authentication); the new ones are shown only now. */
    regenerateRecoveryCodes(proof: Reauth): Promise<RecoveryCodes> {
      return t.json({ method: 'POST', path: '/api/v1/me/recovery-codes', body: proof });
    },
  };
}
