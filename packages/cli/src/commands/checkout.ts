import { type AccessRequest, type Checkout, type CofferClient, isCofferError, type Secret } from '@coffer/sdk/client';
import { CliError, type Command, err, flag, intFlag, out, outJson, str, UsageError } from '../cli.ts';
import { about, asCliError, CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { resolveSecret } from '../paths.ts';
import { outValue } from '../terminal.ts';
import { table, when } from '../workflow-view.ts';
import { printValues, revealValues } from './get.ts';
import { REQUEST_ID, text } from './request.ts';

const checkoutUsage = `Usage: coffer checkout PATH [--request ID] [--reason R] [--duration MIN] [--show [--field F]] [--json]

Checks out a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID) exclusively: while you hold it,
nobody else can check it out (nor reveal it, unless the policy allows shared reads). Prints who
holds it and until when. When the policy requires approval, the checkout uses your approved
access request (coffer request PATH --action checkout): the one given with --request, else the
approved one of yours for this secret. When someone else holds the secret, prints who and until
when, and exits 7: there is no queue, try again after that time.

Options:
  --request ID     the approved access request (arq_…) to use
  --reason R       why (audited; required when the policy asks for a reason; default: the reason
                   of the access request used)
  --duration MIN   how long, in minutes (default: the policy's maximum, or the rest of the
                   approved window)
  --show           then reveal the values (audited as a reveal, with the checkout's reason) and
                   print them alone on stdout, like coffer reveal; the summary goes to stderr
  --field F        with --show: only this field's value (a slug, or a custom field's name)
  --json           print the checkout (with --show, also values); on exit 7
                   {"error":"secret.checked_out", holder, holderId, endsAt}
  -h, --help       this help

${EXIT_CODES_HELP}`;

const checkinUsage = `Usage: coffer checkin PATH [--reason R] [--json]

Checks a secret in (PATH = VAULT/[FOLDER/...]SECRET, or id:ID): your checkout ends and others
may use the secret. An owner (manage access) or an administrator may check in someone else's
checkout, with --reason. When the policy says so, the password is rotated on checkin.

Options:
  --reason R    why (audited; required to check in on someone else's behalf)
  --json        print the ended checkout
  -h, --help    this help

${EXIT_CODES_HELP}`;

const checkoutsUsage = `Usage: coffer checkouts [--mine | --all] [--json]

Lists the current checkouts: secret, holder, since when and until when, request and reason.

Options:
  --mine        only yours (default: on the secrets you can see, and yours)
  --all         every one (needs audit.read: administrators and auditors)
  --json        print [checkout]
  -h, --help    this help

${EXIT_CODES_HELP}`;

const rotateUsage = `Usage: coffer rotate PATH [--reason R] [--show] [--json]

Rotates the password of a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID): a new one is
generated under the effective password policy and stored as a new version. Needs edit access.
A secret with a rotation target (coffer target) is changed on the target first and verified by
logging in with the new password; a failure keeps a password that logs in (exit 1, the journal
entry is named; coffer heartbeat PATH shows it).
The new password is not printed unless --show is given.

Options:
  --reason R    why (audited)
  --show        also reveal the new password (audited as a reveal) and print it alone on stdout;
                the summary then goes to stderr
  --json        print {secretId, version, field, connector, rotatedAt} (with --show, also value)
  -h, --help    this help

${EXIT_CODES_HELP}`;

/** Your approved checkout request for the secret, or an exit-8 error saying what is missing. */
async function approvedRequest(client: CofferClient, s: Secret, arg: string): Promise<AccessRequest> {
  const mine: AccessRequest[] = [];
  for await (const r of client.accessRequests.listAll({ scope: 'mine', secretId: s.id, limit: 500 })) mine.push(r);
  const forCheckout = mine.filter((r) => r.action === 'checkout');
  const approved = forCheckout.filter((r) => r.state === 'approved').sort((a, b) => a.startAt.localeCompare(b.startAt))[0];
  if (approved) return approved;
  const waiting = forCheckout.find((r) => r.state === 'waiting_for_approval');
  if (waiting) {
    throw new CliError(
      `${arg}: your access request ${waiting.id} is waiting for approval; check it out once it is approved`,
      CLIENT_EXIT.approvalRequired,
    );
  }
  const reveal = mine.find((r) => r.state === 'approved' && r.action === 'reveal');
  const hint = reveal ? ` (your approved request ${reveal.id} is for revealing, not for a checkout)` : '';
  throw new CliError(
    `${arg}: checking this secret out needs an approved access request${hint}: coffer request ${arg} --action checkout --reason R`,
    CLIENT_EXIT.approvalRequired,
  );
}

const detail = (e: { details?: Array<{ path: string; message: string }> | undefined }, path: string) =>
  e.details?.find((d) => d.path === path)?.message;

export const checkoutCommand: Command = clientCommand({
  name: 'checkout',
  summary: 'Check a secret out exclusively',
  usage: checkoutUsage,
  options: {
    request: { type: 'string' },
    reason: { type: 'string' },
    duration: { type: 'string' },
    show: { type: 'boolean' },
    field: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const show = flag(values, 'show');
    const field = str(values, 'field');
    if (field !== undefined && !show) throw new UsageError('--field goes with --show');
    const requestRaw = str(values, 'request');
    if (requestRaw !== undefined && !REQUEST_ID.test(requestRaw)) throw new UsageError(`--request takes an access request id (arq_…)`);
    let reason = text(values, 'reason');
    const duration = intFlag(values, 'duration', 1, 10080);
    const json = flag(values, 'json');
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    let requestId = requestRaw;
    if (requestId === undefined) {
      const policy = await about(arg, client.accessRequests.policy(secret.id));
      if (policy.you.needsApproval) {
        const r = await approvedRequest(client, secret, arg);
        requestId = r.id;
        reason ??= r.reason;
      }
    } else if (reason === undefined) {
      reason = (await about(requestId, client.accessRequests.get(requestId))).reason;
    }
    let co: Checkout;
    try {
      co = await client.checkouts.start(secret.id, {
        ...(requestId !== undefined ? { requestId } : {}),
        ...(reason !== undefined ? { reason } : {}),
        ...(duration !== undefined ? { durationMinutes: duration } : {}),
      });
    } catch (e) {
      if (isCofferError(e, 'secret.checked_out')) {
        const holder = detail(e, '/holder') ?? 'someone else';
        const endsAt = detail(e, '/endsAt');
        if (json) outJson({ error: e.code, holder, holderId: detail(e, '/holderId') ?? null, endsAt: endsAt ?? null });
        throw new CliError(
          `${arg} is checked out (in use) by ${holder}${endsAt ? ` until ${when(endsAt)}` : ''}; there is no queue: try again after that (${e.code}, request ${e.requestId})`,
          CLIENT_EXIT.checkedOut,
        );
      }
      throw e;
    }
    const via = co.requestId ? ` with request ${co.requestId}` : '';
    const summary = `Checked out ${arg}${via}: held by ${co.holderName ?? co.holderId} until ${when(co.endsAt)}.\nCheck it in with: coffer checkin ${arg}`;
    if (!show) {
      if (json) outJson(co);
      else out(summary);
      return CLIENT_EXIT.ok;
    }
    // a reveal like any other (same gate, audited); the reason is the checkout's
    let revealed: Awaited<ReturnType<typeof revealValues>>;
    try {
      revealed = await revealValues(client, secret, arg, { ...(field !== undefined ? { fields: [field] } : {}), reason });
    } catch (e) {
      const err = asCliError(e, arg);
      if (err instanceof CliError) {
        throw new CliError(`${arg} is checked out (until ${when(co.endsAt)}), but revealing it failed: ${err.message}`, err.exitCode);
      }
      throw err;
    }
    if (field !== undefined && revealed.values[field] === undefined) {
      throw new CliError(`${arg} is checked out, but has no sensitive value in the field "${field}"`, CLIENT_EXIT.notFound);
    }
    if (json) outJson({ ...co, values: revealed.values });
    else {
      err(summary);
      if (field !== undefined) outValue(revealed.values[field] as string);
      else printValues(secret.name, revealed.values);
    }
    return CLIENT_EXIT.ok;
  },
});

export const checkinCommand: Command = clientCommand({
  name: 'checkin',
  summary: 'Check a secret in',
  usage: checkinUsage,
  options: { reason: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const reason = text(values, 'reason');
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    const co = await client.checkouts.checkin(secret.id, reason !== undefined ? { reason } : {});
    if (flag(values, 'json')) {
      outJson(co);
      return CLIENT_EXIT.ok;
    }
    const holder = co.holderName ?? co.holderId;
    const lines = [
      co.endReason === 'forced'
        ? `Checked in ${arg} on behalf of ${holder} (held since ${when(co.startedAt)}).`
        : `Checked in ${arg} (held by ${holder} since ${when(co.startedAt)}).`,
    ];
    if (co.rotation) lines.push(`The password was rotated on checkin: version ${co.rotation.version}.`);
    out(lines.join('\n'));
    return CLIENT_EXIT.ok;
  },
});

export const checkoutsCommand: Command = clientCommand({
  name: 'checkouts',
  summary: 'List the current checkouts: holder and end time',
  usage: checkoutsUsage,
  options: { mine: { type: 'boolean' }, all: { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    if (flag(values, 'mine') && flag(values, 'all')) throw new UsageError('give one of --mine, --all');
    const scope = flag(values, 'mine') ? 'mine' : flag(values, 'all') ? 'all' : 'visible';
    const { client } = openSession();
    const items = (await client.checkouts.list({ scope })).items.filter((c) => c.active);
    if (flag(values, 'json')) {
      outJson(items);
      return CLIENT_EXIT.ok;
    }
    if (items.length > 0) {
      out(
        table(
          ['SECRET', 'STATE', 'HOLDER', 'SINCE', 'UNTIL', 'REQUEST', 'REASON'],
          items.map((c) => [
            c.secretName,
            'checked out (in use)',
            c.holderName ?? c.holderId,
            when(c.startedAt),
            when(c.endsAt),
            c.requestId ?? '-',
            (c.reason ?? '').replace(/\s+/g, ' '),
          ]),
        ),
      );
    }
    return CLIENT_EXIT.ok;
  },
});

export const rotateCommand: Command = clientCommand({
  name: 'rotate',
  summary: 'Rotate the password of a secret (not printed unless --show)',
  usage: rotateUsage,
  options: { reason: { type: 'string' }, show: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const reason = text(values, 'reason');
    const show = flag(values, 'show');
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    if (show && reason === undefined) {
      // refuse before rotating, not after: the reveal of --show would fail for want of a reason
      const policy = await about(arg, client.accessRequests.policy(secret.id));
      if (policy.requireReason.value) throw new UsageError('--show reveals the new password, and the policy requires a --reason for that');
    }
    const rot = await client.rotation.rotate(secret.id, reason !== undefined ? { reason } : {});
    const summary = `Rotated the password of ${arg} (field ${rot.field}): now version ${rot.version} (connector ${rot.connector}).`;
    if (!show) {
      if (flag(values, 'json')) outJson(rot);
      else out(`${summary}\nThe new password is not shown; reveal it with: coffer reveal ${arg} --field ${rot.field}`);
      return CLIENT_EXIT.ok;
    }
    const revealed = await about(
      arg,
      client.secrets.reveal(secret.id, { fields: [rot.field], ...(reason !== undefined ? { reason } : {}) }),
    );
    const value = revealed.values[rot.field];
    if (value === undefined) throw new CliError(`${arg}: the rotated field ${rot.field} holds no value`, CLIENT_EXIT.notFound);
    if (flag(values, 'json')) outJson({ ...rot, value });
    else {
      err(summary);
      outValue(value);
    }
    return CLIENT_EXIT.ok;
  },
});
