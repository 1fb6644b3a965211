import { type Command, EXIT, flag, out, outJson, str } from '../cli.ts';
import { api, type SealStatus, sealStatusLine, serverUrl } from '../http.ts';

const usage = `Usage: coffer seal-status [--url URL] [--json]

Asks a running server whether it is sealed and how many unseal shares it has so far.

Options:
  --url URL     the server (default: COFFER_URL, else http://127.0.0.1:7300)
  --json        print the server's answer {initialized, sealed, mode, threshold, shares, progress}
  -h, --help    this help

For a server with a private CA, set NODE_EXTRA_CA_CERTS to the CA certificate file.`;

export const sealStatusCommand: Command = {
  name: 'seal-status',
  summary: 'Show whether the server is sealed and the unseal progress',
  usage,
  options: { url: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const base = serverUrl(str(values, 'url'));
    const s = await api<SealStatus>(base, 'GET', '/api/v1/sys/seal-status');
    if (flag(values, 'json')) outJson(s);
    else out(sealStatusLine(s));
    return EXIT.ok;
  },
};
