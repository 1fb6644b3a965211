// IDOR and tree scope (SECURITY.md: "object by id of someone else", "missing tenant/tree scope",
// "disabled/pending principals keep power", "mass assignment").
//
// Two owners A and B each build a tree: a vault, nested folders (one that breaks inheritance), a
// secret of every built-in template with values, an old version, an attachment, metadata, a comment, a
// grant, a share and trashed secrets. Then every id-taking call of the vaults, folders, grants,
// explain, secrets, attachments, metadata, comments, lookup, bulk, passwords, transfer and remote rotation APIs is replayed
// with the other tree's ids, by the other owner, by an outsider without any grant, through an API
// key, with a disabled and a deleted user's old token, and with an API key used off its address.
// Every answer must read exactly like the answer for nonexistent ids of the same kinds (the other
// ids of the call held as they were), and the store must not change. The route inventory comes
// from the app itself (the `fastify.initialization` diagnostics channel): a route of these APIs
// that takes an id and has no row in the table fails the suite.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { sql } from 'kysely';
import { adminToken, call, createUser, dialects, type Harness, login, type Res, startHarness } from '../test/harness.ts';
import { newId } from './lib/ids.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Ids = Record<string, string>;
type User = Awaited<ReturnType<typeof createUser>>;

interface InventoryRoute {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
}

interface Req {
  method: Method;
  url: string;
  body?: unknown;
  /** Raw bytes sent as application/octet-stream (attachment upload). */
  octet?: Buffer;
}

/**
 * How the call answers a principal who may not see the foreign objects:
 * - hidden: 404 not_found, "No such <kind>."
 * - empty: 200 with an empty page (a filter naming an object you cannot see finds nothing)
 * - bulk: 200, every item failed with not_found
 * - forbidden: 403 whatever the id (a role-gated route over a global catalogue)
 */
type Outcome = 'hidden' | 'empty' | 'bulk' | 'forbidden';

interface Case {
  /** `METHOD /url/:pattern` exactly as the app registers it. */
  route: string;
  name: string;
  outcome?: Outcome;
  /** Principals (by name) the case is for; all by default. */
  only?: string[];
  /** Skip the super-administrator check (the call legitimately answers 404 even for one who sees all). */
  noSuper?: boolean;
  /** The error code one who sees everything gets: the call is live, refused by a later check. */
  superError?: string;
  /** X: the foreign tree's ids and names (or nonexistent stand-ins); O: the caller's own tree. */
  req: (X: Ids, O: Ids) => Req;
}

const ROUTES_IN_SCOPE =
  /^\/api\/v1\/(vaults|folders|grants|access|secrets|shared-with-me|trash|templates|metadata|comments|lookup|passwords|import|export)(\/|$)/;

/** Routes of the APIs in scope that take no id and no name of an object: nothing to replay. */
const NO_FOREIGN_INPUT: Record<string, string> = {
  'POST /api/v1/vaults': 'creates a new root; the only ids in the body are policy approvers (users and groups, not tree objects)',
  'GET /api/v1/vaults': 'lists what the caller sees (checked in "lists show nothing of the other tree")',
  'GET /api/v1/templates': 'the global template catalogue',
  'POST /api/v1/templates': 'creates a global template (role templates.write)',
  'POST /api/v1/passwords/strength': 'takes a password only',
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when the JSON Schema holds a string whose pattern is an opaque id (`xxx_` + 26 chars). */
function takesId(s: unknown, depth = 0): boolean {
  if (depth > 30) return false;
  if (Array.isArray(s)) return s.some((x) => takesId(x, depth + 1));
  if (!isObj(s)) return false;
  if (typeof s.pattern === 'string' && /_\[0-9a-z\]\{26\}/.test(s.pattern)) return true;
  return Object.values(s).some((x) => takesId(x, depth + 1));
}

async function startWithInventory(dialect: (typeof dialects)[number]): Promise<{ h: Harness; routes: InventoryRoute[] }> {
  const routes: InventoryRoute[] = [];
  const onInit = (message: unknown) => {
    const app = (message as { fastify: FastifyInstance }).fastify;
    app.addHook('onRoute', (r: RouteOptions) => {
      for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
        routes.push({ method: String(method).toUpperCase(), url: r.url, schema: r.schema as Record<string, unknown> | undefined });
      }
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    return { h: await startHarness(dialect), routes };
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit);
  }
}

/** Every row of the tables that hold trees, secrets and their parts, in a canonical order. */
const DUMPED = [
  'vaults',
  'folders',
  'tree_paths',
  'grants',
  'templates',
  'secrets',
  'secret_values',
  'secret_versions',
  'secret_tags',
  'idempotency_keys',
  'attachments',
  'attachment_chunks',
  'metadata',
  'secret_comments',
  'rotation_targets',
  'rotation_journal',
];
async function dump(h: Harness): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of DUMPED) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(t)}`.execute(h.database.db);
    out[t] = rows.rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).sort();
  }
  return out;
}

const ATTACHMENT_BYTES = Buffer.from('attachment of the tree, \x00\x01\x02 binary tail');

/** Builds a tree owned by `owner`; `label` makes every name unique to it. */
async function buildTree(h: Harness, admin: string, owner: User, label: string, grantee: User): Promise<Ids> {
  const t = owner.token;
  const ok = async (status: number, p: Promise<Res>) => {
    const r = await p;
    assert.equal(r.status, status, r.raw);
    return r.body;
  };
  const ids: Ids = { userId: owner.id };
  ids.vaultName = `Vault ${label}`;
  ids.vault = (await ok(201, call(h, 'POST', '/api/v1/vaults', { token: t, body: { name: ids.vaultName, description: 'tree' } }))).id;
  ids.f1Name = `Servers-${label}`;
  ids.f2Name = `Linux-${label}`;
  ids.f1 = (await ok(201, call(h, 'POST', '/api/v1/folders', { token: t, body: { vaultId: ids.vault, name: ids.f1Name } }))).id;
  ids.f2 = (
    await ok(201, call(h, 'POST', '/api/v1/folders', { token: t, body: { vaultId: ids.vault, parentId: ids.f1, name: ids.f2Name } }))
  ).id;
  ids.f3 = (
    await ok(
      201,
      call(h, 'POST', '/api/v1/folders', {
        token: t,
        body: { vaultId: ids.vault, parentId: ids.f1, name: `Broken-${label}`, inheritPermissions: false, policy: { requireReason: true } },
      }),
    )
  ).id;
  ids.unixUser = `root-${label.toLowerCase()}`;
  ids.unixHost = `bastion-${label.toLowerCase()}.example`;
  const secrets: Array<[key: string, template: string, folder: string, fields: Record<string, string>]> = [
    [
      'sec',
      'web-login',
      'f2',
      { url: 'https://a.example', username: `web-${label}`, password: `pw-${label}-1`, otp: 'JBSWY3DPEHPK3PXP', notes: 'n' },
    ],
    [
      'unix',
      'unix-account',
      'f2',
      { host: ids.unixHost, port: '22', username: ids.unixUser, password: `unix-${label}`, 'private-key': 'KEY', notes: 'n' },
    ],
    ['win', 'windows-account', 'f2', { host: 'dc01', domain: 'CORP', username: 'adm', password: `win-${label}` }],
    ['db', 'database-account', 'f1', { host: 'db01', port: '5432', database: 'orders', username: 'app', password: `db-${label}` }],
    ['ssh', 'ssh-key', 'f3', { host: 'git', username: 'git', 'private-key': 'PRIV', 'public-key': 'ssh-ed25519 AAAA', passphrase: 'pp' }],
    ['api', 'api-key', 'f2', { url: 'https://api.example', 'key-id': 'kid', secret: `api-${label}` }],
    ['note', 'secure-note', 'vault', { notes: `note-${label}` }],
    [
      'host',
      'host-credential',
      'f2',
      { identifier: `id-${label}`, username: 'svc', password: `host-${label}`, host: 'h1', ip: '10.0.0.1' },
    ],
    ['trash1', 'secure-note', 'f2', { notes: 'to restore' }],
    ['trash2', 'secure-note', 'f2', { notes: 'to purge' }],
  ];
  for (const [key, template, folder, fields] of secrets) {
    const name = `${template} ${key} ${label}`;
    if (key === 'sec') ids.secName = name;
    const body = {
      vaultId: ids.vault,
      ...(folder === 'vault' ? {} : { folderId: ids[folder] }),
      template,
      name,
      fields,
      tags: ['tree'],
      ...(key === 'sec' ? { customFields: [{ name: 'PIN', type: 'password', value: `pin-${label}` }] } : {}),
    };
    ids[key] = (await ok(201, call(h, 'POST', '/api/v1/secrets', { token: t, body }))).id;
  }
  // an old version
  const v2 = await ok(200, call(h, 'PATCH', `/api/v1/secrets/${ids.sec}`, { token: t, body: { fields: { password: `pw-${label}-2` } } }));
  assert.equal(v2.version, 2);
  // an attachment
  const up = await h.app.inject({
    method: 'POST',
    url: `/api/v1/secrets/${ids.unix}/attachments?name=id_rsa.txt`,
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/octet-stream' },
    payload: ATTACHMENT_BYTES,
  });
  assert.equal(up.statusCode, 201, up.body);
  ids.att = up.json().id;
  // metadata on a folder and on a secret
  for (const nodeId of [ids.f1, ids.sec]) {
    await ok(
      200,
      call(h, 'PUT', '/api/v1/metadata', { token: t, body: { nodeId, section: 'ops', name: 'owner', type: 'string', value: label } }),
    );
  }
  // a comment on a secret
  ids.cmt = (await ok(201, call(h, 'POST', `/api/v1/secrets/${ids.sec}/comments`, { token: t, body: { content: `comment ${label}` } }))).id;
  // a grant and a share
  ids.grant = (
    await ok(
      201,
      call(h, 'POST', '/api/v1/grants', {
        token: t,
        body: { nodeId: ids.f1, principalType: 'user', principalId: grantee.id, level: 'reveal' },
      }),
    )
  ).id;
  ids.share = (
    await ok(201, call(h, 'POST', `/api/v1/secrets/${ids.api}/shares`, { token: t, body: { userId: grantee.id, level: 'view' } }))
  ).id;
  // the trash
  for (const k of ['trash1', 'trash2']) assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${ids[k]}`, { token: t })).status, 204);
  // a custom template (a global object: made by the administrator, named after the tree)
  ids.tpl = (
    await ok(
      201,
      call(h, 'POST', '/api/v1/templates', {
        token: admin,
        body: { name: `Tpl ${label}`, slug: `tpl-${label.toLowerCase()}`, fields: [{ name: 'Secret', slug: 'secret', type: 'password' }] },
      }),
    )
  ).id;
  return ids;
}

