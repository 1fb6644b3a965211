import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, type Command, EXIT, env, flag, intFlag, out, outJson, str, UsageError } from '../cli.ts';
import { api, type KeyringStatus, serverUrl } from '../http.ts';

const usage = `Usage: coffer rotate-key [--url URL] [--token T] [--no-wait] [--timeout SECONDS] [--json]

Rotates the data encryption key online: a new key term is used for every new write at once, and
the server re-encrypts the existing data to it in the background. Waits for the re-encryption to
finish, printing its progress, unless --no-wait. Needs an administrator (permission sys.manage).

Options:
  --url URL           the server (default: COFFER_URL, else http://127.0.0.1:7300)
  --token T           a session token or API key (default: COFFER_TOKEN; prefer the variable:
                      arguments show in ps)
  --no-wait           return once the new term is active, without waiting for the re-encryption
  --timeout SECONDS   stop waiting after this long (the re-encryption goes on); default: no limit
  --json              print the final keyring status {activeTerm, terms, reencryption}
  -h, --help          this help

Exits 1 when stored values failed their integrity check during the re-encryption: it then ends
"incomplete", below 100 %, and the values are left as they are, on their old term (the audit trail
names each, action integrity.failure; the next rotation tries them again).`;

const finished = (s: KeyringStatus, term: number) =>
  s.reencryption.status === 'idle' ||
  ((s.reencryption.status === 'done' || s.reencryption.status === 'incomplete') && (s.reencryption.targetTerm ?? 0) >= term);

export const rotateKeyCommand: Command = {
  name: 'rotate-key',
  summary: 'Rotate the data encryption key and wait for the re-encryption',
  usage,
  options: { url: { type: 'string' }, token: { type: 'string' }, 'no-wait': { type: 'boolean' }, timeout: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const base = serverUrl(str(values, 'url'));
    const token = str(values, 'token') ?? env('COFFER_TOKEN');
    if (!token) throw new UsageError('a token is needed: set COFFER_TOKEN or pass --token');
    const timeout = intFlag(values, 'timeout', 1, 7 * 86400);
    const json = flag(values, 'json');

    let s = await api<KeyringStatus>(base, 'POST', '/api/v1/sys/rotate-key', { token });
    const term = s.activeTerm;
    if (!json) out(`Key rotated: term ${term} is active for new writes (terms ${s.terms.join(', ')}).`);
    if (!flag(values, 'no-wait')) {
      const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeout * 1000;
      // every keyring read is audited: poll quickly at first, then back off
      let delay = 200;
      let shown = -1;
      while (!finished(s, term)) {
        const r = s.reencryption;
        if (!json && r.percent !== shown) {
          out(`Re-encrypting: ${r.percent}% (${r.processed}/${r.total})`);
          shown = r.percent;
        }
        if (Date.now() >= deadline) {
          throw new CliError(`re-encryption not done after ${timeout} s (${r.percent}%, ${r.status}); it goes on in the background`);
        }
        await sleep(Math.min(delay, deadline - Date.now()));
        delay = Math.min(delay * 2, 5000);
        s = await api<KeyringStatus>(base, 'GET', '/api/v1/sys/keyring', { token });
      }
    }
    if (json) {
      outJson(s);
    } else {
      const r = s.reencryption;
      const moved = `${r.processed} value${r.processed === 1 ? '' : 's'} moved to term ${r.targetTerm ?? term}`;
      out(
        r.status === 'done' || r.status === 'idle'
          ? `Re-encryption done: 100% (${moved}).`
          : r.status === 'incomplete'
            ? `Re-encryption INCOMPLETE: ${r.percent}% (${moved}, ${r.failed} failed of ${r.total}).`
            : `Re-encryption ${r.status}: ${r.percent}% (${r.processed}/${r.total}); it goes on in the background.`,
      );
    }
    const failed = s.reencryption.failed ?? 0;
    if (failed > 0) {
      throw new CliError(
        `${failed} stored value${failed === 1 ? '' : 's'} failed the integrity check and stayed on the old term ` +
          '(altered or damaged in the database); the audit trail names each (action integrity.failure)',
      );
    }
    return EXIT.ok;
  },
};
