import { estimateStrength, isCommonPassword } from '../../crypto/password-strength.ts';
import { AppError } from '../../lib/app-error.ts';

/**
 * The rules for a password that signs in to an account (NIST SP 800-63B rev 4, ADR 0009),
 * applied wherever one is set: user creation, an administrator's reset, one's own change, the
 * first administrator at init (also the generated one) and the CLI.
 *
 * - length: at least 15 characters (Unicode code points) without a second factor, 8 with TOTP;
 * - common: not on the list of breached/common passwords shipped with zxcvbn-ts, in any case;
 * - strength: zxcvbn score at least 3 (about 10^8 guesses) without a second factor, 2 with TOTP,
 *   judged with the username (and e-mail) as known words.
 *
 * Messages name the rule, never the password.
 */
export const MIN_LENGTH = 15;
export const MIN_LENGTH_WITH_TOTP = 8;
export const MIN_SCORE = 3;
export const MIN_SCORE_WITH_TOTP = 2;

export interface PasswordContext {
  /** The account has TOTP enrolled (a second factor). */
  totp: boolean;
  /** Words an attacker targeting this account would try: username, e-mail, names. */
  userInputs?: readonly string[];
}

/** The broken rules, as validation details at `path` (empty when the password is acceptable). */
export function passwordProblems(password: string, ctx: PasswordContext, path: string): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const minLength = ctx.totp ? MIN_LENGTH_WITH_TOTP : MIN_LENGTH;
  if (Array.from(password).length < minLength) {
    problems.push({
      path,
      message: `length: at least ${minLength} characters ${ctx.totp ? 'for an account with TOTP' : 'for an account without a second factor (8 with TOTP)'}`,
    });
  }
  if (isCommonPassword(password)) {
    problems.push({ path, message: 'common: this password is on a list of breached or common passwords' });
    return problems;
  }
  const minScore = ctx.totp ? MIN_SCORE_WITH_TOTP : MIN_SCORE;
  const s = estimateStrength(password, ctx.userInputs ?? []);
  if (s.score < minScore) {
    const why = s.feedback[0] ? ` ${s.feedback[0]}` : '';
    problems.push({ path, message: `strength: too easy to guess (score ${s.score} of 4, at least ${minScore} needed).${why}` });
  }
  return problems;
}

export function passwordRulesError(problems: Array<{ path: string; message: string }>): AppError {
  return new AppError(
    'validation.failed',
    'The password does not meet the rules: at least 15 characters (8 with TOTP), not a breached or common password, not easy to guess.',
    { details: problems },
  );
}

/** Throws `validation.failed` naming the broken rules. */
export function assertPasswordRules(password: string, ctx: PasswordContext, path: string): void {
  const problems = passwordProblems(password, ctx, path);
  if (problems.length > 0) throw passwordRulesError(problems);
}

/** Words of an account an attacker would try in its password. */
export const accountWords = (u: { username: string; email: string; first_name: string; last_name: string } | undefined) =>
  u ? [u.username, u.email, u.first_name, u.last_name] : [];
