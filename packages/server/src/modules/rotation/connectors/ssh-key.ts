// An SSH key credential (senhasegura's key rotation): a new Ed25519 key pair is made here, its
// public key is added to the account's authorized_keys (by the account with its current key, or
// by root for the account), a login with the new key is verified by the journal, and only after
// the new key became current is the old public key removed (`finish`). At no point does the vault
// hold no key that logs in: until promotion both keys work.
import ssh2 from 'ssh2';

const { utils } = ssh2;

import { ConnectorError, type Credential, type Endpoint, type RemoteConnector, withDeadline } from '../connector.ts';
import { sshVerify } from './ssh.ts';
import { checkUsername, exec, withSession } from './ssh-session.ts';

/** `type base64` of the private key's public half; undefined when it does not parse. */
export function publicKeyOf(privateKey: string): { type: string; blob: string } | undefined {
  const k = utils.parseKey(privateKey);
  if (k instanceof Error) return undefined;
  const key = Array.isArray(k) ? k[0] : k;
  if (!key) return undefined;
  return { type: key.type, blob: key.getPublicSSH().toString('base64') };
}

// The account's authorized_keys: its own ($HOME) when run by the account, the named user's when
// run by root (then owned by the user). The key line comes on stdin, the blob is compared as a
// fixed string, and a line already there is not added again (idempotent).
const KEYS_FILE = `set -e
if [ -n "$1" ]; then h=$(getent passwd "$1" | cut -d: -f6); else h=$HOME; fi
[ -n "$h" ] || exit 3
d="$h/.ssh"; f="$d/authorized_keys"`;
const OWN = `if [ -n "$1" ]; then chown "$1" "$d" "$f"; fi; chmod 700 "$d"; chmod 600 "$f"`;
const ADD = `${KEYS_FILE}
mkdir -p "$d"; touch "$f"
IFS= read -r l
b=$(printf '%s\\n' "$l" | cut -d' ' -f2)
grep -q -F -- "$b" "$f" || printf '%s\\n' "$l" >> "$f"
${OWN}`;
const REMOVE = `${KEYS_FILE}
[ -f "$f" ] || exit 0
IFS= read -r b
[ -n "$b" ] || exit 4
grep -v -F -- "$b" "$f" > "$f.coffer-tmp" || true
cat "$f.coffer-tmp" > "$f"; rm -f "$f.coffer-tmp"
${OWN}`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a script as the account (its own file) or as root for it. */
async function runScript(ep: Endpoint, account: Credential, privileged: Credential | null, script: string, input: string) {
  checkUsername(account.username);
  if (privileged && privileged.username !== 'root') throw new ConnectorError('failed', 'SSH keys of another account are changed by root.');
  const actor = privileged ?? account;
  const command = `sh -c ${quote(script)} coffer${privileged ? ` ${account.username}` : ''}`;
  return withDeadline(ep.timeoutMs, () =>
    withSession(ep, actor, async (s) => {
      const r = await exec(s, command, input);
      if (r.code !== 0) throw new ConnectorError('refused', 'The target refused to change authorized_keys.');
      return s.hostKey;
    }),
  );
}

export function sshKeyConnector(): RemoteConnector {
  return {
    kind: 'ssh-key',
    field: 'private-key',
    defaultPort: 22,
    generate: () => utils.generateKeyPairSync('ed25519', { comment: 'coffer' }).private,
    verify: (ep, cred) => sshVerify(ep, { ...cred, type: 'key' }),
    async change(ep, input) {
      const next = publicKeyOf(input.next);
      if (!next) throw new ConnectorError('failed', 'The new private key does not parse.');
      const old = publicKeyOf(input.account.secret);
      const hostKey = await runScript(ep, { ...input.account, type: 'key' }, input.privileged, ADD, `${next.type} ${next.blob} coffer\n`);
      return { hostKey, ...(old && old.blob !== next.blob ? { cleanup: { oldKey: old.blob } } : {}) };
    },
    async finish(ep, input) {
      const oldKey = input.cleanup.oldKey;
      if (!oldKey) return;
      await runScript(ep, { ...input.account, type: 'key' }, input.privileged, REMOVE, `${oldKey}\n`);
    },
  };
}