const csv = 'name,username,password,url,notes,folder\nImported,u,imported-pw,https://x.example,,Sub\n';

/**
 * The replay table: every id-taking route of the APIs in scope, with the ways one can aim it at the
 * other tree. Reads first, then changes, then deletions (the super-administrator check replays it
 * in this order and really performs it).
 */
const CASES: Case[] = [
  // vaults
  { route: 'GET /api/v1/vaults/:id', name: 'read', req: (X) => ({ method: 'GET', url: `/api/v1/vaults/${X.vault}` }) },
  // folders
  {
    route: 'GET /api/v1/folders',
    name: 'children of the vault',
    req: (X) => ({ method: 'GET', url: `/api/v1/folders?vaultId=${X.vault}` }),
  },
  {
    route: 'GET /api/v1/folders',
    name: 'children of a folder',
    req: (X) => ({ method: 'GET', url: `/api/v1/folders?vaultId=${X.vault}&parentId=${X.f1}` }),
  },
  {
    route: 'GET /api/v1/folders',
    name: 'children of a foreign folder under an own vault',
    noSuper: true,
    req: (X, O) => ({ method: 'GET', url: `/api/v1/folders?vaultId=${O.vault}&parentId=${X.f1}` }),
  },
  { route: 'GET /api/v1/folders/:id', name: 'read', req: (X) => ({ method: 'GET', url: `/api/v1/folders/${X.f2}` }) },
  { route: 'GET /api/v1/folders/:id', name: 'read a broken branch', req: (X) => ({ method: 'GET', url: `/api/v1/folders/${X.f3}` }) },
  {
    route: 'GET /api/v1/folders/:id/ancestors',
    name: 'ancestors',
    req: (X) => ({ method: 'GET', url: `/api/v1/folders/${X.f2}/ancestors` }),
  },
  {
    route: 'GET /api/v1/folders/:id/ancestors',
    name: 'ancestors of a broken branch',
    req: (X) => ({ method: 'GET', url: `/api/v1/folders/${X.f3}/ancestors` }),
  },
  // grants and explain
  { route: 'GET /api/v1/grants', name: 'grants of the vault', req: (X) => ({ method: 'GET', url: `/api/v1/grants?nodeId=${X.vault}` }) },
  { route: 'GET /api/v1/grants', name: 'grants of a folder', req: (X) => ({ method: 'GET', url: `/api/v1/grants?nodeId=${X.f1}` }) },
  { route: 'GET /api/v1/grants', name: 'grants of a secret', req: (X) => ({ method: 'GET', url: `/api/v1/grants?nodeId=${X.api}` }) },
  {
    route: 'GET /api/v1/access/explain',
    name: 'explain a vault',
    req: (X) => ({ method: 'GET', url: `/api/v1/access/explain?nodeId=${X.vault}` }),
  },
  {
    route: 'GET /api/v1/access/explain',
    name: 'explain a folder for its owner',
    req: (X) => ({ method: 'GET', url: `/api/v1/access/explain?nodeId=${X.f2}&userId=${X.userId}&action=reveal` }),
  },
  {
    route: 'GET /api/v1/access/explain',
    name: 'explain a secret',
    req: (X) => ({ method: 'GET', url: `/api/v1/access/explain?nodeId=${X.sec}&action=view` }),
  },
  // secrets: reads
  { route: 'GET /api/v1/secrets/:id', name: 'read', req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.sec}` }) },
  { route: 'GET /api/v1/secrets/:id', name: 'read an SSH key', req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.ssh}` }) },
  {
    route: 'GET /api/v1/secrets/:id',
    name: 'read a trashed secret',
    noSuper: true,
    req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.trash1}` }),
  },
  {
    route: 'GET /api/v1/secrets',
    name: 'search in the vault',
    outcome: 'empty',
    req: (X) => ({ method: 'GET', url: `/api/v1/secrets?vaultId=${X.vault}` }),
  },
  {
    route: 'GET /api/v1/secrets',
    name: 'search below a folder',
    outcome: 'empty',
    req: (X) => ({ method: 'GET', url: `/api/v1/secrets?folderId=${X.f1}&includeShared=true` }),
  },
  {
    route: 'GET /api/v1/shared-with-me',
    name: 'inbox filtered by the vault',
    outcome: 'empty',
    noSuper: true, // the super-administrator has no shares either
    req: (X) => ({ method: 'GET', url: `/api/v1/shared-with-me?vaultId=${X.vault}` }),
  },
  {
    route: 'GET /api/v1/trash',
    name: 'trash of the vault',
    outcome: 'empty',
    req: (X) => ({ method: 'GET', url: `/api/v1/trash?vaultId=${X.vault}` }),
  },
  { route: 'GET /api/v1/secrets/:id/policy', name: 'policy', req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.ssh}/policy` }) },
  { route: 'GET /api/v1/secrets/:id/history', name: 'history', req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.sec}/history` }) },
  {
    route: 'GET /api/v1/secrets/:id/access-policy',
    name: 'effective access policy',
    req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.sec}/access-policy` }),
  },
  {
    route: 'POST /api/v1/secrets/:id/checkout',
    name: 'check out',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/checkout`, body: { reason: 'INC-2', durationMinutes: 5 } }),
  },
  {
    route: 'POST /api/v1/secrets/:id/checkin',
    name: 'check in (or force)',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/checkin`, body: { reason: 'done' } }),
  },
  {
    route: 'POST /api/v1/secrets/:id/rotate',
    name: 'rotate',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/rotate`, body: { reason: 'rotate' } }),
  },
  {
    route: 'POST /api/v1/secrets/:id/password',
    name: 'set the password',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/password`, body: { password: 'planted-Password-1!', reason: 'set' } }),
  },
  // E2E readers and messages (modules/e2e): the trees are server-encrypted, so one who sees
  // everything reaches the check that refuses them (409 conflict: not an E2E secret or vault)
  {
    route: 'GET /api/v1/secrets/:id/readers',
    name: 'readers of a foreign secret',
    superError: 'conflict',
    req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.sec}/readers` }),
  },
  {
    route: 'PUT /api/v1/secrets/:id/messages',
    name: 'messages for a foreign secret',
    superError: 'conflict',
    req: (X) => ({ method: 'PUT', url: `/api/v1/secrets/${X.sec}/messages`, body: { messages: [] } }),
  },
  {
    route: 'GET /api/v1/vaults/:id/readers',
    name: 'readers of a foreign vault',
    superError: 'conflict',
    req: (X) => ({ method: 'GET', url: `/api/v1/vaults/${X.vault}/readers` }),
  },
  {
    route: 'GET /api/v1/vaults/:id/readers',
    name: 'readers of a foreign folder under a foreign vault',
    superError: 'conflict',
    req: (X) => ({ method: 'GET', url: `/api/v1/vaults/${X.vault}/readers?folderId=${X.f1}` }),
  },
  // remote rotation (modules/rotation); loopback is not on this harness's outbound allowlist, so
  // even the super-administrator's replay stores no target (400 rotation.target_refused)
  {
    route: 'PUT /api/v1/secrets/:id/rotation-target',
    name: 'give a foreign secret a rotation target',
    superError: 'rotation.target_refused',
    req: (X) => ({ method: 'PUT', url: `/api/v1/secrets/${X.unix}/rotation-target`, body: { kind: 'ssh', host: '127.0.0.1' } }),
  },
  {
    route: 'PUT /api/v1/secrets/:id/rotation-target',
    name: 'a foreign secret as the privileged account of an own one',
    noSuper: true,
    req: (X, O) => ({
      method: 'PUT',
      url: `/api/v1/secrets/${O.unix}/rotation-target`,
      body: { kind: 'ssh', host: '127.0.0.1', privilegedSecretId: X.unix },
    }),
  },
  {
    route: 'DELETE /api/v1/secrets/:id/rotation-target',
    name: 'remove the rotation target',
    noSuper: true, // the trees' secrets have no target: 404 for one who sees everything too
    req: (X) => ({ method: 'DELETE', url: `/api/v1/secrets/${X.unix}/rotation-target` }),
  },
  {
    route: 'GET /api/v1/secrets/:id/rotation',
    name: 'rotation status',
    noSuper: true, // no target: 404 for one who sees everything too
    req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.unix}/rotation` }),
  },
  {
    route: 'POST /api/v1/secrets/:id/rotation/verify',
    name: 'verify (dry run)',
    noSuper: true, // no target: 404 for one who sees everything too
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.unix}/rotation/verify` }),
  },
  {
    route: 'POST /api/v1/secrets/:id/rotation/abandon',
    name: 'abandon a stuck rotation',
    noSuper: true, // no open rotation: refused for one who sees everything too
    req: (X) => ({
      method: 'POST',
      url: `/api/v1/secrets/${X.unix}/rotation/abandon`,
      body: { keep: 'current', reason: 'idor', currentPassword: 'not-the-password' },
    }),
  },
  {
    route: 'POST /api/v1/secrets/:id/reveal',
    name: 'reveal',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/reveal`, body: {} }),
  },
  {
    route: 'POST /api/v1/secrets/:id/reveal',
    name: 'reveal with a reason and fields',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.ssh}/reveal`, body: { reason: 'INC-1', fields: ['private-key'] } }),
  },
  {
    route: 'POST /api/v1/secrets/:id/history/:version/reveal',
    name: 'reveal the old version',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/history/1/reveal`, body: { reason: 'audit' } }),
  },
  {
    route: 'POST /api/v1/secrets/:id/history/:version/reveal',
    name: 'reveal a version that does not exist',
    noSuper: true,
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/history/99/reveal`, body: {} }),
  },
  // attachments: reads
  {
    route: 'GET /api/v1/secrets/:id/attachments',
    name: 'list',
    req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.unix}/attachments` }),
  },
  {
    route: 'GET /api/v1/secrets/:id/attachments/:attachmentId',
    name: 'download',
    req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.unix}/attachments/${X.att}?reason=x` }),
  },
  {
    route: 'GET /api/v1/secrets/:id/attachments/:attachmentId',
    name: 'download a foreign attachment through an own secret',
    noSuper: true,
    req: (X, O) => ({ method: 'GET', url: `/api/v1/secrets/${O.unix}/attachments/${X.att}` }),
  },
  // metadata: read
  { route: 'GET /api/v1/metadata', name: 'of a folder', req: (X) => ({ method: 'GET', url: `/api/v1/metadata?nodeId=${X.f1}` }) },
  { route: 'GET /api/v1/metadata', name: 'of a secret', req: (X) => ({ method: 'GET', url: `/api/v1/metadata?nodeId=${X.sec}` }) },
  { route: 'GET /api/v1/metadata', name: 'of the vault', req: (X) => ({ method: 'GET', url: `/api/v1/metadata?nodeId=${X.vault}` }) },
  // comments: read
  { route: 'GET /api/v1/secrets/:id/comments', name: 'list', req: (X) => ({ method: 'GET', url: `/api/v1/secrets/${X.sec}/comments` }) },
  // lookups by name
  {
    route: 'GET /api/v1/lookup/folder',
    name: 'folder by path',
    req: (X) => ({ method: 'GET', url: `/api/v1/lookup/folder?vault=${enc(X.vaultName)}&path=${enc(`/${X.f1Name}/${X.f2Name}`)}` }),
  },
  {
    route: 'GET /api/v1/lookup/folder',
    name: 'vault top by name',
    req: (X) => ({ method: 'GET', url: `/api/v1/lookup/folder?vault=${enc(X.vaultName)}&path=%2F` }),
  },
  {
    route: 'GET /api/v1/lookup/secret',
    name: 'secret by path and name',
    req: (X) => ({
      method: 'GET',
      url: `/api/v1/lookup/secret?vault=${enc(X.vaultName)}&path=${enc(`\\${X.f1Name}\\${X.f2Name}`)}&name=${enc(X.secName)}`,
    }),
  },
  {
    route: 'GET /api/v1/lookup/pmp',
    name: 'PMP resource and account',
    req: (X) => ({ method: 'GET', url: `/api/v1/lookup/pmp?resourceName=${enc(X.f2Name)}&accountName=${enc(X.unixUser)}` }),
  },
  {
    route: 'GET /api/v1/lookup/credential',
    name: 'username@hostname',
    req: (X) => ({ method: 'GET', url: `/api/v1/lookup/credential?identifier=${enc(`${X.unixUser}@${X.unixHost}`)}` }),
  },
  // passwords under a foreign policy
  {
    route: 'POST /api/v1/passwords/generate',
    name: 'at a vault',
    req: (X) => ({ method: 'POST', url: '/api/v1/passwords/generate', body: { vaultId: X.vault } }),
  },
  {
    route: 'POST /api/v1/passwords/generate',
    name: 'at a folder',
    req: (X) => ({ method: 'POST', url: '/api/v1/passwords/generate', body: { folderId: X.f2, count: 2 } }),
  },
  {
    route: 'POST /api/v1/passwords/generate',
    name: 'at a foreign folder said to be in an own vault',
    noSuper: true,
    req: (X, O) => ({ method: 'POST', url: '/api/v1/passwords/generate', body: { vaultId: O.vault, folderId: X.f2 } }),
  },
  // export and a dry-run import
  {
    route: 'POST /api/v1/export',
    name: 'the vault',
    req: (X) => ({ method: 'POST', url: '/api/v1/export', body: { vaultId: X.vault, passphrase: 'export-passphrase-1234', reason: 'r' } }),
  },
  {
    route: 'POST /api/v1/export',
    name: 'a folder',
    req: (X) => ({
      method: 'POST',
      url: '/api/v1/export',
      body: { vaultId: X.vault, folderId: X.f2, passphrase: 'export-passphrase-1234' },
    }),
  },
  {
    route: 'POST /api/v1/import',
    name: 'dry run into the vault',
    req: (X) => ({ method: 'POST', url: '/api/v1/import', body: { format: 'csv', content: csv, vaultId: X.vault, dryRun: true } }),
  },
  // changes
  {
    route: 'POST /api/v1/secrets/:id/comments',
    name: 'comment on a foreign secret',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/comments`, body: { content: 'pwned' } }),
  },
  {
    route: 'PATCH /api/v1/comments/:id',
    name: 'edit a foreign comment',
    superError: 'forbidden', // one who sees everything is still not its author
    req: (X) => ({ method: 'PATCH', url: `/api/v1/comments/${X.cmt}`, body: { content: 'pwned' } }),
  },
  {
    route: 'PATCH /api/v1/vaults/:id',
    name: 'rename',
    req: (X) => ({ method: 'PATCH', url: `/api/v1/vaults/${X.vault}`, body: { name: `pwned ${X.vault}` } }),
  },
  {
    route: 'PATCH /api/v1/vaults/:id',
    name: 'drop the reason policy',
    req: (X) => ({ method: 'PATCH', url: `/api/v1/vaults/${X.vault}`, body: { policy: { requireReason: false } } }),
  },
  {
    route: 'POST /api/v1/folders',
    name: 'at the top of the vault',
    req: (X) => ({ method: 'POST', url: '/api/v1/folders', body: { vaultId: X.vault, name: 'planted' } }),
  },
  {
    route: 'POST /api/v1/folders',
    name: 'under a folder, breaking inheritance',
    req: (X) => ({
      method: 'POST',
      url: '/api/v1/folders',
      body: { vaultId: X.vault, parentId: X.f1, name: 'planted-2', inheritPermissions: false },
    }),
  },
  {
    route: 'POST /api/v1/folders',
    name: 'under a foreign folder said to be in an own vault',
    noSuper: true,
    req: (X, O) => ({ method: 'POST', url: '/api/v1/folders', body: { vaultId: O.vault, parentId: X.f1, name: 'planted-3' } }),
  },
  {
    route: 'PATCH /api/v1/folders/:id',
    name: 'rename',
    req: (X) => ({ method: 'PATCH', url: `/api/v1/folders/${X.f2}`, body: { name: 'renamed' } }),
  },
  {
    route: 'PATCH /api/v1/folders/:id',
    name: 'restore inheritance of the broken branch',
    req: (X) => ({ method: 'PATCH', url: `/api/v1/folders/${X.f3}`, body: { inheritPermissions: true } }),
  },
  {
    route: 'PATCH /api/v1/folders/:id',
    name: 'move an own folder into the foreign vault',
    req: (X, O) => ({ method: 'PATCH', url: `/api/v1/folders/${O.f2}`, body: { vaultId: X.vault, parentId: null } }),
  },
  {
    route: 'PATCH /api/v1/folders/:id',
    name: 'move an own folder under a foreign folder',
    req: (X, O) => ({ method: 'PATCH', url: `/api/v1/folders/${O.f3}`, body: { vaultId: X.vault, parentId: X.f1 } }),
  },
  {
    route: 'PATCH /api/v1/folders/:id',
    name: 'move a foreign folder into an own vault',
    req: (X, O) => ({ method: 'PATCH', url: `/api/v1/folders/${X.f3}`, body: { vaultId: O.vault, parentId: null } }),
  },
  {
    route: 'POST /api/v1/grants',
    name: 'manage on the vault for oneself',
    req: (X, O) => ({
      method: 'POST',
      url: '/api/v1/grants',
      body: { nodeId: X.vault, principalType: 'user', principalId: O.userId, level: 'manage' },
    }),
  },
  {
    route: 'POST /api/v1/grants',
    name: 'reveal on the broken branch',
    req: (X, O) => ({
      method: 'POST',
      url: '/api/v1/grants',
      body: { nodeId: X.f3, principalType: 'user', principalId: O.userId, level: 'reveal' },
    }),
  },
  {
    route: 'POST /api/v1/grants',
    name: 'on a secret',
    req: (X, O) => ({
      method: 'POST',
      url: '/api/v1/grants',
      body: { nodeId: X.sec, principalType: 'user', principalId: O.userId, level: 'reveal' },
    }),
  },
  {
    route: 'POST /api/v1/secrets/:id/shares',
    name: 'share to oneself',
    req: (X, O) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/shares`, body: { userId: O.userId, level: 'manage' } }),
  },
  {
    route: 'POST /api/v1/secrets',
    name: 'create at the vault top',
    req: (X) => ({
      method: 'POST',
      url: '/api/v1/secrets',
      body: { vaultId: X.vault, template: 'secure-note', name: 'planted', fields: { notes: 'x' } },
    }),
  },
  {
    route: 'POST /api/v1/secrets',
    name: 'create in a folder',
    req: (X) => ({
      method: 'POST',
      url: '/api/v1/secrets',
      body: { vaultId: X.vault, folderId: X.f2, template: 'secure-note', name: 'planted', fields: { notes: 'x' } },
    }),
  },
  {
    route: 'POST /api/v1/secrets',
    name: 'create in a foreign folder said to be in an own vault',
    noSuper: true,
    req: (X, O) => ({
      method: 'POST',
      url: '/api/v1/secrets',
      body: { vaultId: O.vault, folderId: X.f2, template: 'secure-note', name: 'planted', fields: { notes: 'x' } },
    }),
  },
  {
    route: 'PATCH /api/v1/secrets/:id',
    name: 'change the password',
    req: (X) => ({ method: 'PATCH', url: `/api/v1/secrets/${X.sec}`, body: { fields: { password: 'pwned' } } }),
  },
  {
    route: 'PATCH /api/v1/secrets/:id',
    name: 'move an own secret into a foreign folder',
    req: (X, O) => ({ method: 'PATCH', url: `/api/v1/secrets/${O.note}`, body: { vaultId: X.vault, folderId: X.f2 } }),
  },
  {
    route: 'PATCH /api/v1/secrets/:id',
    name: 'move an own secret to a foreign vault top',
    req: (X, O) => ({ method: 'PATCH', url: `/api/v1/secrets/${O.win}`, body: { vaultId: X.vault } }),
  },
  {
    route: 'PATCH /api/v1/secrets/:id',
    name: 'move a foreign secret into an own vault',
    req: (X, O) => ({ method: 'PATCH', url: `/api/v1/secrets/${X.db}`, body: { vaultId: O.vault, folderId: null } }),
  },
  {
    route: 'POST /api/v1/secrets/:id/history/:version/restore',
    name: 'restore the old version',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.sec}/history/1/restore` }),
  },
  {
    route: 'POST /api/v1/secrets/:id/restore',
    name: 'restore from the trash',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.trash1}/restore` }),
  },
  {
    route: 'POST /api/v1/secrets/:id/restore',
    name: 'restore a live secret',
    noSuper: true,
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.host}/restore` }),
  },
  {
    route: 'POST /api/v1/secrets/:id/attachments',
    name: 'upload',
    req: (X) => ({ method: 'POST', url: `/api/v1/secrets/${X.unix}/attachments?name=planted.txt`, octet: Buffer.from('planted') }),
  },
  {
    route: 'PUT /api/v1/metadata',
    name: 'set on a folder',
    req: (X) => ({
      method: 'PUT',
      url: '/api/v1/metadata',
      body: { nodeId: X.f1, section: 'ops', name: 'owner', type: 'string', value: 'x' },
    }),
  },
  {
    route: 'PUT /api/v1/metadata',
    name: 'set on a secret',
    req: (X) => ({
      method: 'PUT',
      url: '/api/v1/metadata',
      body: { nodeId: X.sec, section: 'ops', name: 'new', type: 'boolean', value: true },
    }),
  },
  {
    route: 'PUT /api/v1/metadata',
    name: 'set on the vault',
    req: (X) => ({ method: 'PUT', url: '/api/v1/metadata', body: { nodeId: X.vault, section: 's', name: 'n', type: 'number', value: 1 } }),
  },
  {
    route: 'POST /api/v1/import',
    name: 'into a folder',
    req: (X) => ({ method: 'POST', url: '/api/v1/import', body: { format: 'csv', content: csv, vaultId: X.vault, folderId: X.f2 } }),
  },
  {
    route: 'POST /api/v1/import',
    name: 'into a foreign folder said to be in an own vault',
    noSuper: true,
    req: (X, O) => ({ method: 'POST', url: '/api/v1/import', body: { format: 'csv', content: csv, vaultId: O.vault, folderId: X.f2 } }),
  },
  {
    route: 'POST /api/v1/secrets/bulk/create',
    name: 'into the foreign vault and folder',
    outcome: 'bulk',
    req: (X) => ({
      method: 'POST',
      url: '/api/v1/secrets/bulk/create',
      body: {
        items: [
          { vaultId: X.vault, template: 'secure-note', name: 'b1', fields: { notes: 'x' } },
          { vaultId: X.vault, folderId: X.f1, template: 'secure-note', name: 'b2', fields: { notes: 'x' } },
        ],
      },
    }),
  },
  {
    route: 'POST /api/v1/secrets/bulk/move',
    name: 'foreign secrets into an own vault',
    outcome: 'bulk',
    req: (X, O) => ({ method: 'POST', url: '/api/v1/secrets/bulk/move', body: { ids: [X.win, X.host], vaultId: O.vault } }),
  },
  {
    route: 'POST /api/v1/secrets/bulk/move',
    name: 'own secrets into a foreign folder',
    outcome: 'bulk',
    req: (X, O) => ({ method: 'POST', url: '/api/v1/secrets/bulk/move', body: { ids: [O.db, O.api], vaultId: X.vault, folderId: X.f2 } }),
  },
  {
    route: 'POST /api/v1/secrets/bulk/share',
    name: 'foreign secrets to oneself',
    outcome: 'bulk',
    req: (X, O) => ({
      method: 'POST',
      url: '/api/v1/secrets/bulk/share',
      body: { ids: [X.sec, X.ssh], userId: O.userId, level: 'manage' },
    }),
  },
  {
    route: 'PATCH /api/v1/templates/:id',
    name: 'a global template, without templates.write',
    outcome: 'forbidden',
    only: ['A session', 'C session (no grants)'],
    req: (X) => ({ method: 'PATCH', url: `/api/v1/templates/${X.tpl}`, body: { name: 'pwned' } }),
  },
  // deletions
  {
    route: 'DELETE /api/v1/comments/:id',
    name: 'delete a foreign comment',
    req: (X) => ({ method: 'DELETE', url: `/api/v1/comments/${X.cmt}` }),
  },
  {
    route: 'DELETE /api/v1/secrets/:id/attachments/:attachmentId',
    name: 'delete an attachment',
    req: (X) => ({ method: 'DELETE', url: `/api/v1/secrets/${X.unix}/attachments/${X.att}` }),
  },
  {
    route: 'DELETE /api/v1/secrets/:id/attachments/:attachmentId',
    name: 'delete a foreign attachment through an own secret',
    noSuper: true,
    req: (X, O) => ({ method: 'DELETE', url: `/api/v1/secrets/${O.unix}/attachments/${X.att}` }),
  },
  {
    route: 'DELETE /api/v1/metadata',
    name: 'delete from a folder',
    req: (X) => ({ method: 'DELETE', url: '/api/v1/metadata', body: { nodeId: X.f1, section: 'ops', name: 'owner' } }),
  },
  {
    route: 'DELETE /api/v1/grants/:id',
    name: 'revoke a folder grant',
    req: (X) => ({ method: 'DELETE', url: `/api/v1/grants/${X.grant}` }),
  },
  {
    route: 'DELETE /api/v1/grants/:id',
    name: 'revoke a share',
    req: (X) => ({ method: 'DELETE', url: `/api/v1/grants/${X.share}` }),
  },
  {
    route: 'POST /api/v1/secrets/bulk/delete',
    name: 'trash foreign secrets',
    outcome: 'bulk',
    req: (X) => ({ method: 'POST', url: '/api/v1/secrets/bulk/delete', body: { ids: [X.win, X.api] } }),
  },
  { route: 'DELETE /api/v1/secrets/:id', name: 'trash', req: (X) => ({ method: 'DELETE', url: `/api/v1/secrets/${X.db}` }) },
  { route: 'DELETE /api/v1/trash/:id', name: 'purge', req: (X) => ({ method: 'DELETE', url: `/api/v1/trash/${X.trash2}` }) },
  {
    route: 'DELETE /api/v1/trash/:id',
    name: 'purge a live secret',
    noSuper: true,
    req: (X) => ({ method: 'DELETE', url: `/api/v1/trash/${X.sec}` }),
  },
  {
    route: 'DELETE /api/v1/folders/:id',
    name: 'delete recursively',
    req: (X) => ({ method: 'DELETE', url: `/api/v1/folders/${X.f3}?recursive=true` }),
  },
  {
    route: 'DELETE /api/v1/vaults/:id',
    name: 'delete',
    req: (X) => ({ method: 'DELETE', url: `/api/v1/vaults/${X.vault}?recursive=true` }),
  },
];

