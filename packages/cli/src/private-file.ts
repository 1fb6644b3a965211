// Files the CLI writes that hold secrets (a downloaded attachment, an export): owner-only, and at
// the path only when complete — written under a temporary name, synced, then renamed.
import { closeSync, constants, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError, formatError } from './cli.ts';
import { CLIENT_EXIT } from './client.ts';

/** Refuses to replace an existing file unless `force` (nothing is asked of the server first). */
export function refuseExisting(output: string, force: boolean): void {
  if (force) return;
  let exists = false;
  try {
    statSync(output);
    exists = true;
  } catch {
    // absent: fine
  }
  if (exists) throw new CliError(`${output} exists: give --force to replace it`, CLIENT_EXIT.conflict);
}

/** Writes `content` to `output` as a new 0600 file: the path holds either nothing or all of it. */
export function writePrivate(output: string, content: Uint8Array | string): void {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const tmp = join(dirname(output), `.${basename(output)}.coffer-${process.pid}.part`);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, output);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${output}: ${formatError(e)}`);
  }
}
