// Model-based test of the access-request lifecycle: random sequences of requests, approvals,
// rejections, cancellations, revocations, checkouts, checkins, reveals, rotations, clock advances
// and sweeps run against the real services (real database, both dialects) and against a small
// reference state machine; after every step the states of the requests, the active checkout and
// the secret's version must agree. One harness per dialect, a fresh secret per sequence.
//
// Some steps issue several calls at once (revoke, checkout, checkin, rotate and the sweep, with
// Promise.all on the real app: on PostgreSQL they run on separate connections, as on several
// nodes). The model accepts any serialization of them: some order of the calls must give exactly
// the outcomes the calls got, the state the store holds and the audit records it wrote. Besides:
// never a live checkout of a revoked or ended request, at most one active checkout per secret, a
// request checked out exactly when its checkout is active, and one audit record per call that says
// how it ended (a revoke's record names the state it left and the checkout it ended).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RequestState } from '@coffer/contracts/workflow';
import fc from 'fast-check';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import type { Role } from '../../db/schema.ts';
import { isAppError } from '../../lib/app-error.ts';
import { manualClock } from '../../lib/clock.ts';
import type { RequestContext } from '../auth/actor.ts';
import { effectiveState } from './states.ts';

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
  reqId: string | null;
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

let callSeq = 0;
/** A context of its own for one call, so the call's audit record can be found by its request id. */
function ctxFor(who: Who | 'P'): RequestContext {
  return { ...ctxs[who], requestId: `req_model_${++callSeq}`, audited: false };
}

/** How often each call ended how (`checkout:ok`, `reveal:secret.checked_out`, …), to show the runs reach every branch. */
const stats = new Map<string, number>();

/** What a real call did: 'ok' or the AppError code, its value, and the request id it was audited under. */
interface Outcome {
  code: string;
  // biome-ignore lint/suspicious/noExplicitAny: the value is whatever the service returned
  value: any;
  requestId: string | null;
}

async function outcome(name: string, ctx: RequestContext | null, fn: () => Promise<unknown>): Promise<Outcome> {
  let code = 'ok';
  try {
    return { code, value: await fn(), requestId: ctx?.requestId ?? null };
  } catch (e) {
    if (!isAppError(e)) throw e;
    code = e.code;
    return { code, value: undefined, requestId: ctx?.requestId ?? null };
  } finally {
    stats.set(`${name}:${code}`, (stats.get(`${name}:${code}`) ?? 0) + 1);
  }
}

/** What the model says a call does: its outcome, and for a revoke the state it left and whether it ended a checkout. */
interface Effect {
  code: string;
  revoke?: { reqId: string; was: RequestState; ended: boolean };
}

/** Requests are picked counting from the newest: small indexes reach the ones still in play. */
const pick = (m: Model, i: number) => m.reqs[m.reqs.length - 1 - (i % m.reqs.length)] as MReq;
const reqOf = (m: Model, id: string | null) => (id ? m.reqs.find((q) => q.id === id) : undefined);
const eff = (r: MReq, now: number) => effectiveState({ state: r.state, end_at: r.end }, now);
const live = (m: Model, now: number) => (m.co?.active && m.co.end > now ? m.co : null);

/** Ends the model's checkout: version bump (rotation on checkin), its request checked in (a revoked one stays revoked). */
function endCheckout(m: Model, now: number, how: 'checkin' | 'other') {
  const co = m.co as MCheckout;
  co.active = false;
  m.version++;
  const req = reqOf(m, co.reqId);
  if (req && req.state === 'checked_out') {
    req.state = 'checked_in';
    if (how === 'checkin') req.end = Math.min(req.end, now);
  }
}

/** What the store holds for one secret. */
interface Snapshot {
  requests: Array<{ id: string; state: RequestState; end_at: number }>;
  active: Array<{ holder_id: string; ends_at: number; request_id: string | null }>;
  version: number;
}

