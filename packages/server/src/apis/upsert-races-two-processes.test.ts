// The compatibility APIs' create-or-update operations keyed by a natural key, raced across two real
// server processes on one PostgreSQL schema (how Ansible with forks > 1 meets a multi-node
// install): identical requests split between the nodes, from a store without the adapters' vaults
// yet, leave one vault, one folder, one secret per key, and a read by the key works on both nodes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { dropSchema, PG_URL } from '../../test/harness.ts';
import { api, loginAs, newUser, type ServerProcess, startNode } from '../../test/server-process.ts';

const ADMIN_PASSWORD = 'two-process-admin-pw-2';
const N = 8;

describe('natural-key upserts raced across two server processes on one PostgreSQL', () => {
  const schema = `upr_${Date.now().toString(36)}_${process.pid}`;
  const url = `${PG_URL}?schema=${schema}`;
  const dirA = mkdtempSync(path.join(tmpdir(), 'coffer-upr-a-'));
  const dirB = mkdtempSync(path.join(tmpdir(), 'coffer-upr-b-'));
  let a: ServerProcess;
  let b: ServerProcess;
  let tokens: [string, string];
  let apiKey: string;
  let client: pg.Client;

  const count = async (table: 'secrets' | 'folders' | 'vaults', name: string) => {
    const extra = table === 'secrets' ? ' and deleted_at is null' : '';
    const r = await client.query(`select count(*)::int as n from "${schema}".${table} where name = $1${extra}`, [name]);
    return r.rows[0].n as number;
  };
  const node = (i: number) => (i % 2 ? b : a).base;
  const formPost = (base: string, url: string, token: string, fields: Record<string, string>) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    }).then(async (r) => ({ status: r.status, raw: await r.text() }));

  before(async () => {
    a = await startNode({ COFFER_DATA_DIR: dirA, COFFER_DATABASE_URL: url, COFFER_ADMIN_PASSWORD: ADMIN_PASSWORD });
    b = await startNode({ COFFER_DATA_DIR: dirB, COFFER_DATABASE_URL: url, COFFER_KEY_FILE: path.join(dirA, 'coffer.key') });
    const admin = await loginAs(a.base, 'admin', ADMIN_PASSWORD);
    const u = await newUser(a.base, admin, 'password_administrator');
    tokens = [await loginAs(a.base, u.username, u.password), await loginAs(b.base, u.username, u.password)];
    const k = await api(a.base, 'POST', '/api/v1/me/api-keys', tokens[0], {
      name: 'pmp',
      currentPassword: u.password,
      allowedCidrs: ['127.0.0.1/32'],
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    assert.equal(k.status, 201, k.raw);
    apiKey = k.body.key;
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
  });

  after(async () => {
    await client?.end();
    for (const p of [a, b]) await p?.stop();
    await dropSchema(schema);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('senhasegura credential (first use: vault and device too), device and info: one of each', async () => {
    const cred = { identifier: 'two-cred-1', hostname: 'two-host-1', ip: '10.1.0.1', username: 'root', content: 'Two-pw-1!' };
    const device = { hostname: 'two-device-1', ip: '10.1.0.2', vendor: 'Acme' };
    const info = { identifier: 'two-info-1', content: 'two secret note' };
    for (const [url, body] of [
      ['/iso/pam/credential', cred],
      ['/iso/pam/device', device],
      ['/iso/pam/info', info],
    ] as const) {
      const rs = await Promise.all(Array.from({ length: N }, (_, i) => formPost(node(i), url, apiKey, body)));
      for (const r of rs) assert.ok(r.status === 200 || r.status === 201, `${url}: ${r.status} ${r.raw}`);
      assert.equal(rs.filter((r) => r.status === 201).length, 1, `${url}: one created`);
    }
    assert.equal(await count('vaults', 'senhasegura'), 1);
    assert.equal(await count('folders', 'two-host-1'), 1);
    assert.equal(await count('folders', 'two-device-1'), 1);
    assert.equal(await count('secrets', 'two-cred-1'), 1);
    assert.equal(await count('secrets', 'two-info-1'), 1);
    for (const base of [a.base, b.base]) {
      for (const url of ['/iso/pam/credential/two-cred-1', '/iso/pam/device/two-device-1', '/iso/pam/info/two-info-1']) {
        const r = await api(base, 'GET', url, apiKey);
        assert.equal(r.status, 200, `${url}: ${r.raw}`);
      }
    }
  });

  it('PMP create resource (first use: the PMP vault too): one resource; the others "already exists"', async () => {
    const body = `INPUT_DATA=${encodeURIComponent(
      JSON.stringify({
        operation: { Details: { RESOURCENAME: 'two-res-1', ACCOUNTNAME: 'root', RESOURCETYPE: 'Linux', PASSWORD: 'Two-pw-2!' } },
      }),
    )}`;
    const rs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        fetch(`${node(i)}/restapi/json/v1/resources`, {
          method: 'POST',
          headers: { AUTHTOKEN: apiKey, 'content-type': 'text/json' },
          body,
        }).then(async (r) => ({ status: r.status, body: JSON.parse(await r.text()) })),
      ),
    );
    for (const r of rs) assert.equal(r.status, 200);
    const results = rs.map((r) => r.body.operation.result);
    assert.equal(results.filter((x) => x.status === 'Success').length, 1, JSON.stringify(results));
    for (const x of results.filter((y) => y.status !== 'Success')) {
      assert.deepEqual(x, { status: 'Failed', message: 'Resource two-res-1 already exists.' });
    }
    assert.equal(await count('vaults', 'PMP'), 1);
    assert.equal(await count('folders', 'two-res-1'), 1);
    for (const base of [a.base, b.base]) {
      const r = await fetch(`${base}/restapi/json/v1/resources/resourcename/two-res-1/accounts/accountname/root`, {
        headers: { AUTHTOKEN: apiKey },
      });
      assert.equal(((await r.json()) as { operation: { result: { status: string } } }).operation.result.status, 'Success');
    }
  });
});