function enc(s: string | undefined): string {
  return encodeURIComponent(s as string);
}

const NOT_FOUND_MESSAGES = new Set([
  'No such vault.',
  'No such folder.',
  'No such secret.',
  'No such grant.',
  'No such object.',
  'No such attachment.',
  'No such comment.',
  'No such resource or account.',
]);

/** A nonexistent stand-in of the same kind: an id with the same prefix, or an unused name. */
function standIn(value: string): string {
  const m = /^([a-z]{3})_[0-9a-z]{26}$/.exec(value);
  if (m) return newId(m[1] as string);
  return `nx-${newId('nxn').slice(4, 16)}`;
}

/** Ids read through this proxy are recorded, so a case's foreign inputs need no declaration. */
function recording(ids: Ids, used: Set<string>): Ids {
  return new Proxy(ids, {
    get(target, key) {
      if (typeof key === 'string') {
        if (!(key in target)) throw new Error(`the tree has no "${key}"`);
        used.add(key);
      }
      return Reflect.get(target, key);
    },
  });
}

interface Answer {
  status: number;
  body: unknown;
}

interface Principal {
  name: string;
  token: string;
  ip?: string;
  foreign: Ids;
  own: Ids;
  /** hidden: sees nothing of `foreign`; 401: the credential is dead or used off its address. */
  expect: 'hidden' | 401;
}

