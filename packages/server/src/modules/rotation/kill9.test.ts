// kill -9 of a real server process at every step of a remote rotation (test/kill-loop.ts), a few
// runs per dialect (bench/rotation-kill9.ts does hundreds): afterwards the vault always holds the
// password the target has (0 lockouts) and the reconciler of the restarted process settles every
// entry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialects } from '../../../test/harness.ts';
import { KILL_POINTS, killLoop } from '../../../test/kill-loop.ts';

const RUNS = Number(process.env.COFFER_KILL9_RUNS ?? KILL_POINTS.length);

for (const dialect of dialects) {
  describe(`kill -9 during remote rotation [${dialect}]`, () => {
    it(`${RUNS} kills, one at each step: 0 lockouts, every entry settled`, { timeout: 600_000 }, async () => {
      const r = await killLoop({ dialect, runs: RUNS });
      assert.equal(r.runs, RUNS);
      assert.equal(r.lockouts, 0, JSON.stringify(r));
      assert.equal(r.unsettled, 0, JSON.stringify(r));
      // the kills landed where they were aimed: before the change, after it, and after it was recorded
      const states = Object.keys(r.stateAtKill);
      assert.ok(states.includes('begin:pending'), JSON.stringify(r.stateAtKill));
      assert.ok(states.includes('changed:changed'), JSON.stringify(r.stateAtKill));
      if (dialect === 'postgres') assert.ok(states.includes('verified:verified'), JSON.stringify(r.stateAtKill));
      assert.ok((r.settled.done ?? 0) >= 3, `most runs promote: ${JSON.stringify(r.settled)}`);
    });
  });
}
