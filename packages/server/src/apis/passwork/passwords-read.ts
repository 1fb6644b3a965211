// Reading passwords: one (a reveal), search by text, tags, colours and vault, search by URL,
// recently viewed, favourites, and the passwords directly in a vault or folder. Lists never
// reveal: their items carry no value (`cryptedPassword` is empty).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { bool, fieldsOf, invalid, str, strings } from './body.ts';
import type { PassworkDeps } from './deps.ts';
import { ok } from './envelope.ts';
import { colorName, type SecretWire } from './mapper.ts';
import { presentList, readPassword, searchAll } from './present.ts';
import { password, passwords, responses } from './schemas.ts';

export const idParams = (name = 'id') =>
  ({
    type: 'object',
    properties: { [name]: { type: 'string', minLength: 1, maxLength: 200 } },
    required: [name],
  }) as const;

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

/** The text of a search: Coffer matches it in names, logins, URLs, descriptions, tags and folder paths. */
function hostOf(url: string): string {
  const s = url.trim().toLowerCase();
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//.test(s) ? s : `http://${s}`).hostname;
  } catch {
    return s;
  }
}

export function passwordReadRoutes(app: FastifyInstance, c: PassworkDeps): void {
  app.get('/passwords/:id', {
    config: cfg('passwork.password.get'),
    schema: { params: idParams(), response: responses({ 200: password }) },
    handler: async (req: FastifyRequest) => ok(await readPassword(c, req, (req.params as { id: string }).id)),
  });

  app.post('/passwords/search', {
    config: cfg('passwork.password.search'),
    schema: { response: responses({ 200: passwords }) },
    handler: async (req: FastifyRequest) => {
      const b = fieldsOf(req.body);
      const query = str(b, 'query', 200) ?? '';
      const vaultId = str(b, 'vaultId', 200) || undefined;
      const tags = (strings(b, 'tags', { max: 10, each: 60 }) ?? []).map((t) => t.trim()).filter(Boolean);
      const colors = (strings(b, 'colors', { max: 10, each: 20 }) ?? []).map((x, i) => {
        const name = colorName(x);
        if (name === undefined) throw invalid(`/colors/${i}`, 'not a colour');
        return name;
      });
      const includeShared = bool(b, 'includeShared') ?? false;
      bool(b, 'includeShortcuts'); // Coffer has no shortcuts: accepted, nothing more to include
      const base = {
        ...(query.trim() ? { q: query } : {}),
        ...(vaultId ? { vaultId } : {}),
        ...(colors.filter(Boolean).length ? { color: colors.filter(Boolean) } : {}),
        // without includeShared: only what a vault or folder grant reaches (not shares one by one)
        includeShared,
      };
      // Passwork matches any of the tags; one search per tag, merged
      const found = new Map<string, SecretWire>();
      if (tags.length) {
        for (const tag of tags) for (const s of await searchAll(c, req.ctx, { ...base, tag })) found.set(s.id, s);
      } else {
        for (const s of await searchAll(c, req.ctx, base)) found.set(s.id, s);
      }
      return ok(await presentList(c, req.ctx, [...found.values()]));
    },
  });

  app.post('/passwords/searchByUrl', {
    config: cfg('passwork.password.search_by_url'),
    schema: { response: responses({ 200: passwords }) },
    handler: async (req: FastifyRequest) => {
      const b = fieldsOf(req.body);
      const url = str(b, 'url', 2000);
      if (!url?.trim()) throw invalid('/url', 'required');
      const includeShared = bool(b, 'includeShared') ?? false;
      bool(b, 'includeShortcuts');
      const host = hostOf(url);
      const candidates = await searchAll(c, req.ctx, { q: host, includeShared });
      // the same host or one of its subdomains, by the password's URL
      const hits = candidates.filter((s) => {
        const h = s.fields.url ? hostOf(s.fields.url) : '';
        return h !== '' && (h === host || h.endsWith(`.${host}`) || host.endsWith(`.${h}`));
      });
      return ok(await presentList(c, req.ctx, hits));
    },
  });

  app.get('/passwords/recent', {
    config: cfg('passwork.password.recent'),
    schema: { response: responses({ 200: passwords }) },
    handler: async (req: FastifyRequest) => {
      const { items } = await c.secrets.recent(req.ctx, 30);
      return ok(await presentList(c, req.ctx, items as SecretWire[], { keepOrder: true }));
    },
  });

  for (const url of ['/passwords/favorite', '/passwords/favorites']) {
    app.get(url, {
      config: cfg('passwork.password.favorites'),
      schema: { response: responses({ 200: passwords }) },
      handler: async (req: FastifyRequest) => {
        const { items } = await c.secrets.favorites(req.ctx);
        return ok(await presentList(c, req.ctx, items as SecretWire[]));
      },
    });
  }

  app.get('/vaults/:id/passwords', {
    config: cfg('passwork.vault.passwords'),
    schema: { params: idParams(), response: responses({ 200: passwords }) },
    handler: async (req: FastifyRequest) => {
      const vaultId = (req.params as { id: string }).id;
      // the vault itself first: a missing or hidden one is 404, not an empty list
      await c.vaults.getVault(req.ctx, vaultId);
      return ok(await presentList(c, req.ctx, await searchAll(c, req.ctx, { vaultId, direct: true })));
    },
  });

  app.get('/folders/:id/passwords', {
    config: cfg('passwork.folder.passwords'),
    schema: { params: idParams(), response: responses({ 200: passwords }) },
    handler: async (req: FastifyRequest) => {
      const folderId = (req.params as { id: string }).id;
      const f = await c.vaults.getFolder(req.ctx, folderId);
      if (!f) throw new AppError('not_found', 'No such folder.');
      return ok(await presentList(c, req.ctx, await searchAll(c, req.ctx, { folderId, direct: true })));
    },
  });
}