for (const dialect of dialects) {
  describe(`another tree's ids answer like missing ones, and change nothing [${dialect}]`, () => {
    let h: Harness;
    let inventory: InventoryRoute[];
    let admin: string;
    let A: Ids;
    let B: Ids;
    let superAdmin: User;
    const principals: Principal[] = [];
    /** Every error body received, for the canary-style check that none names a foreign id's owner. */
    const answers: string[] = [];

    async function send(token: string, r: Req, ip?: string): Promise<Answer> {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      let payload: string | Buffer | undefined;
      if (r.octet) {
        headers['content-type'] = 'application/octet-stream';
        payload = r.octet;
      } else if (r.body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(r.body);
      }
      const res = await h.app.inject({
        method: r.method,
        url: r.url,
        headers,
        ...(payload !== undefined ? { payload } : {}),
        remoteAddress: ip ?? '127.0.0.1',
      });
      let body: unknown = res.body;
      try {
        body = JSON.parse(res.body);
      } catch {
        // binary (a download)
      }
      if (res.statusCode >= 400) answers.push(res.body);
      // the request id differs per request by design; everything else must be the same
      if (isObj(body) && isObj(body.error)) body = { ...body, error: { ...body.error, requestId: '<request id>' } };
      return { status: res.statusCode, body };
    }

    before(async () => {
      const r = await startWithInventory(dialect);
      h = r.h;
      inventory = r.routes;
      admin = await adminToken(h);
      const ownerA = await createUser(h, admin, 'password_user');
      const ownerB = await createUser(h, admin, 'password_administrator');
      const outsider = await createUser(h, admin, 'password_user');
      const grantee = await createUser(h, admin, 'password_user');
      const toDisable = await createUser(h, admin, 'password_user');
      const toDelete = await createUser(h, admin, 'password_user');
      superAdmin = await createUser(h, admin, 'administrator', { allPasswords: true });
      A = await buildTree(h, admin, ownerA, 'A', grantee);
      B = await buildTree(h, admin, ownerB, 'B', grantee);

      // D and F had manage on A's vault; their old tokens must die with the account
      for (const u of [toDisable, toDelete]) {
        const g = await call(h, 'POST', '/api/v1/grants', {
          token: ownerA.token,
          body: { nodeId: A.vault, principalType: 'user', principalId: u.id, level: 'manage' },
        });
        assert.equal(g.status, 201, g.raw);
        const seen = await call(h, 'POST', `/api/v1/secrets/${A.sec}/reveal`, { token: u.token, body: {} });
        assert.equal(seen.status, 200, 'the grant works before the account goes');
      }
      assert.equal((await call(h, 'POST', `/api/v1/users/${toDisable.id}/disable`, { token: admin })).status, 200);
      assert.equal((await call(h, 'DELETE', `/api/v1/users/${toDelete.id}`, { token: admin })).status, 204);

      // B's API key on its own address; A's API key bound to another address
      const bKey = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: ownerB.token,
        body: {
          name: 'b-ci',
          allowedCidrs: ['127.0.0.1'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: ownerB.password,
        },
      });
      assert.equal(bKey.status, 201, bKey.raw);
      const aKey = await call(h, 'POST', '/api/v1/me/api-keys', {
        token: ownerA.token,
        body: {
          name: 'a-ci',
          allowedCidrs: ['10.20.30.40/32'],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          currentPassword: ownerA.password,
        },
      });
      assert.equal(aKey.status, 201, aKey.raw);
      const onHost = await send(aKey.body.key, { method: 'GET', url: `/api/v1/secrets/${A.sec}` }, '10.20.30.40');
      assert.equal(onHost.status, 200, 'the key works from its address');
      // a second session of B, so the API key and the session are separate credentials
      const bSession = await login(h, ownerB.username, ownerB.password);

      principals.push(
        { name: 'B session', token: bSession.accessToken, foreign: A, own: B, expect: 'hidden' },
        { name: 'A session', token: ownerA.token, foreign: B, own: A, expect: 'hidden' },
        { name: 'C session (no grants)', token: outsider.token, foreign: A, own: B, expect: 'hidden' },
        { name: 'B API key on its address', token: bKey.body.key, foreign: A, own: B, expect: 'hidden' },
        { name: 'disabled user (old token)', token: toDisable.token, foreign: A, own: B, expect: 401 },
        { name: 'deleted user (old token)', token: toDelete.token, foreign: A, own: B, expect: 401 },
        { name: 'A API key off its address', token: aKey.body.key, foreign: A, own: A, expect: 401 },
      );
    });
    after(async () => h?.close());

    it('has a replay row for every route of these APIs that takes an id or a name', () => {
      const gets = new Set(inventory.filter((r) => r.method === 'GET').map((r) => r.url));
      const inScope = inventory.filter((r) => ROUTES_IN_SCOPE.test(r.url) && !(r.method === 'HEAD' && gets.has(r.url)));
      assert.ok(inScope.length >= 45, `found ${inScope.length} routes in scope`);
      const covered = new Set(CASES.map((c) => c.route));
      const missing: string[] = [];
      for (const r of inScope) {
        const key = `${r.method} ${r.url}`;
        const s = r.schema ?? {};
        const foreignInput = r.url.includes('/:') || takesId(s.body) || takesId(s.querystring) || r.url.startsWith('/api/v1/lookup/');
        if (covered.has(key)) continue;
        if (foreignInput && !(key in NO_FOREIGN_INPUT)) missing.push(`${key} takes an id or a name and has no replay row`);
        else if (!(key in NO_FOREIGN_INPUT)) missing.push(`${key} is neither replayed nor listed in NO_FOREIGN_INPUT`);
      }
      const known = new Set(inScope.map((r) => `${r.method} ${r.url}`));
      for (const key of [...covered, ...Object.keys(NO_FOREIGN_INPUT)])
        if (!known.has(key)) missing.push(`${key} is not a route of the app`);
      assert.deepEqual(missing, []);
    });

    it('every principal gets, for every foreign id, exactly the answer a nonexistent id gets; the store does not change', async () => {
      const beforeDump = await dump(h);
      const problems: string[] = [];
      let calls = 0;
      for (const p of principals) {
        const fakes: Ids = {};
        for (const [k, v] of Object.entries(p.foreign)) fakes[k] = standIn(v);
        for (const c of CASES) {
          if (c.only && !c.only.includes(p.name)) continue;
          if (!c.only && c.outcome === 'forbidden') continue;
          const where = `${p.name}: ${c.route} (${c.name})`;
          const used = new Set<string>();
          const attackReq = c.req(recording(p.foreign, used), p.own);
          assert.ok(used.size > 0, `${c.route} (${c.name}) uses a foreign id or name`);
          const attack = await send(p.token, attackReq, p.ip);
          calls++;
          // stand-ins: all foreign inputs missing, then each one missing alone (the others real)
          const variants: Array<[string, Ids]> = [['all stand-ins', { ...p.foreign, ...pick(fakes, used) }]];
          if (used.size > 1) for (const k of used) variants.push([`stand-in ${k}`, { ...p.foreign, [k]: fakes[k] as string }]);
          for (const [label, X] of variants) {
            const control = await send(p.token, c.req(X, p.own), p.ip);
            calls++;
            if (JSON.stringify(attack) !== JSON.stringify(control)) {
              problems.push(
                `${where}: differs from ${label}: ${JSON.stringify(attack).slice(0, 300)} vs ${JSON.stringify(control).slice(0, 300)}`,
              );
            }
          }
          const problem = judge(p.expect === 401 ? 401 : (c.outcome ?? 'hidden'), attack);
          if (problem) problems.push(`${where}: ${problem}`);
        }
      }
      assert.deepEqual(problems, []);
      assert.ok(calls > 600, `replayed ${calls} calls`);
      const afterDump = await dump(h);
      for (const t of DUMPED) assert.deepEqual(afterDump[t], beforeDump[t], `table ${t} unchanged`);
      assert.ok(beforeDump.secret_values!.length >= 20 && beforeDump.attachment_chunks!.length >= 2, 'the dump sees both trees');
    });

    it('lists and searches show nothing of the other tree', async () => {
      const aNeedles = Object.entries(A)
        .filter(([k]) => k !== 'userId' && k !== 'tpl')
        .map(([, v]) => v);
      for (const p of principals.filter((x) => x.expect === 'hidden' && x.foreign === A)) {
        for (const url of [
          '/api/v1/vaults',
          '/api/v1/secrets?limit=500',
          '/api/v1/secrets?q=tree&limit=500',
          '/api/v1/shared-with-me',
          '/api/v1/trash',
          `/api/v1/folders?vaultId=${B.vault}`,
          `/api/v1/folders?vaultId=${B.vault}&parentId=${B.f1}`,
        ]) {
          const r = await send(p.token, { method: 'GET', url });
          assert.ok(r.status === 200 || (r.status === 404 && p.name.startsWith('C')), `${p.name} ${url}: ${r.status}`);
          const text = JSON.stringify(r.body);
          for (const n of aNeedles) assert.ok(!text.includes(n), `${p.name} ${url} shows ${n}`);
        }
      }
      // the super-administrator sees A's tree in the same lists: the needles are real
      const all = JSON.stringify((await send(superAdmin.token, { method: 'GET', url: '/api/v1/secrets?limit=500' })).body);
      assert.ok(all.includes(A.sec as string) && all.includes(B.sec as string));
    });

    it('mass assignment: extra privileged fields are refused with 400 and change nothing', async () => {
      const bToken = principals.find((p) => p.name === 'B session')?.token as string;
      const note = { vaultId: B.vault, template: 'secure-note', name: 'mass', fields: { notes: 'x' } };
      const grant = { nodeId: B.vault, principalType: 'user', principalId: A.userId, level: 'view' };
      const attempts: Array<[Method, string, unknown, string]> = [
        ['POST', '/api/v1/vaults', { name: 'mass-1', owner: A.userId }, 'body/owner'],
        ['POST', '/api/v1/vaults', { name: 'mass-2', createdBy: A.userId }, 'body/createdBy'],
        ['POST', '/api/v1/vaults', { name: 'mass-3', level: 'manage' }, 'body/level'],
        ['POST', '/api/v1/vaults', { name: 'mass-4', myLevel: 'manage' }, 'body/myLevel'],
        ['POST', '/api/v1/vaults', { name: 'mass-5', id: newId('vlt') }, 'body/id'],
        ['POST', '/api/v1/vaults', { name: 'mass-6', policy: { requireReason: false, approved: true } }, 'body/policy/approved'],
        ['PATCH', `/api/v1/vaults/${B.vault}`, { name: 'x', createdBy: A.userId }, 'body/createdBy'],
        ['PATCH', `/api/v1/vaults/${B.vault}`, { id: A.vault }, 'body/id'],
        ['PATCH', `/api/v1/vaults/${B.vault}`, { vaultId: A.vault }, 'body/vaultId'],
        ['PATCH', `/api/v1/vaults/${B.vault}`, { deletedAt: null }, 'body/deletedAt'],
        ['POST', '/api/v1/folders', { vaultId: B.vault, name: 'm1', createdBy: A.userId }, 'body/createdBy'],
        ['POST', '/api/v1/folders', { vaultId: B.vault, name: 'm2', level: 'manage' }, 'body/level'],
        ['POST', '/api/v1/folders', { vaultId: B.vault, name: 'm3', id: newId('fld') }, 'body/id'],
        ['POST', '/api/v1/folders', { vaultId: B.vault, name: 'm4', path: '/elsewhere' }, 'body/path'],
        ['POST', '/api/v1/folders', { vaultId: B.vault, name: 'm5', deletedAt: null }, 'body/deletedAt'],
        ['PATCH', `/api/v1/folders/${B.f2}`, { name: 'm6', createdBy: A.userId }, 'body/createdBy'],
        ['PATCH', `/api/v1/folders/${B.f2}`, { id: A.f2 }, 'body/id'],
        ['PATCH', `/api/v1/folders/${B.f2}`, { path: '/x', depth: 9 }, 'body/path'],
        ['POST', '/api/v1/secrets', { ...note, version: 7 }, 'body/version'],
        ['POST', '/api/v1/secrets', { ...note, createdBy: A.userId }, 'body/createdBy'],
        ['POST', '/api/v1/secrets', { ...note, owner: A.userId }, 'body/owner'],
        ['POST', '/api/v1/secrets', { ...note, deletedAt: null }, 'body/deletedAt'],
        ['POST', '/api/v1/secrets', { ...note, id: newId('sec') }, 'body/id'],
        ['POST', '/api/v1/secrets', { ...note, myLevel: 'manage' }, 'body/myLevel'],
        ['POST', '/api/v1/secrets', { ...note, shared: true }, 'body/shared'],
        [
          'POST',
          '/api/v1/secrets',
          { ...note, customFields: [{ name: 'c', type: 'password', value: 'v', sensitive: false }] },
          'body/customFields/0/sensitive',
        ],
        ['PATCH', `/api/v1/secrets/${B.sec}`, { name: 'x', version: 1 }, 'body/version'],
        ['PATCH', `/api/v1/secrets/${B.sec}`, { deletedAt: '2020-01-01T00:00:00Z' }, 'body/deletedAt'],
        ['PATCH', `/api/v1/secrets/${B.sec}`, { createdBy: A.userId }, 'body/createdBy'],
        ['PATCH', `/api/v1/secrets/${B.sec}`, { id: A.sec }, 'body/id'],
        ['PATCH', `/api/v1/secrets/${B.sec}`, { template: 'secure-note' }, 'body/template'],
        ['PATCH', `/api/v1/secrets/${B.sec}`, { myLevel: 'manage' }, 'body/myLevel'],
        ['POST', '/api/v1/grants', { ...grant, createdBy: A.userId }, 'body/createdBy'],
        ['POST', '/api/v1/grants', { ...grant, isShare: true }, 'body/isShare'],
        ['POST', '/api/v1/grants', { ...grant, nodeType: 'secret' }, 'body/nodeType'],
        ['POST', '/api/v1/grants', { ...grant, id: newId('gra') }, 'body/id'],
        ['POST', `/api/v1/secrets/${B.sec}/shares`, { userId: A.userId, principalType: 'group' }, 'body/principalType'],
        ['POST', `/api/v1/secrets/${B.sec}/shares`, { userId: A.userId, nodeId: A.sec }, 'body/nodeId'],
        ['POST', `/api/v1/secrets/${B.sec}/reveal`, { version: 1 }, 'body/version'],
        ['POST', `/api/v1/secrets/${B.sec}/reveal`, { userId: A.userId }, 'body/userId'],
        [
          'PUT',
          '/api/v1/metadata',
          { nodeId: B.f1, section: 'ops', name: 'owner', type: 'string', value: 'x', updatedBy: A.userId },
          'body/updatedBy',
        ],
        ['DELETE', '/api/v1/metadata', { nodeId: B.f1, section: 'ops', name: 'owner', all: true }, 'body/all'],
        ['POST', '/api/v1/secrets/bulk/create', { items: [{ ...note, createdBy: A.userId }] }, 'body/items/0/createdBy'],
        ['POST', '/api/v1/secrets/bulk/move', { ids: [B.db], vaultId: B.vault, owner: A.userId }, 'body/owner'],
        ['POST', '/api/v1/secrets/bulk/share', { ids: [B.db], userId: A.userId, level: 'view', createdBy: B.userId }, 'body/createdBy'],
        ['POST', '/api/v1/secrets/bulk/delete', { ids: [B.db], purge: true }, 'body/purge'],
        ['POST', '/api/v1/import', { format: 'csv', content: csv, vaultId: B.vault, createdBy: A.userId }, 'body/createdBy'],
        ['POST', '/api/v1/export', { vaultId: B.vault, passphrase: 'export-passphrase-1234', userId: A.userId }, 'body/userId'],
        ['POST', '/api/v1/passwords/generate', { vaultId: B.vault, userId: A.userId }, 'body/userId'],
      ];
      const beforeDump = await dump(h);
      const problems: string[] = [];
      for (const [method, url, body, path] of attempts) {
        const r = await send(bToken, { method, url, body });
        const err = (r.body as { error?: { code?: string; details?: Array<{ path: string }> } }).error;
        if (r.status !== 400 || err?.code !== 'validation.failed') problems.push(`${method} ${url} ${JSON.stringify(body)}: ${r.status}`);
        else if (!err.details?.some((d) => d.path === path)) problems.push(`${method} ${url}: refused for ${JSON.stringify(err.details)}`);
      }
      // an upload with privileged query parameters
      const up = await send(bToken, {
        method: 'POST',
        url: `/api/v1/secrets/${B.unix}/attachments?name=m.txt&createdBy=${A.userId}`,
        octet: Buffer.from('m'),
      });
      if (up.status !== 400) problems.push(`upload with createdBy: ${up.status}`);
      assert.deepEqual(problems, []);
      const afterDump = await dump(h);
      for (const t of DUMPED) assert.deepEqual(afterDump[t], beforeDump[t], `table ${t} unchanged`);
      // the same bodies without the extra field are accepted (the refusal was the extra field)
      const fine = await send(bToken, { method: 'POST', url: '/api/v1/secrets', body: note });
      assert.equal(fine.status, 201);
      const fineVault = await send(bToken, { method: 'POST', url: '/api/v1/vaults', body: { name: 'mass-ok' } });
      assert.equal(fineVault.status, 201);
    });

    it('no error body names the owner of a foreign object', () => {
      assert.ok(answers.length > 600);
      for (const raw of answers) {
        for (const needle of [A.vaultName, A.f1Name, A.f2Name, A.secName, A.unixUser, B.vaultName, B.secName]) {
          assert.ok(!raw.includes(needle as string), `an error body names ${needle}: ${raw.slice(0, 200)}`);
        }
      }
    });

    it('the replay table is live: one who sees everything gets no 404 from it (performs the calls, last)', async () => {
      const problems: string[] = [];
      for (const c of CASES) {
        if (c.noSuper) continue;
        const r = await send(superAdmin.token, c.req(A, B));
        const where = `${c.route} (${c.name})`;
        const body = r.body as { items?: unknown[]; error?: { code: string }; succeeded?: number };
        if (c.superError) {
          if (body.error?.code !== c.superError) problems.push(`${where}: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
        } else if (c.outcome === 'empty') {
          if (r.status !== 200 || !body.items?.length) problems.push(`${where}: ${r.status} ${JSON.stringify(body).slice(0, 200)}`);
        } else if (c.outcome === 'bulk') {
          if (r.status !== 200 || !body.succeeded) problems.push(`${where}: ${JSON.stringify(body).slice(0, 300)}`);
        } else if (r.status === 404 || r.status === 400 || r.status >= 500) {
          problems.push(`${where}: ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
        }
      }
      assert.deepEqual(problems, []);
    });
  });
}

