import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, call, createUser, dialects, type Harness, type Res, startHarness } from '../../../test/harness.ts';
import { pathSegments, splitIdentifier } from './lookup.service.ts';

/** The error body without its request id: "hidden" and "missing" must be indistinguishable. */
const errorOf = (r: Res) => ({ status: r.status, ...r.body.error, requestId: '' });
const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe('lookup helpers', () => {
  it('splits Secret Server and native paths into canonical segments', () => {
    assert.deepEqual(pathSegments('/Servers/Linux'), ['servers', 'linux']);
    assert.deepEqual(pathSegments('\\Servers\\Linux\\'), ['servers', 'linux']);
    assert.deepEqual(pathSegments(' servers / LINUX '), ['servers', 'linux']);
    assert.deepEqual(pathSegments('\\'), []);
    assert.deepEqual(pathSegments(''), []);
    assert.deepEqual(pathSegments('/ＳＥＲＶＥＲＳ'), ['servers'], 'NFKC like folders.name_canonical');
    assert.throws(() => pathSegments('/a'.repeat(101)), /too deep/);
  });
  it('splits username@hostname at the last @', () => {
    assert.deepEqual(splitIdentifier('svc@corp@h1'), { username: 'svc@corp', host: 'h1' });
    assert.deepEqual(splitIdentifier(' root @ bastion '), { username: 'root', host: 'bastion' });
    for (const bad of ['root', '@host', 'root@', ' @ ']) assert.throws(() => splitIdentifier(bad), /username@hostname/);
  });
});

