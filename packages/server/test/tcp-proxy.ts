// A TCP proxy on loopback in front of a real target, for crash tests: it forwards connections as
// they come, except that from the n-th connection after `holdFrom(n)` on it holds them (accepted,
// never forwarded): a process talking to the target then waits there, at a known step, to be
// killed. `release()` drops the held ones and forwards again.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections seen since the last `holdFrom`. */
  seen(): number;
  /** Connections held now. */
  held(): number;
  /** Holds every connection from the n-th (1-based) after this call on. */
  holdFrom(n: number): void;
  release(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let count = 0;
  let holdAt = Number.POSITIVE_INFINITY;
  const held = new Set<Socket>();
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    count++;
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (count >= holdAt) {
      held.add(client);
      client.on('close', () => held.delete(client));
      return;
    }
    const upstream = connect(targetPort, targetHost);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    seen: () => count,
    held: () => held.size,
    holdFrom(n) {
      count = 0;
      holdAt = n;
    },
    release() {
      holdAt = Number.POSITIVE_INFINITY;
      for (const s of held) s.destroy();
      held.clear();
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