function pick(ids: Ids, keys: Set<string>): Ids {
  const out: Ids = {};
  for (const k of keys) out[k] = ids[k] as string;
  return out;
}

/** Problem with the answer for the outcome the case expects, or null. */
function judge(expect: Outcome | 401, a: Answer): string | null {
  const body = a.body as {
    error?: { code?: string; message?: string };
    items?: unknown[];
    results?: Array<{ ok: boolean; error?: { code: string } }>;
  };
  switch (expect) {
    case 401:
      return a.status === 401 && body.error?.code?.startsWith('auth.') ? null : `expected 401, got ${a.status} ${JSON.stringify(body)}`;
    case 'hidden':
      return a.status === 404 && body.error?.code === 'not_found' && NOT_FOUND_MESSAGES.has(body.error.message as string)
        ? null
        : `expected 404 not_found, got ${a.status} ${JSON.stringify(body).slice(0, 300)}`;
    case 'empty':
      return a.status === 200 && Array.isArray(body.items) && body.items.length === 0 ? null : `expected an empty page, got ${a.status}`;
    case 'bulk':
      return a.status === 200 && body.results?.length && body.results.every((x) => !x.ok && x.error?.code === 'not_found')
        ? null
        : `expected every item not_found, got ${a.status} ${JSON.stringify(body).slice(0, 300)}`;
    case 'forbidden':
      return a.status === 403 ? null : `expected 403, got ${a.status}`;
  }
}
