// What the CLI says when the server answers `secret.approval_required` to a reveal: exit 8, and the
// command that asks for access (or that the user's request is still waiting) — never a REST path.
import type { AccessRequest, CofferClient, CofferError, Secret } from '@coffer/sdk/client';
import { CliError } from './cli.ts';
import { CLIENT_EXIT } from './client.ts';
import { when } from './workflow-view.ts';

/** The exit-8 error for a reveal of `s` (typed as `arg`) that needs an approved access request. */
export async function revealNeedsApproval(client: CofferClient, s: Secret, arg: string, e: CofferError): Promise<CliError> {
  const suffix = ` (${e.code}, request ${e.requestId})`;
  const mine: AccessRequest[] = [];
  try {
    for await (const r of client.accessRequests.listAll({ scope: 'mine', secretId: s.id, limit: 500 })) mine.push(r);
  } catch {
    // the hint below still holds without the list
  }
  const reveal = mine.filter((r) => r.action === 'reveal');
  const waiting = reveal.find((r) => r.state === 'waiting_for_approval');
  if (waiting) {
    return new CliError(
      `${arg}: your access request ${waiting.id} is waiting for approval; reveal it once it is approved${suffix}`,
      CLIENT_EXIT.approvalRequired,
    );
  }
  const later = reveal
    .filter((r) => r.state === 'approved' && Date.parse(r.startAt) > Date.now())
    .sort((a, b) => a.startAt.localeCompare(b.startAt))[0];
  if (later) {
    return new CliError(
      `${arg}: your access request ${later.id} is approved from ${when(later.startAt)}; reveal it then${suffix}`,
      CLIENT_EXIT.approvalRequired,
    );
  }
  return new CliError(
    `${arg}: revealing this secret needs an approved access request: coffer request ${arg} --reason R, then coffer reveal ${arg} once it is approved${suffix}`,
    CLIENT_EXIT.approvalRequired,
  );
}
