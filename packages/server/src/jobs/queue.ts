import type { Db, Dialect, Executor, Trx } from '../db/database.ts';
import type { QueueJobTable } from '../db/schema.ts';
import { isAppError } from '../lib/app-error.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';

/**
 * The job queue and scheduler on the database (ADR 0005), for every process of one installation:
 *
 * - A job is a `job_queue` row. A process claims due rows with one conditional UPDATE (on PostgreSQL
 *   through `FOR UPDATE SKIP LOCKED`, so processes never wait on each other nor take the same row);
 *   the claim sets `locked_by`, a lease and `attempts + 1`.
 * - Completing is a conditional update on (id, locked_by, attempts, state = running): a claim whose
 *   lease was taken over by another process cannot complete, and its transaction rolls back.
 * - A handler's database effect (`commit`) runs in the transaction that marks the job done: it
 *   happens exactly once. Work outside the database (`external`, e.g. an HTTP call) runs before
 *   that transaction and is at-least-once: a process that dies after it and before the commit
 *   leaves the job to be run again when its lease runs out.
 * - A failure schedules a retry with exponential backoff and jitter, up to `max_attempts`, then
 *   the job is `failed`. A claim whose process died counts as an attempt.
 * - Recurring tasks (`every`) are jobs with a dedupe key per period: each process enqueues the
 *   current period, the unique index keeps one, and one process runs it.
 */

export type QueueJobStateName = QueueJobTable['state'];

export interface ClaimedJob<P = unknown> {
  id: string;
  kind: string;
  payload: P;
  /** This claim's number, from 1. */
  attempt: number;
  maxAttempts: number;
  runAt: number;
  createdAt: number;
}

/**
 * An error a handler throws on purpose: `code` and `message` go to `last_error` (so they must
 * never hold a secret). Any other error is recorded by its name or code only.
 */
export class JobError extends Error {
  readonly code: string;
  /** No retry: the job fails now. */
  readonly permanent: boolean;

  constructor(code: string, message: string, opts: { permanent?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'JobError';
    this.code = code;
    this.permanent = opts.permanent ?? false;
  }
}

export interface JobFailure {
  /** The text stored in `last_error`. */
  error: string;
  cause: unknown;
  /** No retry follows: the job is now `failed`. */
  final: boolean;
  nextRunAt: number | null;
}

/** A job's effect in the database: it commits with the job's completion, exactly once. */
export type JobFn<P = unknown> = (trx: Trx, job: ClaimedJob<P>) => Promise<void>;

export interface JobHandler<P = unknown, R = unknown> {
  /**
   * Work outside the database (an HTTP call), before the completing transaction. At-least-once:
   * make it idempotent or give the receiver a stable id to deduplicate. Throw to retry.
   * Never run slow work inside `commit`: on SQLite a transaction holds the only connection.
   */
  external?: (job: ClaimedJob<P>) => Promise<R>;
  /** Runs in the transaction that marks the job done. */
  commit?: (trx: Trx, job: ClaimedJob<P>, result: R) => Promise<void>;
  /** Runs in the transaction that records a failed attempt (retry scheduled, or final). */
  onFailure?: (trx: Trx, job: ClaimedJob<P>, failure: JobFailure) => Promise<void>;
  /** Default for jobs of this kind enqueued without `maxAttempts`. */
  maxAttempts?: number;
  /** Retry delay: baseMs * 2^(attempt-1), capped at maxMs, then jittered to [50%, 100%]. */
  backoff?: { baseMs: number; maxMs: number };
}

export interface EnqueueOptions {
  /** Not before this time (ms). Default now. */
  runAt?: number;
  /** At most one job with this key exists (done and failed ones included, until cleaned up). */
  dedupeKey?: string;
  maxAttempts?: number;
}

export interface JobQueueDeps {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  /** This process's name in `locked_by` (unique per process). */
  owner: string;
  /** How long a claim is held without a heartbeat (default 60 s). Clocks of processes must agree to well within it. */
  leaseMs?: number;
  /** Jobs run at once by this process (default 10). */
  concurrency?: number;
  /** Polls do nothing while this is false (e.g. while sealed: handlers need the keys). */
  ready?: () => boolean;
  /** Failures of the queue itself and of handlers, for the log (never put job payloads there). */
  onError?: (err: unknown, info: { kind?: string; jobId?: string }) => void;
  /** Done jobs are deleted after this long (default 7 days), failed ones after 30 days. */
  retainDoneMs?: number;
}

const DEFAULT_BACKOFF = { baseMs: 1000, maxMs: 3_600_000 };
const DEFAULT_MAX_ATTEMPTS = 5;
const RECURRING_PREFIX = 'every:';

/** The text kept in `last_error`: our own codes and messages only, never an arbitrary message. */
export function describeJobError(e: unknown): string {
  if (e instanceof JobError || isAppError(e)) return `${e.code}: ${e.message}`.slice(0, 300);
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code)) return `error: ${code}`;
  const name = (e as { name?: unknown } | null)?.name;
  return `error: ${typeof name === 'string' ? name.slice(0, 40) : 'unknown'}`;
}

