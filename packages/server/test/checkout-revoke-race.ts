// A checkout and a revoke of the same approved access request sent at the same moment, for many
// pairs, through one or more nodes on one store; then what the store holds is checked: no live
// checkout of a revoked request, every revoke that ended a checkout names it (and the rotation the
// policy asks for), every loser is told the state the request is in now. Used by the one-app test
// (both dialects) and the two-process test (PostgreSQL).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Db } from '../src/db/database.ts';

export interface RaceRes {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are checked field by field
  body: any;
  raw: string;
}
/** One JSON request to one node. */
export type RaceCall = (method: 'GET' | 'POST', url: string, token: string, body?: unknown) => Promise<RaceRes>;

export interface RaceOutcome {
  pairs: number;
  /** The checkout won (committed before the revoke changed the request): the revoke had to end it. */
  checkoutFirst: number;
  /** The revoke won: the checkout found the request revoked. */
  revokeFirst: number;
}

const ok = async (p: Promise<RaceRes>, status: number) => {
  const r = await p;
  assert.equal(r.status, status, r.raw);
  return r.body;
};

/**
 * Runs `pairs` races. `nodes` are the ways into the servers (one per process, or one); pair i
 * sends the checkout to node i and the revoke to node i+1 (mod the count). `users` makes the
 * users through the first node and returns them with a token.
 */
