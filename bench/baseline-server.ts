// The baseline: a bare Fastify app (no logger, no hooks, no schema, no store) answering the same
// kind of small JSON a whoami answers. Started by run.ts as a child process on BENCH_PORT.
import Fastify from 'fastify';

const port = Number(process.env.BENCH_PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('baseline-server: BENCH_PORT must be set\n');
  process.exit(2);
}

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/whoami', async () => ({ userId: 'usr_0000000000bench', username: 'bench' }));

await app.listen({ host: '127.0.0.1', port });

const shutdown = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
