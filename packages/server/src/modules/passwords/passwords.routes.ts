import { CheckStrength, GeneratedPasswords, GeneratePasswords, PasswordStrength } from '@coffer/contracts/passwords';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { PasswordsService } from './passwords.service.ts';

export function passwordsRoutes(fastify: FastifyInstance, deps: { passwords: PasswordsService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { passwords } = deps;
  const tags = ['passwords'];

  app.post('/api/v1/passwords/generate', {
    config: { auth: 'user', permission: 'self', action: 'password.generate' },
    schema: {
      tags,
      summary: "Generate passwords; with a folder or vault (list access), its policy applies under the body's policy fields",
      body: GeneratePasswords,
      response: { 200: GeneratedPasswords },
    },
    handler: async (req) => passwords.generate(req.ctx, req.body),
  });
  app.post('/api/v1/passwords/strength', {
    config: { auth: 'user', permission: 'self', action: 'password.strength' },
    schema: {
      tags,
      summary: 'Estimate how hard a password is to guess (score 0-4, entropy, advice); the password is not stored',
      body: CheckStrength,
      response: { 200: PasswordStrength },
    },
    handler: async (req) => passwords.strength(req.ctx, req.body.password),
  });
}
