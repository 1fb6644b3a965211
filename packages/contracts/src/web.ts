import { type Static, Type } from 'typebox';
import { WhoAmI } from './auth.ts';
import { Timestamp } from './common.ts';

// The web UI's session (ADR 0017): the browser holds an HttpOnly cookie (never a token readable
// by script) and sends the CSRF token below in the `X-CSRF-Token` header of every unsafe request
// to `/ui/...`. The UI calls the native API's routes under `/ui/api/v1/...` with that cookie.

/** Header every unsafe request to `/ui/...` carries: the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
/** Header every request of the UI's own script carries (a cross-site form cannot set it). */
export const UI_HEADER = 'x-coffer-ui';

/** `POST /ui/session` (sign in), `GET /ui/session` (the current one): what the UI may know. */
export const WebSession = Type.Object(
  {
    csrfToken: Type.String({ description: 'Send in the X-CSRF-Token header of every unsafe request to /ui' }),
    user: WhoAmI,
    mustChangePassword: Type.Boolean({
      description: 'True until the password set by an administrator is changed (POST /ui/api/v1/me/password)',
    }),
    idleSeconds: Type.Integer({ description: 'The session locks after this long without a request' }),
    absoluteExpiresAt: Timestamp,
  },
  { additionalProperties: false, $id: 'WebSession' },
);
export type WebSession = Static<typeof WebSession>;
