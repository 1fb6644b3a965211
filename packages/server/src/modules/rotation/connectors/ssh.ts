// A Linux account's password over SSH. The account changes it itself with `passwd` on a
// pseudo-terminal (answering its prompts), or a privileged account (root, or one that may run
// `sudo chpasswd`) feeds `user:password` to `chpasswd` through stdin — never on a command line,
// so the password is in no process list or shell history on the target. Verified by logging in
// with the password (the SSH server must allow password authentication).
import { ConnectorError, type Credential, type Endpoint, type RemoteConnector, withDeadline } from '../connector.ts';
import { checkOneLine, checkUsername, converse, exec, withSession } from './ssh-session.ts';

export async function sshVerify(ep: Endpoint, cred: Credential) {
  try {
    const hostKey = await withDeadline(ep.timeoutMs, () => withSession(ep, cred, async (s) => s.hostKey));
    return { ok: true, hostKey };
  } catch (err) {
    if (err instanceof ConnectorError && err.code === 'refused') return { ok: false };
    throw err;
  }
}

/** `chpasswd` as root, or through `sudo -S` with the privileged password as its first input line. */
export function privilegedCommand(p: Credential): { command: string; prefix: string } {
  if (p.username === 'root') return { command: 'chpasswd', prefix: '' };
  if (p.type !== 'password') throw new ConnectorError('failed', 'A privileged account other than root needs its password for sudo.');
  checkOneLine(p.secret);
  return { command: "sudo -S -p '' chpasswd", prefix: `${p.secret}\n` };
}

export function sshConnector(): RemoteConnector {
  return {
    kind: 'ssh',
    field: 'password',
    defaultPort: 22,
    verify: (ep, cred) => sshVerify(ep, cred),
    async change(ep, input) {
      const user = input.account.username;
      checkUsername(user);
      checkOneLine(input.next);
      if (input.privileged) {
        const p = input.privileged;
        const { command, prefix } = privilegedCommand(p);
        return withDeadline(ep.timeoutMs, () =>
          withSession(ep, p, async (s) => {
            const r = await exec(s, command, `${prefix}${user}:${input.next}\n`);
            if (r.code !== 0) throw new ConnectorError('refused', 'The target refused to change the password (chpasswd failed).');
            return { hostKey: s.hostKey };
          }),
        );
      }
      checkOneLine(input.account.secret);
      return withDeadline(ep.timeoutMs, () =>
        withSession(ep, input.account, async (s) => {
          const code = await converse(s, 'LC_ALL=C passwd', [
            { prompt: /current[^\n]*password:\s*$/i, reply: input.account.secret },
            { prompt: /new password:\s*$/i, reply: input.next },
            { prompt: /(retype|re-enter|again)[^\n]*password:\s*$/i, reply: input.next },
          ]);
          if (code !== 0) throw new ConnectorError('refused', 'The target refused to change the password (passwd failed).');
          return { hostKey: s.hostKey };
        }),
      );
    },
  };
}