async function snapshot(r: Real): Promise<Snapshot> {
  const db = h.database.db;
  const requests = await db.selectFrom('access_requests').select(['id', 'state', 'end_at']).where('secret_id', '=', r.secretId).execute();
  const active = await db
    .selectFrom('checkouts')
    .select(['holder_id', 'ends_at', 'request_id'])
    .where('secret_id', '=', r.secretId)
    .where('active', '=', 1)
    .execute();
  const s = await db.selectFrom('secrets').select('version').where('id', '=', r.secretId).executeTakeFirstOrThrow();
  return { requests, active, version: Number(s.version) };
}

/** Where the store and the model disagree (null: they agree), plus the invariants that hold whatever the model says. */
function disagreement(m: Model, snap: Snapshot, now: number): string | null {
  if (snap.requests.length !== m.reqs.length) return `request count ${snap.requests.length} != ${m.reqs.length}`;
  for (const mr of m.reqs) {
    const row = snap.requests.find((x) => x.id === mr.id);
    if (!row) return `request ${mr.id} missing`;
    if (effectiveState(row, now) !== eff(mr, now)) return `state of ${mr.id}: ${effectiveState(row, now)} != ${eff(mr, now)}`;
  }
  if (snap.active.length > 1) return 'more than one active checkout';
  const active = snap.active[0];
  if (active?.request_id) {
    const req = snap.requests.find((x) => x.id === active.request_id);
    // a live checkout always belongs to a checked-out request: never to a revoked or ended one
    if (req?.state !== 'checked_out') return `an active checkout of a request that is ${req?.state}`;
  }
  for (const row of snap.requests) {
    if (row.state === 'checked_out' && active?.request_id !== row.id) return `request ${row.id} checked out without its checkout`;
  }
  if (m.co?.active) {
    if (!active) return 'no active checkout';
    if (active.holder_id !== ctxs[m.co.holder].actor.userId) return 'holder';
    if (Number(active.ends_at) !== m.co.end) return 'end of the checkout';
  } else if (active) return 'an active checkout the model does not have';
  if (snap.version !== m.version) return `secret version ${snap.version} != ${m.version}`;
  return null;
}

interface AuditRec {
  request_id: string | null;
  outcome: string;
  details: string | null;
}

/** The newest audit record's sequence number: a step's records come after it. */
async function auditHead(): Promise<number> {
  const r = await h.database.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return Number(r?.seq ?? 0);
}

/** The audit records of the calls (by their request ids) written after `since`, read once per step. */
async function auditOf(since: number, got: Outcome[]): Promise<AuditRec[]> {
  const ids = got.map((o) => o.requestId).filter((x): x is string => x !== null);
  if (!ids.length) return [];
  return h.database.db
    .selectFrom('audit_log')
    .select(['request_id', 'outcome', 'details'])
    .where('seq', '>', since)
    .where('request_id', 'in', ids)
    .execute();
}

/** The audit trail agrees with what the model says the calls did; null when it does. */
function auditDisagreement(recs: AuditRec[], got: Outcome[], effects: Effect[]): string | null {
  for (const [i, o] of got.entries()) {
    if (!o.requestId) continue;
    const mine = recs.filter((r) => r.request_id === o.requestId);
    if (mine.length !== 1) return `${mine.length} audit records for call ${i}`;
    const rec = mine[0] as AuditRec;
    if ((rec.outcome === 'success') !== (o.code === 'ok')) return `call ${i} (${o.code}) audited as ${rec.outcome}`;
    const rv = effects[i]?.revoke;
    if (rv && o.code === 'ok') {
      const d = JSON.parse(rec.details ?? '{}') as { was?: string; endedCheckout?: string | null; rotatedVersion?: number | null };
      if (d.was !== rv.was) return `revoke of ${rv.reqId} audited as leaving ${d.was}, the model says ${rv.was}`;
      if ((d.endedCheckout !== null) !== rv.ended) return `revoke of ${rv.reqId} audited with endedCheckout ${d.endedCheckout}`;
      // the policy rotates on every end of a checkout
      if ((d.rotatedVersion !== null) !== rv.ended) return `revoke of ${rv.reqId} audited with rotatedVersion ${d.rotatedVersion}`;
    }
  }
  return null;
}

