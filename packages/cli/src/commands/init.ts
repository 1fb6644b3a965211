import { CliError, type Command, EXIT, env, flag, intFlag, out, outJson, str, UsageError } from '../cli.ts';
import { openFromConfig } from '../store.ts';

const usage = `Usage: coffer init [options]

Initialises a new Coffer: creates the database tables, the root key and the first administrator.
Runs once, before the first start of the server, on the machine that holds the database.

Options:
  --unseal-mode MODE      keyfile (default): the root key is written to the key file (mode 0600) and the
                          server unseals itself at start. shamir: the root key is split into shares,
                          printed once; the server starts sealed and needs --threshold of them.
  --shares N              Shamir: number of shares (default 5, at most 20)
  --threshold K           Shamir: shares needed to unseal (default 3, at least 2, at most N)
  --admin-username U      the first administrator (default: COFFER_ADMIN_USERNAME, else admin)
  --admin-password P      its password (default: COFFER_ADMIN_PASSWORD, else a generated one, printed
                          once): at least 15 characters, not a breached or common password, not easy
                          to guess. Prefer the variable: arguments show in ps.
  --json                  print {adminUsername, adminPassword, generatedPassword, unsealMode, keyFile,
                          shares, threshold}
  -h, --help              this help

The password (when generated) and the shares are printed once, on stdout only: store them now.
Configuration comes from the COFFER_* variables (COFFER_DATA_DIR, COFFER_DATABASE_URL, COFFER_KEY_FILE...).`;

export const initCommand: Command = {
  name: 'init',
  summary: 'Initialise a new Coffer and create the first administrator',
  usage,
  options: {
    'unseal-mode': { type: 'string' },
    shares: { type: 'string' },
    threshold: { type: 'string' },
    'admin-username': { type: 'string' },
    'admin-password': { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const mode = str(values, 'unseal-mode') ?? 'keyfile';
    if (mode !== 'keyfile' && mode !== 'shamir') throw new UsageError(`--unseal-mode must be keyfile or shamir, got "${mode}"`);
    const sharesFlag = intFlag(values, 'shares', 2, 20);
    const thresholdFlag = intFlag(values, 'threshold', 2, 20);
    if (mode === 'keyfile' && (sharesFlag !== undefined || thresholdFlag !== undefined)) {
      throw new UsageError('--shares and --threshold need --unseal-mode shamir');
    }
    const shares = mode === 'shamir' ? (sharesFlag ?? 5) : undefined;
    const threshold = mode === 'shamir' ? (thresholdFlag ?? 3) : undefined;
    if (shares !== undefined && threshold !== undefined && threshold > shares) {
      throw new UsageError(`--threshold (${threshold}) cannot exceed --shares (${shares})`);
    }
    const adminUsername = str(values, 'admin-username') ?? env('COFFER_ADMIN_USERNAME') ?? 'admin';
    // the API's own rule for usernames (contracts/identities): the first administrator obeys it too
    const rule = (await import('@coffer/contracts/identities')).Username as { pattern?: string; maxLength?: number };
    if (adminUsername.length > (rule.maxLength ?? 100) || !new RegExp(rule.pattern ?? '.').test(adminUsername)) {
      throw new UsageError('the administrator username needs 1 to 100 characters, no control characters, no space at either end');
    }
    const adminPassword = str(values, 'admin-password') ?? env('COFFER_ADMIN_PASSWORD');
    if (adminPassword !== undefined) {
      // the server's own rules for account passwords; the messages never echo the password
      const { passwordProblems } = await import('@coffer/server/modules/identities/password-rules');
      const problems = passwordProblems(adminPassword, { totp: false, userInputs: [adminUsername] }, 'password').map((p) => p.message);
      if (adminPassword.length > 256) problems.push('length: at most 256 characters');
      if (problems.length > 0) throw new CliError(`the administrator password does not meet the rules: ${problems.join('; ')}`);
    }

    const { buildApp } = await import('@coffer/server/app');
    const { migrateToLatest } = await import('@coffer/server/db/database');
    const { config, database } = await openFromConfig({ lock: 'coffer init' });
    let result: Awaited<ReturnType<Awaited<ReturnType<typeof buildApp>>['initialize']>>;
    try {
      await migrateToLatest(database.db);
      // server logs (if any) go to stderr, so stdout holds only the result
      const coffer = await buildApp({ config, database, logStream: process.stderr });
      try {
        if ((await coffer.services.seal.status()).initialized) {
          throw new CliError('Coffer is already initialised: refusing to initialise it again');
        }
        result = await coffer.initialize({
          mode,
          adminUsername,
          ...(adminPassword !== undefined ? { adminPassword } : {}),
          ...(shares !== undefined ? { shares } : {}),
          ...(threshold !== undefined ? { threshold } : {}),
        });
      } finally {
        await coffer.app.close();
      }
    } finally {
      await database.close();
    }

    if (flag(values, 'json')) {
      outJson({
        adminUsername: result.adminUsername,
        adminPassword: result.generatedPassword ? result.adminPassword : null,
        generatedPassword: result.generatedPassword,
        unsealMode: mode,
        keyFile: result.keyFile,
        shares: result.shares,
        threshold: threshold ?? null,
      });
      return EXIT.ok;
    }
    const lines = ['Coffer initialised.', '', `  Administrator:  ${result.adminUsername}`];
    lines.push(
      result.generatedPassword
        ? `  Password:       ${result.adminPassword}   (generated, shown once: store it now; the first login must change it)`
        : '  Password:       the one you gave',
    );
    if (mode === 'keyfile') {
      lines.push(
        '  Unseal mode:    key file',
        `  Root key file:  ${result.keyFile} (mode 0600)`,
        '',
        'Keep a copy of the key file somewhere safe, off this machine: without it nothing can be decrypted.',
        'The server unseals itself from this file at start.',
      );
    } else {
      lines.push(
        `  Unseal mode:    Shamir, ${threshold} of ${shares} shares`,
        '',
        'Unseal shares (shown once; give each to a different person):',
      );
      (result.shares ?? []).forEach((s, i) => {
        lines.push(`  ${String(i + 1).padStart(2)}: ${s}`);
      });
      lines.push('', `The server starts sealed: enter ${threshold} different shares with \`coffer unseal\`.`);
    }
    out(lines.join('\n'));
    return EXIT.ok;
  },
};
