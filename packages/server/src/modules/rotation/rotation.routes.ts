import { IdParams } from '@coffer/contracts/common';
import {
  AbandonRotationInput,
  AbandonRotationResult,
  RotationStatus,
  RotationTarget,
  RotationTargetInput,
  RotationTargetList,
  RotationTargetQuery,
  VerifyResult,
} from '@coffer/contracts/rotation';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { RotationService } from './rotation.service.ts';

/** Remote rotation targets, their journal and the dry-run verify. `POST /secrets/:id/rotate` (workflow) rotates through them. */
export function rotationRoutes(fastify: FastifyInstance, deps: { rotation: RotationService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { rotation } = deps;
  const tags = ['remote rotation'];

  app.put('/api/v1/secrets/:id/rotation-target', {
    config: { auth: 'user', permission: 'self', action: 'rotation.target.set' },
    schema: {
      tags,
      summary:
        'Give the secret a rotation target (kind, host, port, privileged account = another secret, heartbeat and rotation schedule); edit on both secrets',
      params: IdParams,
      body: RotationTargetInput,
      response: { 200: RotationTarget },
    },
    handler: async (req) => rotation.setTarget(req.ctx, req.params.id, req.body),
  });
  app.delete('/api/v1/secrets/:id/rotation-target', {
    config: { auth: 'user', permission: 'self', action: 'rotation.target.remove' },
    schema: {
      tags,
      summary: 'Remove the rotation target (refused while a rotation is open)',
      params: IdParams,
      response: { 204: { type: 'null' } },
    },
    handler: async (req, reply) => {
      await rotation.removeTarget(req.ctx, req.params.id);
      return reply.code(204).send(null);
    },
  });
  app.get('/api/v1/secrets/:id/rotation', {
    config: { auth: 'user', permission: 'self', action: 'rotation.read' },
    schema: {
      tags,
      summary: 'The rotation target with its heartbeat status and out-of-sync flag, and the newest journal entries (view)',
      params: IdParams,
      response: { 200: RotationStatus },
    },
    handler: async (req) => rotation.getStatus(req.ctx, req.params.id),
  });
  app.get('/api/v1/rotation-targets', {
    config: { auth: 'user', permission: 'self', action: 'rotation.list' },
    schema: {
      tags,
      summary: 'Rotation targets of the secrets you may view, with heartbeat status; outOfSync=true: only those flagged',
      querystring: RotationTargetQuery,
      response: { 200: RotationTargetList },
    },
    handler: async (req) => rotation.listTargets(req.ctx, req.query),
  });
  app.post('/api/v1/secrets/:id/rotation/verify', {
    config: { auth: 'user', permission: 'self', action: 'rotation.verify' },
    schema: {
      tags,
      summary: 'Dry run / heartbeat now: log in to the target with the stored password, change nothing; records the status (edit)',
      params: IdParams,
      response: { 200: VerifyResult },
    },
    handler: async (req) => rotation.verify(req.ctx, req.params.id),
  });
  app.post('/api/v1/secrets/:id/rotation/abandon', {
    config: { auth: 'user', permission: 'sys.manage', action: 'rotation.abandon' },
    schema: {
      tags,
      summary:
        'Close an open rotation the reconciler cannot settle, keeping the password that logs in (current or pending; verified first when the target answers); administrator, re-authenticated, reason required',
      params: IdParams,
      body: AbandonRotationInput,
      response: { 200: AbandonRotationResult },
    },
    handler: async (req) => rotation.abandon(req.ctx, req.params.id, req.body),
  });
}
