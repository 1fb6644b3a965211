import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Static, Type } from 'typebox';
import { parseCidr } from '../lib/cidr.ts';
import { ConfigError, type ConfigOrigin, checkAgainstSchema, fromEnvironment, settingName } from './env-vars.ts';

export { ConfigError } from './env-vars.ts';

/**
 * The whole configuration. Read once at start from COFFER_* variables and an optional JSON file
 * (COFFER_CONFIG), validated, frozen, passed down. Nothing secret has a default. Which variable
 * sets which setting: ENV_VARS in env-vars.ts.
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
    /** auto: a self-signed certificate made on first start in <dataDir>/tls (when no tlsCert/tlsKey). */
    tls: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('off')])),
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
    /**
     * Remote rotation (issue 14). leaseMs: how long a process holds a rotation step before the
     * reconciler may take it over (default 60 s; connector calls end within a third of it);
     * sweepMs: how often the reconciler, heartbeats and scheduled rotations run (default 30 s).
     */
    rotation: Type.Optional(
      Type.Object(
        {
          leaseMs: Type.Optional(Type.Integer({ minimum: 1500, maximum: 600_000 })),
          sweepMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** How often expired checkouts, approvals and temporary grants are ended (ms, default 5000). */
    workflowSweepMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
    /**
     * Dual control of administrative actions that open secret values (ADR 0010). auto: when more
     * than one active human administrator exists; always: even with one (the approver must still
     * be another administrator). Absent: auto.
     */
    dualControl: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('always')])),
    /**
     * The built web UI (index.html and assets/) served at `/`. loadConfig's default is
     * packages/web/dist of this checkout; absent or without an index.html: no UI, `GET /` answers
     * where the APIs are (JSON).
     */
    webDir: Type.Optional(Type.String({ minLength: 1 })),
    /** Compatibility APIs: the vault senhasegura credentials and devices are created in (default "senhasegura"). */
    senhaseguraVault: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** The Passbolt API: the end-to-end encrypted vault of personal items its resources live in (default "Passbolt"). */
    passboltVault: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
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
    /** API keys. Absent: new keys expire at most 365 days ahead. */
    apiKeys: Type.Optional(
      Type.Object(
        {
          /** The longest expiry a new key may get (existing keys keep theirs). */
          maxDays: Type.Integer({ minimum: 1, maximum: 3650 }),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * Requests per credential (a session, or an API key with the sessions exchanged from it): a
     * token bucket in each process's memory. Absent: 3000 per minute with bursts of 500.
     */
    rateLimit: Type.Optional(
      Type.Object(
        {
          perMinute: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
          burst: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Config = Readonly<Static<typeof ConfigSchema>>;

/** packages/web/dist of the checkout this file is in. */
const defaultWebDir = path.resolve(import.meta.dirname, '../../../web/dist');

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
    apiKeys: { maxDays: 365 },
    rateLimit: { perMinute: 3000, burst: 500 },
    dualControl: 'auto',
    // the UI built by `npm ci` (root "prepare"), wherever the server is started from
    webDir: defaultWebDir,
  };
  // the variables of ENV_VARS (env-vars.ts): one row per setting
  const fromEnv = fromEnvironment(env);
  if (fromEnv.dataDir !== undefined) fromEnv.dataDir = dataDir;
  const merged = deepMerge(deepMerge(defaults, file), fromEnv);
  if (typeof merged.keyFile === 'string') merged.keyFile = path.resolve(cwd, merged.keyFile);
  if (typeof merged.webDir === 'string') merged.webDir = path.resolve(cwd, merged.webDir);
  if (typeof merged.databaseUrl === 'string' && merged.databaseUrl.startsWith('sqlite:')) {
    merged.databaseUrl = `sqlite:${path.resolve(cwd, merged.databaseUrl.slice('sqlite:'.length))}`;
  }
  return validateConfig(merged, { env, ...(configPath ? { file: { path: configPath, data: file } } : {}) });
}

/** Validates a candidate configuration. `origin` (where the values came from) lets messages name
 * the environment variable or the config file's key the operator wrote. */
export function validateConfig(candidate: unknown, origin?: ConfigOrigin): Config {
  checkAgainstSchema(ConfigSchema, candidate, origin);
  const c = candidate as Static<typeof ConfigSchema>;
  const name = (path: string) => settingName(path, origin);
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    throw new ConfigError(`Invalid configuration: ${name('tlsCert')} and ${name('tlsKey')} must be set together`);
  }
  if (c.tls === 'auto' && c.tlsCert !== undefined) {
    throw new ConfigError(
      `Invalid configuration: ${name('tls')}=auto makes its own certificate; leave ${name('tlsCert')} and ${name('tlsKey')} unset, or drop ${name('tls')}`,
    );
  }
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(c.databaseUrl)) {
    throw new ConfigError(`Invalid configuration: ${name('databaseUrl')} must start with sqlite: or postgres://`);
  }
  for (const t of c.webhooks?.allowedTargets ?? []) {
    if (!parseCidr(t) && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(t)) {
      throw new ConfigError(
        `Invalid configuration: ${name('webhooks.allowedTargets')} entry "${t}" is neither a host name nor an IP address/CIDR`,
      );
    }
  }
  if (c.session.idleSeconds > c.session.absoluteSeconds) {
    throw new ConfigError(
      `Invalid configuration: ${name('session.idleSeconds')} (idle lifetime) must not exceed ${name('session.absoluteSeconds')} (absolute lifetime)`,
    );
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
