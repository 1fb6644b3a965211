import { CliError, type Command, EXIT, flag, out, outJson, str, UsageError } from '../cli.ts';
import { api, type SealStatus, sealStatusLine, serverUrl } from '../http.ts';
import { readSecretLine } from '../stdin.ts';

const usage = `Usage: coffer unseal [SHARE] [--url URL] [--json]
       coffer unseal --reset --nonce NONCE [--url URL] [--json]

Enters one unseal share into a sealed server (Shamir mode). Without SHARE the share is read from
stdin (one line; at a terminal it is asked for without echo), which keeps it out of the process
list and the shell history: prefer that. Run once per share until the threshold is reached.

The first share of an unseal prints a nonce: only with it can the progress be reset, so nobody
else can discard the shares entered so far. Restarting the server also discards them.

Options:
  --reset         discard the shares entered so far
  --nonce NONCE   with --reset: the nonce printed for the first share
  --url URL       the server (default: COFFER_URL, else http://127.0.0.1:7300)
  --json          print the seal status {initialized, sealed, mode, threshold, shares, progress},
                  with nonce after the first share
  -h, --help      this help`;

export const unsealCommand: Command = {
  name: 'unseal',
  summary: 'Enter one unseal share (or --reset the progress)',
  usage,
  options: { url: { type: 'string' }, reset: { type: 'boolean' }, nonce: { type: 'string' } },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals }) {
    const base = serverUrl(str(values, 'url'));
    const reset = flag(values, 'reset');
    let body: { share: string } | { reset: true; nonce: string };
    const nonce = str(values, 'nonce');
    if (reset) {
      if (positionals.length > 0) throw new UsageError('give either a share or --reset, not both');
      if (!nonce) throw new UsageError('--reset needs --nonce (printed for the first share of this unseal)');
      body = { reset: true, nonce };
    } else {
      if (nonce !== undefined) throw new UsageError('--nonce goes with --reset');
      const share = positionals[0] ?? (await readSecretLine('Unseal share (input hidden): '));
      if (!share) throw new CliError('no unseal share given: pass it on stdin (one line) or as the argument');
      body = { share };
    }
    const s = await api<SealStatus>(base, 'POST', '/api/v1/sys/unseal', { body });
    if (flag(values, 'json')) {
      outJson(s);
    } else {
      const note = reset ? 'Unseal progress reset.' : s.sealed ? 'Share accepted.' : 'Share accepted: Coffer is unsealed.';
      const keep = s.nonce ? `\nUnseal nonce: ${s.nonce}\n(only it resets this progress: coffer unseal --reset --nonce ${s.nonce})` : '';
      out(`${note}\n${sealStatusLine(s)}${keep}`);
    }
    return EXIT.ok;
  },
};