/** Exponential backoff with "equal jitter": never sooner than half the nominal delay. */
export function backoffDelay(attempt: number, backoff: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const nominal = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

const leaseLost = new Error('the job lease was taken over');

export function createJobQueue(deps: JobQueueDeps) {
  const { db, dialect, clock, owner } = deps;
  const leaseMs = deps.leaseMs ?? 60_000;
  const concurrency = deps.concurrency ?? 10;
  const retainDoneMs = deps.retainDoneMs ?? 7 * 86_400_000;
  const handlers = new Map<string, JobHandler<unknown, unknown>>();
  const recurring = new Map<string, { intervalMs: number; lastPeriod: number | null }>();
  const active = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let currentPoll: Promise<unknown> | undefined;
  const report = (e: unknown, info: { kind?: string; jobId?: string } = {}) => deps.onError?.(e, info);

  function register<P = unknown, R = unknown>(kind: string, handler: JobFn<P> | JobHandler<P, R>): void {
    if (handlers.has(kind)) throw new Error(`a handler for job kind ${kind} is registered already`);
    const h: JobHandler<P, R> = typeof handler === 'function' ? { commit: handler } : handler;
    handlers.set(kind, h as JobHandler<unknown, unknown>);
  }

  async function enqueue(exec: Executor, kind: string, payload: unknown, opts: EnqueueOptions = {}): Promise<string | null> {
    const now = clock.now();
    const id = newId('job', now);
    const row: QueueJobTable = {
      id,
      kind,
      payload: JSON.stringify(payload ?? null),
      run_at: opts.runAt ?? now,
      attempts: 0,
      max_attempts: opts.maxAttempts ?? handlers.get(kind)?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      state: 'queued',
      locked_by: null,
      lease_until: null,
      last_error: null,
      dedupe_key: opts.dedupeKey ?? null,
      created_at: now,
      updated_at: now,
    };
    if (opts.dedupeKey === undefined) {
      await exec.insertInto('job_queue').values(row).execute();
      return id;
    }
    const r = await exec
      .insertInto('job_queue')
      .values(row)
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1 ? id : null;
  }

  /**
   * Runs `handler` once per period of `intervalMs` (periods start at multiples of it since the
   * epoch) across all processes. A period in which no process polled is skipped, not caught up.
   */
  function every<P = unknown, R = unknown>(name: string, intervalMs: number, handler: JobFn<P> | JobHandler<P, R>): void {
    if (!(intervalMs >= 1000)) throw new Error('a recurring task runs at most once a second');
    const h: JobHandler<P, R> = typeof handler === 'function' ? { commit: handler } : handler;
    register(RECURRING_PREFIX + name, { maxAttempts: 3, ...h });
    recurring.set(name, { intervalMs, lastPeriod: null });
  }

  async function enqueueRecurring(now: number): Promise<void> {
    for (const [name, r] of recurring) {
      const period = Math.floor(now / r.intervalMs) * r.intervalMs;
      if (r.lastPeriod === period) continue;
      await enqueue(db, RECURRING_PREFIX + name, { period }, { runAt: period, dedupeKey: `${RECURRING_PREFIX}${name}:${period}` });
      r.lastPeriod = period;
    }
  }

  async function claim(limit: number): Promise<QueueJobTable[]> {
    const kinds = [...handlers.keys()];
    if (kinds.length === 0 || limit <= 0) return [];
    const now = clock.now();
    let due = db
      .selectFrom('job_queue')
      .select('id')
      .where('kind', 'in', kinds)
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'queued'), eb('run_at', '<=', now)]),
          // its claimant died (or hangs) past the lease
          eb.and([eb('state', '=', 'running'), eb('lease_until', '<', now)]),
        ]),
      )
      .orderBy('run_at')
      .limit(limit);
    // rows another process is claiming right now are skipped, not waited for
    if (dialect === 'postgres') due = due.forUpdate().skipLocked();
    return db
      .updateTable('job_queue')
      .set((eb) => ({
        state: 'running',
        locked_by: owner,
        lease_until: now + leaseMs,
        attempts: eb('attempts', '+', 1),
        updated_at: now,
      }))
      .where('id', 'in', due)
      .returningAll()
      .execute();
  }

  /** The row still holds our claim. */
  const ours = (job: { id: string; attempt: number }) =>
    db
      .updateTable('job_queue')
      .where('id', '=', job.id)
      .where('locked_by', '=', owner)
      .where('attempts', '=', job.attempt)
      .where('state', '=', 'running');

  function toJob(row: QueueJobTable): ClaimedJob {
    let payload: unknown = null;
    try {
      payload = JSON.parse(row.payload);
    } catch {
      // stays null; the handler decides
    }
    return {
      id: row.id,
      kind: row.kind,
      payload,
      attempt: Number(row.attempts),
      maxAttempts: Number(row.max_attempts),
      runAt: Number(row.run_at),
      createdAt: Number(row.created_at),
    };
  }

  async function runJob(row: QueueJobTable): Promise<void> {
    const job = toJob(row);
    const h = handlers.get(job.kind) as JobHandler<unknown, unknown>;
    if (job.attempt > job.maxAttempts) {
      // claimed again after its last allowed attempt died with its process
      await recordFailure(job, h, new JobError('lease_expired', 'the process running the last attempt stopped'), true);
      return;
    }
    const beat = setInterval(
      () => {
        ours(job)
          .set({ lease_until: clock.now() + leaseMs })
          .execute()
          .catch((e) => report(e, { kind: job.kind, jobId: job.id }));
      },
      Math.max(1000, Math.floor(leaseMs / 3)),
    );
    beat.unref();
    try {
      const result = h.external ? await h.external(job) : undefined;
      await db.transaction().execute(async (trx) => {
        // first: takes the row (and, on PostgreSQL, its lock) so a concurrent claimant cannot finish too
        const r = await trx
          .updateTable('job_queue')
          .set({ state: 'done', lease_until: null, last_error: null, updated_at: clock.now() })
          .where('id', '=', job.id)
          .where('locked_by', '=', owner)
          .where('attempts', '=', job.attempt)
          .where('state', '=', 'running')
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw leaseLost;
        if (h.commit) await h.commit(trx, job, result);
      });
    } catch (e) {
      if (e === leaseLost) return;
      await recordFailure(job, h, e, false);
    } finally {
      clearInterval(beat);
    }
  }

  async function recordFailure(job: ClaimedJob, h: JobHandler<unknown, unknown>, cause: unknown, forceFinal: boolean): Promise<void> {
    const now = clock.now();
    const final = forceFinal || (cause instanceof JobError && cause.permanent) || job.attempt >= job.maxAttempts;
    const nextRunAt = final ? null : now + backoffDelay(job.attempt, h.backoff ?? DEFAULT_BACKOFF);
    const error = describeJobError(cause);
    try {
      await db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('job_queue')
          .set({
            state: final ? 'failed' : 'queued',
            ...(nextRunAt === null ? {} : { run_at: nextRunAt }),
            lease_until: null,
            last_error: error,
            updated_at: now,
          })
          .where('id', '=', job.id)
          .where('locked_by', '=', owner)
          .where('attempts', '=', job.attempt)
          .where('state', '=', 'running')
          .executeTakeFirst();
        // lease lost: the process that took the job over owns its outcome
        if (Number(r.numUpdatedRows) !== 1) return;
        if (h.onFailure) await h.onFailure(trx, job, { error, cause, final, nextRunAt });
      });
    } catch (e) {
      // the claim stays; the job is claimed again when its lease runs out
      report(e, { kind: job.kind, jobId: job.id });
    }
    if (!(cause instanceof JobError)) report(cause, { kind: job.kind, jobId: job.id });
  }

  function track(p: Promise<void>): Promise<void> {
    const t = p.catch((e) => report(e)).finally(() => active.delete(t));
    active.add(t);
    return t;
  }

  async function poll(wait: boolean): Promise<number> {
    if (deps.ready && !deps.ready()) return 0;
    await enqueueRecurring(clock.now());
    const rows = await claim(concurrency - active.size);
    const runs = rows.map((row) => track(runJob(row)));
    if (wait) await Promise.all(runs);
    return rows.length;
  }

  function schedule(pollMs: number, delay: number) {
    if (!running) return;
    timer = setTimeout(() => {
      const p = poll(false)
        .then((n) => n)
        .catch((e) => {
          report(e);
          return 0;
        });
      currentPoll = p;
      void p.then((n) => schedule(pollMs, n > 0 && active.size < concurrency ? 10 : pollMs));
    }, delay);
    timer.unref();
  }

  async function deleteOld(trx: Trx): Promise<void> {
    const now = clock.now();
    await trx
      .deleteFrom('job_queue')
      .where('state', '=', 'done')
      .where('updated_at', '<', now - retainDoneMs)
      .execute();
    await trx
      .deleteFrom('job_queue')
      .where('state', '=', 'failed')
      .where('updated_at', '<', now - 30 * 86_400_000)
      .execute();
  }
  every('jobs.cleanup', 3_600_000, deleteOld);

  return {
    register,
    enqueue,
    every,
    /** Claims what is due (up to the free slots) and runs it to the end. For tests and the CLI. */
    runDue: () => poll(true),
    /** Polls every `pollMs` (default 1 s) until stop(). */
    start(opts: { pollMs?: number } = {}): void {
      if (running) return;
      running = true;
      schedule(opts.pollMs ?? 1000, 0);
    },
    /** Stops polling and waits for the running jobs to finish. runDue() still works afterwards. */
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      await currentPoll;
      await Promise.allSettled([...active]);
    },
    /** Jobs this process is running now. */
    activeCount: () => active.size,
    owner,
  };
}
export type JobQueue = ReturnType<typeof createJobQueue>;
