import { CliError, type Command, EXIT, flag, out, outJson, str, UsageError } from '../cli.ts';
import { api, type SealStatus, sealStatusLine, serverUrl } from '../http.ts';
import { readSecretLine } from '../stdin.ts';

const usage = `Usage: coffer unseal [SHARE] [--url URL] [--json]
       coffer unseal --reset [--url URL] [--json]

Enters one unseal share into a sealed server (Shamir mode). Without SHARE the share is read from
stdin (one line; at a terminal it is asked for without echo), which keeps it out of the process
list and the shell history: prefer that. Run once per share until the threshold is reached.

Options:
  --reset       discard the shares entered so far
  --url URL     the server (default: COFFER_URL, else http://127.0.0.1:7300)
  --json        print the seal status {initialized, sealed, mode, threshold, shares, progress}
  -h, --help    this help`;

export const unsealCommand: Command = {
  name: 'unseal',
  summary: 'Enter one unseal share (or --reset the progress)',
  usage,
  options: { url: { type: 'string' }, reset: { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals }) {
    const base = serverUrl(str(values, 'url'));
    const reset = flag(values, 'reset');
    let body: { share: string } | { reset: true };
    if (reset) {
      if (positionals.length > 0) throw new UsageError('give either a share or --reset, not both');
      body = { reset: true };
    } else {
      const share = positionals[0] ?? (await readSecretLine('Unseal share (input hidden): '));
      if (!share) throw new CliError('no unseal share given: pass it on stdin (one line) or as the argument');
      body = { share };
    }
    const s = await api<SealStatus>(base, 'POST', '/api/v1/sys/unseal', { body });
    if (flag(values, 'json')) {
      outJson(s);
    } else {
      const note = reset ? 'Unseal progress reset.' : s.sealed ? 'Share accepted.' : 'Share accepted: Coffer is unsealed.';
      out(`${note}\n${sealStatusLine(s)}`);
    }
    return EXIT.ok;
  },
};