/** One call: run it on the real app, and say (on a copy of the model, which it changes) what it should do. */
abstract class Op {
  /** Ops that name a request bind it to an id when their step starts, so every order talks about the same request. */
  bind(_m: Model): void {}
  abstract call(r: Real): Promise<Outcome>;
  abstract predict(m: Model, now: number, got: Outcome): Effect;
  abstract toString(): string;
}

class RequestOp extends Op {
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
  call(r: Real) {
    const ctx = ctxFor(this.who);
    const start = clock.now() + this.offset * MIN;
    return outcome('request', ctx, () =>
      wf().createRequest(ctx, {
        secretId: r.secretId,
        action: this.action,
        reason: 'model',
        durationMinutes: this.minutes,
        ...(this.offset ? { startAt: new Date(start).toISOString() } : {}),
      }),
    );
  }
  predict(m: Model, now: number, got: Outcome): Effect {
    const code = this.action === 'checkout' && this.minutes > MAX_MINUTES ? 'validation.failed' : 'ok';
    if (code === 'ok' && got.value) {
      const start = now + this.offset * MIN;
      m.reqs.push({
        id: got.value.id,
        requester: this.who,
        action: this.action,
        start,
        end: start + this.minutes * MIN,
        state: 'waiting_for_approval',
      });
    }
    return { code };
  }
  toString() {
    return `request(${this.who}, ${this.action}, ${this.minutes}m, +${this.offset}m)`;
  }
}

type DecideKind = 'approve' | 'reject' | 'self-approve' | 'cancel' | 'revoke';

class DecideOp extends Op {
  readonly op: DecideKind;
  readonly idx: number;
  private reqId: string | null = null;
  private requester: Requester | null = null;
  constructor(op: DecideKind, idx: number) {
    super();
    this.op = op;
    this.idx = idx;
  }
  override bind(m: Model) {
    const req = m.reqs.length ? pick(m, this.idx) : undefined;
    this.reqId = req?.id ?? null;
    this.requester = req?.requester ?? null;
  }
  call() {
    const id = this.reqId;
    if (!id) return Promise.resolve({ code: 'skip', value: undefined, requestId: null });
    const requester = this.requester as Requester;
    if (this.op === 'self-approve') {
      const ctx = ctxFor(requester);
      return outcome('self-approve', ctx, () => wf().approve(ctx, id, 'me'));
    }
    if (this.op === 'cancel') {
      const ctx = ctxFor(requester);
      return outcome('cancel', ctx, () => wf().cancel(ctx, id, 'model'));
    }
    const ctx = ctxFor('P');
    const op = this.op;
    return outcome(op, ctx, () => wf()[op](ctx, id, 'model'));
  }
  predict(m: Model, now: number): Effect {
    const req = reqOf(m, this.reqId);
    if (!req) return { code: 'skip' };
    const state = eff(req, now);
    if (this.op === 'self-approve') return { code: 'forbidden' };
    if (this.op === 'approve' || this.op === 'reject') {
      if (state !== 'waiting_for_approval') return { code: 'conflict' };
      req.state = this.op === 'approve' ? 'approved' : 'rejected';
      return { code: 'ok' };
    }
    if (this.op === 'cancel') {
      if (state !== 'waiting_for_approval' && state !== 'approved') return { code: 'conflict' };
      req.state = 'cancelled';
      return { code: 'ok' };
    }
    if (state !== 'approved' && state !== 'checked_out') return { code: 'conflict' };
    const ended = state === 'checked_out';
    if (ended) endCheckout(m, now, 'other');
    req.state = 'revoked';
    return { code: 'ok', revoke: { reqId: req.id, was: state, ended } };
  }
  toString() {
    return `${this.op}(#${this.idx})`;
  }
}

