// The rotation journal under crashes (fast-check): a remote rotation is driven against an
// in-memory target whose connector loses answers or kills the calling "process" at a chosen call,
// or whose process dies after a chosen committed step; then reconcilers (new processes, after the
// lease ran out) take over, some of them crashing too. At every point the target's password is
// one the vault holds (the current value, or the pending one of the open entry); at the end every
// entry is settled and the target's password is the vault's current one. On SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Fault, fakeTarget } from '../../../test/fake-target.ts';
import { adminToken, call, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { manualClock } from '../../lib/clock.ts';
import { createAudited } from '../audit/audit-log.ts';
import type { RequestContext } from '../auth/actor.ts';
import { createRemoteConnectors } from './connector.ts';
import { pendingBinding } from './journal.ts';
import { createRotationService } from './rotation.service.ts';

const LEASE = 10_000;
const RUNS = Number(process.env.COFFER_ROTATION_PROPERTY_RUNS ?? 100);
type Step = 'pending' | 'changed' | 'verified' | 'done' | 'rolled_back';
type Crash = { at: 'none' } | { at: 'call'; index: number; after: boolean } | { at: 'step'; step: Step };

const crashArb: fc.Arbitrary<Crash> = fc.oneof(
  fc.constant<Crash>({ at: 'none' }),
  fc.record({ at: fc.constant('call' as const), index: fc.integer({ min: 0, max: 3 }), after: fc.boolean() }),
  fc.record({ at: fc.constant('step' as const), step: fc.constantFrom<Step>('pending', 'changed', 'verified', 'done', 'rolled_back') }),
);
const faultsArb = fc.array(fc.constantFrom<Fault>('none', 'unreachable', 'unreachable', 'lost_reply'), { maxLength: 6 });

for (const dialect of dialects) {
  describe(`rotation journal under crashes [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let vaultId: string;
    let ctx: RequestContext;
    const clock = manualClock(Date.UTC(2031, 0, 1));
    const target = fakeTarget();
    let procs = 0;

    /** A "process": its own rotation service (lease owner) and connector; it dies where `crash` says. */
    function proc(faults: Fault[], crash: Crash) {
      let crashed!: () => void;
      const died = new Promise<'crashed'>((resolve) => {
        crashed = () => resolve('crashed');
      });
      const f = [...faults];
      if (crash.at === 'call') {
        while (f.length < crash.index) f.push('none');
        f[crash.index] = crash.after ? 'crash_after' : 'crash';
      }
      const connector = target.connector({ faults: f, onCrash: crashed });
      const s = h.coffer.services;
      const service = createRotationService({
        db: h.database.db,
        clock,
        seal: s.seal,
        audit: s.audit,
        audited: createAudited({ db: h.database.db, audit: s.audit }),
        connectors: createRemoteConnectors([connector]),
        secrets: {
          row: (exec, id) => s.workflow.secretRow(exec, id),
          lock: (trx, id) => s.workflow.lockSecret(trx, id),
          sensitive: async (exec, row) => (await s.secrets.loadValues(exec, row)).sensitive,
          write: (trx, c, row, field, value) => s.secrets.writeSecretValue(trx, c, row, field, value, 'rotate'),
          load: s.secrets.load,
          newPassword: (exec, row) => s.workflow.newPassword(exec, row),
        },
        publish: (trx, event) => s.webhooks.publish(trx, event),
        access: s.access,
        owner: `proc_${++procs}`,
        policy: { allowedTargets: ['127.0.0.1/32'] },
        leaseMs: LEASE,
        onStep: (_id, step) => {
          if (crash.at === 'step' && crash.step === step) {
            crashed();
            return new Promise<void>(() => {});
          }
        },
      });
      /** Runs `work` until it ends or the process dies. */
      const run = <T>(work: Promise<T>) =>
        Promise.race([work.then((r) => ({ r })).catch((e: unknown) => ({ e })), died]) as Promise<{ r: T } | { e: unknown } | 'crashed'>;
      return { service, run };
    }

    async function stored(id: string) {
      const s = h.coffer.services;
      const row = await s.workflow.secretRow(h.database.db, id);
      assert.ok(row);
      return { version: Number(row.version), password: (await s.secrets.loadValues(h.database.db, row)).sensitive.password };
    }
    async function openEntry(id: string) {
      return h.database.db
        .selectFrom('rotation_journal')
        .selectAll()
        .where('secret_id', '=', id)
        .where('active', '=', 1)
        .executeTakeFirst();
    }
    /** The vault holds the target's password: its current value, or the open entry's pending one. */
    async function vaultHoldsTargetPassword(id: string, username: string) {
      const onTarget = target.accounts.get(username);
      const held = [(await stored(id)).password];
      const e = await openEntry(id);
      if (e?.pending_enc) held.push((await h.coffer.services.seal.decrypt(h.database.db, pendingBinding(e.id), e.pending_enc)).toString());
      assert.ok(held.includes(onTarget), 'the target has a password the vault does not hold (a lockout)');
    }

    before(async () => {
      h = await startHarness(dialect, { clock });
      admin = await adminToken(h);
      ctx = {
        actor: await h.coffer.services.auth.authenticate(admin, '127.0.0.1'),
        requestId: 'req_prop',
        sourceIp: '127.0.0.1',
        audited: false,
      };
      const v = await call(h, 'POST', '/api/v1/vaults', { token: admin, body: { name: 'rotation-prop' } });
      assert.equal(v.status, 201, v.raw);
      vaultId = v.body.id;
    });
    after(async () => h.close());

    it('never loses the password the target has, and the reconciler settles every entry', async () => {
      let seq = 0;
      const outcomes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          crashArb,
          faultsArb,
          fc.array(fc.record({ crash: crashArb, faults: faultsArb }), { maxLength: 2 }),
          async (crash, faults, reconcilers) => {
            const username = `acct${++seq}_${randomBytes(3).toString('hex')}`;
            const p0 = `p0-${randomBytes(9).toString('hex')}`;
            target.accounts.set(username, p0);
            // through the service: the test's clock moves past any session's lifetime
            const created = await h.coffer.services.secrets.create(ctx, {
              vaultId,
              template: 'database-account',
              name: username,
              fields: { host: '127.0.0.1', username, password: p0 },
            });
            const id = created.id as string;
            const first = proc(faults, crash);
            await first.service.setTarget(ctx, id, { kind: 'postgres', host: '127.0.0.1' });
            const base = await stored(id);

            const r = await first.run(first.service.rotate(ctx, id, { trigger: 'manual' }));
            await vaultHoldsTargetPassword(id, username);
            if (r !== 'crashed' && 'e' in r) assert.equal((r.e as { code?: string }).code, 'rotation.failed', String(r.e));
            // reconcilers, each a new process after the lease (and any back-off) ran out; some die
            for (const rc of [
              ...reconcilers,
              { crash: { at: 'none' } as Crash, faults: [] },
              { crash: { at: 'none' } as Crash, faults: [] },
            ]) {
              clock.advance(LEASE + 3_700_000);
              const p = proc(rc.faults, rc.crash);
              await p.run(p.service.reconcile());
              await vaultHoldsTargetPassword(id, username);
            }
            assert.equal(await openEntry(id), undefined, 'every entry settles');
            const now = await stored(id);
            assert.equal(target.accounts.get(username), now.password, "the target's password is the vault's current one");
            const entries = await h.database.db.selectFrom('rotation_journal').selectAll().where('secret_id', '=', id).execute();
            assert.equal(entries.length, 1);
            const e = entries[0] as (typeof entries)[number];
            assert.equal(e.pending_enc, null, 'the pending value is erased once settled');
            if (e.state === 'done') {
              assert.equal(now.version, base.version + 1, 'promoted once: one new version');
              assert.equal(Number(e.new_version), now.version);
              assert.notEqual(now.password, p0);
            } else {
              assert.equal(e.state, 'rolled_back');
              assert.equal(now.version, base.version);
              assert.equal(now.password, p0);
            }
            outcomes.set(e.state, (outcomes.get(e.state) ?? 0) + 1);
          },
        ),
        { numRuns: RUNS },
      );
      // the runs reached both endings
      assert.ok((outcomes.get('done') ?? 0) > 0 && (outcomes.get('rolled_back') ?? 0) > 0, JSON.stringify([...outcomes]));
    });
  });
}
