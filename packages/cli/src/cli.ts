import type { ParseArgsConfig } from 'node:util';
import { safeJson, safeText } from './terminal.ts';

/** Exit codes: 0 done, 1 error, 2 bad usage, 3 audit tampering found, 9 audit MACs not checked. */
export const EXIT = { ok: 0, error: 1, usage: 2, tampered: 3, unverified: 9 } as const;

/** Bad command line: the message and the usage go to stderr, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message);
    this.usage = usage;
  }
}

/** An expected failure: one line on stderr, exit 1 (or the given code). */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.error) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The server's error envelope: {"error":{"code","message","requestId"}}. */
export class ServerError extends Error {
  override name = 'ServerError';
  readonly code: string;
  readonly requestId: string;
  readonly status: number;
  constructor(status: number, code: string, message: string, requestId: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface Command {
  /** As typed: `init`, `audit verify`. */
  name: string;
  summary: string;
  /** The full help text (`--help`). */
  usage: string;
  /** Options besides --help and --json, which every command has. */
  options: Options;
  positionals: { min: number; max: number };
  run(args: { values: Values; positionals: string[] }): Promise<number>;
}

export const str = (values: Values, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};

export const flag = (values: Values, name: string): boolean => values[name] === true;

/** A whole number flag within bounds, or a usage error naming the flag. */
export function intFlag(values: Values, name: string, min: number, max: number): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  }
  return Number(v);
}

/** A line (or lines) on stdout; control characters from anywhere are escaped (terminal.ts). */
export const out = (text: string): void => {
  const safe = safeText(text);
  process.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
};

/** JSON on stdout, with the characters terminals act on written as \u escapes (terminal.ts). */
export const outJson = (value: unknown): void => {
  process.stdout.write(`${safeJson(value)}\n`);
};

/** A line on stderr, escaped like `out`. */
export const err = (text: string): void => {
  const safe = safeText(text);
  process.stderr.write(safe.endsWith('\n') ? safe : `${safe}\n`);
};

export const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
};

/** One line for any error: server errors name their code and request id. */
export function formatError(e: unknown): string {
  if (e instanceof ServerError) return `${e.message} (${e.code}, request ${e.requestId})`;
  const err = e as { message?: unknown; code?: unknown; errors?: unknown } | null;
  let message = typeof err?.message === 'string' ? err.message : String(e);
  // node's AggregateError (e.g. a refused connection to every address) has an empty message
  if (!message && Array.isArray(err?.errors) && err.errors.length > 0) message = formatError(err.errors[0]);
  if (!message && typeof err?.code === 'string') message = err.code;
  const lines = [
    ...new Set(
      message
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
  const oneLine = lines.length > 1 ? `${lines[0]} ${lines.slice(1).join('; ')}` : (lines[0] ?? 'unknown error');
  // domain errors of the server code (AppError) carry a stable code
  const code = e instanceof Error && e.name === 'AppError' && typeof err?.code === 'string' ? ` (${err.code})` : '';
  return `${oneLine}${code}`;
}

/** A database URL without its password, for messages. */
export function redactUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable database URL)';
  }
}
