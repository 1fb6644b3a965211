import { Value } from 'typebox/value';

/**
 * Every setting an environment variable sets: its path in the configuration (the JSON file's key,
 * dotted for nested ones) and how the variable's text is read. The loader reads the environment
 * through this table, error messages name the variable from it, and a test keeps the README's
 * configuration table in step with it. A new setting with a variable is one row here.
 */
export const ENV_VARS: readonly EnvVar[] = [
  { env: 'COFFER_HOST', path: 'host', kind: 'string' },
  { env: 'COFFER_PORT', path: 'port', kind: 'int' },
  { env: 'COFFER_DATA_DIR', path: 'dataDir', kind: 'string' },
  { env: 'COFFER_DATABASE_URL', path: 'databaseUrl', kind: 'string' },
  { env: 'COFFER_TLS_CERT', path: 'tlsCert', kind: 'string' },
  { env: 'COFFER_TLS_KEY', path: 'tlsKey', kind: 'string' },
  { env: 'COFFER_TLS', path: 'tls', kind: 'string' },
  { env: 'COFFER_KEY_FILE', path: 'keyFile', kind: 'string' },
  { env: 'COFFER_LOG_LEVEL', path: 'logLevel', kind: 'string' },
  { env: 'COFFER_TRUSTED_PROXIES', path: 'trustedProxies', kind: 'list' },
  { env: 'COFFER_BODY_LIMIT_BYTES', path: 'bodyLimitBytes', kind: 'int' },
  { env: 'COFFER_ATTACHMENT_MAX_BYTES', path: 'attachmentMaxBytes', kind: 'int' },
  { env: 'COFFER_WORKFLOW_SWEEP_MS', path: 'workflowSweepMs', kind: 'int' },
  { env: 'COFFER_ROTATION_LEASE_MS', path: 'rotation.leaseMs', kind: 'int' },
  { env: 'COFFER_ROTATION_SWEEP_MS', path: 'rotation.sweepMs', kind: 'int' },
  { env: 'COFFER_ARGON2_MEMORY_KIB', path: 'argon2.memoryKiB', kind: 'int' },
  { env: 'COFFER_ARGON2_PASSES', path: 'argon2.passes', kind: 'int' },
  { env: 'COFFER_ARGON2_MAX_CONCURRENT', path: 'argon2.maxConcurrent', kind: 'int' },
  { env: 'COFFER_SESSION_IDLE_SECONDS', path: 'session.idleSeconds', kind: 'int' },
  { env: 'COFFER_SESSION_ABSOLUTE_SECONDS', path: 'session.absoluteSeconds', kind: 'int' },
  { env: 'COFFER_WEBHOOK_ALLOWED_TARGETS', path: 'webhooks.allowedTargets', kind: 'list' },
  { env: 'COFFER_API_KEY_MAX_DAYS', path: 'apiKeys.maxDays', kind: 'int' },
  { env: 'COFFER_RATE_LIMIT_PER_MINUTE', path: 'rateLimit.perMinute', kind: 'int' },
  { env: 'COFFER_RATE_LIMIT_BURST', path: 'rateLimit.burst', kind: 'int' },
  { env: 'COFFER_DUAL_CONTROL', path: 'dualControl', kind: 'string' },
  { env: 'COFFER_SENHASEGURA_VAULT', path: 'senhaseguraVault', kind: 'string' },
  { env: 'COFFER_PASSBOLT_VAULT', path: 'passboltVault', kind: 'string' },
  { env: 'COFFER_WEB_DIR', path: 'webDir', kind: 'string' },
];

export interface EnvVar {
  env: string;
  /** Dotted path in the configuration, e.g. `argon2.memoryKiB`. */
  path: string;
  /** int: a decimal integer; list: comma-separated, trimmed, empty items dropped. */
  kind: 'string' | 'int' | 'list';
}

/** Where the values came from, so that a message names what the operator wrote. */
export interface ConfigOrigin {
  env: NodeJS.ProcessEnv;
  file?: { path: string; data: Record<string, unknown> };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const present = (env: NodeJS.ProcessEnv, name: string) => env[name] !== undefined && env[name] !== '';

/** The settings the environment gives, as a nested object of the configuration's shape. */
export function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of ENV_VARS) {
    if (!present(env, v.env)) continue;
    const text = env[v.env] as string;
    let value: unknown = text;
    if (v.kind === 'int') {
      if (!/^-?\d+$/.test(text.trim())) throw new ConfigError(`${v.env} must be an integer, got "${text}"`);
      value = Number(text.trim());
    } else if (v.kind === 'list') {
      value = text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    }
    const keys = v.path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) {
      node[k] ??= {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys.at(-1) as string] = value;
  }
  return out;
}

function fileHas(data: Record<string, unknown>, path: string[]): boolean {
  let node: unknown = data;
  for (const k of path) {
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, k)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  return true;
}

/**
 * How a message names a setting: the environment variable when it was set (the environment wins),
 * else the key in the config file when the file has it, else the variable that sets it, else the
 * configuration path.
 */
export function settingName(path: string, origin?: ConfigOrigin): string {
  const keys = path.split('.');
  // a list's entry (`webhooks.allowedTargets.2`) belongs to the variable of the list
  const row = ENV_VARS.find((v) => path === v.path || path.startsWith(`${v.path}.`));
  if (row && origin && present(origin.env, row.env)) return row.env;
  if (origin?.file && fileHas(origin.file.data, keys)) return `"${path}" in ${origin.file.path}`;
  return row?.env ?? `"${path}"`;
}

interface Problem {
  path: string[];
  message: string;
}

type SchemaNode = {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: unknown;
  anyOf?: Array<{ const?: unknown }>;
};

/** Every invalid setting, each with its path and what is wrong ("must be <= 65535"). */
function problemsOf(schema: SchemaNode, value: unknown, at: string[]): Problem[] {
  if (schema.type === 'object' && schema.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const out: Problem[] = [];
    const required = new Set(schema.required ?? []);
    for (const [k, sub] of Object.entries(schema.properties)) {
      if (obj[k] === undefined) {
        if (required.has(k)) out.push({ path: [...at, k], message: 'is required' });
        continue;
      }
      out.push(...problemsOf(sub, obj[k], [...at, k]));
    }
    if (schema.additionalProperties === false) {
      for (const k of Object.keys(obj))
        if (!Object.hasOwn(schema.properties, k)) out.push({ path: [...at, k], message: 'is not a setting' });
    }
    return out;
  }
  if (Value.Check(schema as Parameters<typeof Value.Check>[0], value)) return [];
  if (schema.anyOf?.length && schema.anyOf.every((s) => s.const !== undefined)) {
    return [{ path: at, message: `must be one of ${schema.anyOf.map((s) => String(s.const)).join(', ')}` }];
  }
  const [first] = [...Value.Errors(schema as Parameters<typeof Value.Errors>[0], value)];
  const sub = (first?.instancePath ?? '').split('/').filter(Boolean);
  return [{ path: [...at, ...sub], message: first?.message ?? 'is invalid' }];
}

/** Throws a ConfigError listing every invalid setting by the name the operator used. */
export function checkAgainstSchema(schema: unknown, candidate: unknown, origin?: ConfigOrigin): void {
  const problems = problemsOf(schema as SchemaNode, candidate, []);
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  ${settingName(p.path.join('.'), origin)} ${p.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