export async function runCheckoutRevokeRace(opts: {
  nodes: RaceCall[];
  db: Db;
  adminToken: string;
  pairs: number;
  /** Pairs in flight at once (each pair's two calls always go out together). */
  parallel: number;
  label: string;
  /** Makes a user with a session token (default: through the first node's API, as an administrator would). */
  createUser?: (role: 'password_administrator' | 'password_user') => Promise<{ id: string; token: string }>;
}): Promise<RaceOutcome> {
  const { nodes, db } = opts;
  const first = nodes[0] as RaceCall;
  const viaApi = async (role: string) => {
    const username = `race_${randomBytes(4).toString('hex')}`;
    const password = `race-pw-${randomBytes(12).toString('hex')}`;
    const u = await ok(first('POST', '/api/v1/users', opts.adminToken, { username, password, role }), 201);
    // an administrator's password is temporary: the user replaces it first
    const own = `own-pw-${randomBytes(12).toString('hex')}`;
    const temporary = await fetchToken(first, username, password);
    await ok(first('POST', '/api/v1/me/password', temporary, { currentPassword: password, newPassword: own }), 200);
    const t = await fetchToken(first, username, own);
    return { id: u.id as string, token: t };
  };
  const mkUser = (role: 'password_administrator' | 'password_user') => (opts.createUser ? opts.createUser(role) : viaApi(role));
  const owner = await mkUser('password_administrator');
  const requesters: Array<Awaited<ReturnType<typeof mkUser>>> = [];
  for (let i = 0; i < Math.max(2, opts.parallel); i++) requesters.push(await mkUser('password_user'));
  // approval required (the owner approves: manage access), exclusive checkout; one vault rotates
  // on checkin (so a revoke that ends a checkout rotates), the other does not
  const vaults: Array<{ id: string; rotates: boolean }> = [];
  for (const rotates of [true, false]) {
    const v = await ok(
      first('POST', '/api/v1/vaults', owner.token, {
        name: `${opts.label} ${rotates ? 'rotating' : 'plain'} ${randomBytes(3).toString('hex')}`,
        policy: { approval: { required: true }, checkout: { exclusive: true, maxMinutes: 30, rotateOnCheckin: rotates } },
      }),
      201,
    );
    for (const u of requesters) {
      await ok(
        first('POST', '/api/v1/grants', owner.token, { nodeId: v.id, principalType: 'user', principalId: u.id, level: 'reveal' }),
        201,
      );
    }
    vaults.push({ id: v.id, rotates });
  }

  interface Pair {
    i: number;
    secretId: string;
    requestId: string;
    rotates: boolean;
    checkout: RaceRes;
    revoke: RaceRes;
  }
  const done: Pair[] = [];
  let next = 0;
  const worker = async (w: number) => {
    const requester = requesters[w % requesters.length] as (typeof requesters)[number];
    for (;;) {
      const i = next++;
      if (i >= opts.pairs) return;
      const vault = vaults[i % 2] as (typeof vaults)[number];
      const s = await ok(
        first('POST', '/api/v1/secrets', owner.token, {
          vaultId: vault.id,
          template: 'web-login',
          name: `pair ${i}`,
          fields: { password: `race-start-${i}-canary!` },
        }),
        201,
      );
      const r = await ok(
        first('POST', '/api/v1/access-requests', requester.token, {
          secretId: s.id,
          action: 'checkout',
          reason: `pair ${i}`,
          durationMinutes: 20,
        }),
        201,
      );
      await ok(first('POST', `/api/v1/access-requests/${r.id}/approve`, owner.token, { comment: 'go' }), 200);
      const viaCheckout = nodes[i % nodes.length] as RaceCall;
      const viaRevoke = nodes[(i + 1) % nodes.length] as RaceCall;
      // both leave in the same tick; which one is sent first alternates (on one SQLite connection
      // the first sent runs first, so both orders are covered there too)
      const sendCheckout = () =>
        viaCheckout('POST', `/api/v1/secrets/${s.id}/checkout`, requester.token, { requestId: r.id, reason: `pair ${i}` });
      const sendRevoke = () => viaRevoke('POST', `/api/v1/access-requests/${r.id}/revoke`, owner.token, { comment: `stop ${i}` });
      const [checkout, revoke] =
        Math.floor(i / 2) % 2 === 0
          ? await Promise.all([sendCheckout(), sendRevoke()])
          : await Promise.all([sendRevoke(), sendCheckout()]).then(([rv, co]) => [co, rv] as const);
      done.push({ i, secretId: s.id, requestId: r.id, rotates: vault.rotates, checkout, revoke });
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, (_, w) => worker(w)));
  assert.equal(done.length, opts.pairs);

  // the store: no live checkout of a revoked request, anywhere
  const ids = done.map((p) => p.requestId);
  const live = await db
    .selectFrom('checkouts as c')
    .innerJoin('access_requests as r', 'r.id', 'c.request_id')
    .select(['c.id', 'r.id as request_id', 'r.state'])
    .where('c.active', '=', 1)
    .where('r.id', 'in', ids)
    .execute();
  const failures: string[] = [];
  if (live.length) failures.push(`${live.length} live checkout(s) after the revoke: ${JSON.stringify(live.slice(0, 5))}`);

  const checkouts = await db.selectFrom('checkouts').selectAll().where('request_id', 'in', ids).execute();
  const requests = await db.selectFrom('access_requests').select(['id', 'state']).where('id', 'in', ids).execute();
  const revokes = await db
    .selectFrom('audit_log')
    .select(['object_id', 'outcome', 'details'])
    .where('action', '=', 'request.revoke')
    .where('object_id', 'in', ids)
    .execute();
  const secrets = await db
    .selectFrom('secrets')
    .select(['id', 'version'])
    .where(
      'id',
      'in',
      done.map((p) => p.secretId),
    )
    .execute();
  let checkoutFirst = 0;
  let revokeFirst = 0;
  for (const p of done) {
    const tag = `pair ${p.i} (checkout ${p.checkout.status}, revoke ${p.revoke.status})`;
    if (p.revoke.status !== 200) {
      failures.push(`${tag}: the revoke failed: ${p.revoke.raw}`);
      continue;
    }
    if (requests.find((r) => r.id === p.requestId)?.state !== 'revoked') failures.push(`${tag}: the request is not revoked`);
    const co = checkouts.find((c) => c.request_id === p.requestId);
    const audit = revokes.filter((a) => a.object_id === p.requestId && a.outcome === 'success');
    const details = audit.length === 1 ? (JSON.parse(audit[0]?.details ?? 'null') as Record<string, unknown> | null) : null;
    if (!details) {
      failures.push(`${tag}: ${audit.length} successful revoke records`);
      continue;
    }
    const version = Number(secrets.find((s) => s.id === p.secretId)?.version);
    if (p.checkout.status === 201) {
      checkoutFirst++;
      if (!co) {
        failures.push(`${tag}: no checkout row`);
        continue;
      }
      if (Number(co.active) !== 0 || co.end_reason !== 'revoked') failures.push(`${tag}: the checkout was not ended by the revoke`);
      if (details.endedCheckout !== co.id) failures.push(`${tag}: the revoke record names ${details.endedCheckout}, not ${co.id}`);
      if (details.was !== 'checked_out') failures.push(`${tag}: the revoke record says it left ${details.was}`);
      if (p.rotates) {
        if (co.rotated_version === null || version !== 2) failures.push(`${tag}: no rotation on the revoke (version ${version})`);
        if (details.rotatedVersion !== co.rotated_version || details.rotationTrigger !== 'revoked') {
          failures.push(`${tag}: the revoke record does not name the rotation: ${JSON.stringify(details)}`);
        }
      } else if (co.rotated_version !== null || version !== 1 || details.rotatedVersion !== null) {
        failures.push(`${tag}: rotated although the policy does not say so`);
      }
    } else {
      revokeFirst++;
      if (p.checkout.status !== 409 || p.checkout.body?.error?.code !== 'conflict' || !/revoked/.test(p.checkout.body.error.message)) {
        failures.push(`${tag}: the losing checkout is not told the request is revoked: ${p.checkout.raw}`);
      }
      if (co) failures.push(`${tag}: a checkout row although the checkout lost`);
      if (details.endedCheckout !== null || details.was !== 'approved') failures.push(`${tag}: ${JSON.stringify(details)}`);
      if (version !== 1) failures.push(`${tag}: rotated without a checkout`);
    }
  }
  const badPairs = new Set(failures.map((f) => /^pair (\d+)/.exec(f)?.[1]).filter((x) => x !== undefined));
  assert.deepEqual(
    failures.slice(0, 20),
    [],
    `${badPairs.size} of ${opts.pairs} pairs went wrong, ${live.length} checkout(s) of a revoked request left live`,
  );
  return { pairs: opts.pairs, checkoutFirst, revokeFirst };
}

async function fetchToken(call: RaceCall, username: string, password: string): Promise<string> {
  // login takes no token: the call helper sends none for an empty one
  const r = await call('POST', '/api/v1/auth/login', '', { username, password });
  assert.equal(r.status, 200, r.raw);
  return r.body.accessToken as string;
}