class CheckoutOp extends Op {
  readonly who: Who;
  readonly idx: number | null;
  readonly minutes: number | undefined;
  private reqId: string | null = null;
  constructor(who: Who, idx: number | null, minutes: number | undefined) {
    super();
    this.who = who;
    this.idx = idx;
    this.minutes = minutes;
  }
  override bind(m: Model) {
    this.reqId = this.idx !== null && this.who !== 'O' && m.reqs.length ? pick(m, this.idx).id : null;
  }
  call(r: Real) {
    const ctx = ctxFor(this.who);
    return outcome('checkout', ctx, () =>
      wf().checkout(ctx, r.secretId, {
        reason: 'model',
        ...(this.reqId ? { requestId: this.reqId } : {}),
        ...(this.minutes !== undefined ? { durationMinutes: this.minutes } : {}),
      }),
    );
  }
  predict(m: Model, now: number): Effect {
    const req = reqOf(m, this.reqId);
    let code = 'ok';
    let end = now + (this.minutes ?? MAX_MINUTES) * MIN;
    if (this.minutes !== undefined && this.minutes > MAX_MINUTES) code = 'validation.failed';
    else if (req) {
      if (req.requester !== this.who) code = 'not_found';
      else if (req.action !== 'checkout') code = 'conflict';
      else if (eff(req, now) !== 'approved') code = 'conflict';
      else if (now < req.start) code = 'conflict';
      else end = Math.min(end, req.end);
    } else if (this.who !== 'O') code = 'secret.approval_required';
    if (code === 'ok' && live(m, now)) code = 'secret.checked_out';
    if (code !== 'ok') return { code };
    if (m.co?.active) endCheckout(m, now, 'other'); // overdue: ended like the sweep would
    m.co = { holder: this.who, reqId: req?.id ?? null, end, active: true };
    if (req) {
      req.state = 'checked_out';
      req.end = end;
    }
    return { code };
  }
  toString() {
    return `checkout(${this.who}, ${this.idx === null ? '-' : `#${this.idx}`}, ${this.minutes ?? 'max'}m)`;
  }
}

class CheckinOp extends Op {
  readonly who: Who;
  constructor(who: Who) {
    super();
    this.who = who;
  }
  call(r: Real) {
    const ctx = ctxFor(this.who);
    return outcome('checkin', ctx, () => wf().checkin(ctx, r.secretId, { reason: 'model' }));
  }
  predict(m: Model, now: number): Effect {
    if (!m.co?.active) return { code: 'conflict' };
    if (m.co.holder !== this.who && this.who !== 'O') return { code: 'secret.checked_out' };
    endCheckout(m, now, 'checkin');
    return { code: 'ok' };
  }
  toString() {
    return `checkin(${this.who})`;
  }
}

class RevealOp extends Op {
  readonly who: Who;
  constructor(who: Who) {
    super();
    this.who = who;
  }
  call(r: Real) {
    const ctx = ctxFor(this.who);
    return outcome('reveal', ctx, () => h.coffer.services.secrets.reveal(ctx, r.secretId, { reason: 'model' }));
  }
  predict(m: Model, now: number, got: Outcome): Effect {
    const co = live(m, now);
    let code: string;
    if (co && co.holder !== this.who) code = 'secret.checked_out';
    else if (this.who === 'O' || co) code = 'ok';
    else {
      const approved = m.reqs.some(
        (q) => q.requester === this.who && q.action === 'reveal' && q.state === 'approved' && q.start <= now && now < q.end,
      );
      code = approved ? 'ok' : 'secret.approval_required';
    }
    if (got.value) assert.equal(got.value.version, m.version, 'revealed the current version');
    return { code };
  }
  toString() {
    return `reveal(${this.who})`;
  }
}

