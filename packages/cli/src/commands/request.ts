import type { AccessRequest, AccessRequestQuery, CofferClient, RequestAction } from '@coffer/sdk/client';
import { type Command, flag, intFlag, out, outJson, str, UsageError, type Values } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { resolveSecret } from '../paths.ts';
import { safeLine } from '../terminal.ts';
import { parseState, stateWords, table, when } from '../workflow-view.ts';
import { adminRequestsTable, anyRequestId, decideAdmin, executeAdmin, listAdminRequests } from './admin-requests.ts';

const STATES_HELP = `States: waiting for approval, approved, checked out (in use), checked in, rejected, expired,
cancelled, revoked.`;

const requestUsage = `Usage: coffer request PATH --reason R [--duration MIN] [--start ISO] [--action reveal|checkout] [--json]

Asks for access to a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID) whose vault or folder
policy requires approval. The request waits for approval by the approvers the policy names (by
default the owners: users with manage access); once approved, reveal the secret (coffer reveal)
or check it out (coffer checkout) inside the approved window. The reason is audited.

Options:
  --reason R        why you need it (required; shown to the approvers and audited)
  --duration MIN    how long, in minutes (default 60; a checkout at most the policy's maximum)
  --start ISO       when to start, e.g. 2030-01-07T22:00:00Z (default now; at most 30 days ahead)
  --action A        reveal, or checkout (the exclusive checkout); default: checkout when the policy
                    has exclusive checkouts, else reveal
  --json            print the access request
  -h, --help        this help

${STATES_HELP}
${EXIT_CODES_HELP}`;

const requestsUsage = `Usage: coffer requests [--mine | --pending | --all] [--state S] [--json]
       coffer requests execute ID [--json]

Lists access requests, newest first: id, state, action, secret, requester, window and reason;
then the admin requests (adm_…: administrative operations under dual control) in the same scope.

coffer requests execute ID performs your admin request ID once another administrator approved it,
exactly as it was asked (an API key made this way is shown once, now).

Options:
  --mine        your own requests (the default)
  --pending     the requests waiting for your approval
  --all         every request (needs audit.read: administrators and auditors)
  --state S     only requests in this state (e.g. approved, "waiting for approval", checked_out)
  --json        print [access request, then admin request]
  -h, --help    this help

${STATES_HELP}
${EXIT_CODES_HELP}`;

const approveUsage = `Usage: coffer approve ID [--comment C] [--json]

Approves the access request ID (arq_…; see coffer requests --pending) as one of its approvers.
You cannot approve your own request. When the policy asks for several approvals, the request stays
waiting for approval until enough distinct approvers agreed. An admin request (adm_…) is approved
as another administrator; its requester then runs coffer requests execute ID.

Options:
  --comment C   a comment for the requester (audited as the reason)
  --json        print the access request
  -h, --help    this help

${EXIT_CODES_HELP}`;

const rejectUsage = `Usage: coffer reject ID --comment C [--json]

Rejects the access request ID (arq_…) or admin request ID (adm_…; see coffer requests --pending)
as one of its approvers.

Options:
  --comment C   why (required; shown to the requester and audited)
  --json        print the access request
  -h, --help    this help

${EXIT_CODES_HELP}`;

export const REQUEST_ID = /^arq_[0-9a-z]{26}$/;
const DEFAULT_MINUTES = 60;

const requestKind = (raw: string) => anyRequestId(raw, REQUEST_ID);

/** A free-text option (reason, comment): not blank, at most 500 characters. */
export function text(values: Values, name: string): string | undefined {
  const v = str(values, name);
  if (v !== undefined && !v.trim()) throw new UsageError(`--${name} is empty`);
  if (v !== undefined && v.length > 500) throw new UsageError(`--${name} has more than 500 characters`);
  return v;
}

/** `approved (1 of 1 approvals)` etc.: the state, and the approvals while some are missing. */
function stateLine(r: AccessRequest): string {
  const approvals = r.approvals.filter((a) => a.decision === 'approve').length;
  const progress = r.state === 'waiting_for_approval' && approvals > 0 ? ` (${approvals} of ${r.approvalsRequired} approvals)` : '';
  return `${stateWords(r)}${progress}`;
}

