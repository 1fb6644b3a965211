import { Id, IdParams, Page } from '@coffer/contracts/common';
import {
  CreateFolder,
  CreateGrant,
  CreateVault,
  Explain,
  Folder,
  FolderAncestors,
  Grant,
  Level,
  UpdateFolder,
  UpdateVault,
  Vault,
} from '@coffer/contracts/vaults';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ExplainService } from './explain.service.ts';
import type { VaultsService } from './vaults.service.ts';

const Recursive = Type.Object({ recursive: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false });

export function vaultsRoutes(fastify: FastifyInstance, deps: { vaults: VaultsService; explain: ExplainService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { vaults, explain } = deps;
  const tags = ['vaults'];

  app.post('/api/v1/vaults', {
    config: { auth: 'user', permission: 'self', action: 'vault.create' },
    schema: { tags, summary: 'Create a vault (you get manage on it)', body: CreateVault, response: { 201: Vault } },
    handler: async (req, reply) => reply.code(201).send(await vaults.createVault(req.ctx, req.body)),
  });
  app.get('/api/v1/vaults', {
    config: { auth: 'user', permission: 'self', action: 'vault.list' },
    schema: { tags, summary: 'Vaults you can see (or see into)', response: { 200: Page(Vault) } },
    handler: async (req) => vaults.listVaults(req.ctx),
  });
  app.get('/api/v1/vaults/:id', {
    config: { auth: 'user', permission: 'self', action: 'vault.read' },
    schema: { tags, summary: 'A vault', params: IdParams, response: { 200: Vault } },
    handler: async (req) => vaults.getVault(req.ctx, req.params.id),
  });
  app.patch('/api/v1/vaults/:id', {
    config: { auth: 'user', permission: 'self', action: 'vault.update' },
    schema: {
      tags,
      summary: 'Rename, describe or set the policy of a vault (manage)',
      params: IdParams,
      body: UpdateVault,
      response: { 200: Vault },
    },
    handler: async (req) => vaults.updateVault(req.ctx, req.params.id, req.body),
  });
  app.delete('/api/v1/vaults/:id', {
    config: { auth: 'user', permission: 'self', action: 'vault.delete' },
    schema: { tags, summary: 'Delete an empty vault (manage)', params: IdParams, querystring: Recursive, response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      await vaults.deleteVault(req.ctx, req.params.id, req.query.recursive ?? false);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/v1/folders', {
    config: { auth: 'user', permission: 'self', action: 'folder.create' },
    schema: { tags: ['folders'], summary: 'Create a folder (edit on the parent)', body: CreateFolder, response: { 201: Folder } },
    handler: async (req, reply) => reply.code(201).send(await vaults.createFolder(req.ctx, req.body)),
  });
  app.get('/api/v1/folders', {
    config: { auth: 'user', permission: 'self', action: 'folder.list' },
    schema: {
      tags: ['folders'],
      summary: 'Child folders of a vault or folder',
      querystring: Type.Object({ vaultId: Id, parentId: Type.Optional(Id) }, { additionalProperties: false }),
      response: { 200: Page(Folder) },
    },
    handler: async (req) => vaults.listFolders(req.ctx, req.query),
  });
  app.get('/api/v1/folders/:id', {
    config: { auth: 'user', permission: 'self', action: 'folder.read' },
    schema: { tags: ['folders'], summary: 'A folder', params: IdParams, response: { 200: Folder } },
    handler: async (req) => vaults.getFolder(req.ctx, req.params.id),
  });
  app.get('/api/v1/folders/:id/ancestors', {
    config: { auth: 'user', permission: 'self', action: 'folder.read' },
    schema: {
      tags: ['folders'],
      operationId: 'folderAncestors',
      summary:
        'The path down to a folder: the folders above it, top down, each with its child folders (a tree open down to it, in one request)',
      params: IdParams,
      response: { 200: FolderAncestors },
    },
    handler: async (req) => vaults.folderAncestors(req.ctx, req.params.id),
  });
  app.patch('/api/v1/folders/:id', {
    config: { auth: 'user', permission: 'self', action: 'folder.update' },
    schema: {
      tags: ['folders'],
      summary: 'Rename (edit), move, break or restore inheritance, set policy (manage)',
      params: IdParams,
      body: UpdateFolder,
      response: { 200: Folder },
    },
    handler: async (req) => vaults.updateFolder(req.ctx, req.params.id, req.body),
  });
  app.delete('/api/v1/folders/:id', {
    config: { auth: 'user', permission: 'self', action: 'folder.delete' },
    schema: {
      tags: ['folders'],
      summary: 'Delete a folder; a non-empty one needs recursive=true (its secrets go to the trash)',
      params: IdParams,
      querystring: Recursive,
      response: { 204: Type.Null() },
    },
    handler: async (req, reply) => {
      await vaults.deleteFolder(req.ctx, req.params.id, req.query.recursive ?? false);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/v1/grants', {
    config: { auth: 'user', permission: 'self', action: 'grant.create' },
    schema: {
      tags: ['grants'],
      summary: 'Grant a user or group a level on a vault, folder or secret (manage)',
      body: CreateGrant,
      response: { 201: Grant },
    },
    handler: async (req, reply) => reply.code(201).send(await vaults.createGrant(req.ctx, req.body)),
  });
  app.get('/api/v1/grants', {
    config: { auth: 'user', permission: 'self', action: 'grant.list' },
    schema: {
      tags: ['grants'],
      summary: 'Grants made on a node (manage)',
      querystring: Type.Object({ nodeId: Id }, { additionalProperties: false }),
      response: { 200: Page(Grant) },
    },
    handler: async (req) => vaults.listGrants(req.ctx, req.query.nodeId),
  });
  app.delete('/api/v1/grants/:id', {
    config: { auth: 'user', permission: 'self', action: 'grant.delete' },
    schema: { tags: ['grants'], summary: 'Revoke a grant (manage)', params: IdParams, response: { 204: Type.Null() } },
    handler: async (req, reply) => {
      await vaults.deleteGrant(req.ctx, req.params.id);
      return reply.code(204).send(null);
    },
  });
  app.get('/api/v1/access/explain', {
    config: { auth: 'user', permission: 'self', action: 'access.explain' },
    schema: {
      tags: ['grants'],
      summary: 'Why a principal can or cannot do something on a vault, folder or secret',
      querystring: Type.Object(
        {
          nodeId: Id,
          userId: Type.Optional(Id),
          action: Type.Optional(Level),
        },
        { additionalProperties: false },
      ),
      response: { 200: Explain },
    },
    handler: async (req) => explain.explain(req.ctx, req.query),
  });
}
