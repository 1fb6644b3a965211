/**
 * Access levels, ordered: each includes the ones below it.
 * list: see that it exists (name); view: metadata; reveal: values; edit: change; manage: grant/revoke.
 */
export const levels = ['list', 'view', 'reveal', 'edit', 'manage'] as const;
export type Level = (typeof levels)[number];

export const levelRank: Record<Level, number> = { list: 1, view: 2, reveal: 3, edit: 4, manage: 5 };

export function levelName(rank: number): Level | null {
  return rank >= 1 && rank <= 5 ? (levels[rank - 1] as Level) : null;
}
