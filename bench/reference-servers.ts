// The servers Coffer is measured beside, each in its own child process on a free loopback port:
// the bare Fastify baseline (bench/baseline-server.ts) and, with the scenario `floor`, the least a
// reveal with Coffer's guarantees costs (bench/floor-server.ts).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type ChildServer, freePort, startServer } from './servers.ts';
import { cofferEnv, ROOT, type Settings } from './settings.ts';

export async function startReferenceServers(
  s: Settings,
  children: ChildServer[],
): Promise<{ baseline: ChildServer | null; floor: ChildServer | null; floorToken: string }> {
  let baseline: ChildServer | null = null;
  if (s.scenarios.has('baseline')) {
    const port = await freePort();
    baseline = await startServer({
      name: 'baseline (bare Fastify)',
      args: [path.join(ROOT, 'bench', 'baseline-server.ts')],
      env: { ...cofferEnv({}), BENCH_PORT: String(port) },
      port,
      healthPath: '/health',
      cwd: ROOT,
      timeoutMs: 30_000,
    });
    children.push(baseline);
  }
  let floor: ChildServer | null = null;
  const floorToken = `cfk_${randomBytes(24).toString('base64url')}`;
  if (s.scenarios.has('floor')) {
    const port = await freePort();
    floor = await startServer({
      name: 'floor (minimal reveal)',
      args: [path.join(ROOT, 'bench', 'floor-server.ts')],
      env: {
        ...cofferEnv({}),
        BENCH_PORT: String(port),
        BENCH_FLOOR_TOKEN: floorToken,
        BENCH_FLOOR_SECRETS: String(Math.min(s.secrets, 100_000)),
      },
      port,
      healthPath: '/health',
      cwd: ROOT,
      timeoutMs: 120_000,
    });
    children.push(floor);
  }
  return { baseline, floor, floorToken };
}
