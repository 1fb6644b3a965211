// Issue 10, section 5: two real server processes on one PostgreSQL schema; for each of a few hundred
// freshly approved checkout requests, the checkout goes to one process and a revoke of the same
// request to the other at the same moment. Whichever commits first, no checkout of a revoked
// request stays live, every revoke that ended a checkout names it (and the rotation the policy
// asks for), and a checkout that came second is told the request is revoked.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCheckoutRevokeRace } from '../../../test/checkout-revoke-race.ts';
import { dropSchema, PG_URL } from '../../../test/harness.ts';
import { api, loginAs, type ServerProcess, startNode } from '../../../test/server-process.ts';
import { type Database, openDatabase } from '../../db/database.ts';

const ADMIN_PASSWORD = 'race-two-process-admin-pw-1';
const PAIRS = Number(process.env.REVOKE_RACE_PAIRS ?? 300);

describe('a revoke racing a checkout across two server processes on one PostgreSQL', () => {
  const schema = `race_${Date.now().toString(36)}_${process.pid}`;
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const dirA = mkdtempSync(path.join(tmpdir(), 'coffer-race-a-'));
  const dirB = mkdtempSync(path.join(tmpdir(), 'coffer-race-b-'));
  let a: ServerProcess;
  let b: ServerProcess;
  let database: Database;

  before(async () => {
    a = await startNode({ COFFER_DATA_DIR: dirA, COFFER_DATABASE_URL: url, COFFER_ADMIN_PASSWORD: ADMIN_PASSWORD });
    // the second process shares the store and unseals with the first one's key file
    b = await startNode({ COFFER_DATA_DIR: dirB, COFFER_DATABASE_URL: url, COFFER_KEY_FILE: path.join(dirA, 'coffer.key') });
    database = await openDatabase(url);
  });

  after(async () => {
    await database?.close();
    for (const p of [a, b]) await p?.stop();
    await dropSchema(schema);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it(`leaves no live checkout of a revoked request over ${PAIRS} pairs`, { timeout: 5 * 60_000 }, async () => {
    const admin = await loginAs(a.base, 'admin', ADMIN_PASSWORD);
    const node = (base: string) => (method: 'GET' | 'POST', u: string, token: string, body?: unknown) =>
      api(base, method, u, token || null, body);
    const r = await runCheckoutRevokeRace({
      nodes: [node(a.base), node(b.base)],
      db: database.db,
      adminToken: admin,
      pairs: PAIRS,
      parallel: 4,
      label: 'two processes',
    });
    // both orders happened, so both branches of the revoke were exercised
    assert.ok(r.checkoutFirst > 0 && r.revokeFirst > 0, JSON.stringify(r));
    if (process.env.REVOKE_RACE_STATS) console.log(r);
    for (const p of [a, b]) assert.doesNotMatch(p.out(), /"level":(50|60)/, 'no errors logged');
  });
});
