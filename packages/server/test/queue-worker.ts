// A job-queue worker in its own OS process, for src/jobs/queue.test.ts: opens the database named by
// QUEUE_URL, runs jobs of kind `work` (each inserts one row into queue_effects in the completing
// transaction) until none is queued or running. QUEUE_DIE_AFTER=n: SIGKILLs itself inside the
// transaction of its n-th job, after the effect's INSERT and before the commit (and prints the job
// id first), as a crashing process would.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.ts';
import { createJobQueue } from '../src/jobs/queue.ts';
import { systemClock } from '../src/lib/clock.ts';

const url = process.env.QUEUE_URL as string;
const owner = process.env.QUEUE_OWNER as string;
const dieAfter = Number(process.env.QUEUE_DIE_AFTER ?? 0);
const leaseMs = Number(process.env.QUEUE_LEASE_MS ?? 2000);

const database = await openDatabase(url);
const q = createJobQueue({ db: database.db, dialect: database.dialect, clock: systemClock, owner, leaseMs, concurrency: 4 });
let handled = 0;
q.register('work', async (trx, job) => {
  await sql`insert into queue_effects (job_id, owner) values (${job.id}, ${owner})`.execute(trx);
  if (++handled === dieAfter) {
    process.stdout.write(`${JSON.stringify({ dying: job.id })}\n`);
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => {});
  }
  await sleep(Math.floor(Math.random() * 4));
});

const deadline = Date.now() + 60_000;
for (;;) {
  const n = await q.runDue();
  if (n > 0) continue;
  const left = await database.db
    .selectFrom('job_queue')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'work')
    .where('state', 'in', ['queued', 'running'])
    .executeTakeFirstOrThrow();
  if (Number(left.n) === 0 || Date.now() > deadline) break;
  await sleep(50);
}
await q.stop();
process.stdout.write(`${JSON.stringify({ done: handled })}\n`);
await database.close();
