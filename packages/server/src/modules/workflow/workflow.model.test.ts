// Model-based test of the access-request lifecycle: random sequences of requests, approvals,
// rejections, cancellations, revocations, checkouts, checkins, reveals, rotations, clock advances
// and sweeps run against the real services (real database, both dialects) and against a small
// reference state machine; after every step the states of the requests, the active checkout and
// the secret's version must agree. One harness per dialect, a fresh secret per sequence.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RequestState } from '@coffer/contracts/workflow';
import fc from 'fast-check';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { Role } from '../../db/schema.ts';
import { isAppError } from '../../lib/app-error.ts';
import { manualClock } from '../../lib/clock.ts';
import type { RequestContext } from '../auth/actor.ts';
import { effectiveState } from './workflow.service.ts';

const MIN = 60_000;
const MAX_MINUTES = 60;
const NUM_RUNS = Number(process.env.WORKFLOW_MODEL_RUNS ?? 200);

type Who = 'A' | 'B' | 'O';
type Requester = 'A' | 'B';

interface MReq {
  id: string;
  requester: Requester;
  action: 'reveal' | 'checkout';
  start: number;
  end: number;
  state: RequestState;
}
interface MCheckout {
  holder: Who;
  req: MReq | null;
  end: number;
  active: boolean;
}
interface Model {
  reqs: MReq[];
  co: MCheckout | null;
  version: number;
}
interface Real {
  secretId: string;
}

let h: Harness;
const clock = manualClock(Date.parse('2031-03-03T09:00:00Z'));
const ctxs = {} as Record<Who | 'P', RequestContext>;

const ctxOf = (id: string, username: string, role: Role): RequestContext => ({
  actor: {
    kind: 'user',
    userId: id,
    username,
    role,
    allPasswords: false,
    authMethod: 'session',
    sessionId: null,
    apiKeyId: null,
    scopes: null,
  },
  requestId: 'req_model',
  sourceIp: '127.0.0.1',
  audited: false,
});
const wf = () => h.coffer.services.workflow;

/** How often each call ended how (`checkout:ok`, `reveal:secret.checked_out`, …), to show the runs reach every branch. */
const stats = new Map<string, number>();

/** Runs a real call; the outcome is 'ok' or the AppError code. */
async function outcome<T>(name: string, fn: () => Promise<T>): Promise<{ code: string; value: T | undefined }> {
  let code = 'ok';
  try {
    return { code, value: await fn() };
  } catch (e) {
    if (!isAppError(e)) throw e;
    code = e.code;
    return { code, value: undefined };
  } finally {
    stats.set(`${name}:${code}`, (stats.get(`${name}:${code}`) ?? 0) + 1);
  }
}

/** Requests are picked counting from the newest: small indexes reach the ones still in play. */
const pick = (m: Model, i: number) => m.reqs[m.reqs.length - 1 - (i % m.reqs.length)] as MReq;
const eff = (r: MReq, now: number) => effectiveState({ state: r.state, end_at: r.end }, now);
const live = (m: Model, now: number) => (m.co?.active && m.co.end > now ? m.co : null);

/** Ends the model's checkout: version bump (rotation on checkin), its request checked in. */
function endCheckout(m: Model) {
  const co = m.co as MCheckout;
  co.active = false;
  m.version++;
  if (co.req && co.req.state === 'checked_out') co.req.state = 'checked_in';
}

async function verify(m: Model, r: Real) {
  const now = clock.now();
  const rows = await h.database.db.selectFrom('access_requests').selectAll().where('secret_id', '=', r.secretId).execute();
  assert.equal(rows.length, m.reqs.length, 'request count');
  for (const mr of m.reqs) {
    const row = rows.find((x) => x.id === mr.id);
    assert.ok(row, `request ${mr.id}`);
    assert.equal(effectiveState(row, now), eff(mr, now), `state of ${mr.id}`);
  }
  const active = await h.database.db
    .selectFrom('checkouts')
    .selectAll()
    .where('secret_id', '=', r.secretId)
    .where('active', '=', 1)
    .execute();
  assert.ok(active.length <= 1, 'at most one active checkout');
  if (m.co?.active) {
    assert.equal(active.length, 1, 'an active checkout');
    assert.equal(active[0]?.holder_id, ctxs[m.co.holder].actor.userId, 'holder');
    assert.equal(Number(active[0]?.ends_at), m.co.end, 'end of the checkout');
  } else {
    assert.equal(active.length, 0, 'no active checkout');
  }
  const s = await h.database.db.selectFrom('secrets').select('version').where('id', '=', r.secretId).executeTakeFirstOrThrow();
  assert.equal(Number(s.version), m.version, 'secret version');
}

