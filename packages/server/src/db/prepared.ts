import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import type { DB } from './schema.ts';

/**
 * A query of a hot path, built with Kysely once per dialect instead of once per call.
 *
 * Building a query (an immutable tree of nodes) and compiling it to SQL cost more than running a
 * small indexed query on SQLite. `prepared` builds the query with named placeholders, compiles it
 * the first time it runs on a dialect, and afterwards only fills the parameter list. The SQL text
 * is then identical on every call, so the SQLite driver's statement cache hits too.
 *
 * Placeholders are unique sentinel strings passed where values go; every parameter position that
 * holds a sentinel is replaced by the named value at run time. Parameters that are not sentinels
 * (constants written into the builder) stay as they are. Lists of variable length cannot be
 * placeholders: express them as subqueries.
 */
/**
 * SQL texts of prepared queries, with a statement name each. On PostgreSQL the connection runs these
 * as named (server-side prepared) statements, so the server plans them once per connection instead
 * of on every call (planning the permission query costs more than running it). Only texts built
 * here are named: their number is fixed, so a connection's statement cache stays bounded.
 */
export const namedStatements = new Map<string, string>();

export function prepared<P extends string, R>(
  build: (db: Kysely<DB>, p: <T = string>(name: P) => T) => Compilable<R>,
): (exec: Kysely<DB>, params: Record<P, unknown>) => Promise<R[]> {
  const byAdapter = new Map<unknown, { sql: string; slots: Array<{ index: number; name: P } | { index: number; value: unknown }> }>();
  const marker = `\u0000p${Math.random().toString(36).slice(2)}:`;
  return async (exec, params) => {
    const adapter = exec.getExecutor().adapter.constructor;
    let plan = byAdapter.get(adapter);
    if (!plan) {
      const compiled = build(exec, <T>(name: P) => `${marker}${name}` as unknown as T).compile();
      const slots = compiled.parameters.map((v, index) =>
        typeof v === 'string' && v.startsWith(marker) ? { index, name: v.slice(marker.length) as P } : { index, value: v },
      );
      plan = { sql: compiled.sql, slots };
      byAdapter.set(adapter, plan);
      if (!namedStatements.has(compiled.sql)) namedStatements.set(compiled.sql, `coffer_${namedStatements.size + 1}`);
    }
    const parameters = plan.slots.map((s) => ('name' in s ? params[s.name] : s.value));
    const r = await exec.executeQuery<R>(CompiledQuery.raw(plan.sql, parameters));
    return r.rows;
  };
}
