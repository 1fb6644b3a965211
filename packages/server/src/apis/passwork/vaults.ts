// Vaults: list (by name), get (with a client-encrypted vault's key material), add, rename, delete,
// their root folders, tags and colours, and the "domain" Passwork's clients read before adding a
// vault. A Coffer vault is a Passwork vault.
import { isCleanName } from '@coffer/contracts/text';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bool, fieldsOf, invalid, str } from './body.ts';
import { b64 } from './codec.ts';
import type { PassworkDeps } from './deps.ts';
import { ok } from './envelope.ts';
import { encryptedSession, storeVaultKeys, vaultKeys } from './keys.ts';
import { byName, colorNumber, folderObject, pathOf, vaultObject } from './mapper.ts';
import { idParams } from './passwords-read.ts';
import { domain, folders, int, responses, strings, str as strSchema, vault, vaults } from './schemas.ts';

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

/** What Passwork's clients send as the "domain" key material without client-side encryption. */
const CLEAR_DOMAIN_KEY = b64('a'.repeat(32));

function vaultName(b: Record<string, unknown>): string {
  const name = (str(b, 'name', 200) ?? '').trim();
  if (!name) throw invalid('/name', 'required');
  if (!isCleanName(name)) throw invalid('/name', 'a single line without control characters');
  return name;
}

export function vaultRoutes(app: FastifyInstance, c: PassworkDeps): void {
  app.get('/vaults/list', {
    config: cfg('passwork.vault.list'),
    schema: { response: responses({ 200: vaults }) },
    handler: async (req: FastifyRequest) => {
      const { items } = await c.vaults.listVaults(req.ctx);
      return ok(items.map((v) => vaultObject(v)).sort(byName));
    },
  });

  app.get('/vaults/domain', {
    config: cfg('passwork.vault.domain'),
    schema: { response: responses({ 200: domain }) },
    handler: async (req: FastifyRequest) => {
      // one "domain" (the Coffer store); its master key exists only for clients in clear mode
      const encrypted = await encryptedSession(c, req);
      return ok({
        domainId: 'coffer',
        name: 'Coffer',
        mpCrypted: encrypted ? '' : CLEAR_DOMAIN_KEY,
        salt: encrypted ? '' : 'a'.repeat(32),
        passwordHash: '',
      });
    },
  });

  for (const [url, vaultScoped] of [
    ['/vaults/tags', false],
    ['/vaults/:id/tags', true],
  ] as const) {
    app.get(url, {
      config: cfg('passwork.vault.tags'),
      schema: { ...(vaultScoped ? { params: idParams() } : {}), response: responses({ 200: strings }) },
      handler: async (req: FastifyRequest) => {
        const vaultId = vaultScoped ? (req.params as { id: string }).id : undefined;
        if (vaultId) await c.vaults.getVault(req.ctx, vaultId);
        const { tags } = await c.secrets.tagsAndColors(req.ctx, vaultId ? { vaultId } : {});
        return ok(tags);
      },
    });
  }

  for (const [url, vaultScoped] of [
    ['/vaults/colors', false],
    ['/vaults/:id/colors', true],
  ] as const) {
    app.get(url, {
      config: cfg('passwork.vault.colors'),
      schema: { ...(vaultScoped ? { params: idParams() } : {}), response: responses({ 200: { type: 'array', items: int } }) },
      handler: async (req: FastifyRequest) => {
        const vaultId = vaultScoped ? (req.params as { id: string }).id : undefined;
        if (vaultId) await c.vaults.getVault(req.ctx, vaultId);
        const { colors } = await c.secrets.tagsAndColors(req.ctx, vaultId ? { vaultId } : {});
        return ok([...new Set(colors.map(colorNumber).filter((n) => n > 0))].sort((a, b) => a - b));
      },
    });
  }

  app.get('/vaults/:id', {
    config: cfg('passwork.vault.get'),
    schema: { params: idParams(), response: responses({ 200: vault }) },
    handler: async (req: FastifyRequest) => {
      const id = (req.params as { id: string }).id;
      const v = await c.vaults.getVault(req.ctx, id);
      return ok(vaultObject(v, await vaultKeys(c, req.ctx, id)));
    },
  });

  app.get('/vaults/:id/folders', {
    config: cfg('passwork.vault.folders'),
    schema: { params: idParams(), response: responses({ 200: folders }) },
    handler: async (req: FastifyRequest) => {
      const id = (req.params as { id: string }).id;
      const { items } = await c.vaults.listFolders(req.ctx, { vaultId: id });
      const chains = await c.vaults.ancestries(
        c.db,
        items.map((f) => f.id),
      );
      return ok(items.map((f) => folderObject(f, { path: pathOf(chains.get(f.id) ?? []) })).sort(byName));
    },
  });

  app.post('/vaults', {
    config: cfg('passwork.vault.add'),
    schema: { response: responses({ 201: strSchema }) },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const b = fieldsOf(req.body);
      const name = vaultName(b);
      bool(b, 'isPrivate');
      const encrypted = await encryptedSession(c, req);
      let keys: { passwordCrypted: string; salt: string; passwordHash: string; scope: string } | null = null;
      if (encrypted) {
        // the vault password, encrypted by the creator's master key (a private vault); a vault of
        // the domain would need the domain's master key, which only Passwork's own setup makes
        const passwordCrypted = (str(b, 'passwordCrypted', 2000) ?? '').trim();
        if (!passwordCrypted) throw invalid('/passwordCrypted', 'required with client-side encryption (only private vaults)');
        const salt = (str(b, 'salt', 500) ?? '').trim();
        const passwordHash = (str(b, 'passwordHash', 500) ?? '').trim();
        for (const [k, v] of Object.entries({ passwordCrypted, salt, passwordHash })) {
          if (!isCleanName(v)) throw invalid(`/${k}`, 'holds characters that are not allowed');
        }
        keys = { passwordCrypted, salt, passwordHash, scope: 'personal' };
      }
      // a vault of a master-password session is end-to-end encrypted, of Passwork's scheme (ADR 0026)
      const v = await c.vaults.createVault(req.ctx, keys ? { name, encryption: 'e2e', e2eScheme: 'master-password' } : { name });
      if (keys) {
        try {
          await storeVaultKeys(c, req.ctx, v.id, keys);
        } catch (e) {
          await c.vaults.deleteVault(req.ctx, v.id, true).catch(() => undefined);
          throw e;
        }
      }
      reply.code(201);
      return ok(v.id, 'vaultCreated');
    },
  });

  app.put('/vaults/:id', {
    config: cfg('passwork.vault.edit'),
    schema: { params: idParams(), response: responses({ 201: strSchema }) },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const id = (req.params as { id: string }).id;
      const name = vaultName(fieldsOf(req.body));
      await c.vaults.updateVault(req.ctx, id, { name });
      // Passwork answers a vault's change as a creation (201), and its Go client checks for it
      reply.code(201);
      return ok(id, 'vaultUpdated');
    },
  });

  app.delete('/vaults/:id', {
    config: cfg('passwork.vault.delete'),
    schema: { params: idParams(), response: responses({ 200: strSchema }) },
    handler: async (req: FastifyRequest) => {
      const id = (req.params as { id: string }).id;
      await c.vaults.deleteVault(req.ctx, id, true);
      return ok(`Vault ${id} deleted`);
    },
  });
}
