// Re-authentication in the CLI: changes a stolen session must not make alone (a password change,
// TOTP removal, an API key) send the current password, plus a TOTP code or a recovery code when the
// account has TOTP.
import type { CofferClient } from '@coffer/sdk/client';
import { CliError } from './cli.ts';
import { CLIENT_EXIT } from './client.ts';
import { readSecretLines } from './stdin.ts';

const CODE = /^\d{6}$/;

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
 * The proof for one change: the current password (and the code with TOTP), asked without echo at a
 * terminal, else the first lines of stdin.
 */
export async function readReauth(client: CofferClient): Promise<{ currentPassword: string; totpCode?: string; recoveryCode?: string }> {
  const totp = await hasTotp(client);
  const prompts = ['Your password, to confirm (input hidden): '];
  if (totp) prompts.push('Code from the app, or a recovery code (input hidden): ');
  const [currentPassword, code] = await readSecretLines(prompts);
  if (!currentPassword) throw new CliError('no password given: this change needs your password again', CLIENT_EXIT.usage);
  return { currentPassword, ...(totp ? secondFactor(code) : {}) };
}
