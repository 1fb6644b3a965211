// POST /SecretServer/oauth2/token (password and refresh_token grants) and the health checks the
// clients probe before they sign in (`/api/v1/healthcheck`, `/healthcheck.aspx`).
//
// The access token is a Coffer session of the user, issued for this API only (a token of another
// API is refused here and this one there). `expires_in` is advertised SAFETY_SECONDS shorter than
// the session's real lifetime: some clients renew only 300 s after it has passed and keep sending
// the old token meanwhile. A user with TOTP sends the current code in the `OTP` header (Secret
// Server's two-factor form) — or a recovery code there —, or uses an API key as the bearer token.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { bodyObject, textAt } from './body.ts';
import { API, type Kit } from './kit.ts';
import { exact, responses } from './schemas.ts';

/** What the advertised lifetime leaves out of the real one. */
export const SAFETY_SECONDS = 300;

const TokenAnswer = exact({
  access_token: { type: 'string' },
  token_type: { type: 'string' },
  expires_in: { type: 'integer' },
  refresh_token: { type: 'string' },
});

const Health = exact({
  Healthy: { type: 'boolean' },
  DatabaseHealthy: { type: 'boolean' },
  ServiceBusHealthy: { type: 'boolean' },
  StorageAccountHealthy: { type: 'boolean' },
  ScheduledForDeletion: { type: 'boolean' },
});

const unsupported = (grant: string) =>
  new AppError('validation.failed', `grant_type must be password or refresh_token (got "${grant.slice(0, 40)}").`, {
    reason: 'unsupported_grant_type',
  });

export function tokenRoutes(api: FastifyInstance, kit: Kit, sealed: () => boolean): void {
  const { deps } = kit;

  const health = async () => {
    const ok = !sealed();
    return { Healthy: ok, DatabaseHealthy: ok, ServiceBusHealthy: true, StorageAccountHealthy: true, ScheduledForDeletion: false };
  };
  for (const url of [`${API}/healthcheck`, '/healthcheck.aspx']) {
    api.route({
      method: 'GET',
      url,
      config: { auth: 'public', permission: 'none', action: 'sys.health', audit: false, whileSealed: true },
      schema: { response: { 200: Health }, hide: true },
      handler: health,
    });
  }

  api.route({
    method: 'POST',
    url: '/oauth2/token',
    config: { auth: 'public', permission: 'none', action: 'auth.oauth_token' },
    schema: { response: responses(TokenAnswer), hide: true },
    handler: async (req, reply) => {
      const b = bodyObject(req.body);
      const grant = textAt(b, 'grant_type', 100)?.trim() ?? '';
      let pair: { accessToken: string; refreshToken: string; expiresIn: number; absoluteExpiresAt: string };
      if (grant === 'password') {
        const username = textAt(b, 'username', 100)?.trim() ?? '';
        const password = textAt(b, 'password', 256) ?? '';
        if (!username || !password) throw new AppError('auth.invalid_credentials', 'Invalid username or password.');
        const otpHeader = req.headers.otp;
        const otp = (Array.isArray(otpHeader) ? otpHeader[0] : otpHeader)?.trim() ?? textAt(b, 'otp', 64)?.trim();
        const second =
          otp === undefined || otp === ''
            ? {}
            : /^\d{6}$/.test(otp)
              ? { totpCode: otp }
              : otp.length >= 8 && otp.length <= 64
                ? { recoveryCode: otp }
                : null;
        if (second === null) throw new AppError('auth.invalid_credentials', 'Invalid username or password.');
        pair = await deps.auth.login(req.ctx, { username, password, ...second });
      } else if (grant === 'refresh_token') {
        const token = textAt(b, 'refresh_token', 300)?.trim() ?? '';
        if (!/^[A-Za-z0-9_-]{10,200}$/.test(token))
          throw new AppError('auth.invalid_token', 'The refresh token is invalid or has expired.');
        pair = await deps.auth.refresh(req.ctx, token);
      } else {
        throw unsupported(grant);
      }
      const remaining = Math.floor((Date.parse(pair.absoluteExpiresAt) - deps.clock.now()) / 1000);
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
      return {
        access_token: pair.accessToken,
        token_type: 'bearer',
        expires_in: Math.max(0, Math.min(pair.expiresIn, remaining) - SAFETY_SECONDS),
        refresh_token: pair.refreshToken,
      };
    },
  });
}
