/** A write refused by a unique index or constraint (PostgreSQL 23505, SQLite "UNIQUE constraint failed"). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '23505') return true;
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /UNIQUE constraint failed/.test(message);
}
