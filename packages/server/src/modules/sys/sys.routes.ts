import { Health, KeyringStatus, SealStatus, Unseal } from '@coffer/contracts/sys';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { SysService } from './sys.service.ts';

export function sysRoutes(fastify: FastifyInstance, deps: { sys: SysService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { sys } = deps;
  const tags = ['sys'];

  app.get('/health', {
    config: { auth: 'public', permission: 'none', action: 'sys.health', audit: false, whileSealed: true },
    schema: { tags, summary: 'Liveness; tells whether the server is sealed', response: { 200: Health } },
    handler: async () => {
      const s = await sys.publicStatus();
      return { status: 'ok' as const, sealed: s.sealed, initialized: s.initialized };
    },
  });
  app.get('/api/v1/sys/seal-status', {
    config: { auth: 'public', permission: 'none', action: 'sys.seal_status', audit: false, whileSealed: true },
    schema: { tags, summary: 'Seal state and unseal progress', response: { 200: SealStatus } },
    handler: async () => sys.publicStatus(),
  });
  app.post('/api/v1/sys/unseal', {
    config: { auth: 'public', permission: 'none', action: 'sys.unseal', whileSealed: true },
    schema: {
      tags,
      summary: 'Enter one unseal share (Shamir mode), or reset the progress',
      description:
        'Shares are entered one at a time; when the threshold is reached the server unseals. A wrong combination resets the progress.',
      body: Unseal,
      response: { 200: SealStatus },
    },
    handler: async (req) => sys.unseal(req.ctx, req.body),
  });
  app.post('/api/v1/sys/seal', {
    config: { auth: 'user', permission: 'sys.manage', action: 'sys.seal' },
    schema: { tags, summary: 'Seal the server now (drops every key from memory)', response: { 200: SealStatus } },
    handler: async (req) => sys.sealNow(req.ctx),
  });
  app.post('/api/v1/sys/rotate-key', {
    config: { auth: 'user', permission: 'sys.manage', action: 'sys.rotate_key' },
    schema: {
      tags,
      summary: 'Add a new key term for all new writes and re-encrypt old data in the background',
      response: { 200: KeyringStatus },
    },
    handler: async (req) => sys.rotateKey(req.ctx),
  });
  app.get('/api/v1/sys/keyring', {
    config: { auth: 'user', permission: 'sys.manage', action: 'sys.keyring_read' },
    schema: { tags, summary: 'Key terms and re-encryption progress', response: { 200: KeyringStatus } },
    handler: async (req) => sys.keyringStatus(req.ctx),
  });
}
