// What a gated administration command does with its answer (unit test; the commands themselves
// run as child processes in the other CLI tests).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PendingApproval } from '@coffer/sdk/client';
import { CliError } from './cli.ts';
import { settleGated } from './commands/admin-requests.ts';

describe('settleGated (the gated administration commands)', () => {
  it('passes a done result through, and turns a pending one into exit 8 naming both next steps', () => {
    assert.deepEqual(settleGated({ id: 'usr_x' }), { id: 'usr_x' });
    const pending = { status: 'pending_approval', request: { id: 'adm_0000000000aaaaaaaaaaaaaaaa' } } as unknown as PendingApproval;
    assert.throws(
      () => settleGated(pending),
      (e: unknown) =>
        e instanceof CliError &&
        e.exitCode === 8 &&
        e.message ===
          "needs another administrator's approval: request adm_0000000000aaaaaaaaaaaaaaaa (they run: coffer approve adm_0000000000aaaaaaaaaaaaaaaa; then you run: coffer requests execute adm_0000000000aaaaaaaaaaaaaaaa)",
    );
  });
});
