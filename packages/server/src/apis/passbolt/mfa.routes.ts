// The second factor of a session signed in by key (ADR 0025 "Authentication"): until the user gives
// a TOTP code here, their session answers every other route (but logout and is-authenticated) with
// 403 "MFA authentication is required." and the providers (session.ts). The code is checked by the
// auth service (replayed steps refused, wrong codes count toward the lockout, audited).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fieldsOf, required } from './body.ts';
import { ok } from './envelope.ts';
import { nothing, responses } from './schemas.ts';
import { addCookies, mfaCookie } from './session.ts';
import type { PassboltContext } from './surface.ts';
import { baseUrl } from './urls.ts';

export const MFA_ERROR_PATH = '/mfa/verify/error.json';

/** The body of the MFA refusal: the providers the user may verify with (TOTP only). */
export function mfaRequiredBody(req: FastifyRequest) {
  return { mfa_providers: ['totp'], providers: { totp: `${baseUrl(req)}/mfa/verify/totp.json` } };
}

export function mfaRoutes(api: FastifyInstance, c: PassboltContext): void {
  api.post('/mfa/verify/totp.json', {
    config: { auth: 'user', permission: 'self', action: 'auth.mfa_verify' },
    schema: { response: responses({ 200: nothing }) },
    handler: async (req, reply) => {
      const totp = required(fieldsOf(req.body), 'totp', 16);
      await c.auth.verifySecondFactor(req.ctx, totp.trim());
      // go-passbolt waits for this cookie; the state itself is the server's (session_second_factor)
      addCookies(reply, [mfaCookie(req, randomBytes(24).toString('base64url'))]);
      return ok(req, null, 'The multi-factor authentication was a success.');
    },
  });

  // where Passbolt redirects a session owing its second factor: the gate (session.ts) answers the
  // refusal; a session owing nothing gets here
  api.get(MFA_ERROR_PATH, {
    config: { auth: 'user', permission: 'self', action: 'auth.mfa_check' },
    schema: { response: responses({ 200: nothing }) },
    handler: async (req) => ok(req, null, 'No multi-factor authentication is required.'),
  });
}
