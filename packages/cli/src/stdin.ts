import { createInterface } from 'node:readline/promises';
import type { ReadStream } from 'node:tty';
import { CliError } from './cli.ts';

const MAX_LINE = 4096;

/**
 * Reads one secret line: from a terminal with a prompt and without echo, else the next line of
 * stdin (a pipe or a file; the first one at the first read). Secrets read this way never appear in
 * the process arguments.
 */
export function readSecretLine(prompt: string): Promise<string> {
  const stdin = process.stdin as ReadStream;
  return stdin.isTTY ? readHidden(stdin, prompt) : readFirstLine(stdin);
}

/**
 * What a pipe delivered past the line last read: the next read starts with it, so answers given as
 * lines of stdin (a password, then a new one, then a code) can be read one at a time even when they
 * arrive in one chunk.
 */
let pending = '';

/** The next line of a pipe or file (the rest, when no newline is left; empty at its end). */
function readFirstLine(stream: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = pending;
    pending = '';
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
    };
    /** Resolves with the first line of `buf` when it holds a whole one. */
    const line = (): boolean => {
      const nl = buf.indexOf('\n');
      if (nl < 0) return false;
      pending = buf.slice(nl + 1);
      resolve(buf.slice(0, nl).trim());
      return true;
    };
    const onData = (chunk: string) => {
      buf += chunk;
      if (line()) cleanup();
      else if (buf.length > MAX_LINE) {
        cleanup();
        reject(new CliError('the line read from stdin is too long'));
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(buf.trim());
    };
    const onError = (e: Error) => {
      cleanup();
      reject(new CliError(`cannot read stdin: ${e.message}`));
    };
    if (line()) return;
    if (stream.readableEnded) return resolve(buf.trim());
    stream.setEncoding('utf8');
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    // an earlier read paused the stream: a new 'data' listener alone would not start it again
    stream.resume();
  });
}

function readHidden(stdin: ReadStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line.trim());
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled', 130));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ' && line.length < MAX_LINE) line += ch;
      }
    };
    process.stderr.write(prompt);
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * Reads several secret lines, e.g. the current and the new password: at a terminal each after its
 * prompt, without echo; else the first lines of stdin, in order (a missing line reads as empty).
 */
export async function readSecretLines(prompts: string[]): Promise<string[]> {
  const stdin = process.stdin as ReadStream;
  if (stdin.isTTY) {
    const lines: string[] = [];
    for (const p of prompts) lines.push(await readHidden(stdin, p));
    return lines;
  }
  return readLines(stdin, prompts.length);
}

/**
 * A new password or passphrase: at a terminal asked twice (a typo cannot lock anyone out), else
 * the next line of stdin.
 */
export async function readNewSecret(prompt: string, again: string): Promise<string> {
  const stdin = process.stdin as ReadStream;
  if (!stdin.isTTY) return readFirstLine(stdin);
  const first = await readHidden(stdin, prompt);
  if (!first) return first;
  if ((await readHidden(stdin, again)) !== first) throw new CliError('the two entries differ: nothing was changed');
  return first;
}

async function readLines(stream: NodeJS.ReadStream, n: number): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(await readFirstLine(stream));
  return lines;
}

/** One line that need not be hidden (e.g. a TOTP code): asked at a terminal, else the next line of stdin. */
export async function readPlainLine(prompt: string): Promise<string> {
  const stdin = process.stdin as ReadStream;
  if (!stdin.isTTY) return readFirstLine(stdin);
  const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(prompt)).trim();
  } finally {
    rl.close();
  }
}

/**
 * Reads up to `max` secret lines: at a terminal each is asked for without echo (an empty line
 * stops early); from a pipe or file, the non-empty lines of stdin (at most 64 KiB in all).
 */
export async function readAllLines(prompt: string, max: number): Promise<string[]> {
  const stdin = process.stdin as ReadStream;
  if (stdin.isTTY) {
    const lines: string[] = [];
    while (lines.length < max) {
      const line = await readHidden(stdin, prompt);
      if (!line) break;
      lines.push(line);
    }
    return lines;
  }
  const chunks: string[] = [pending];
  pending = '';
  let size = chunks[0]?.length ?? 0;
  stdin.setEncoding('utf8');
  for await (const chunk of stdin as AsyncIterable<string>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new CliError('stdin is too long');
    chunks.push(chunk);
  }
  return chunks
    .join('')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
