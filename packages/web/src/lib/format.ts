// Pure helpers of the screens (no DOM, no React): tested with node:test in packages/web/test/.

/** The fields changed by the versions after `from` up to and including `to` (names, never values). */
export function changedBetween(
  versions: readonly { version: number; changedFields: readonly string[] }[],
  from: number,
  to: number,
): string[] {
  const [lo, hi] = from < to ? [from, to] : [to, from];
  const out = new Set<string>();
  for (const v of versions) if (v.version > lo && v.version <= hi) for (const f of v.changedFields) out.add(f);
  return [...out].sort();
}

/** Time left until `endsAt`, in words: "1 h 5 min", "4 min 10 s", "12 s"; never negative. */
export function remaining(endsAt: string, now: number): string {
  const s = Math.max(0, Math.round((new Date(endsAt).getTime() - now) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${sec} s` : `${sec} s`;
}

/** The import format a file name suggests. */
export function guessFormat(name: string): 'csv' | 'keepass-xml' | 'bitwarden-json' | 'coffer-export' {
  if (/\.xml$/i.test(name)) return 'keepass-xml';
  if (/\.json$/i.test(name)) return 'bitwarden-json';
  if (/\.coffer$/i.test(name)) return 'coffer-export';
  return 'csv';
}

/** Matches `/vaults/:vaultId` against a path (query ignored); null when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('?')[0]!.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = s[i]!;
    if (a.startsWith(':')) {
      try {
        out[a.slice(1)] = decodeURIComponent(b);
      } catch {
        return null;
      }
    } else if (a !== b) return null;
  }
  return out;
}
