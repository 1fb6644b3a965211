import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every line has, shown in the line's head instead of as key=value. */
const HEAD = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'responseTime', 'err']);

/**
 * Control characters (C0, DEL, C1) and line separators as \uXXXX: a path or header that a client
 * sent reaches the log, and must not move the cursor, recolour or rewrite an operator's terminal.
 */
export function escapeControls(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? escapeControls(v) : escapeControls(JSON.stringify(v));
  return escapeControls(JSON.stringify(v) ?? String(v));
}

/** One pino JSON line -> `12:00:01.234 INFO  [req-id]  GET /path from 127.0.0.1  message  key=value …` (time in UTC). */
export function formatLine(line: string, colors: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return escapeControls(line);
  }
  if (!o || typeof o !== 'object') return escapeControls(line);
  const level = Number(o.level);
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 23) : '';
  const name = (LEVELS[level] ?? String(o.level)).padEnd(5);
  const parts = [time, colors ? `\u001b[${COLORS[level] ?? '0'}m${name}\u001b[0m` : name];
  if (o.reqId) parts.push(`[${value(o.reqId)}]`);
  const req = o.req as { method?: unknown; path?: unknown; ip?: unknown } | undefined;
  if (req?.method) parts.push(`${value(req.method)} ${value(req.path ?? '')}${req.ip ? ` from ${value(req.ip)}` : ''}`);
  const res = o.res as { statusCode?: unknown } | undefined;
  if (res?.statusCode !== undefined) parts.push(value(res.statusCode));
  if (typeof o.responseTime === 'number') parts.push(`${o.responseTime.toFixed(1)} ms`);
  if (o.msg !== undefined) parts.push(typeof o.msg === 'string' ? escapeControls(o.msg) : value(o.msg));
  for (const [k, v] of Object.entries(o)) if (!HEAD.has(k) && v !== undefined) parts.push(`${escapeControls(k)}=${value(v)}`);
  let out = parts.filter(Boolean).join('  ');
  const err = o.err as { type?: unknown; message?: unknown; stack?: unknown } | undefined;
  if (err) {
    const stack = typeof err.stack === 'string' ? err.stack : `${String(err.type ?? 'Error')}: ${String(err.message ?? '')}`;
    out += `\n${stack
      .split('\n')
      .map((l) => `    ${escapeControls(l)}`)
      .join('\n')}`;
  }
  return out;
}

/**
 * A stream for the server's logger that writes its JSON lines in a human-readable form to `out`
 * (a terminal). It formats what pino already wrote, so the redaction of credentials and secret
 * fields (app.ts `logRedactPaths`) happened before and holds here too.
 */
export function prettyLog(out: NodeJS.WritableStream, opts: { colors?: boolean } = {}): Writable {
  const colors = opts.colors ?? false;
  let rest = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      const text = rest + chunk.toString();
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      if (lines.length) out.write(`${lines.map((l) => formatLine(l, colors)).join('\n')}\n`);
      done();
    },
    final(done) {
      if (rest) out.write(`${formatLine(rest, colors)}\n`);
      done();
    },
  });
}