class RotateOp extends Op {
  call(r: Real) {
    const ctx = ctxFor('O');
    return outcome('rotate', ctx, () => wf().rotate(ctx, r.secretId, { reason: 'model' }));
  }
  predict(m: Model, now: number): Effect {
    const co = live(m, now);
    if (co && co.holder !== 'O') return { code: 'secret.checked_out' };
    m.version++;
    return { code: 'ok' };
  }
  toString() {
    return 'rotate(O)';
  }
}

class SweepOp extends Op {
  call() {
    return outcome('sweep', null, () => wf().sweep(clock.now()));
  }
  predict(m: Model, now: number): Effect {
    for (const q of m.reqs) if ((q.state === 'waiting_for_approval' || q.state === 'approved') && q.end <= now) q.state = 'expired';
    if (m.co?.active && m.co.end <= now) endCheckout(m, now, 'other');
    return { code: 'ok' };
  }
  toString() {
    return 'sweep';
  }
}

function commit(m: Model, next: Model) {
  m.reqs = next.reqs;
  m.co = next.co;
  m.version = next.version;
}

/** One call at a time: the outcome, the store and the audit record must be what the model says. */
class StepCmd implements fc.AsyncCommand<Model, Real, true> {
  readonly op: Op;
  constructor(op: Op) {
    this.op = op;
  }
  async check() {
    return true;
  }
  async run(m: Model, r: Real) {
    this.op.bind(m);
    const now = clock.now();
    const since = await auditHead();
    const got = await this.op.call(r);
    const next = structuredClone(m);
    const effect = this.op.predict(next, now, got);
    assert.equal(got.code, effect.code, `${this.op} (on ${JSON.stringify(m)})`);
    commit(m, next);
    const bad = disagreement(m, await snapshot(r), now) ?? auditDisagreement(await auditOf(since, [got]), [got], [effect]);
    assert.equal(bad, null, `after ${this.op}`);
  }
  toString() {
    return this.op.toString();
  }
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/**
 * Several calls at once. Some order of them must explain everything: each call's outcome, the
 * store afterwards and the audit records (the first order that does becomes the model's state).
 */
class ConcurrentCmd implements fc.AsyncCommand<Model, Real, true> {
  readonly ops: Op[];
  constructor(ops: Op[]) {
    this.ops = ops;
  }
  async check() {
    return true;
  }
  async run(m: Model, r: Real) {
    for (const op of this.ops) op.bind(m);
    const now = clock.now();
    const since = await auditHead();
    const got = await Promise.all(this.ops.map((op) => op.call(r)));
    const snap = await snapshot(r);
    const recs = await auditOf(since, got);
    const tried: string[] = [];
    for (const order of permutations(this.ops.map((_, i) => i))) {
      const next = structuredClone(m);
      const effects: Effect[] = [];
      for (const i of order) effects[i] = (this.ops[i] as Op).predict(next, now, got[i] as Outcome);
      const codes = order.map((i) => `${this.ops[i]}=${effects[i]?.code}`).join(', ');
      const mismatch = got.findIndex((g, i) => g.code !== effects[i]?.code);
      if (mismatch >= 0) {
        tried.push(`${codes}: ${this.ops[mismatch]} got ${got[mismatch]?.code}`);
        continue;
      }
      const bad = disagreement(next, snap, now) ?? auditDisagreement(recs, got, effects);
      if (bad) {
        tried.push(`${codes}: ${bad}`);
        continue;
      }
      commit(m, next);
      stats.set(`concurrent:${this.ops.length}`, (stats.get(`concurrent:${this.ops.length}`) ?? 0) + 1);
      return;
    }
    assert.fail(
      `no order of ${this} explains what happened: got ${got.map((g, i) => `${this.ops[i]}=${g.code}`).join(', ')} on ${JSON.stringify(m)}\n${tried.join('\n')}`,
    );
  }
  toString() {
    return `concurrently[${this.ops.join(' | ')}]`;
  }
}

class AdvanceCmd implements fc.AsyncCommand<Model, Real, true> {
  readonly minutes: number;
  constructor(minutes: number) {
    this.minutes = minutes;
  }
  async check() {
    return true;
  }
  async run() {
    clock.advance(this.minutes * MIN);
  }
  toString() {
    return `advance(${this.minutes}m)`;
  }
}

const who = fc.constantFrom<Who>('A', 'B', 'O');
const requester = fc.constantFrom<Requester>('A', 'B');
const idx = fc.nat({ max: 4 });
const requestOp = fc
  .tuple(
    requester,
    fc.constantFrom<'reveal' | 'checkout'>('reveal', 'checkout', 'checkout'),
    fc.constantFrom(5, 20, 45, 61),
    fc.constantFrom(0, 0, 10),
  )
  .map(([w, a, d, o]) => new RequestOp(w, a, d, o));
const decideOp = fc
  .tuple(fc.constantFrom<DecideKind>('approve', 'approve', 'approve', 'reject', 'self-approve', 'cancel', 'revoke', 'revoke'), idx)
  .map(([op, i]) => new DecideOp(op, i));
const checkoutOp = fc
  .tuple(who, fc.option(idx, { freq: 5 }), fc.constantFrom<number | undefined>(undefined, undefined, 10, 30, 61))
  .map(([w, i, d]) => new CheckoutOp(w, i, d));
const step = (op: fc.Arbitrary<Op>) => op.map((o) => new StepCmd(o));
// what runs concurrently: revoke, checkout, checkin, the sweep (expiry) and rotation, mostly on the
// newest requests, so that they collide
const near = fc.nat({ max: 1 });
const racingOp: fc.Arbitrary<Op> = fc.oneof(
  near.map((i) => new DecideOp('revoke', i)),
  fc.tuple(requester, near).map(([w, i]) => new CheckoutOp(w, i, undefined)),
  fc.constant(new CheckoutOp('O', null, 10)),
  who.map((w) => new CheckinOp(w)),
  fc.constant(new SweepOp()),
  fc.constant(new RotateOp()),
);
// the race of the issue, always with its two parties, and sometimes more
const race = fc
  .tuple(requester, near, fc.array(racingOp, { maxLength: 1 }))
  .map(([w, i, more]) => new ConcurrentCmd([new CheckoutOp(w, i, undefined), new DecideOp('revoke', i), ...more]));
const concurrent = fc.array(racingOp, { minLength: 2, maxLength: 3 }).map((ops) => new ConcurrentCmd(ops));
// listed more than once to weigh the draw towards the lifecycle steps
const commands = fc.commands<Model, Real, true>(
  [
    step(requestOp),
    step(requestOp),
    step(decideOp),
    step(decideOp),
    step(decideOp),
    step(checkoutOp),
    step(checkoutOp),
    step(who.map((w) => new CheckinOp(w))),
    step(who.map((w) => new RevealOp(w))),
    step(who.map((w) => new RevealOp(w))),
    step(fc.constant(new RotateOp())),
    fc.constantFrom(1, 5, 15, 30, 61).map((n) => new AdvanceCmd(n)),
    step(fc.constant(new SweepOp())),
    race,
    race,
    concurrent,
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

    it(`agrees with the model over ${NUM_RUNS} random sequences, some steps concurrent`, { timeout: 15 * 60_000 }, async () => {
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
        'revoke:conflict',
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
        'concurrent:2',
        'concurrent:3',
      ]) {
        assert.ok((stats.get(k) ?? 0) > 0, `never reached ${k}: ${JSON.stringify(seen)}`);
      }
      if (process.env.WORKFLOW_MODEL_STATS) console.log(seen);
      stats.clear();
    });
  });
}
