// Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=1 npm run bench): where the main thread's time
// went, by area (Coffer module, npm package, Node internals, GC) and by function (self and total).
// Usage: node bench/cpuprofile-top.ts <file.cpuprofile> [rows]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/cpuprofile-top.ts <file.cpuprofile> [rows]\n');
  process.exit(2);
}
const rows = Number(process.argv[3] ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;

// self time per node, in microseconds, from the sample stream
const selfUs = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i] as number;
  const dt = prof.timeDeltas[i + 1] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
}
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const src = url.indexOf('/packages/');
  if (src >= 0) return url.slice(src + 1).replace(/^packages\/(\w+)\/src\//, '$1:');
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

const key = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'}  ${area(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`;
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = [...selfUs.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
const busy = total - idle;

const selfByArea = new Map<string, number>();
const selfByFn = new Map<string, number>();
// total (inclusive) time per function, each function counted once per sample even when recursive
const inclByFn = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  if (!n || n.callFrame.functionName === '(idle)') continue;
  const a = area(n.callFrame.url, n.callFrame.functionName);
  selfByArea.set(a, (selfByArea.get(a) ?? 0) + us);
  selfByFn.set(key(n), (selfByFn.get(key(n)) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const c = byId.get(cur);
    if (!c) break;
    const k = key(c);
    if (seen.has(k)) continue;
    seen.add(k);
    inclByFn.set(k, (inclByFn.get(k) ?? 0) + us);
  }
}

const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);

console.log(`profile: ${(total / 1e6).toFixed(1)} s, main thread busy ${(busy / 1e6).toFixed(1)} s (idle ${(idle / 1e6).toFixed(1)} s)`);
console.log('\nself time by area (share of busy time):');
for (const [k, v] of top(selfByArea, rows)) console.log(`${ms(v)} ${pct(v)}  ${k}`);
console.log('\nself time by function:');
for (const [k, v] of top(selfByFn, rows)) console.log(`${ms(v)} ${pct(v)}  ${k}`);
console.log('\ntotal (inclusive) time by function, Coffer code only:');
const coffer = new Map([...inclByFn].filter(([k]) => /\s(server|contracts):/.test(k)));
for (const [k, v] of top(coffer, rows)) console.log(`${ms(v)} ${pct(v)}  ${k}`);
