// The contract every remote rotation connector passes, run against its real target (and the
// in-memory fake): verify tells a right secret from a wrong one, a change by the account itself
// and by the privileged account takes effect (the old secret stops working), a refused change
// leaves the old secret working, a change is idempotent, an unreachable target is an error (never
// `ok`), and no error carries a secret.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectorError, type Credential, type Endpoint, type RemoteConnector } from '../src/modules/rotation/connector.ts';

export interface ContractTarget {
  connector: RemoteConnector;
  endpoint: () => Endpoint;
  /** A fresh account on the target with its first secret. */
  account: () => Promise<Credential>;
  /** A new secret for the account (a password, or a key pair's private key). */
  fresh: () => string;
  /** Changes the account's secret; null: the connector cannot change without it. */
  privileged: () => Credential | null;
  /** The account may change its own secret (every connector here). */
  selfChange?: boolean;
  /**
   * The target checks the current secret of a self-change (false only where it trusts logins: the
   * contract then asserts that verify still tells the new secret from the old one).
   */
  refusesWrongCurrent?: boolean;
}

/** Asserts an error is a ConnectorError and carries none of the secrets. */
function clean(err: unknown, secrets: string[]): ConnectorError {
  assert.ok(err instanceof ConnectorError, `a ConnectorError, not ${String(err)}`);
  const text = `${err.message} ${err.stack ?? ''} ${JSON.stringify(err)}`;
  for (const s of secrets) assert.ok(!text.includes(s), 'an error carries a secret');
  return err;
}

export function connectorContract(name: string, t: ContractTarget): void {
  describe(`connector contract: ${name}`, () => {
    const verify = (cred: Credential) => t.connector.verify(t.endpoint(), cred, t.privileged());
    /** A change as the journal makes it: change, then (after promotion) finish. */
    async function change(a: Credential, next: string, privileged: Credential | null) {
      const r = await t.connector.change(t.endpoint(), { account: a, next, privileged });
      if (r.cleanup && t.connector.finish) {
        await t.connector.finish(t.endpoint(), { account: { ...a, secret: next }, privileged, cleanup: r.cleanup });
      }
    }

    it('verify: the right secret logs in, a wrong one is refused', async () => {
      const a = await t.account();
      assert.equal((await verify(a)).ok, true);
      assert.equal((await verify({ ...a, secret: t.fresh() })).ok, false);
    });

    if (t.selfChange !== false) {
      it('change by the account itself: the new secret logs in, the old one no longer does', async () => {
        const a = await t.account();
        const next = t.fresh();
        await change(a, next, null);
        assert.equal((await verify({ ...a, secret: next })).ok, true);
        assert.equal((await verify(a)).ok, false);
      });

      if (t.refusesWrongCurrent !== false) {
        it('a change with a wrong current secret is refused and the old secret keeps working', async () => {
          const a = await t.account();
          const wrong = t.fresh();
          const next = t.fresh();
          await assert.rejects(
            t.connector.change(t.endpoint(), { account: { ...a, secret: wrong }, next, privileged: null }),
            (e) => clean(e, [a.secret, wrong, next]) !== undefined,
          );
          assert.equal((await verify(a)).ok, true);
          assert.equal((await verify({ ...a, secret: next })).ok, false);
        });
      } else {
        // a target that lets logins in unchecked (PostgreSQL under pg_hba `trust`) cannot refuse
        // it; what the journal relies on there is that verify still tells the new secret from the
        // old one (the refusal itself is asserted against a target that checks passwords)
        it('a target that checks no login takes a change made with a wrong current secret; verify tells new from old', async () => {
          const a = await t.account();
          const next = t.fresh();
          await t.connector.change(t.endpoint(), { account: { ...a, secret: t.fresh() }, next, privileged: null });
          assert.equal((await verify({ ...a, secret: next })).ok, true);
          assert.equal((await verify(a)).ok, false);
        });
      }
    }

    it('change by the privileged account; applying it twice is harmless', async () => {
      const p = t.privileged();
      if (!p) return;
      const a = await t.account();
      const next = t.fresh();
      await t.connector.change(t.endpoint(), { account: a, next, privileged: p });
      await change(a, next, p);
      assert.equal((await verify({ ...a, secret: next })).ok, true);
      assert.equal((await verify(a)).ok, false);
    });

    it('an unreachable target is an error, never a success, and names no secret', async () => {
      const a = await t.account();
      const ep = { ...t.endpoint(), port: 9, timeoutMs: 3000 };
      await assert.rejects(t.connector.verify(ep, a, t.privileged()), (e) =>
        ['unreachable', 'timeout'].includes(clean(e, [a.secret]).code),
      );
      const next = t.fresh();
      await assert.rejects(
        t.connector.change(ep, { account: a, next, privileged: t.privileged() }),
        (e) => clean(e, [a.secret, next]) !== undefined,
      );
    });
  });
}
