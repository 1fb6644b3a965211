// The access-workflow commands of `coffer` (request, requests, approve, reject, checkout, checkin,
// checkouts, rotate), run as child processes against a real server on an ephemeral port, on both
// dialects: two requesters, an approver and an owner, a folder that requires approval and has
// exclusive checkouts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../server/test/harness.ts';
import { cliRunner, expectCode, json } from '../test/run-cli.ts';
import { parseState, table, when } from './workflow-view.ts';

const { cli, stderrs } = cliRunner();

const PASSWORD = 'wf-cli-canary-Mz7!pw';
const SECRET = 'Ops/Prod/orders db';
const OPEN = 'Ops/Open/build box';

describe('coffer workflow helpers', () => {
  it('reads states in words, enums or aliases; lays out tables; writes times in UTC', () => {
    assert.equal(parseState('waiting for approval'), 'waiting_for_approval');
    assert.equal(parseState('Waiting'), 'waiting_for_approval');
    assert.equal(parseState('checked-out'), 'checked_out');
    assert.equal(parseState('in use'), 'checked_out');
    assert.equal(parseState('checked in'), 'checked_in');
    assert.equal(parseState('rejected'), 'rejected');
    assert.throws(() => parseState('pending'), /--state must be one of/);
    assert.equal(
      table(
        ['A', 'BB'],
        [
          ['xyz', 'last column stays'],
          ['', 'q'],
        ],
      ),
      'A    BB\nxyz  last column stays\n     q',
    );
    assert.equal(when('2030-01-07T10:30:59.123Z'), '2030-01-07 10:30 UTC');
  });
});

