// Re-authentication in the CLI: changes a stolen session must not make alone (a password change,
// TOTP enrolment and removal, an API key) send the current password, plus a TOTP code or a recovery
// code when the account has TOTP. Every command asks for it here, one way: at a terminal each answer
// after its prompt without echo (a new password twice), else the next lines of stdin in order.
import type { CofferClient } from '@coffer/sdk/client';
import { CliError } from './cli.ts';
import { CLIENT_EXIT } from './client.ts';
import { readNewSecret, readSecretLine } from './stdin.ts';

const CODE = /^\d{6}$/;

export interface Proof {
  currentPassword: string;
  totpCode?: string;
  recoveryCode?: string;
}

/** Whether the signed-in user has TOTP on: their re-authentication then needs a code too. */
export async function hasTotp(client: CofferClient): Promise<boolean> {
  const me = await client.auth.whoami();
  return (await client.users.get(me.userId)).totpEnabled;
}

/** A code read for re-authentication: 6 digits are a TOTP code, anything else a recovery code. */
export function secondFactor(code: string | undefined): { totpCode?: string; recoveryCode?: string } {
  if (!code) throw new CliError('your account has TOTP: give the code the app shows (or a recovery code)', CLIENT_EXIT.usage);
  return CODE.test(code) ? { totpCode: code } : { recoveryCode: code };
}

/**
 * The answers of one change, in this order: the current password (unless the caller has it
 * already), the new password when the change sets one (asked twice at a terminal), and with TOTP
 * the code (`codePrompt` says which one: e.g. a later one than the code just used).
 */
export async function askReauth(opts: {
  totp: boolean;
  currentPassword?: string;
  newPassword?: boolean;
  codePrompt?: string;
}): Promise<{ proof: Proof; newPassword?: string }> {
  const currentPassword = opts.currentPassword ?? (await readSecretLine('Current password (input hidden): '));
  if (!currentPassword) throw new CliError('no password given: this change needs your password again', CLIENT_EXIT.usage);
  let newPassword: string | undefined;
  if (opts.newPassword) {
    newPassword = await readNewSecret('New password (input hidden): ', 'Again (input hidden): ');
    if (!newPassword) throw new CliError('no new password given', CLIENT_EXIT.usage);
  }
  const second = opts.totp
    ? secondFactor(await readSecretLine(opts.codePrompt ?? 'Code from the app, or a recovery code (input hidden): '))
    : {};
  return { proof: { currentPassword, ...second }, ...(newPassword !== undefined ? { newPassword } : {}) };
}

/** The proof for one change of the signed-in user (asks the server whether a code is needed). */
export async function readReauth(client: CofferClient): Promise<Proof> {
  return (await askReauth({ totp: await hasTotp(client) })).proof;
}

/** The second factor alone, for a call that takes it apart from the password. */
export function factorOf(proof: Proof): { totpCode?: string; recoveryCode?: string } {
  const { currentPassword: _p, ...second } = proof;
  return second;
}
