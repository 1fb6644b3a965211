// The whole suite: every *.test.ts under packages/, run by node's test runner. Integration
// suites loop over both dialects themselves (SQLite file and PostgreSQL), so one run covers both.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function find(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = find('packages').sort();
const extra = process.argv.slice(2);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...extra, ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
