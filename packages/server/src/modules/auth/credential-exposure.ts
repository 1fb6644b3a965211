import { keyedHash, tokenKind } from '../../crypto/tokens.ts';
import type { Db, Trx } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { SealManager } from '../sys/seal.ts';
import type { RequestContext } from './actor.ts';

/**
 * Query parameter names that carry credentials (case-insensitive). URLs end up in proxy logs,
 * browser history and Referer headers, so a request with one is refused (http/hooks.ts), unless
 * its route declares `credentialsInQuery: 'accepted'` (a compatibility API whose clients must).
 */
export const CREDENTIAL_PARAM =
  /^(auth|bearer|secret|sig|signature|key|api[_-]?key|x[_-]api[_-]key|token|password|passwd|access[_-]?token|auth[_-]?token|id[_-]?token|refresh[_-]?token|session[_-]?token|client[_-]?secret)$/i;

/** A Coffer token anywhere in a text (session, refresh, API key, MFA). */
const TOKEN = /cf[srkm]_[A-Za-z0-9_-]{43}/g;

export interface Exposure {
  /** Names of the credential-like parameters (never their values). */
  params: string[];
  /** Coffer tokens found in the query, in names or values of any parameter. */
  tokens: string[];
}

/** What in a parsed query string looks like a credential; undefined when nothing does. */
export function findExposure(query: unknown): Exposure | undefined {
  if (!query || typeof query !== 'object') return undefined;
  const params: string[] = [];
  const tokens = new Set<string>();
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    if (CREDENTIAL_PARAM.test(name)) params.push(name);
    for (const text of [name, ...(Array.isArray(value) ? value : [value])]) {
      if (typeof text === 'string') for (const m of text.matchAll(TOKEN)) tokens.add(m[0]);
    }
  }
  return params.length > 0 || tokens.size > 0 ? { params, tokens: [...tokens] } : undefined;
}

/**
 * A credential seen in a URL is burnt: it is revoked on the spot, in the transaction of its own
 * audit record (`auth.credential_exposed`, naming the key or session family, never the value). An
 * API key goes with the sessions exchanged from it; a session or refresh token with its whole
 * family (every session and refresh token descended from one login). While sealed nothing can be
 * looked up (tokens are stored as keyed hashes): the request is refused all the same.
 */
export function createCredentialExposure(deps: { db: Db; clock: Clock; seal: SealManager; audit: AuditLog }) {
  const { db, clock, seal, audit } = deps;

  async function revokeFamily(trx: Trx, family: string, now: number) {
    await trx.updateTable('sessions').set({ revoked_at: now }).where('family_id', '=', family).where('revoked_at', 'is', null).execute();
    await trx.deleteFrom('refresh_tokens').where('family_id', '=', family).execute();
  }

  async function revokeOne(trx: Trx, ctx: RequestContext, token: string, now: number): Promise<void> {
    const hmacKey = seal.keys?.tokenHmacKey;
    const kind = tokenKind(token);
    if (!hmacKey || !kind) return;
    const hash = keyedHash(hmacKey, token);
    const record = (objectType: string, objectId: string, details: Record<string, unknown>) =>
      audit.append(
        trx,
        { ...ctx, audited: false },
        { action: 'auth.credential_exposed', objectType, objectId, outcome: 'success', details },
      );
    if (kind === 'apikey') {
      const k = await trx.selectFrom('api_keys').select(['id', 'user_id', 'revoked_at']).where('key_hash', '=', hash).executeTakeFirst();
      if (!k) return;
      await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', k.id).where('revoked_at', 'is', null).execute();
      await trx.updateTable('sessions').set({ revoked_at: now }).where('api_key_id', '=', k.id).where('revoked_at', 'is', null).execute();
      await record('api_key', k.id, { kind: 'apikey', userId: k.user_id, alreadyRevoked: k.revoked_at !== null });
      return;
    }
    const owner =
      kind === 'session'
        ? await trx.selectFrom('sessions').select(['id', 'family_id', 'user_id']).where('token_hash', '=', hash).executeTakeFirst()
        : kind === 'refresh'
          ? await trx
              .selectFrom('refresh_tokens')
              .select(['session_id as id', 'family_id', 'user_id'])
              .where('token_hash', '=', hash)
              .executeTakeFirst()
          : undefined;
    if (!owner) return;
    await revokeFamily(trx, owner.family_id, now);
    await record('session_family', owner.family_id, { kind, sessionId: owner.id, userId: owner.user_id });
  }

  /** Revokes every known credential among `tokens`, each with its audit record. */
  async function revoke(ctx: RequestContext, tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0 || !seal.keys) return;
    const now = clock.now();
    try {
      await db.transaction().execute(async (trx) => {
        for (const t of tokens.slice(0, 20)) await revokeOne(trx, ctx, t, now);
      });
    } catch (e) {
      // fail closed: the request is refused either way; the revocation and its record go together
      throw new AppError('audit.unavailable', 'The audit trail could not be written; nothing was done.', { cause: e });
    }
  }

  return { revoke };
}
export type CredentialExposure = ReturnType<typeof createCredentialExposure>;
