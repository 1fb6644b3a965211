// CPU profiles of the Coffer child process for one measured window at a time, through the V8
// inspector (Coffer runs with --inspect on a loopback port when BENCH_CPU_PROF=1): a profile per
// scenario instead of one for the whole process, which the data-set build would dominate.
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Profiler {
  /** Starts sampling; `stop` writes the profile to `file` and returns it. */
  start(): Promise<void>;
  stop(file: string): Promise<string>;
  close(): void;
}

export async function connectProfiler(inspectPort: number): Promise<Profiler> {
  let target: string | undefined;
  for (let i = 0; i < 50 && !target; i++) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
      target = list[0]?.webSocketDebuggerUrl;
    } catch {
      await sleep(100);
    }
  }
  if (!target) throw new Error(`no inspector target on port ${inspectPort}`);
  const ws = new WebSocket(target);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('could not connect to the inspector')), { once: true });
  });
  let seq = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(msg.error.message));
    else p?.resolve(msg.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 1000 });
  return {
    async start() {
      await call('Profiler.start');
    },
    async stop(file) {
      const r = (await call('Profiler.stop')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(r.profile));
      return file;
    },
    close() {
      ws.close();
    },
  };
}
