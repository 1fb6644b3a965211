import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * One process at a time on a SQLite store: the server (main.ts) and the CLI's `init` and
 * `migrate` hold `<database file>.lock` while they run; a second one is refused with a message
 * naming the holder. Reading the store (`coffer audit verify`) takes no lock. PostgreSQL takes
 * none: several nodes on one database is how it is deployed.
 *
 * The file holds the holder's pid, the boot it started in and its start time (Linux /proc), so a
 * lock left by a process that was killed (kill -9, power loss) is recognised as stale and taken
 * over, even when the pid was reused meanwhile: a lock counts only while a process with that
 * pid, that boot and that start time is alive. Not an flock: Node has none, and the store file's
 * own SQLite locks are held only during transactions.
 */
export interface LockHolder {
  pid: number;
  /** What holds it: `server`, `coffer init`, `coffer migrate`. */
  purpose: string;
  /** When the holder took the lock (ISO). */
  since: string;
  bootId: string | null;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22). */
  startTicks: string | null;
}

export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
  readonly holder: LockHolder;
  readonly file: string;
  constructor(file: string, holder: LockHolder) {
    const what = holder.purpose === 'server' ? 'A Coffer server' : `"${holder.purpose}"`;
    super(
      `${what} (pid ${holder.pid}, since ${holder.since}) is using the store ${file}. ` +
        'Only one process may use a SQLite store at a time: stop it first, or give this one another data directory (COFFER_DATA_DIR). ' +
        '(Several servers on one store need PostgreSQL: COFFER_DATABASE_URL.)',
    );
    this.holder = holder;
    this.file = file;
  }
}

/** The SQLite file of a database URL, or null for PostgreSQL. */
export function sqliteFile(databaseUrl: string): string | null {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : null;
}

export const lockFileOf = (dbFile: string) => `${dbFile}.lock`;

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

const bootId = () => readOrNull('/proc/sys/kernel/random/boot_id');

function startTicks(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (!stat) return null;
  // the command name (field 2) may hold spaces and parentheses: count from the last ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? null; // field 22
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the recorded holder is still the process that took the lock. */
function holds(h: LockHolder): boolean {
  if (!Number.isInteger(h.pid) || h.pid <= 0 || h.pid === process.pid) return false;
  if (h.bootId && bootId() && h.bootId !== bootId()) return false;
  if (!alive(h.pid)) return false;
  if (h.startTicks) {
    const now = startTicks(h.pid);
    if (now !== null && now !== h.startTicks) return false;
  }
  return true;
}

function parse(text: string | null): LockHolder | null {
  if (text === null) return null;
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.pid === 'number' ? h : null;
  } catch {
    return null;
  }
}

/** The live holder of the store's lock, if any. */
export function storeLockHolder(dbFile: string): LockHolder | null {
  const h = parse(readOrNull(lockFileOf(dbFile)));
  return h && holds(h) ? h : null;
}

/**
 * Takes the store's lock for this process or throws StoreLockedError. `release()` removes the
 * file (only while it is still this process's); it is also removed when the process exits.
 */
export function acquireStoreLock(dbFile: string, purpose: string): { release(): void } {
  const file = lockFileOf(dbFile);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const me: LockHolder = {
    pid: process.pid,
    purpose,
    since: new Date().toISOString(),
    bootId: bootId(),
    startTicks: startTicks(process.pid),
  };
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const seen = readOrNull(file);
      const holder = parse(seen);
      if (holder && holds(holder)) throw new StoreLockedError(dbFile, holder);
      // stale (its process is gone) or unreadable: remove it, unless it changed since it was read
      if (readOrNull(file) === seen) {
        try {
          unlinkSync(file);
        } catch {
          // removed by another starter meanwhile
        }
      }
      continue;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      if (readOrNull(file) === text.trim()) {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      }
    };
    process.on('exit', release);
    return { release };
  }
  const holder = parse(readOrNull(file));
  if (holder) throw new StoreLockedError(dbFile, holder);
  throw new Error(`cannot take the lock ${file}`);
}
