// `Authorization: Bearer <token>` with the scheme in any case: the token endpoint answers
// `token_type: "bearer"` (as Secret Server does), and scripts write the header from it.
import type { Authenticator } from '../../http/surface.ts';
import { AppError } from '../../lib/app-error.ts';
import type { AuthService } from '../../modules/auth/auth.service.ts';

const HEADER = /^bearer ([A-Za-z0-9_-]{10,200})\s*$/i;

export function anyCaseBearer(auth: Pick<AuthService, 'authenticate'>): Authenticator {
  return {
    name: 'secretserver-bearer',
    async authenticate(req, ctx) {
      const h = req.headers.authorization;
      if (h === undefined) return undefined;
      const m = typeof h === 'string' ? HEADER.exec(h) : null;
      if (!m) throw new AppError('auth.required', 'Authentication is required: send Authorization: Bearer <token>.');
      return auth.authenticate(m[1] as string, ctx.sourceIp, ctx.via ?? 'secretserver');
    },
  };
}
