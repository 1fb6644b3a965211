// The in-memory fake target (test/fake-target.ts, used by the journal's property test) passes the
// same connector contract as the real targets.
import { randomBytes } from 'node:crypto';
import { connectorContract } from '../../../../test/connector-contract.ts';
import { fakeTarget } from '../../../../test/fake-target.ts';

const target = fakeTarget();
const root = { username: 'root', secret: `root-${randomBytes(8).toString('hex')}`, type: 'password' as const };
target.accounts.set(root.username, root.secret);
let n = 0;

connectorContract('in-memory fake', {
  connector: target.connector({}),
  endpoint: () => ({ host: 'fake', address: '127.0.0.1', port: 1, options: {}, hostKey: null, timeoutMs: 1000 }),
  account: async () => {
    const a = { username: `acct${++n}`, secret: `pw-${randomBytes(8).toString('hex')}`, type: 'password' as const };
    target.accounts.set(a.username, a.secret);
    return a;
  },
  fresh: () => `pw-${randomBytes(8).toString('hex')}`,
  privileged: () => root,
});
