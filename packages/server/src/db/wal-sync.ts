import { Worker } from 'node:worker_threads';

/**
 * Durable commits on SQLite without blocking the event loop.
 *
 * With `synchronous = FULL` SQLite calls fdatasync() on the write-ahead log inside every COMMIT,
 * on the one thread that runs every request: the whole server stops for the disk flush
 * (~15 % of a reveal's time under load, bench/README.md). Coffer runs the connection with
 * `synchronous = NORMAL` instead — a commit only write()s its frames to the log — and flushes the
 * log itself, off the main thread, before anyone is told the commit happened: the connection is
 * released first, so other requests run during the flush, and commits that land while a flush is
 * in flight share the next one (group commit at the disk level).
 *
 * Durability is that of FULL: an acknowledged commit's frames are on disk (FULL does exactly this
 * fdatasync of the log after each commit; checkpoints under NORMAL still sync the log before and
 * the database file after). What changes is only who waits: the request that committed, not the
 * process. See docs/adr/0008-sqlite-commit-flush-off-thread.md.
 *
 * A failed flush is not retried: after a failed fsync the kernel may have dropped the dirty pages
 * and a retry can report success for data that is gone ("fsyncgate"). Every later commit is then
 * refused (the waiters get the error, so the requests fail closed) until the process restarts and
 * SQLite recovers from what is on disk.
 */
export interface WalSync {
  /** Marks a commit that wrote; returns the ticket to wait for. */
  committed(): number;
  /** Resolves once everything committed up to `ticket` is on disk. */
  durable(ticket: number): Promise<void>;
  /** Flushes issued and commits covered so far (for tests and the bench). */
  stats(): { flushes: number; committed: number; synced: number };
  close(): Promise<void>;
}

/** Flushes one file to disk; rejects on any failure. */
export type Flush = () => Promise<void>;

export function createWalSync(flush: Flush, onFailure: (err: unknown) => void = () => {}): WalSync {
  let committed = 0;
  let synced = 0;
  let flushes = 0;
  let inFlight: Promise<void> | null = null;
  let failure: unknown = null;

  function flushOnce(): Promise<void> {
    const upTo = committed;
    flushes += 1;
    const p = flush().then(
      () => {
        synced = Math.max(synced, upTo);
      },
      (err: unknown) => {
        if (failure === null) {
          failure = err;
          onFailure(err);
        }
      },
    );
    inFlight = p.finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  async function durable(ticket: number): Promise<void> {
    // a flush that started before this commit does not cover it: wait for it, then start another
    while (synced < ticket) {
      if (failure !== null) throw new WalSyncError(failure);
      await (inFlight ?? flushOnce());
    }
  }

  return {
    committed: () => {
      committed += 1;
      return committed;
    },
    durable,
    stats: () => ({ flushes, committed, synced }),
    close: async () => {
      await inFlight;
    },
  };
}

export class WalSyncError extends Error {
  constructor(cause: unknown) {
    super('the write-ahead log could not be flushed to disk; commits are refused until restart', { cause });
    this.name = 'WalSyncError';
  }
}

// The flusher: a thread of its own rather than libuv's pool, which Argon2id hashing (logins, export
// keys) can fill for hundreds of milliseconds. It opens the log for each flush, so a log that
// SQLite truncated or recreated is still the one flushed; if the log is gone (every change was
// checkpointed into the database file and the log removed), the database file is flushed instead.
const FLUSHER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
function flushFile(file) {
  const fd = fs.openSync(file, 'r');
  try { fs.fdatasyncSync(fd); } finally { fs.closeSync(fd); }
}
parentPort.on('message', (id) => {
  try {
    try { flushFile(workerData.wal); }
    catch (e) { if (e && e.code === 'ENOENT') flushFile(workerData.db); else throw e; }
    parentPort.postMessage({ id, ok: true });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, code: String((e && e.code) || 'EIO') });
  }
});
`;

/** A flush of `<file>-wal` (or `<file>`) on a dedicated thread. */
export function walFlusher(dbFile: string): { flush: Flush; close: () => Promise<void> } {
  const worker = new Worker(FLUSHER, { eval: true, workerData: { wal: `${dbFile}-wal`, db: dbFile } });
  worker.unref();
  let next = 0;
  const waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  worker.on('message', (m: { id: number; ok: boolean; code?: string }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve();
    else w.reject(Object.assign(new Error(`fdatasync failed: ${m.code}`), { code: m.code }));
  });
  const failAll = (err: unknown) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', () => failAll(new Error('the flusher thread stopped')));
  return {
    flush: () =>
      new Promise<void>((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        worker.postMessage(id);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}