abstract class Cmd implements fc.AsyncCommand<Model, Real, true> {
  async check() {
    return true;
  }
  abstract apply(m: Model, r: Real): Promise<void>;
  async run(m: Model, r: Real) {
    await this.apply(m, r);
    await verify(m, r);
  }
  abstract toString(): string;
}

class RequestCmd extends Cmd {
  readonly who: Requester;
  readonly action: 'reveal' | 'checkout';
  readonly minutes: number;
  readonly offset: number;
  constructor(who: Requester, action: 'reveal' | 'checkout', minutes: number, offset: number) {
    super();
    this.who = who;
    this.action = action;
    this.minutes = minutes;
    this.offset = offset;
  }
  async apply(m: Model, r: Real) {
    const now = clock.now();
    const start = now + this.offset * MIN;
    const res = await outcome('request', () =>
      wf().createRequest(ctxs[this.who], {
        secretId: r.secretId,
        action: this.action,
        reason: 'model',
        durationMinutes: this.minutes,
        ...(this.offset ? { startAt: new Date(start).toISOString() } : {}),
      }),
    );
    const expected = this.action === 'checkout' && this.minutes > MAX_MINUTES ? 'validation.failed' : 'ok';
    assert.equal(res.code, expected, this.toString());
    if (res.value) {
      m.reqs.push({
        id: res.value.id,
        requester: this.who,
        action: this.action,
        start,
        end: start + this.minutes * MIN,
        state: 'waiting_for_approval',
      });
    }
  }
  toString() {
    return `request(${this.who}, ${this.action}, ${this.minutes}m, +${this.offset}m)`;
  }
}

class DecideCmd extends Cmd {
  readonly op: 'approve' | 'reject' | 'self-approve' | 'cancel' | 'revoke';
  readonly idx: number;
  constructor(op: 'approve' | 'reject' | 'self-approve' | 'cancel' | 'revoke', idx: number) {
    super();
    this.op = op;
    this.idx = idx;
  }
  async apply(m: Model) {
    if (!m.reqs.length) return;
    const req = pick(m, this.idx);
    const now = clock.now();
    const state = eff(req, now);
    let expected: string;
    let res: { code: string };
    if (this.op === 'self-approve') {
      expected = 'forbidden';
      res = await outcome('self-approve', () => wf().approve(ctxs[req.requester], req.id, 'me'));
    } else if (this.op === 'approve' || this.op === 'reject') {
      expected = state === 'waiting_for_approval' ? 'ok' : 'conflict';
      res = await outcome(this.op, () => wf()[this.op as 'approve'](ctxs.P, req.id, 'model'));
      if (expected === 'ok') req.state = this.op === 'approve' ? 'approved' : 'rejected';
    } else if (this.op === 'cancel') {
      expected = state === 'waiting_for_approval' || state === 'approved' ? 'ok' : 'conflict';
      res = await outcome('cancel', () => wf().cancel(ctxs[req.requester], req.id, 'model'));
      if (expected === 'ok') req.state = 'cancelled';
    } else {
      expected = state === 'approved' || state === 'checked_out' ? 'ok' : 'conflict';
      res = await outcome('revoke', () => wf().revoke(ctxs.P, req.id, 'model'));
      if (expected === 'ok') {
        if (state === 'checked_out') endCheckout(m);
        req.state = 'revoked';
      }
    }
    assert.equal(res.code, expected, `${this.toString()} on a request ${state}`);
  }
  toString() {
    return `${this.op}(#${this.idx})`;
  }
}

