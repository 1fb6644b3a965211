// Request waterfall depth: a request started after another one finished is one level deeper than
// it. A screen whose requests all start at once has depth 1; the session check followed by the
// screen's data, 2.

export interface Timed {
  url: string;
  start: number;
  end: number;
}

/** The depth of the deepest chain, and that chain (for the failure message). */
export function waterfall(requests: readonly Timed[]): { depth: number; chain: string[] } {
  const sorted = [...requests].sort((a, b) => a.start - b.start);
  const depth = new Map<Timed, number>();
  const parent = new Map<Timed, Timed | null>();
  let best: Timed | null = null;
  for (const r of sorted) {
    let d = 1;
    let from: Timed | null = null;
    for (const q of sorted) {
      if (q === r || q.end > r.start || !depth.has(q)) continue;
      const qd = depth.get(q)! + 1;
      if (qd > d) {
        d = qd;
        from = q;
      }
    }
    depth.set(r, d);
    parent.set(r, from);
    if (!best || d > depth.get(best)!) best = r;
  }
  const chain: string[] = [];
  for (let r: Timed | null = best; r; r = parent.get(r) ?? null) chain.unshift(r.url);
  return { depth: best ? depth.get(best)! : 0, chain };
}
