import { readFileSync } from 'node:fs';
import type { Dependency, RotationStatus, RotationTarget, RotationTargetInput } from '@coffer/sdk/client';
import { type Command, flag, intFlag, out, outJson, str, UsageError } from '../cli.ts';
import { CLIENT_EXIT, clientCommand, EXIT_CODES_HELP, openSession } from '../client.ts';
import { resolveSecret } from '../paths.ts';
import { table, when } from '../workflow-view.ts';

const KINDS = ['postgres', 'mysql', 'ssh', 'ssh-key'] as const;

const targetUsage = `Usage: coffer target PATH --kind KIND --host HOST [--port N] [--privileged PATH]
                     [--database DB] [--account-host H] [--tls MODE [--ca FILE]] [--heartbeat MIN] [--rotate-days N]
                     [--dependency NAME:KIND[:HOST[:NOTE]]]... [--no-dependencies]
                     [--dependencies-reviewed yes|no] [--hold-unreviewed yes|no] [--json]
       coffer target PATH --remove

Gives a secret (PATH = VAULT/[FOLDER/...]SECRET, or id:ID) a rotation target: from then on
"coffer rotate" changes its password (or SSH key) on the target first, verifies a login with the
new one, and only then stores it (the old one stays in the history). Needs edit access on the
secret and on the privileged account's secret. The host must pass the outbound allowlist
(COFFER_WEBHOOK_ALLOWED_TARGETS on the server for loopback and private addresses).

Options:
  --kind KIND          postgres (ALTER ROLE), mysql (MariaDB/MySQL ALTER USER), ssh (a Linux
                       password: passwd, or chpasswd as root), ssh-key (an authorized SSH key)
  --host HOST          host name or IP address of the target
  --port N             default 5432, 3306 or 22 by kind
  --privileged PATH    another secret whose account changes this one (superuser, root);
                       without it the account changes its own password
  --database DB        postgres: the database to connect to (default postgres)
  --account-host H     mysql: the account's host part (default %)
  --tls MODE           postgres: disable (default), require (encrypted, certificate not checked) or
                       verify-full (the certificate chains to --ca, else the system's CAs, and
                       names the host)
  --ca FILE            postgres, verify-full: the CA certificate(s) in PEM
  --heartbeat MIN      verify the stored password this often (minutes, >= 5)
  --rotate-days N      rotate this often (days)
  --dependency D       what uses the password, NAME:KIND[:HOST[:NOTE]] (e.g. orders-api:service:app01);
                       repeat for each; replaces the list (without it the list is kept)
  --no-dependencies    empty the list
  --dependencies-reviewed yes|no
                       no: the list is known to be incomplete or out of date
  --hold-unreviewed yes|no
                       yes: hold a scheduled rotation (flagged, audited rotation.held) while the
                       dependencies are not reviewed; it runs once they are
  --remove             remove the target (refused while a rotation is open)
  --json               print the target as JSON
  -h, --help           this help

${EXIT_CODES_HELP}`;

const verifyUsage = `Usage: coffer verify PATH [--json]

Dry run: logs in to the secret's rotation target with the stored password and changes nothing.
Prints ok, failed (the stored password does not log in: the secret is flagged out of sync) or
unreachable, and records it as the secret's heartbeat (audited). Needs edit access.
Exits 1 unless the login worked.

${EXIT_CODES_HELP}`;

const heartbeatUsage = `Usage: coffer heartbeat PATH [--now] [--json]
       coffer heartbeat [--out-of-sync] [--json]

Without PATH: lists the secrets you may view that have a rotation target, out-of-sync ones first
(--out-of-sync: only those), with their last heartbeat; exits 1 when one is out of sync.
With PATH: shows the rotation target of a secret: the last heartbeat (a scheduled verify) and its status,
whether the secret is out of sync with its target, and the newest rotations (journal entries:
pending -> changed -> verified -> done, or rolled_back). --now verifies first (as coffer verify).

${EXIT_CODES_HELP}`;