class CheckoutCmd extends Cmd {
  readonly who: Who;
  readonly idx: number | null;
  readonly minutes: number | undefined;
  constructor(who: Who, idx: number | null, minutes: number | undefined) {
    super();
    this.who = who;
    this.idx = idx;
    this.minutes = minutes;
  }
  async apply(m: Model, r: Real) {
    const now = clock.now();
    const req = this.idx !== null && this.who !== 'O' && m.reqs.length ? pick(m, this.idx) : null;
    const res = await outcome('checkout', () =>
      wf().checkout(ctxs[this.who], r.secretId, {
        reason: 'model',
        ...(req ? { requestId: req.id } : {}),
        ...(this.minutes !== undefined ? { durationMinutes: this.minutes } : {}),
      }),
    );
    let expected = 'ok';
    let end = now + (this.minutes ?? MAX_MINUTES) * MIN;
    if (this.minutes !== undefined && this.minutes > MAX_MINUTES) expected = 'validation.failed';
    else if (req) {
      if (req.requester !== this.who) expected = 'not_found';
      else if (req.action !== 'checkout') expected = 'conflict';
      else if (eff(req, now) !== 'approved') expected = 'conflict';
      else if (now < req.start) expected = 'conflict';
      else end = Math.min(end, req.end);
    } else if (this.who !== 'O') expected = 'secret.approval_required';
    if (expected === 'ok' && live(m, now)) expected = 'secret.checked_out';
    assert.equal(res.code, expected, `${this.toString()} (request ${req ? eff(req, now) : '-'})`);
    if (expected !== 'ok') return;
    if (m.co?.active) endCheckout(m); // overdue: ended like the sweep would
    m.co = { holder: this.who, req, end, active: true };
    if (req) {
      req.state = 'checked_out';
      req.end = end;
    }
  }
  toString() {
    return `checkout(${this.who}, ${this.idx === null ? '-' : `#${this.idx}`}, ${this.minutes ?? 'max'}m)`;
  }
}

class CheckinCmd extends Cmd {
  readonly who: Who;
  constructor(who: Who) {
    super();
    this.who = who;
  }
  async apply(m: Model, r: Real) {
    const res = await outcome('checkin', () => wf().checkin(ctxs[this.who], r.secretId, { reason: 'model' }));
    let expected = 'ok';
    if (!m.co?.active) expected = 'conflict';
    else if (m.co.holder !== this.who && this.who !== 'O') expected = 'secret.checked_out';
    assert.equal(res.code, expected, this.toString());
    if (expected === 'ok') {
      endCheckout(m);
      const co = m.co as MCheckout;
      if (co.req && co.req.state === 'checked_in') co.req.end = Math.min(co.req.end, clock.now());
    }
  }
  toString() {
    return `checkin(${this.who})`;
  }
}

class RevealCmd extends Cmd {
  readonly who: Who;
  constructor(who: Who) {
    super();
    this.who = who;
  }
  async apply(m: Model, r: Real) {
    const now = clock.now();
    const res = await outcome('reveal', () => h.coffer.services.secrets.reveal(ctxs[this.who], r.secretId, { reason: 'model' }));
    const co = live(m, now);
    let expected: string;
    if (co && co.holder !== this.who) expected = 'secret.checked_out';
    else if (this.who === 'O' || co) expected = 'ok';
    else {
      const approved = m.reqs.some(
        (q) => q.requester === this.who && q.action === 'reveal' && q.state === 'approved' && q.start <= now && now < q.end,
      );
      expected = approved ? 'ok' : 'secret.approval_required';
    }
    assert.equal(res.code, expected, this.toString());
    if (res.value) assert.equal(res.value.version, m.version, 'revealed the current version');
  }
  toString() {
    return `reveal(${this.who})`;
  }
}

class RotateCmd extends Cmd {
  async apply(m: Model, r: Real) {
    const res = await outcome('rotate', () => wf().rotate(ctxs.O, r.secretId, { reason: 'model' }));
    const co = live(m, clock.now());
    const expected = co && co.holder !== 'O' ? 'secret.checked_out' : 'ok';
    assert.equal(res.code, expected, this.toString());
    if (expected === 'ok') m.version++;
  }
  toString() {
    return 'rotate(O)';
  }
}

class AdvanceCmd extends Cmd {
  readonly minutes: number;
  constructor(minutes: number) {
    super();
    this.minutes = minutes;
  }
  async apply() {
    clock.advance(this.minutes * MIN);
  }
  toString() {
    return `advance(${this.minutes}m)`;
  }
}

class SweepCmd extends Cmd {
  async apply(m: Model) {
    const now = clock.now();
    await wf().sweep(now);
    for (const q of m.reqs) if ((q.state === 'waiting_for_approval' || q.state === 'approved') && q.end <= now) q.state = 'expired';
    if (m.co?.active && m.co.end <= now) endCheckout(m);
  }
  toString() {
    return 'sweep';
  }
}

const who = fc.constantFrom<Who>('A', 'B', 'O');
const requester = fc.constantFrom<Requester>('A', 'B');
const idx = fc.nat({ max: 4 });
const request = fc
  .tuple(
    requester,
    fc.constantFrom<'reveal' | 'checkout'>('reveal', 'checkout', 'checkout'),
    fc.constantFrom(5, 20, 45, 61),
    fc.constantFrom(0, 0, 10),
  )
  .map(([w, a, d, o]) => new RequestCmd(w, a, d, o));
