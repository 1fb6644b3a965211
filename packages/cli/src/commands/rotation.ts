import type { CommandGroup } from '../admin.ts';
import { type Command, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { resolveSecret } from '../paths.ts';
import { readReauth } from '../reauth.ts';

const abandonUsage = `Usage: coffer rotation abandon PATH --keep current|pending --reason R [--json]

An operator's way out of a stuck rotation: closes the secret's open rotation (journal entry) that
the reconciler cannot settle — typically the target answered neither the old nor the new password,
or stopped answering. Say which password logs in on the target:

  --keep current   the password stored before the rotation (the rotation is rolled back)
  --keep pending   the new password of the rotation (it becomes the current version)
  --reason R       why (required, audited)

The kept password is verified first when the target answers: if it does not log in, nothing is
closed. When the target does not answer, the rotation is closed unverified and the secret stays
flagged out of sync until a heartbeat (coffer verify) sees the password log in. Only for an
administrator, who gives their password again (and a TOTP code when they have TOTP): at a terminal
after a prompt, else on the next lines of stdin. Refused while a process is working on the rotation.

${EXIT_CODES_HELP}`;

export const rotationAbandonCommand: Command = clientCommand({
  name: 'rotation abandon',
  summary: 'Close a stuck rotation, keeping the password that logs in (administrator)',
  usage: abandonUsage,
  options: { keep: { type: 'string' }, reason: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const keep = str(values, 'keep');
    if (keep !== 'current' && keep !== 'pending') throw new UsageError('--keep must be current or pending');
    const reason = str(values, 'reason')?.trim();
    if (!reason) throw new UsageError('--reason is required');
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    const proof = await readReauth(client);
    const r = await client.rotation.abandon(secret.id, { keep, reason, ...proof });
    if (values.json) outJson(r);
    else {
      const how = r.state === 'done' ? `the new password is current (version ${r.version})` : 'rolled back: the stored password stays';
      const check =
        r.verified === true ? 'verified: it logs in' : 'NOT verified (the target did not answer): the secret stays flagged out of sync';
      out(`Closed rotation ${r.entryId} of ${arg}: ${how}; ${check}.`);
    }
    return CLIENT_EXIT.ok;
  },
});

export const rotationGroup: CommandGroup = {
  name: 'rotation',
  summary: 'Remote rotation: close a stuck rotation',
  commands: [rotationAbandonCommand],
};