/** NAME:KIND[:HOST[:NOTE]] (the note may hold colons). */
function parseDependency(raw: string): Dependency {
  const [name, kind, host, ...note] = raw.split(':');
  if (!name?.trim() || !kind?.trim()) throw new UsageError(`--dependency "${raw}": give NAME:KIND[:HOST[:NOTE]]`);
  return {
    name: name.trim(),
    kind: kind.trim(),
    ...(host?.trim() ? { host: host.trim() } : {}),
    ...(note.length && note.join(':').trim() ? { note: note.join(':').trim() } : {}),
  };
}

function yesNo(values: Parameters<typeof str>[0], name: string): boolean | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  if (v === 'yes' || v === 'no') return v === 'yes';
  throw new UsageError(`--${name} must be yes or no`);
}

function describeDependencies(t: RotationTarget): string[] {
  if (t.dependencies.length === 0 && t.dependenciesReviewed) return [];
  const head = `Dependencies${t.dependenciesReviewed ? '' : ' (NOT REVIEWED)'}${t.holdUnreviewed ? '; scheduled rotation held until reviewed' : ''}:`;
  const held = t.heldAt ? [`Scheduled rotation HELD since ${when(t.heldAt)}: review the dependencies (--dependencies-reviewed yes)`] : [];
  return [
    head,
    ...t.dependencies.map((d) => `  ${d.name} (${d.kind}${d.host ? ` on ${d.host}` : ''})${d.note ? ` — ${d.note}` : ''}`),
    ...held,
  ];
}

function describeTarget(t: RotationTarget): string[] {
  return [
    `Target: ${t.kind} ${t.host}:${t.port}${t.privilegedSecretId ? ` (changed by privileged account ${t.privilegedSecretId})` : ' (the account changes its own)'}`,
    ...(t.hostKey ? [`Host key (pinned): ${t.hostKey}`] : []),
    ...(t.tls && t.tls !== 'disable' ? [`TLS: ${t.tls}${t.caPem ? ' (with the target’s CA)' : ''}`] : []),
    `Heartbeat: ${t.heartbeatMinutes === null ? 'not scheduled' : `every ${t.heartbeatMinutes} min`}; rotation: ${t.rotateDays === null ? 'not scheduled' : `every ${t.rotateDays} days`}${t.nextRotationAt ? ` (next ${when(t.nextRotationAt)})` : ''}`,
    `Last heartbeat: ${t.lastHeartbeatAt ? `${when(t.lastHeartbeatAt)} ${t.lastHeartbeatStatus}` : 'never'}${t.outOfSync ? ' — OUT OF SYNC: the stored password does not log in' : ''}`,
    ...describeDependencies(t),
  ];
}

