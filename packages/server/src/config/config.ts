import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { parseCidr } from '../lib/cidr.ts';

/**
 * The whole configuration. Read once at start from COFFER_* variables and an optional JSON file
 * (COFFER_CONFIG), validated, frozen, passed down. Nothing secret has a default.
 */
export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    dataDir: Type.String({ minLength: 1 }),
    /** `sqlite:/path/file.db` or `postgres://...`. Defaults to sqlite in dataDir. */
    databaseUrl: Type.String({ minLength: 1 }),
    tlsCert: Type.Optional(Type.String({ minLength: 1 })),
    tlsKey: Type.Optional(Type.String({ minLength: 1 })),
    /** Where the key-file unseal mode keeps the root key. */
    keyFile: Type.String({ minLength: 1 }),
    logLevel: Type.Union([
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('silent'),
    ]),
    /** CIDRs of reverse proxies whose X-Forwarded-For is believed. Empty: none. */
    trustedProxies: Type.Array(Type.String()),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 }),
    /** Largest attachment of a secret (its upload is streamed, not bound by bodyLimitBytes). */
    attachmentMaxBytes: Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024 }),
    argon2: Type.Object({
      memoryKiB: Type.Integer({ minimum: 19456, maximum: 4 * 1024 * 1024 }),
      passes: Type.Integer({ minimum: 2, maximum: 20 }),
      maxConcurrent: Type.Integer({ minimum: 1, maximum: 64 }),
      maxQueue: Type.Integer({ minimum: 0, maximum: 10000 }),
    }),
    session: Type.Object({
      idleSeconds: Type.Integer({ minimum: 60, maximum: 7 * 86400 }),
      absoluteSeconds: Type.Integer({ minimum: 300, maximum: 90 * 86400 }),
      refreshSeconds: Type.Integer({ minimum: 300, maximum: 90 * 86400 }),
    }),
    login: Type.Object({
      /** Consecutive failures before the account's progressive lock starts. */
      freeFailures: Type.Integer({ minimum: 1, maximum: 20 }),
      /** Consecutive failures after which the account stays locked until an administrator unlocks it. */
      hardLockFailures: Type.Integer({ minimum: 5, maximum: 100 }),
      /** Failed logins per client address per minute before 429. */
      perIpPerMinute: Type.Integer({ minimum: 1, maximum: 20 }),
    }),
    audit: Type.Object({
      /** A signed checkpoint is written at least every this many records. */
      checkpointEvery: Type.Integer({ minimum: 1, maximum: 100000 }),
      checkpointSeconds: Type.Integer({ minimum: 1, maximum: 86400 }),
    }),
    /** How often expired checkouts, approvals and temporary grants are ended (ms, default 5000). */
    workflowSweepMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
    /**
     * Dual control of administrative actions that open secret values (ADR 0010). auto: when more
     * than one active human administrator exists; always: even with one (the approver must still
     * be another administrator). Absent: auto.
     */
    dualControl: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('always')])),
    /** Outbound webhooks. Absent: the defaults (no internal target allowed, 5 s timeout, 10 attempts). */
    webhooks: Type.Optional(
      Type.Object(
        {
          /** Hosts or CIDRs webhooks may reach although they are loopback, private, link-local…; empty: none. */
          allowedTargets: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 100 }),
          timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000 }),
          maxAttempts: Type.Integer({ minimum: 1, maximum: 30 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Config = Readonly<Static<typeof ConfigSchema>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const intVar = (env: NodeJS.ProcessEnv, name: string): number | undefined => {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new ConfigError(`${name} must be an integer, got "${v}"`);
  return Number(v);
};

const strVar = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
};

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = deepMerge(b as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/**
 * Builds the configuration from defaults < config file < environment. Throws ConfigError with a
 * message naming every invalid setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  let file: Record<string, unknown> = {};
  const configPath = strVar(env, 'COFFER_CONFIG');
  if (configPath) {
    if (!existsSync(configPath)) throw new ConfigError(`COFFER_CONFIG points to a missing file: ${configPath}`);
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (e) {
      throw new ConfigError(`COFFER_CONFIG ${configPath} is not valid JSON: ${(e as Error).message}`);
    }
    if (!file || typeof file !== 'object' || Array.isArray(file)) {
      throw new ConfigError(`COFFER_CONFIG ${configPath} must hold a JSON object`);
    }
  }
  const dataDir = path.resolve(cwd, strVar(env, 'COFFER_DATA_DIR') ?? (file.dataDir as string) ?? 'data');
  const defaults = {
    host: '127.0.0.1',
    port: 7300,
    dataDir,
    databaseUrl: `sqlite:${path.join(dataDir, 'coffer.db')}`,
    keyFile: path.join(dataDir, 'coffer.key'),
    logLevel: 'info',
    trustedProxies: [],
    bodyLimitBytes: 1024 * 1024,
    attachmentMaxBytes: 10 * 1024 * 1024,
    argon2: { memoryKiB: 65536, passes: 3, maxConcurrent: 4, maxQueue: 64 },
    session: { idleSeconds: 30 * 60, absoluteSeconds: 12 * 3600, refreshSeconds: 7 * 86400 },
    login: { freeFailures: 5, hardLockFailures: 100, perIpPerMinute: 20 },
    audit: { checkpointEvery: 1000, checkpointSeconds: 60 },
    webhooks: { allowedTargets: [], timeoutMs: 5000, maxAttempts: 10 },
    workflowSweepMs: 5000,
    dualControl: 'auto',
  };
  const fromEnv = {
    host: strVar(env, 'COFFER_HOST'),
    port: intVar(env, 'COFFER_PORT'),
    dataDir: strVar(env, 'COFFER_DATA_DIR') ? dataDir : undefined,
    databaseUrl: strVar(env, 'COFFER_DATABASE_URL'),
    tlsCert: strVar(env, 'COFFER_TLS_CERT'),
    tlsKey: strVar(env, 'COFFER_TLS_KEY'),
    keyFile: strVar(env, 'COFFER_KEY_FILE'),
    logLevel: strVar(env, 'COFFER_LOG_LEVEL'),
    trustedProxies: strVar(env, 'COFFER_TRUSTED_PROXIES')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    bodyLimitBytes: intVar(env, 'COFFER_BODY_LIMIT_BYTES'),
    attachmentMaxBytes: intVar(env, 'COFFER_ATTACHMENT_MAX_BYTES'),
    workflowSweepMs: intVar(env, 'COFFER_WORKFLOW_SWEEP_MS'),
    dualControl: strVar(env, 'COFFER_DUAL_CONTROL'),
    argon2: {
      memoryKiB: intVar(env, 'COFFER_ARGON2_MEMORY_KIB'),
      passes: intVar(env, 'COFFER_ARGON2_PASSES'),
      maxConcurrent: intVar(env, 'COFFER_ARGON2_MAX_CONCURRENT'),
    },
    session: {
      idleSeconds: intVar(env, 'COFFER_SESSION_IDLE_SECONDS'),
      absoluteSeconds: intVar(env, 'COFFER_SESSION_ABSOLUTE_SECONDS'),
    },
    webhooks: {
      allowedTargets: strVar(env, 'COFFER_WEBHOOK_ALLOWED_TARGETS')
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
  };
  const merged = deepMerge(deepMerge(defaults, file), fromEnv as Record<string, unknown>);
  if (typeof merged.keyFile === 'string') merged.keyFile = path.resolve(cwd, merged.keyFile);
  if (typeof merged.databaseUrl === 'string' && merged.databaseUrl.startsWith('sqlite:')) {
    merged.databaseUrl = `sqlite:${path.resolve(cwd, merged.databaseUrl.slice('sqlite:'.length))}`;
  }
  return validateConfig(merged);
}

export function validateConfig(candidate: unknown): Config {
  if (!Value.Check(ConfigSchema, candidate)) {
    const problems = [...Value.Errors(ConfigSchema, candidate)].map((e) => `  ${e.instancePath || '/'}: ${e.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const c = candidate as Static<typeof ConfigSchema>;
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    throw new ConfigError('Invalid configuration: COFFER_TLS_CERT and COFFER_TLS_KEY must be set together');
  }
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(c.databaseUrl)) {
    throw new ConfigError('Invalid configuration: COFFER_DATABASE_URL must start with sqlite: or postgres://');
  }
  for (const t of c.webhooks?.allowedTargets ?? []) {
    if (!parseCidr(t) && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(t)) {
      throw new ConfigError(
        `Invalid configuration: COFFER_WEBHOOK_ALLOWED_TARGETS entry "${t}" is neither a host name nor an IP address/CIDR`,
      );
    }
  }
  if (c.session.idleSeconds > c.session.absoluteSeconds) {
    throw new ConfigError('Invalid configuration: session idle lifetime exceeds the absolute lifetime');
  }
  return deepFreeze(structuredClone(c));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