export const requestCommand: Command = clientCommand({
  name: 'request',
  summary: 'Ask for approval to reveal or check out a secret',
  usage: requestUsage,
  options: { reason: { type: 'string' }, duration: { type: 'string' }, start: { type: 'string' }, action: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const reason = text(values, 'reason');
    if (reason === undefined) throw new UsageError('--reason is required: say why you need access');
    const duration = intFlag(values, 'duration', 1, 10080);
    const actionRaw = str(values, 'action');
    if (actionRaw !== undefined && actionRaw !== 'reveal' && actionRaw !== 'checkout') {
      throw new UsageError('--action must be reveal or checkout');
    }
    const startRaw = str(values, 'start');
    let startAt: string | undefined;
    if (startRaw !== undefined) {
      const t = Date.parse(startRaw);
      if (!/^\d{4}-\d\d-\d\d/.test(startRaw) || !Number.isFinite(t)) {
        throw new UsageError(`--start must be an ISO 8601 date and time, e.g. 2030-01-07T22:00:00Z, got "${startRaw}"`);
      }
      startAt = new Date(t).toISOString();
    }
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    let minutes = duration;
    if (minutes === undefined) {
      // the default length: an hour, or less when the policy caps checkouts below that
      const policy = await client.accessRequests.policy(secret.id);
      const action: RequestAction = (actionRaw as RequestAction | undefined) ?? (policy.checkout.exclusive.value ? 'checkout' : 'reveal');
      minutes = action === 'checkout' ? Math.min(DEFAULT_MINUTES, policy.checkout.maxMinutes.value) : DEFAULT_MINUTES;
    }
    const r = await client.accessRequests.create({
      secretId: secret.id,
      reason,
      durationMinutes: minutes,
      ...(actionRaw !== undefined ? { action: actionRaw as RequestAction } : {}),
      ...(startAt !== undefined ? { startAt } : {}),
    });
    if (flag(values, 'json')) {
      outJson(r);
      return CLIENT_EXIT.ok;
    }
    const then = r.action === 'checkout' ? `coffer checkout ${arg}` : `coffer reveal ${arg}`;
    out(
      [
        `Request ${r.id} to ${r.action === 'checkout' ? 'check out' : 'reveal'} ${arg}, ${when(r.startAt)} to ${when(r.endAt)}: ${stateLine(r)}.`,
        r.state === 'approved' ? `Go ahead: ${then}` : `Once approved (coffer approve ${r.id}), run: ${then}`,
      ].join('\n'),
    );
    return CLIENT_EXIT.ok;
  },
});

async function listRequests(client: CofferClient, query: AccessRequestQuery): Promise<AccessRequest[]> {
  const all: AccessRequest[] = [];
  for await (const r of client.accessRequests.listAll({ ...query, limit: 500 })) all.push(r);
  return all;
}

export const requestsCommand: Command = clientCommand({
  name: 'requests',
  summary: 'List access and admin requests (yours, waiting for you, all); execute an approved admin request',
  usage: requestsUsage,
  options: { mine: { type: 'boolean' }, pending: { type: 'boolean' }, all: { type: 'boolean' }, state: { type: 'string' } },
  positionals: { min: 0, max: 2 },
  async run({ values, positionals }) {
    if (positionals.length > 0) {
      if (positionals[0] !== 'execute' || positionals.length !== 2) throw new UsageError('did you mean coffer requests execute ID?');
      return executeAdmin(openSession().client, positionals[1] as string, flag(values, 'json'));
    }
    const scopes = (['mine', 'pending', 'all'] as const).filter((s) => flag(values, s));
    if (scopes.length > 1) throw new UsageError('give one of --mine, --pending, --all');
    const stateRaw = str(values, 'state');
    const query: AccessRequestQuery = { scope: scopes[0] ?? 'mine' };
    if (stateRaw !== undefined) query.state = parseState(stateRaw);
    const { client } = openSession();
    const items = await listRequests(client, query);
    const admin = await listAdminRequests(client, query.scope ?? 'mine', query.state);
    if (flag(values, 'json')) {
      outJson([...items, ...admin]);
      return CLIENT_EXIT.ok;
    }
    if (admin.length > 0) {
      if (items.length > 0) out(`${requestsTable(items)}\n`);
      out(adminRequestsTable(admin));
      return CLIENT_EXIT.ok;
    }
    if (items.length > 0) out(requestsTable(items));
    return CLIENT_EXIT.ok;
  },
});

function requestsTable(items: AccessRequest[]): string {
  return table(
    ['ID', 'STATE', 'ACTION', 'SECRET', 'REQUESTER', 'FROM', 'UNTIL', 'REASON'],
    items.map((r) => [
      r.id,
      stateLine(r),
      r.action,
      r.secretName,
      r.requesterName ?? r.requesterId,
      when(r.startAt),
      when(r.endAt),
      r.reason.replace(/\s+/g, ' '),
    ]),
  );
}

function decided(verb: string, r: AccessRequest): string {
  const who = r.requesterName ?? r.requesterId;
  return safeLine(`${verb} ${r.id} (${r.action} of ${r.secretName} for ${who}, until ${when(r.endAt)}): ${stateLine(r)}.`);
}

export const approveCommand: Command = clientCommand({
  name: 'approve',
  summary: 'Approve an access request or an admin request',
  usage: approveUsage,
  options: { comment: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const id = positionals[0] as string;
    const kind = requestKind(id);
    const comment = text(values, 'comment');
    const { client } = openSession();
    if (kind === 'admin') return decideAdmin(client, id, 'approve', comment, flag(values, 'json'));
    const r = await client.accessRequests.approve(id, comment !== undefined ? { comment } : {});
    if (flag(values, 'json')) outJson(r);
    else out(decided('Approved', r));
    return CLIENT_EXIT.ok;
  },
});

export const rejectCommand: Command = clientCommand({
  name: 'reject',
  summary: 'Reject an access or admin request, with a comment',
  usage: rejectUsage,
  options: { comment: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const id = positionals[0] as string;
    const kind = requestKind(id);
    const comment = text(values, 'comment');
    if (comment === undefined) throw new UsageError('--comment is required: tell the requester why');
    const { client } = openSession();
    if (kind === 'admin') return decideAdmin(client, id, 'reject', comment, flag(values, 'json'));
    const r = await client.accessRequests.reject(id, { comment });
    if (flag(values, 'json')) outJson(r);
    else out(decided('Rejected', r));
    return CLIENT_EXIT.ok;
  },
});