for (const dialect of dialects) {
  describe(`coffer access workflow commands [${dialect}]`, { concurrency: false }, () => {
    let h: Harness;
    let dir: string;
    type User = Awaited<ReturnType<typeof createUser>>;
    const u: Record<'owner' | 'alice' | 'bob' | 'dave', User> = {} as never;
    const cfg: Record<string, string> = {};
    const ids: Record<string, string> = {};
    const O = (args: string[]) => cli(cfg.owner as string, args);
    const A = (args: string[]) => cli(cfg.alice as string, args);
    const B = (args: string[]) => cli(cfg.bob as string, args);
    const D = (args: string[]) => cli(cfg.dave as string, args);

    /** The current password, read by the owner straight from the API. */
    async function currentPassword(): Promise<string> {
      const r = await call(h, 'POST', `/api/v1/secrets/${ids.secret}/reveal`, { token: u.owner.token, body: { reason: 'test check' } });
      assert.equal(r.status, 200, r.raw);
      return r.body.values.password as string;
    }

    before(async () => {
      h = await startHarness(dialect);
      await h.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-cli-workflow-'));
      const admin = await adminToken(h);
      u.owner = await createUser(h, admin, 'password_administrator');
      u.alice = await createUser(h, admin, 'password_user');
      u.bob = await createUser(h, admin, 'password_user');
      u.dave = await createUser(h, admin, 'password_user');
      const ok = async (p: string, body: unknown) => {
        const r = await call(h, 'POST', p, { token: u.owner.token, body });
        assert.equal(r.status, 201, r.raw);
        return r.body.id as string;
      };
      ids.vault = await ok('/api/v1/vaults', { name: 'Ops', policy: { requireReason: true } });
      // Prod: bob approves; exclusive checkouts of at most 60 minutes
      ids.prod = await ok('/api/v1/folders', {
        vaultId: ids.vault,
        name: 'Prod',
        policy: {
          approval: { required: true, approvers: [{ type: 'user', id: u.bob.id }] },
          checkout: { exclusive: true, maxMinutes: 60 },
        },
      });
      ids.open = await ok('/api/v1/folders', { vaultId: ids.vault, name: 'Open' });
      for (const who of [u.alice, u.dave]) {
        await ok('/api/v1/grants', { nodeId: ids.vault, principalType: 'user', principalId: who.id, level: 'reveal' });
      }
      ids.secret = await ok('/api/v1/secrets', {
        vaultId: ids.vault,
        folderId: ids.prod,
        template: 'database-account',
        name: 'orders db',
        fields: { host: 'db01', username: 'app', password: PASSWORD },
      });
      ids.openSecret = await ok('/api/v1/secrets', {
        vaultId: ids.vault,
        folderId: ids.open,
        template: 'database-account',
        name: 'build box',
        fields: { host: 'ci01', username: 'ci', password: 'open-canary-Xw2!' },
      });
      for (const name of ['owner', 'alice', 'bob', 'dave'] as const) {
        cfg[name] = path.join(dir, `${name}.json`);
        const r = await cli(cfg[name] as string, ['login', '--url', url, '--username', u[name].username, '--password-stdin'], {
          input: u[name].password,
        });
        expectCode(r, 0, `login ${name}`);
      }
    });
    after(async () => {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('without an approved request: reveal and checkout exit 8 and say how to ask; bad usage exits 2', async () => {
      const [noReason, badAction, badStart, reveal, checkout, badId, noComment] = await Promise.all([
        A(['request', SECRET]),
        A(['request', SECRET, '--reason', 'x', '--action', 'borrow']),
        A(['request', SECRET, '--reason', 'x', '--start', 'tomorrow']),
        A(['reveal', SECRET, '--reason', 'look']),
        A(['checkout', SECRET]),
        B(['approve', 'not-an-id']),
        B(['reject', 'arq_00000000000000000000000000']),
      ]);
      expectCode(noReason, 2);
      assert.match(noReason.stderr, /^coffer: --reason is required/);
      expectCode(badAction, 2);
      expectCode(badStart, 2);
      expectCode(reveal, 8);
      assert.match(
        reveal.stderr,
        new RegExp(
          `^error: ${SECRET}: revealing this secret needs an approved access request: coffer request ${SECRET} --reason R, then coffer reveal ${SECRET} once it is approved \\(secret\\.approval_required, request req_\\S+\\)\\n$`,
        ),
      );
      assert.doesNotMatch(reveal.stderr, /\/api\/v1/, 'a CLI command, not a REST path');
      const getField = await A(['get', SECRET, '--field', 'password', '--reason', 'look']);
      expectCode(getField, 8);
      assert.match(getField.stderr, new RegExp(`coffer request ${SECRET} --reason R`));
      expectCode(checkout, 8);
      assert.equal(
        checkout.stderr,
        `error: ${SECRET}: checking this secret out needs an approved access request: coffer request ${SECRET} --action checkout --reason R\n`,
      );
      expectCode(badId, 2);
      expectCode(noComment, 2);
      // where no approval is needed, a request is a conflict (exit 6) and a checkout just works
      const needless = await A(['request', OPEN, '--reason', 'build']);
      expectCode(needless, 6);
      assert.match(needless.stderr, /needs no approval/);
      const free = await A(['checkout', OPEN, '--reason', 'build', '--json']);
      expectCode(free, 0);
      assert.equal(json(free).requestId, null);
      expectCode(await A(['checkin', OPEN]), 0);
    });

    it('request -> waiting -> approve -> checkout (holder and end) -> 409 for another user (exit 7) -> checkin', async () => {
      const req = await A(['request', SECRET, '--reason', 'deploy release 42', '--duration', '30', '--json']);
      expectCode(req, 0);
      const r = json(req);
      assert.equal(r.state, 'waiting_for_approval');
      assert.equal(r.action, 'checkout', 'an exclusive-checkout policy makes it a checkout request');
      assert.equal(Date.parse(r.endAt) - Date.parse(r.startAt), 30 * 60_000);
      ids.req = r.id;

      const early = await A(['checkout', SECRET]);
      expectCode(early, 8);
      assert.equal(
        early.stderr,
        `error: ${SECRET}: your access request ${r.id} is waiting for approval; check it out once it is approved\n`,
      );

      const pending = await B(['requests', '--pending']);
      expectCode(pending, 0);
      const [head, row, ...rest] = pending.stdout.trimEnd().split('\n');
      assert.match(head as string, /^ID +STATE +ACTION +SECRET +REQUESTER +FROM +UNTIL +REASON$/);
      assert.deepEqual(rest, []);
      assert.match(
        row as string,
        new RegExp(`^${r.id} +waiting for approval +checkout +orders db +${u.alice.username} +.+ UTC +deploy release 42$`),
      );
      const pendingJson = await B(['requests', '--pending', '--json']);
      assert.deepEqual(
        json(pendingJson).map((x: { id: string }) => x.id),
        [r.id],
      );
      expectCode(await B(['requests', '--pending', '--mine']), 2);

      const own = await A(['approve', r.id]);
      expectCode(own, 4, 'a requester approving their own request');
      const notApprover = await D(['approve', r.id]);
      expectCode(notApprover, 3, 'a request that is not yours to see');

      const approved = await B(['approve', r.id, '--comment', 'go ahead']);
      expectCode(approved, 0);
      assert.match(
        approved.stdout,
        new RegExp(`^Approved ${r.id} \\(checkout of orders db for ${u.alice.username}, until .+ UTC\\): approved\\.\\n$`),
      );
      const mineApproved = await A(['requests', '--state', 'approved', '--json']);
      assert.deepEqual(
        json(mineApproved).map((x: { id: string; approvals: Array<{ comment: string }> }) => [x.id, x.approvals[0]?.comment]),
        [[r.id, 'go ahead']],
      );

      // the checkout finds the approved request by itself; the request's reason is used
      const co = await A(['checkout', SECRET]);
      expectCode(co, 0);
      const m = new RegExp(
        `^Checked out ${SECRET} with request ${r.id}: held by ${u.alice.username} until (.+ UTC)\\.\\nCheck it in with: coffer checkin ${SECRET}\\n$`,
      ).exec(co.stdout);
      assert.ok(m, co.stdout);
      const listed = await O(['checkouts', '--json']);
      expectCode(listed, 0);
      const [only, ...others] = json(listed);
      assert.deepEqual(others, []);
      assert.equal(only.holderId, u.alice.id);
      assert.equal(only.requestId, r.id);
      assert.equal(only.reason, 'deploy release 42');
      assert.equal(only.endsAt, r.endAt, 'the checkout ends with the approved window (30 minutes from the request)');
      assert.equal(m[1], when(only.endsAt));
      const human = await O(['checkouts']);
      assert.match(human.stdout, /^SECRET +STATE +HOLDER +SINCE +UNTIL +REQUEST +REASON\n/);
      assert.match(
        human.stdout,
        new RegExp(`\\norders db +checked out \\(in use\\) +${u.alice.username} +.+ UTC +${r.id} +deploy release 42\\n$`),
      );
      const inUse = await A(['requests']);
      assert.match(inUse.stdout, new RegExp(`\\n${r.id} +checked out \\(in use\\) +checkout`));
      // the holder may reveal
      const reveal = await A(['reveal', SECRET, '--field', 'password', '--reason', 'deploy']);
      expectCode(reveal, 0);
      assert.equal(reveal.stdout, `${PASSWORD}\n`);

      // dave is approved too, but alice holds it: exit 7 naming her and the end time; no queue
      const dreq = json(await D(['request', SECRET, '--reason', 'nightly backup', '--duration', '10', '--json']));
      expectCode(await B(['approve', dreq.id]), 0);
      const busy = await D(['checkout', SECRET]);
      expectCode(busy, 7);
      assert.match(
        busy.stderr,
        new RegExp(
          `^error: ${SECRET} is checked out \\(in use\\) by ${u.alice.username} until ${when(only.endsAt)}; there is no queue: try again after that \\(secret\\.checked_out, request req_\\S+\\)\\n$`,
        ),
      );
      assert.equal(busy.stdout, '');
      const busyJson = await D(['checkout', SECRET, '--request', dreq.id, '--json']);
      expectCode(busyJson, 7);
      assert.deepEqual(json(busyJson), {
        error: 'secret.checked_out',
        holder: u.alice.username,
        holderId: u.alice.id,
        endsAt: only.endsAt,
      });
      // revealing while someone else holds the exclusive checkout is refused the same way
      const dReveal = await D(['reveal', SECRET, '--reason', 'backup']);
      expectCode(dReveal, 7);
      assert.match(dReveal.stderr, /\(secret\.checked_out, request req_\S+\)\n$/);
      assert.equal((await D(['requests', '--state', 'approved', '--json'])).stdout.includes(dreq.id), true, 'the refusal used nothing up');

      const checkin = await A(['checkin', SECRET, '--reason', 'deployed']);
      expectCode(checkin, 0);
      assert.match(checkin.stdout, new RegExp(`^Checked in ${SECRET} \\(held by ${u.alice.username} since .+ UTC\\)\\.\\n$`));
      const done = await A(['requests', '--state', 'checked in', '--json']);
      assert.deepEqual(
        json(done).map((x: { id: string; state: string }) => [x.id, x.state]),
        [[r.id, 'checked_in']],
      );
      assert.deepEqual(json(await O(['checkouts', '--json'])), []);
      expectCode(await A(['checkin', SECRET]), 6, 'nothing to check in');

      // now dave's approval works
      const dco = await D(['checkout', SECRET, '--json']);
      expectCode(dco, 0);
      assert.equal(json(dco).holderId, u.dave.id);
      assert.equal(json(dco).requestId, dreq.id);
      const mine = await D(['checkouts', '--mine', '--json']);
      assert.deepEqual(
        json(mine).map((c: { holderId: string }) => c.holderId),
        [u.dave.id],
      );
      const dIn = await D(['checkin', SECRET, '--json']);
      expectCode(dIn, 0);
      assert.equal(json(dIn).active, false);
      assert.equal(json(dIn).endReason, 'checkin');
    });

    it('a rejected request: the comment reaches the requester, nothing is unlocked', async () => {
      const req = await A(['request', SECRET, '--action', 'reveal', '--reason', 'just curious', '--duration', '5']);
      expectCode(req, 0);
      const m = /^Request (arq_[0-9a-z]{26}) to reveal Ops\/Prod\/orders db, .+ UTC to .+ UTC: waiting for approval\.\n/.exec(req.stdout);
      assert.ok(m, req.stdout);
      const id = m[1] as string;
      assert.match(req.stdout, new RegExp(`\\nOnce approved \\(coffer approve ${id}\\), run: coffer reveal ${SECRET}\\n$`));
      const early = await A(['reveal', SECRET, '--reason', 'just curious']);
      expectCode(early, 8, 'a reveal while the request waits');
      assert.match(
        early.stderr,
        new RegExp(
          `^error: ${SECRET}: your access request ${id} is waiting for approval; reveal it once it is approved \\(secret\\.approval_required, request req_\\S+\\)\\n$`,
        ),
      );
      expectCode(await B(['reject', id]), 2, 'reject needs a comment');
      const rejected = await B(['reject', id, '--comment', 'no ticket']);
      expectCode(rejected, 0);
      assert.match(
        rejected.stdout,
        new RegExp(`^Rejected ${id} \\(reveal of orders db for ${u.alice.username}, until .+\\): rejected\\.\\n$`),
      );
      const mine = await A(['requests', '--state', 'rejected', '--json']);
      assert.deepEqual(
        json(mine).map((x: { id: string; comment: string }) => [x.id, x.comment]),
        [[id, 'no ticket']],
      );
      const list = await A(['requests']);
      assert.match(list.stdout, new RegExp(`\\n${id} +rejected +reveal +orders db`));
      expectCode(await A(['reveal', SECRET, '--reason', 'just curious']), 8);
      expectCode(await A(['checkout', SECRET]), 8);
      expectCode(await B(['approve', id]), 6, 'a decided request cannot be approved');
    });

    it('rotate prints the new password only with --show', async () => {
      const before = await currentPassword();
      const rot = await O(['rotate', SECRET, '--reason', 'quarterly']);
      expectCode(rot, 0);
      const after1 = await currentPassword();
      assert.notEqual(after1, before);
      assert.match(rot.stdout, /^Rotated the password of Ops\/Prod\/orders db \(field password\): now version \d+ \(connector local\)\.\n/);
      assert.ok(!rot.stdout.includes(after1) && !rot.stderr.includes(after1), 'the new password was printed');

      const rotJson = await O(['rotate', SECRET, '--reason', 'again', '--json']);
      expectCode(rotJson, 0);
      const after2 = await currentPassword();
      assert.deepEqual(Object.keys(json(rotJson)).sort(), ['connector', 'field', 'rotatedAt', 'secretId', 'version']);
      assert.ok(!rotJson.stdout.includes(after2));

      // --show needs the reason the policy asks for: refused before anything rotates
      const noReason = await O(['rotate', SECRET, '--show']);
      expectCode(noReason, 2);
      assert.equal(await currentPassword(), after2);

      const shown = await O(['rotate', SECRET, '--show', '--reason', 'hand over to vendor']);
      expectCode(shown, 0);
      const after3 = await currentPassword();
      assert.notEqual(after3, after2);
      assert.equal(shown.stdout, `${after3}\n`, 'only the password on stdout');
      assert.match(shown.stderr, /^Rotated the password of/);
      const shownJson = await O(['rotate', SECRET, '--show', '--reason', 'again', '--json']);
      assert.equal(json(shownJson).value, await currentPassword());

      const denied = await A(['rotate', SECRET, '--reason', 'mine now']);
      expectCode(denied, 4, 'rotation needs edit access');
      assert.equal(denied.stdout, '');
    });

    it('checkout --show prints the value; a reveal during the checkout takes its reason', async () => {
      const password = await currentPassword();
      const req = json(await A(['request', SECRET, '--reason', 'renew certs INC-9', '--duration', '20', '--json']));
      expectCode(await B(['approve', req.id]), 0);
      expectCode(await A(['checkout', SECRET, '--field', 'password']), 2, '--field needs --show');
      const co = await A(['checkout', SECRET, '--show', '--field', 'password']);
      expectCode(co, 0);
      assert.equal(co.stdout, `${password}\n`, 'the value alone on stdout');
      assert.match(co.stderr, new RegExp(`^Checked out ${SECRET} with request ${req.id}: held by ${u.alice.username} until .+ UTC\\.\\n`));
      assert.ok(!co.stderr.includes(password));
      // the vault requires a reason: without --reason the reveal takes the checkout's (the request's)
      const again = await A(['reveal', SECRET, '--field', 'password']);
      expectCode(again, 0);
      assert.equal(again.stdout, `${password}\n`);
      const reveals = await h.database.db
        .selectFrom('audit_log')
        .select(['reason', 'outcome', 'details'])
        .where('action', '=', 'secret.reveal')
        .where('actor_id', '=', u.alice.id)
        .where('object_id', '=', ids.secret as string)
        .orderBy('seq', 'desc')
        .limit(2)
        .execute();
      assert.deepEqual(
        reveals.map((r) => [r.outcome, r.reason]),
        [
          ['success', 'renew certs INC-9'],
          ['success', 'renew certs INC-9'],
        ],
        'both reveals (--show and the plain one) audited with the reason of the request',
      );
      assert.equal(JSON.parse(reveals[0]?.details ?? '{}').reasonFrom, json(await A(['checkouts', '--mine', '--json']))[0].id);
      expectCode(await A(['checkin', SECRET, '--reason', 'renewed']), 0);
      // once checked in, nothing lends a reason (nor access) any more
      expectCode(await A(['reveal', SECRET, '--field', 'password']), 8);
      // --json: the checkout and the values
      const dreq = json(await D(['request', SECRET, '--reason', 'db restore', '--duration', '10', '--json']));
      expectCode(await B(['approve', dreq.id]), 0);
      const dco = await D(['checkout', SECRET, '--show', '--json']);
      expectCode(dco, 0);
      assert.equal(json(dco).holderId, u.dave.id);
      assert.equal(json(dco).values.password, password, 'no rotation on checkin in this folder');
      expectCode(await D(['checkin', SECRET]), 0);
    });

    it('documents every new command; no secret value ever reached stderr', async () => {
      const names = ['request', 'requests', 'approve', 'reject', 'checkout', 'checkin', 'checkouts', 'rotate'];
      const top = await A(['--help']);
      expectCode(top, 0);
      assert.match(top.stdout, /\n7 checked out \(in use\) by someone else, 8 needs an approved access request/);
      const helps = await Promise.all(names.map((n) => A([n, '--help'])));
      helps.forEach((r, i) => {
        expectCode(r, 0);
        assert.ok(r.stdout.startsWith(`Usage: coffer ${names[i]} `), r.stdout);
        assert.match(r.stdout, /--json/);
        assert.match(top.stdout, new RegExp(`\\n  ${names[i]} `));
      });
      const values = [PASSWORD, u.owner.password, u.alice.password, u.bob.password, u.dave.password];
      for (const e of stderrs) for (const v of values) assert.ok(!e.includes(v), 'a secret value reached stderr');
      assert.ok(!h.logs().includes(PASSWORD), 'a secret value reached the server log');
    });
  });
}
