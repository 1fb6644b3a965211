// Progress on stderr for long operations: a bar when the amount of work is known, a spinner when
// it is not. Drawn only when stderr is a terminal, so pipes, files and --json consumers never see it.

import { safeLine } from './terminal.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const WIDTH = 24;

export interface Progress {
  /** Known amount: `done` of `total` (a bar); without them: a spinner. */
  update(label: string, done?: number, total?: number): void;
  /** Erases the line; safe to call more than once. */
  stop(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** One line of progress: `⠋ label [#####-----] 42% 1.2 MiB/2.9 MiB`. */
export function progressLine(frame: number, label: string, done?: number, total?: number, bytes = false): string {
  const spin = FRAMES[frame % FRAMES.length] as string;
  if (done === undefined || total === undefined || total <= 0) return `${spin} ${label}`;
  const ratio = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(ratio * WIDTH);
  const amount = bytes ? `${formatBytes(done)}/${formatBytes(total)}` : `${done}/${total}`;
  return `${spin} ${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${Math.floor(ratio * 100)}% ${amount}`;
}

/**
 * Starts a progress line on `stream` (default stderr), redrawn every 100 ms; nothing at all when the
 * stream is not a terminal. `bytes`: amounts are sizes. The timer does not keep the process alive.
 */
export function startProgress(opts: { stream?: ProgressStream; bytes?: boolean; intervalMs?: number } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!stream.isTTY) return { update() {}, stop() {} };
  let frame = 0;
  let state: { label: string; done?: number | undefined; total?: number | undefined } = { label: '' };
  let stopped = false;
  const draw = () => {
    if (stopped || !state.label) return;
    let line = progressLine(frame++, safeLine(state.label), state.done, state.total, opts.bytes);
    const cols = stream.columns ?? 80;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    stream.write(`\r\x1b[2K${line}`);
  };
  const timer = setInterval(draw, opts.intervalMs ?? 100);
  timer.unref();
  return {
    update(label, done, total) {
      const first = !state.label;
      state = { label, done, total };
      if (first) draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}

/** Runs `fn` with a progress line that is erased afterwards, whatever happens. */
export async function withProgress<T>(opts: { bytes?: boolean }, fn: (p: Progress) => Promise<T>): Promise<T> {
  const p = startProgress(opts);
  try {
    return await fn(p);
  } finally {
    p.stop();
  }
}
