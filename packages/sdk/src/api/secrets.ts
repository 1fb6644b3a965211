import { seg, type Transport } from '../transport.ts';
import type {
  CreateSecret,
  CreateTemplate,
  Grant,
  Page,
  Revealed,
  SearchQuery,
  Secret,
  SecretPolicy,
  SecretVersion,
  Share,
  Template,
  UpdateSecret,
  UpdateTemplate,
} from '../types.ts';

/** The ETag of a secret's version, as the server sends it: `"v3"`. */
export function etagOf(secret: Pick<Secret, 'version'>): string {
  return `"v${secret.version}"`;
}

/** An ETag (`"v3"`) or a version number (3). */
export type IfMatch = string | number;

function ifMatchHeader(v: IfMatch | undefined): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  return { 'if-match': typeof v === 'number' ? `"v${v}"` : v };
}

/**
 * Follows `nextCursor` from page to page, yielding every item. Stops at the end, or if the server
 * ever hands back the cursor it was given (so a misbehaving server cannot make it loop forever).
 */
export async function* paginate<T, Q extends { cursor?: string }>(
  fetchPage: (query: Q) => Promise<Page<T>>,
  query: Q,
): AsyncGenerator<T, void, undefined> {
  let cursor = query.cursor;
  for (;;) {
    const page = await fetchPage(cursor === undefined ? query : { ...query, cursor });
    yield* page.items;
    if (page.nextCursor === null || page.nextCursor === cursor) return;
    cursor = page.nextCursor;
  }
}

/** Templates: the field layouts of secrets (built-in and custom). */
export function templatesApi(t: Transport) {
  return {
    list(): Promise<Page<Template>> {
      return t.json({ method: 'GET', path: '/api/v1/templates' });
    },
    /** Creates a custom template (needs `templates.write`). */
    create(input: CreateTemplate): Promise<Template> {
      return t.json({ method: 'POST', path: '/api/v1/templates', body: input });
    },
    /** Changes a custom template; existing secrets stay valid. */
    update(id: string, patch: UpdateTemplate): Promise<Template> {
      return t.json({ method: 'PATCH', path: `/api/v1/templates/${seg(id)}`, body: patch });
    },
  };
}

/**
 * Secrets: typed records whose sensitive fields are encrypted and only returned by `reveal`.
 * Every read and change is audited; a secret you may not see answers `not_found`, exactly like a
 * missing one.
 */
export function secretsApi(t: Transport) {
  const search = (query: SearchQuery = {}): Promise<Page<Secret>> => t.json({ method: 'GET', path: '/api/v1/secrets', query });
  return {
    /**
     * Creates a secret (`edit` on the folder). With an `idempotencyKey` (8..100 of `A-Za-z0-9_.:-`),
     * a retry of the same request answers the secret created the first time instead of a second one.
     */
    create(input: CreateSecret, opts: { idempotencyKey?: string } = {}): Promise<Secret> {
      return t.json({
        method: 'POST',
        path: '/api/v1/secrets',
        body: input,
        headers: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : undefined,
      });
    },
    /** The metadata of a secret (never sensitive values) and its ETag, for `update(…, { ifMatch })`. */
    async get(id: string): Promise<{ secret: Secret; etag: string }> {
      const { body, headers } = await t.jsonWithHeaders<Secret>({ method: 'GET', path: `/api/v1/secrets/${seg(id)}` });
      return { secret: body, etag: headers.get('etag') ?? etagOf(body) };
    },
    /**
     * Changes or moves a secret (`edit`). With `ifMatch` (the ETag from `get`, or a version number)
     * the change is refused with 412 `precondition_failed` when someone changed the secret since.
     */
    update(id: string, patch: UpdateSecret, opts: { ifMatch?: IfMatch } = {}): Promise<Secret> {
      return t.json({ method: 'PATCH', path: `/api/v1/secrets/${seg(id)}`, body: patch, headers: ifMatchHeader(opts.ifMatch) });
    },
    /** Moves a secret to the trash (`edit`). */
    async trash(id: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/secrets/${seg(id)}` });
    },
    /** Restores a secret from the trash. */
    restore(id: string): Promise<Secret> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(id)}/restore` });
    },
    /** Purges a trashed secret for good (`manage`). */
    async purge(id: string): Promise<void> {
      await t.json({ method: 'DELETE', path: `/api/v1/trash/${seg(id)}` });
    },
    /**
     * Reveals sensitive values (`reveal`), all of them or only `fields` (slugs). Give a `reason`
     * when the effective policy requires one (see `policy`); it is written to the audit trail.
     * During your own approved access request or checkout of the secret, its reason is used when
     * you give none. Where the policy requires approval and you hold none, this fails with
     * `secret.approval_required` (ask with `accessRequests.create`).
     */
    reveal(id: string, opts: { reason?: string; fields?: string[] } = {}): Promise<Revealed> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(id)}/reveal`, body: opts });
    },
    /** Versions: who changed what and when (field names only, never values). */
    history(id: string): Promise<Page<SecretVersion>> {
      return t.json({ method: 'GET', path: `/api/v1/secrets/${seg(id)}/history` });
    },
    /** Reveals the values of an old version; audited like `reveal`. */
    revealVersion(id: string, version: number, opts: { reason?: string } = {}): Promise<Revealed> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(id)}/history/${seg(version)}/reveal`, body: opts });
    },
    /** Makes an old version current again (as a new version); `ifMatch` as in `update`. */
    restoreVersion(id: string, version: number, opts: { ifMatch?: IfMatch } = {}): Promise<Secret> {
      return t.json({
        method: 'POST',
        path: `/api/v1/secrets/${seg(id)}/history/${seg(version)}/restore`,
        headers: ifMatchHeader(opts.ifMatch),
      });
    },
    /** Shares a secret with a user (`manage`); it appears in their `sharedWithMe`. */
    share(id: string, input: Share): Promise<Grant> {
      return t.json({ method: 'POST', path: `/api/v1/secrets/${seg(id)}/shares`, body: input });
    },
    /** One page of the secrets you can see, matched on names and searchable fields (never on encrypted values). */
    search,
    /**
     * Every secret matching the query, page after page (`limit` sets the page size). Pages are
     * fetched as the loop asks for them.
     *
     * ```ts
     * for await (const s of coffer.secrets.searchAll({ tag: 'prod' })) console.log(s.path, s.name);
     * ```
     */
    searchAll(query: SearchQuery = {}): AsyncGenerator<Secret, void, undefined> {
      return paginate(search, query);
    },
    /** One page of your inbox: secrets shared to you. */
    sharedWithMe(query: SearchQuery = {}): Promise<Page<Secret>> {
      return t.json({ method: 'GET', path: '/api/v1/shared-with-me', query });
    },
    /** One page of the trashed secrets you can restore. */
    listTrash(query: SearchQuery = {}): Promise<Page<Secret>> {
      return t.json({ method: 'GET', path: '/api/v1/trash', query });
    },
    /** The effective access policy of a secret and the node it comes from. */
    policy(id: string): Promise<SecretPolicy> {
      return t.json({ method: 'GET', path: `/api/v1/secrets/${seg(id)}/policy` });
    },
  };
}
