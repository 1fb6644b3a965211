// The inbox: passwords shared with the caller one by one (Coffer's shares). List, count, open
// (GET or POST /sharing/inbox/{id}: a reveal, and the item is then seen), new-item count, mark all
// seen. An inbox id is the share's id; its password is readable as /passwords/{passwordId} too.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fieldsOf } from './body.ts';
import { PLAIN_ATTACHMENT_KEY } from './codec.ts';
import type { PassworkDeps } from './deps.ts';
import { ok } from './envelope.ts';
import { encryptedSession, requireItemMode } from './keys.ts';
import { byName, ENCRYPTED_TEMPLATE, fullPassword, pathOf, type SecretWire } from './mapper.ts';
import { idParams } from './passwords-read.ts';
import { presentList, reasonOf } from './present.ts';
import { bool, inboxItem, inboxOpened, int, responses } from './schemas.ts';

const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

export function inboxRoutes(app: FastifyInstance, c: PassworkDeps): void {
  app.get('/sharing/inbox/list', {
    config: cfg('passwork.inbox.list'),
    schema: { response: responses({ 200: { type: 'array', items: inboxItem } }) },
    handler: async (req: FastifyRequest) => {
      const { items } = await c.secrets.inbox(req.ctx);
      const passwords = await presentList(
        c,
        req.ctx,
        items.map((i) => i.secret as SecretWire),
        { keepOrder: true },
      );
      // newest share first, as the inbox lists them
      return ok(
        items.map((i, n) => ({
          id: i.id,
          passwordId: i.secret.id,
          vaultId: i.secret.vaultId,
          name: i.secret.name,
          password: passwords[n],
          from: { id: i.sharedBy?.id ?? null, name: i.sharedBy?.username ?? null },
          viewed: i.viewedAt !== null,
          createdAt: i.sharedAt,
          expiredAt: i.expiresAt,
        })),
      );
    },
  });

  app.get('/sharing/inbox/count', {
    config: cfg('passwork.inbox.count'),
    schema: { response: responses({ 200: int }) },
    handler: async (req: FastifyRequest) => ok((await c.secrets.inboxCount(req.ctx)).total),
  });

  app.get('/sharing/inbox/notifications/count', {
    config: cfg('passwork.inbox.notifications_count'),
    schema: { response: responses({ 200: int }) },
    handler: async (req: FastifyRequest) => ok((await c.secrets.inboxCount(req.ctx)).unseen),
  });

  app.post('/sharing/inbox/notifications/mark-as-viewed', {
    config: cfg('passwork.inbox.mark_viewed'),
    schema: { response: responses({ 200: bool }) },
    handler: async (req: FastifyRequest) => {
      await c.secrets.markSharesSeen(req.ctx);
      return ok(true);
    },
  });

  async function open(req: FastifyRequest) {
    const id = (req.params as { id: string }).id;
    fieldsOf(req.body); // {passwordCrypted, silent} of older clients: nothing to store in clear mode
    const encrypted = await encryptedSession(c, req);
    const card = await c.secrets.openShare(req.ctx, id, { reason: reasonOf(req), include: { attachments: true, favorite: true } });
    const s = card.secret as SecretWire;
    requireItemMode(s.template, ENCRYPTED_TEMPLATE, encrypted);
    // the recipient's copy of the item's key: in clear mode a placeholder the clients ignore
    return ok({
      id: card.id,
      passwordId: s.id,
      vaultId: s.vaultId,
      cryptedKey: PLAIN_ATTACHMENT_KEY,
      viewed: true,
      password: fullPassword(s, card.values, {
        favorite: card.favorite ?? false,
        path: pathOf(card.ancestors),
        attachments: [...(card.attachments ?? [])].sort(byName),
      }),
      from: { id: card.sharedBy, name: null },
      createdAt: card.sharedAt,
    });
  }

  for (const method of ['GET', 'POST'] as const) {
    app.route({
      method,
      url: '/sharing/inbox/:id',
      config: cfg('passwork.inbox.get'),
      schema: { params: idParams(), response: responses({ 200: inboxOpened }) },
      handler: async (req: FastifyRequest) => open(req),
    });
  }
}