for (const dialect of dialects) {
  describe(`lookups by name [${dialect}]`, () => {
    let h: Harness;
    let owner: Awaited<ReturnType<typeof createUser>>;
    let reader: Awaited<ReturnType<typeof createUser>>;
    let outsider: Awaited<ReturnType<typeof createUser>>;
    const ids = {} as Record<
      'vault' | 'servers' | 'linux' | 'restricted' | 'db01' | 'orders' | 'root' | 'top' | 'pg' | 'ora' | 'svc',
      string
    >;

    async function folder(token: string, vaultId: string, name: string, parentId?: string, extra: Record<string, unknown> = {}) {
      const r = await call(h, 'POST', '/api/v1/folders', { token, body: { vaultId, name, ...(parentId ? { parentId } : {}), ...extra } });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    }
    async function secret(token: string, body: Record<string, unknown>) {
      const r = await call(h, 'POST', '/api/v1/secrets', { token, body });
      assert.equal(r.status, 201, r.raw);
      return r.body.id as string;
    }
    const unix = (vaultId: string, folderId: string | null, name: string, username: string, host: string) => ({
      vaultId,
      folderId,
      template: 'unix-account',
      name,
      fields: { host, username, password: `pw-${name}` },
    });

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      reader = await createUser(h, admin, 'password_user');
      outsider = await createUser(h, admin, 'password_user');
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: 'Infra' } });
      ids.vault = v.body.id;
      ids.servers = await folder(owner.token, ids.vault, 'Servers');
      ids.linux = await folder(owner.token, ids.vault, 'Linux', ids.servers);
      ids.restricted = await folder(owner.token, ids.vault, 'Restricted', ids.servers, { inheritPermissions: false });
      ids.db01 = await folder(owner.token, ids.vault, 'db01', ids.servers);
      ids.orders = await secret(owner.token, {
        vaultId: ids.vault,
        folderId: ids.linux,
        template: 'database-account',
        name: 'Orders DB',
        fields: { host: 'db01.example.com', port: '5432', database: 'orders', username: 'app', password: 'orders-canary' },
      });
      ids.root = await secret(owner.token, unix(ids.vault, ids.restricted, 'root@bastion', 'root', 'bastion'));
      ids.top = await secret(owner.token, { vaultId: ids.vault, template: 'secure-note', name: 'Top note', fields: { notes: 'n' } });
      ids.pg = await secret(owner.token, unix(ids.vault, ids.db01, 'pg admin', 'postgres', 'db01'));
      ids.ora = await secret(owner.token, unix(ids.vault, ids.db01, 'oracle', 'sys', 'db01'));
      ids.svc = await secret(owner.token, unix(ids.vault, ids.linux, 'service', 'svc@corp', 'h1'));
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: ids.vault, principalType: 'user', principalId: reader.id, level: 'view' },
      });
      assert.equal(g.status, 201, g.raw);
    });
    after(async () => h.close());

    describe('folder by vault name and path', () => {
      it('finds a folder by its native path', async () => {
        const r = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'Infra', path: '/Servers/Linux' })}`, { token: owner.token });
        assert.equal(r.status, 200, r.raw);
        assert.deepEqual(r.body, { vaultId: ids.vault, folderId: ids.linux, path: '/Servers/Linux' });
      });

      it('accepts Secret Server backslash paths and case/space variants of every name', async () => {
        for (const [vault, path] of [
          ['Infra', '\\Servers\\Linux'],
          [' infra ', ' servers / LINUX '],
          ['INFRA', '\\servers\\linux\\'],
          ['infra', 'Servers/Linux'],
          ['ｉｎｆｒａ', '/Servers//Linux/'],
        ] as const) {
          const r = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault, path })}`, { token: reader.token });
          assert.equal(r.status, 200, `${vault} ${path}: ${r.raw}`);
          assert.deepEqual(r.body, { vaultId: ids.vault, folderId: ids.linux, path: '/Servers/Linux' }, `${vault} ${path}`);
        }
      });

      it('names the vault top with / or \\', async () => {
        for (const path of ['/', '\\', '']) {
          const r = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'infra', path })}`, { token: reader.token });
          assert.equal(r.status, 200, r.raw);
          assert.deepEqual(r.body, { vaultId: ids.vault, folderId: null, path: '/' });
        }
      });

      it('answers a folder the caller cannot see exactly like a missing one', async () => {
        const hidden = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'Infra', path: '/Servers/Restricted' })}`, {
          token: reader.token,
        });
        const missing = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'Infra', path: '/Servers/Nope' })}`, {
          token: reader.token,
        });
        const noVault = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'Nope', path: '/Servers' })}`, { token: reader.token });
        const outsiders = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'Infra', path: '/Servers/Linux' })}`, {
          token: outsider.token,
        });
        const outsidersTop = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'Infra', path: '/' })}`, { token: outsider.token });
        assert.equal(hidden.status, 404);
        assert.deepEqual(errorOf(hidden), errorOf(missing));
        assert.deepEqual(errorOf(noVault), errorOf(missing));
        assert.deepEqual(errorOf(outsiders), errorOf(missing));
        assert.deepEqual(errorOf(outsidersTop), errorOf(missing));
        const own = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'Infra', path: '/Servers/Restricted' })}`, {
          token: owner.token,
        });
        assert.equal(own.status, 200, 'the owner sees it');
      });

      it('refuses a malformed query as a whole', async () => {
        assert.equal((await call(h, 'GET', '/api/v1/lookup/folder?vault=Infra', { token: owner.token })).status, 400);
        assert.equal((await call(h, 'GET', '/api/v1/lookup/folder?vault=Infra&path=/&extra=1', { token: owner.token })).status, 400);
      });
    });

    describe('secret by path and name', () => {
      it('returns the metadata GET /secrets/{id} returns, with its ETag', async () => {
        const r = await call(h, 'GET', `/api/v1/lookup/secret?${q({ vault: 'Infra', path: '/Servers/Linux', name: 'Orders DB' })}`, {
          token: reader.token,
        });
        assert.equal(r.status, 200, r.raw);
        const get = await call(h, 'GET', `/api/v1/secrets/${ids.orders}`, { token: reader.token });
        assert.deepEqual(r.body, get.body);
        assert.equal(r.headers.etag, get.headers.etag);
        assert.ok(!r.raw.includes('orders-canary'));
      });

      it('matches case and space variants, backslash paths, and the vault top', async () => {
        for (const [path, name] of [
          ['\\servers\\linux', 'orders db'],
          [' SERVERS/LINUX ', '  ORDERS DB  '],
          ['Servers\\Linux\\', 'Orders db'],
        ] as const) {
          const r = await call(h, 'GET', `/api/v1/lookup/secret?${q({ vault: 'infra', path, name })}`, { token: owner.token });
          assert.equal(r.status, 200, `${path} ${name}: ${r.raw}`);
          assert.equal(r.body.id, ids.orders);
        }
        const top = await call(h, 'GET', `/api/v1/lookup/secret?${q({ vault: 'Infra', path: '\\', name: 'top NOTE' })}`, {
          token: owner.token,
        });
        assert.equal(top.body.id, ids.top);
        const wrongFolder = await call(h, 'GET', `/api/v1/lookup/secret?${q({ vault: 'Infra', path: '/Servers', name: 'Orders DB' })}`, {
          token: owner.token,
        });
        assert.equal(wrongFolder.status, 404, 'only the named folder, not its subtree');
      });

      it('answers a secret the caller cannot see exactly like a missing one', async () => {
        const at = (token: string, path: string, name: string, vault = 'Infra') =>
          call(h, 'GET', `/api/v1/lookup/secret?${q({ vault, path, name })}`, { token });
        const hidden = await at(reader.token, '/Servers/Restricted', 'root@bastion');
        const missing = await at(reader.token, '/Servers/Restricted', 'no such');
        assert.equal(hidden.status, 404);
        assert.deepEqual(errorOf(hidden), errorOf(missing));
        assert.deepEqual(errorOf(await at(reader.token, '/Nope', 'root@bastion')), errorOf(missing));
        assert.deepEqual(errorOf(await at(reader.token, '/', 'x', 'Nope')), errorOf(missing));
        assert.deepEqual(errorOf(await at(outsider.token, '/Servers/Linux', 'Orders DB')), errorOf(missing));
        assert.equal((await at(owner.token, '/Servers/Restricted', 'root@bastion')).status, 200);
      });

      it('finds a secret shared to the caller in a folder they cannot see', async () => {
        const sh = await call(h, 'POST', `/api/v1/secrets/${ids.root}/shares`, {
          token: owner.token,
          body: { userId: outsider.id, level: 'view' },
        });
        assert.equal(sh.status, 201, sh.raw);
        try {
          const r = await call(
            h,
            'GET',
            `/api/v1/lookup/secret?${q({ vault: 'Infra', path: '\\Servers\\Restricted', name: 'ROOT@BASTION' })}`,
            {
              token: outsider.token,
            },
          );
          assert.equal(r.status, 200, r.raw);
          assert.equal(r.body.id, ids.root);
          assert.equal(r.body.shared, true);
          // and the folder itself is now "seen into" like GET /folders/{id} does
          const f = await call(h, 'GET', `/api/v1/lookup/folder?${q({ vault: 'Infra', path: '/Servers/Restricted' })}`, {
            token: outsider.token,
          });
          assert.equal(f.status, 200);
          assert.equal(f.body.folderId, ids.restricted);
        } finally {
          assert.equal((await call(h, 'DELETE', `/api/v1/grants/${sh.body.id}`, { token: owner.token })).status, 204);
        }
      });

      it('answers 409 with the count when several visible secrets match, not counting hidden ones', async () => {
        const a = await secret(owner.token, unix(ids.vault, ids.restricted, 'Twin', 'u1', 'h'));
        await secret(owner.token, unix(ids.vault, ids.restricted, 'twin ', 'u2', 'h'));
        const at = (token: string) =>
          call(h, 'GET', `/api/v1/lookup/secret?${q({ vault: 'Infra', path: '/Servers/Restricted', name: 'TWIN' })}`, { token });
        const both = await at(owner.token);
        assert.equal(both.status, 409, both.raw);
        assert.equal(both.body.error.code, 'conflict');
        assert.match(both.body.error.message, /^2 secrets/);
        assert.ok(!/(sec|fld|vlt)_/.test(both.raw), 'no ids in the message');
        const sh = await call(h, 'POST', `/api/v1/secrets/${a}/shares`, { token: owner.token, body: { userId: reader.id, level: 'view' } });
        assert.equal(sh.status, 201);
        const one = await at(reader.token);
        assert.equal(one.status, 200, 'the twin the reader cannot see does not make it ambiguous');
        assert.equal(one.body.id, a);
      });

      it('does not find trashed secrets', async () => {
        const id = await secret(owner.token, { vaultId: ids.vault, template: 'secure-note', name: 'Gone soon', fields: { notes: 'n' } });
        const at = () =>
          call(h, 'GET', `/api/v1/lookup/secret?${q({ vault: 'Infra', path: '/', name: 'gone soon' })}`, { token: owner.token });
        assert.equal((await at()).status, 200);
        assert.equal((await call(h, 'DELETE', `/api/v1/secrets/${id}`, { token: owner.token })).status, 204);
        assert.equal((await at()).status, 404);
      });
    });

    describe('PMP resource and account names', () => {
      const pmp = (token: string, resourceName: string, accountName: string) =>
        call(h, 'GET', `/api/v1/lookup/pmp?${q({ resourceName, accountName })}`, { token });

      it('maps the resource to a folder and the account to a username in it', async () => {
        const r = await pmp(reader.token, 'db01', 'postgres');
        assert.equal(r.status, 200, r.raw);
        assert.deepEqual(r.body, { resourceId: ids.db01, accountId: ids.pg });
        assert.deepEqual((await pmp(reader.token, ' DB01 ', ' POSTGRES ')).body, { resourceId: ids.db01, accountId: ids.pg });
        assert.deepEqual((await pmp(reader.token, 'db01', 'SYS')).body, { resourceId: ids.db01, accountId: ids.ora });
      });

      it('finds an account at the top of a vault: the vault is its resource', async () => {
        const top = await secret(owner.token, unix(ids.vault as string, null, 'vault top acct', 'topuser', 'top-host'));
        const r = await pmp(reader.token, 'INFRA', 'topuser');
        assert.equal(r.status, 200, r.raw);
        assert.deepEqual(r.body, { resourceId: ids.vault, accountId: top });
      });

      it('falls back to the secret name when no username matches', async () => {
        assert.deepEqual((await pmp(reader.token, 'db01', 'PG Admin')).body, { resourceId: ids.db01, accountId: ids.pg });
        assert.deepEqual((await pmp(reader.token, 'Db01', 'oracle')).body, { resourceId: ids.db01, accountId: ids.ora });
      });

      it('answers what the caller cannot see exactly like what does not exist', async () => {
        const missing = await pmp(reader.token, 'db01', 'nobody');
        assert.equal(missing.status, 404);
        assert.deepEqual(errorOf(await pmp(outsider.token, 'db01', 'postgres')), errorOf(missing));
        assert.deepEqual(errorOf(await pmp(reader.token, 'no-such-resource', 'postgres')), errorOf(missing));
        await secret(owner.token, unix(ids.vault, ids.restricted, 'hidden acct', 'hiddenuser', 'x'));
        assert.deepEqual(errorOf(await pmp(reader.token, 'restricted', 'hiddenuser')), errorOf(missing));
        assert.equal((await pmp(owner.token, 'restricted', 'hiddenuser')).status, 200);
      });

      it('answers 409 with the count when resources share a name, only for a caller who sees both', async () => {
        const v2 = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: 'Branch office' } });
        const otherDb01 = await folder(owner.token, v2.body.id, 'DB01');
        await secret(owner.token, unix(v2.body.id, otherDb01, 'branch pg', 'postgres', 'db01'));
        const both = await pmp(owner.token, 'db01', 'postgres');
        assert.equal(both.status, 409, both.raw);
        assert.match(both.body.error.message, /^2 accounts/);
        assert.ok(!/(sec|fld|vlt)_/.test(both.raw), 'no ids in the message');
        const one = await pmp(reader.token, 'db01', 'postgres');
        assert.deepEqual(one.body, { resourceId: ids.db01, accountId: ids.pg }, 'the reader sees only the first vault');
        // a resource of the same name without that account does not make it ambiguous
        assert.deepEqual((await pmp(owner.token, 'db01', 'sys')).body, { resourceId: ids.db01, accountId: ids.ora });
      });
    });

    describe('senhasegura username@hostname', () => {
      const cred = (token: string, identifier: string) => call(h, 'GET', `/api/v1/lookup/credential?${q({ identifier })}`, { token });

      it('returns the secret whose username and host match, case-insensitively', async () => {
        const r = await cred(reader.token, 'app@db01.example.com');
        assert.equal(r.status, 200, r.raw);
        assert.deepEqual(r.body, (await call(h, 'GET', `/api/v1/secrets/${ids.orders}`, { token: reader.token })).body);
        assert.equal((await cred(reader.token, ' APP@DB01.Example.COM ')).body.id, ids.orders);
      });

      it('splits at the last @', async () => {
        assert.equal((await cred(reader.token, 'svc@corp@h1')).body.id, ids.svc);
        assert.equal((await cred(reader.token, 'svc@corp@H1')).body.id, ids.svc);
        assert.equal((await cred(reader.token, 'svc@corp')).status, 404, 'user "svc" on host "corp" does not exist');
      });

      it('refuses an identifier without both parts', async () => {
        for (const identifier of ['rootbastion', 'root@', '@bastion', ' @ x']) {
          const r = await cred(reader.token, identifier);
          assert.equal(r.status, 400, identifier);
          assert.equal(r.body.error.code, 'validation.failed');
        }
      });

      it('answers a credential the caller cannot see exactly like a missing one', async () => {
        const missing = await cred(reader.token, 'nobody@nowhere');
        assert.equal(missing.status, 404);
        assert.deepEqual(errorOf(await cred(reader.token, 'root@bastion')), errorOf(missing));
        assert.deepEqual(errorOf(await cred(outsider.token, 'app@db01.example.com')), errorOf(missing));
        assert.equal((await cred(owner.token, 'root@bastion')).body.id, ids.root);
      });

      it('answers 409 with the count when several visible secrets match', async () => {
        await secret(owner.token, unix(ids.vault, ids.linux, 'web 1', 'deploy', 'web01'));
        await secret(owner.token, unix(ids.vault, ids.db01, 'web 1 again', 'Deploy', 'WEB01'));
        const r = await cred(reader.token, 'deploy@web01');
        assert.equal(r.status, 409);
        assert.match(r.body.error.message, /^2 credentials/);
        // a hidden twin is neither counted nor makes the lookup ambiguous
        const seen = await secret(owner.token, unix(ids.vault, ids.linux, 'solo', 'solo', 'hostx'));
        await secret(owner.token, unix(ids.vault, ids.restricted, 'solo twin', 'SOLO', 'HostX'));
        assert.equal((await cred(reader.token, 'solo@hostx')).body.id, seen);
        assert.match((await cred(owner.token, 'solo@hostx')).body.error.message, /^2 credentials/);
      });
    });

    it('audits every lookup, found or not, without values', async () => {
      const rows = await h.database.db.selectFrom('audit_log').selectAll().where('action', 'like', 'lookup.%').execute();
      const actions = new Set(rows.map((r) => r.action));
      for (const a of ['lookup.folder', 'lookup.secret', 'lookup.pmp', 'lookup.credential']) assert.ok(actions.has(a), a);
      assert.ok(rows.some((r) => r.action === 'lookup.secret' && r.outcome === 'success' && r.object_id === ids.orders));
      assert.ok(rows.some((r) => r.action === 'lookup.pmp' && r.outcome === 'denied' && r.reason === 'not_found'));
      assert.ok(rows.some((r) => r.action === 'lookup.credential' && r.outcome === 'failure' && r.reason === 'conflict'));
      for (const r of rows) assert.ok(!JSON.stringify(r).includes('canary'));
    });
  });
}