export const targetCommand: Command = clientCommand({
  name: 'target',
  summary: 'Give a secret a rotation target (PostgreSQL, MariaDB, SSH password or key), or remove it',
  usage: targetUsage,
  options: {
    kind: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    privileged: { type: 'string' },
    database: { type: 'string' },
    'account-host': { type: 'string' },
    tls: { type: 'string' },
    ca: { type: 'string' },
    heartbeat: { type: 'string' },
    'rotate-days': { type: 'string' },
    dependency: { type: 'string', multiple: true },
    'no-dependencies': { type: 'boolean' },
    'dependencies-reviewed': { type: 'string' },
    'hold-unreviewed': { type: 'string' },
    remove: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    if (flag(values, 'remove')) {
      await client.rotation.removeTarget(secret.id);
      out(`Removed the rotation target of ${arg}.`);
      return CLIENT_EXIT.ok;
    }
    const kind = str(values, 'kind');
    const host = str(values, 'host');
    if (!kind || !(KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}`);
    if (!host) throw new UsageError('--host is required');
    const input: RotationTargetInput = { kind: kind as RotationTargetInput['kind'], host };
    const port = intFlag(values, 'port', 1, 65535);
    if (port !== undefined) input.port = port;
    const privileged = str(values, 'privileged');
    if (privileged) input.privilegedSecretId = (await resolveSecret(client, privileged)).secret.id;
    const database = str(values, 'database');
    if (database) input.database = database;
    const accountHost = str(values, 'account-host');
    if (accountHost) input.accountHost = accountHost;
    const tls = str(values, 'tls');
    if (tls !== undefined) {
      if (tls !== 'disable' && tls !== 'require' && tls !== 'verify-full')
        throw new UsageError('--tls must be disable, require or verify-full');
      input.tls = tls;
    }
    const ca = str(values, 'ca');
    if (ca) {
      try {
        input.caPem = readFileSync(ca, 'utf8');
      } catch {
        throw new UsageError(`--ca: cannot read ${ca}`);
      }
    }
    const heartbeat = intFlag(values, 'heartbeat', 5, 525_600);
    if (heartbeat !== undefined) input.heartbeatMinutes = heartbeat;
    const days = intFlag(values, 'rotate-days', 1, 3650);
    if (days !== undefined) input.rotateDays = days;
    const deps = values.dependency as string[] | undefined;
    if (deps?.length) input.dependencies = deps.map(parseDependency);
    else if (flag(values, 'no-dependencies')) input.dependencies = [];
    const reviewed = yesNo(values, 'dependencies-reviewed');
    if (reviewed !== undefined) input.dependenciesReviewed = reviewed;
    const hold = yesNo(values, 'hold-unreviewed');
    if (hold !== undefined) input.holdUnreviewed = hold;
    const t = await client.rotation.setTarget(secret.id, input);
    if (flag(values, 'json')) outJson(t);
    else out([`Set the rotation target of ${arg}.`, ...describeTarget(t)].join('\n'));
    return CLIENT_EXIT.ok;
  },
});

export const verifyCommand: Command = clientCommand({
  name: 'verify',
  summary: 'Dry run: log in to the rotation target with the stored password (changes nothing)',
  usage: verifyUsage,
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0] as string;
    const { client } = openSession();
    const { secret } = await resolveSecret(client, arg);
    const r = await client.rotation.verify(secret.id);
    if (flag(values, 'json')) outJson(r);
    else {
      const words = {
        ok: 'ok: the stored password logs in',
        failed: 'FAILED: the stored password does not log in (out of sync)',
        unreachable: 'unreachable: the target did not answer',
        unknown: 'unknown',
      };
      out(`${arg}: ${words[r.status]}`);
    }
    return r.status === 'ok' ? CLIENT_EXIT.ok : 1;
  },
});

function describeStatus(arg: string, s: RotationStatus): string {
  const lines = [`${arg}`, ...describeTarget(s.target)];
  if (s.entries.length) {
    lines.push(
      '',
      table(
        ['ROTATION', 'STATE', 'TRIGGER', 'VERSION', 'STARTED', 'ERROR'],
        s.entries.map((e) => [
          e.id,
          `${e.state}${e.open ? ' (open)' : ''}`,
          e.trigger,
          e.newVersion === null ? '-' : String(e.newVersion),
          when(e.createdAt),
          e.lastError ?? '',
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export const heartbeatCommand: Command = clientCommand({
  name: 'heartbeat',
  summary: 'Show the heartbeat, out-of-sync flag and rotations of a secret with a target',
  usage: heartbeatUsage,
  options: { now: { type: 'boolean' }, 'out-of-sync': { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals }) {
    const arg = positionals[0];
    const { client } = openSession();
    if (arg === undefined) {
      const list = await client.rotation.listTargets(flag(values, 'out-of-sync') ? { outOfSync: true } : {});
      if (flag(values, 'json')) outJson(list);
      else
        out(
          list.items.length
            ? table(
                ['SECRET', 'TARGET', 'HEARTBEAT', 'STATUS'],
                list.items.map(({ secretName, target: t }) => [
                  secretName,
                  `${t.kind} ${t.host}:${t.port}`,
                  t.lastHeartbeatAt ? when(t.lastHeartbeatAt) : 'never',
                  t.outOfSync ? 'OUT OF SYNC' : t.lastHeartbeatStatus,
                ]),
              )
            : 'No secrets with a rotation target.',
        );
      return list.items.some((i) => i.target.outOfSync) ? 1 : CLIENT_EXIT.ok;
    }
    if (flag(values, 'out-of-sync')) throw new UsageError('--out-of-sync lists secrets: give no PATH');
    const { secret } = await resolveSecret(client, arg);
    if (flag(values, 'now')) await client.rotation.verify(secret.id);
    const s = await client.rotation.status(secret.id);
    if (flag(values, 'json')) outJson(s);
    else out(describeStatus(arg, s));
    return s.target.outOfSync ? 1 : CLIENT_EXIT.ok;
  },
});
