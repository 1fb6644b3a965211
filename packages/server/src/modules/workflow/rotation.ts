import { AppError } from '../../lib/app-error.ts';

/** What a connector needs to know about the account whose password changes. Never logged. */
export interface RotationInput {
  secretId: string;
  template: string;
  /** The field that receives the new value (usually `password`). */
  field: string;
  username: string;
  host: string;
  url: string;
  /** The new value. Connectors must never put it in an error message, a log line or a result. */
  newValue: string;
  /** The current value (for connectors that log in with it); read lazily, only when asked. */
  currentValue: () => Promise<string | null>;
}

export interface RotationResult {
  /** true when the target system now has the new value (LOCAL: there is no target). */
  applied: boolean;
}

/**
 * One way to change a password where it is used. LOCAL (PMP's RESETTYPE LOCAL) only stores the new
 * value in Coffer. Remote connectors (SSH, PostgreSQL, MySQL, …) change it on the target first;
 * the rotation step stores it as a new secret version only when `rotate` resolved, so a failed
 * remote change leaves the old value current. Errors must be AppErrors with a generic message.
 */
export interface RotationConnector {
  readonly kind: string;
  rotate(input: RotationInput): Promise<RotationResult>;
}

export const localConnector: RotationConnector = {
  kind: 'local',
  async rotate() {
    return { applied: true };
  },
};

/** Connectors by kind. New kinds register here; the rotation step picks one per secret. */
export function createConnectorRegistry(initial: RotationConnector[] = [localConnector]) {
  const byKind = new Map<string, RotationConnector>();
  const register = (c: RotationConnector) => {
    if (byKind.has(c.kind)) throw new Error(`rotation connector ${c.kind} registered twice`);
    byKind.set(c.kind, c);
  };
  for (const c of initial) register(c);
  return {
    register,
    get(kind: string): RotationConnector {
      const c = byKind.get(kind);
      if (!c) throw new AppError('conflict', `No rotation connector of kind "${kind}" is available.`);
      return c;
    },
    kinds: () => [...byKind.keys()],
  };
}
export type ConnectorRegistry = ReturnType<typeof createConnectorRegistry>;