const decide = fc
  .tuple(fc.constantFrom<DecideCmd['op']>('approve', 'approve', 'approve', 'reject', 'self-approve', 'cancel', 'revoke', 'revoke'), idx)
  .map(([op, i]) => new DecideCmd(op, i));
const checkout = fc
  .tuple(who, fc.option(idx, { freq: 5 }), fc.constantFrom<number | undefined>(undefined, undefined, 10, 30, 61))
  .map(([w, i, d]) => new CheckoutCmd(w, i, d));
// listed more than once to weigh the draw towards the lifecycle steps
const commands = fc.commands(
  [
    request,
    request,
    decide,
    decide,
    decide,
    checkout,
    checkout,
    who.map((w) => new CheckinCmd(w)),
    who.map((w) => new RevealCmd(w)),
    who.map((w) => new RevealCmd(w)),
    fc.constant(new RotateCmd()),
    fc.constantFrom(1, 5, 15, 30, 61).map((n) => new AdvanceCmd(n)),
    fc.constant(new SweepCmd()),
  ],
  { maxCommands: 30, size: 'large' },
);

for (const dialect of dialects) {
  describe(`access workflow lifecycle against a reference model [${dialect}]`, () => {
    let folderId: string;
    let vaultId: string;

    before(async () => {
      h = await startHarness(dialect, { clock });
      // the test runs the sweep itself at chosen (manual) times: no background scheduler
      await h.coffer.services.jobs.stop();
      const admin = await adminToken(h);
      const users: Record<string, Awaited<ReturnType<typeof createUser>>> = {};
      for (const k of ['O', 'A', 'B', 'P']) users[k] = await createUser(h, admin, k === 'O' ? 'password_administrator' : 'password_user');
      for (const k of ['O', 'A', 'B', 'P'] as const) {
        const u = users[k] as (typeof users)[string];
        ctxs[k] = ctxOf(u.id, u.username, k === 'O' ? 'password_administrator' : 'password_user');
      }
      const v = await call(h, 'POST', '/api/v1/vaults', { token: users.O?.token, body: { name: `Model ${dialect}` } });
      assert.equal(v.status, 201, v.raw);
      vaultId = v.body.id;
      const f = await call(h, 'POST', '/api/v1/folders', {
        token: users.O?.token,
        body: {
          vaultId,
          name: 'Gated',
          policy: {
            approval: { required: true, approvers: [{ type: 'user', id: users.P?.id }] },
            checkout: { exclusive: true, maxMinutes: MAX_MINUTES, rotateOnCheckin: true },
          },
        },
      });
      assert.equal(f.status, 201, f.raw);
      folderId = f.body.id;
      for (const k of ['A', 'B']) {
        const g = await call(h, 'POST', '/api/v1/grants', {
          token: users.O?.token,
          body: { nodeId: vaultId, principalType: 'user', principalId: users[k]?.id, level: 'reveal' },
        });
        assert.equal(g.status, 201, g.raw);
      }
    });
    after(async () => h.close());

    it(`agrees with the model over ${NUM_RUNS} random sequences`, { timeout: 15 * 60_000 }, async () => {
      let sequences = 0;
      let steps = 0;
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          sequences++;
          steps += [...cmds].length;
          const setup = async () => {
            const s = await h.coffer.services.secrets.create(ctxs.O, {
              vaultId,
              folderId,
              template: 'web-login',
              name: `model ${sequences}`,
              fields: { password: 'model-start-1!' },
            });
            return { model: { reqs: [], co: null, version: 1 } as Model, real: { secretId: s.id } as Real };
          };
          await fc.asyncModelRun(setup, cmds);
        }),
        { numRuns: NUM_RUNS },
      );
      assert.ok(sequences >= NUM_RUNS);
      assert.ok(steps > NUM_RUNS * 5, `ran ${steps} steps`);
      // the random sequences reach the interesting branches, not only refusals
      const seen = Object.fromEntries([...stats].sort());
      for (const k of [
        'request:ok',
        'approve:ok',
        'approve:conflict',
        'reject:ok',
        'self-approve:forbidden',
        'cancel:ok',
        'revoke:ok',
        'checkout:ok',
        'checkout:conflict',
        'checkout:secret.approval_required',
        'checkout:secret.checked_out',
        'checkin:ok',
        'checkin:conflict',
        'reveal:ok',
        'reveal:secret.approval_required',
        'reveal:secret.checked_out',
        'rotate:ok',
      ]) {
        assert.ok((stats.get(k) ?? 0) > 0, `never reached ${k}: ${JSON.stringify(seen)}`);
      }
      if (process.env.WORKFLOW_MODEL_STATS) console.log(seen);
      stats.clear();
    });
  });
}
