import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Username } from '@coffer/contracts/identities';
import { Value } from 'typebox/value';
import type { PasswordHasher } from '../../crypto/password-hash.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/app-error.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { systemActor } from '../auth/actor.ts';
import { passwordProblems } from '../identities/password-rules.ts';
import type { UsersService } from '../identities/users.service.ts';
import type { SealManager, UnsealMode } from './seal.ts';

export interface InitOptions {
  mode: UnsealMode;
  shares?: number;
  threshold?: number;
  adminUsername: string;
  /** When absent a strong password is generated and returned (printed once by the caller). */
  adminPassword?: string;
}

export interface InitResult {
  adminUsername: string;
  adminPassword: string;
  generatedPassword: boolean;
  shares: string[] | null;
  keyFile: string | null;
}

/** A generated password: 24 characters from a 62-letter alphabet (~143 bits). */
export function generatePassword(length = 24): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const out: string[] = [];
  while (out.length < length) {
    for (const b of randomBytes(64)) {
      if (b < alphabet.length * 4 && out.length < length) out.push(alphabet[b % alphabet.length] as string);
    }
  }
  return out.join('');
}

/** A generated password that obeys the account password rules (a random one practically always does). */
export function generateAdminPassword(username: string): string {
  for (let i = 0; i < 100; i++) {
    const p = generatePassword();
    if (passwordProblems(p, { totp: false, userInputs: [username] }, '/adminPassword').length === 0) return p;
  }
  throw new Error('could not generate a password that obeys the password rules');
}

/**
 * First start: seal configuration, keyring and the first administrator (never a built-in default
 * password), with their audit records, in one transaction: an install is complete or absent.
 */
export async function initializeCoffer(
  deps: { db: Db; seal: SealManager; users: UsersService; hasher: PasswordHasher; audit: AuditLog; keyFile: string },
  opts: InitOptions,
): Promise<InitResult> {
  if (await deps.seal.sealConfig()) throw new AppError('sys.already_initialized', 'Coffer is already initialised.');
  if (opts.mode === 'keyfile' && existsSync(deps.keyFile)) {
    throw new AppError('sys.already_initialized', `A key file already exists at ${deps.keyFile}; refusing to overwrite it.`);
  }
  if (!Value.Check(Username, opts.adminUsername)) {
    throw new AppError('validation.failed', 'The administrator username must be 1-100 characters without surrounding spaces.');
  }
  if (opts.adminPassword !== undefined) {
    const problems = passwordProblems(opts.adminPassword, { totp: false, userInputs: [opts.adminUsername] }, '/adminPassword');
    if (opts.adminPassword.length > 256) problems.push({ path: '/adminPassword', message: 'length: at most 256 characters' });
    // named in the message too: `npm start` and `coffer init` print only the message
    if (problems.length > 0) {
      throw new AppError(
        'validation.failed',
        `The administrator password does not meet the rules: ${problems.map((p) => p.message).join('; ')}`,
        {
          details: problems,
        },
      );
    }
  }
  const password = opts.adminPassword ?? generateAdminPassword(opts.adminUsername);
  const hash = await deps.hasher.hash(password);
  const ctx = { actor: systemActor, requestId: 'init', sourceIp: '', audited: false };
  const res = await deps.seal.initialize(
    {
      mode: opts.mode,
      ...(opts.shares ? { shares: opts.shares } : {}),
      ...(opts.threshold ? { threshold: opts.threshold } : {}),
      // pinned with the keys, in this transaction: a new store MACs from its first record
      auditMacFrom: (trx) => deps.audit.initialMacFrom(trx),
    },
    async (trx) => {
      await deps.audit.append(trx, ctx, {
        action: 'sys.init',
        outcome: 'success',
        details: { mode: opts.mode, shares: opts.mode === 'shamir' ? (opts.shares ?? 5) : null, threshold: opts.threshold ?? null },
      });
      // a generated password went to a terminal (or a log collector): it must be changed at the first login
      const admin = await deps.users.createInitialAdmin(trx, opts.adminUsername, hash, opts.adminPassword === undefined);
      await deps.audit.append(trx, ctx, {
        action: 'user.create',
        objectType: 'user',
        objectId: admin.id,
        outcome: 'success',
        details: { role: 'administrator', initial: true, temporaryPassword: opts.adminPassword === undefined },
      });
    },
  );
  return {
    adminUsername: opts.adminUsername,
    adminPassword: password,
    generatedPassword: opts.adminPassword === undefined,
    shares: res.shares,
    keyFile: res.keyFile,
  };
}
