// Canary scan of secret values (SECURITY.md, "Canary scan"): secrets with known values in every
// sensitive field type (password, notes, OTP seed, SSH private key and its passphrase, custom
// password and file fields), an attachment whose bytes hold canaries (one across a chunk border),
// a CSV import, bulk creation, reveals with a reason, a version change and its restore, generated
// and strength-checked passwords, and an export under a canary passphrase, plus the usual mistakes
// (a value in the wrong field, a malformed body, a stale write, a password in the query string or
// the search box). Then each canary, as typed, case-folded, JSON-escaped, hex, and base64 and
// base64url at every byte alignment, is searched in the logs (debug level), every audit record,
// every error body, every answer that is not a reveal, the export file, and the raw store (the
// SQLite file and its WAL, or every row of every PostgreSQL table): 0 hits allowed. Our own
// request bodies are not scanned (they are where the canaries come from).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { canary, hits, storeScans, value } from '../test/canary.ts';
import { ADMIN, createUser, dialects, login, type Res, call as rawCall, startHarness } from '../test/harness.ts';

const CHUNK = 64 * 1024;

for (const dialect of dialects) {
  describe(`secret values never leak [${dialect}]`, () => {
    it('the scanner finds a canary in every form it looks for (it can fail)', () => {
      const c = canary('probe', value('probe'));
      const raw = Buffer.from(c.texts[0] as string);
      for (let k = 0; k < 6; k++) {
        const framed = Buffer.concat([randomBytes(k), raw, randomBytes(5)]);
        for (const enc of ['base64', 'base64url', 'hex'] as const) {
          assert.ok(hits([c], [{ where: enc, text: framed.toString(enc) }]).length > 0, `${enc} at offset ${k}`);
        }
        assert.ok(hits([c], [{ where: 'bytes', bytes: framed }]).length > 0);
      }
      assert.ok(hits([c], [{ where: 'json', text: JSON.stringify({ v: `x${c.texts[0]}\n` }) }]).length > 0);
      assert.deepEqual(hits([c], [{ where: 'other', text: value('other') }]), []);
    });

    it('secrets of every sensitive type, an attachment, an import, versions, reveals and an export', async () => {
      const h = await startHarness(dialect, { config: { logLevel: 'debug' } });
      try {
        const errors: string[] = [];
        const answers: Array<{ where: string; text: string }> = [];
        /** Answers that carry values by design: reveals, downloads, generated passwords. */
        const revealing = /\/reveal$|\/attachments\/att_|\/passwords\/generate$/;
        const call = async (...args: Parameters<typeof rawCall>): Promise<Res> => {
          const r = await rawCall(...args);
          if (r.status >= 400) errors.push(r.raw);
          else if (!revealing.test(args[2].split('?')[0] as string))
            answers.push({ where: `${args[1]} ${args[2].split('?')[0]}`, text: r.raw });
          return r;
        };
        const inject = async (opts: InjectOptions) => {
          const r = await h.app.inject(opts);
          if (r.statusCode >= 400) errors.push(r.body);
          return r;
        };

        const adminSession = await login(h, ADMIN.username, ADMIN.password);
        const admin = adminSession.accessToken;
        const owner = await createUser(h, admin, 'password_administrator');
        const outsider = await createUser(h, admin, 'password_user');
        const t = owner.token;
        const V = {
          webPassword: value('web-password'),
          webOtp: value('OTPSEED').toUpperCase(),
          webNotes: value('web-notes'),
          unixPassword: value('unix-password'),
          unixKey: value('unix-private-key'),
          sshKey: value('ssh-private-key'),
          sshPassphrase: value('ssh-passphrase'),
          apiSecret: value('api-secret'),
          noteText: value('secure-note'),
          winPassword: value('win-password'),
          dbPassword1: value('db-password-v1'),
          dbPassword2: value('db-password-v2'),
          hostPassword: value('host-password'),
          customPin: value('custom-pin'),
          customFile: value('custom-file'),
          bulkPassword: value('bulk-password'),
          csvPassword: value('csv-password'),
          csvNotes: value('csv-notes'),
          csvOtp: value('CSVTOTP').toUpperCase(),
          attachmentInside: value('attachment-inside'),
          attachmentAcross: value('attachment-across'),
          exportPassphrase: value('export-passphrase'),
          wrongPassphrase: value('wrong-passphrase'),
          strengthChecked: value('strength-checked'),
          // values only ever sent in refused requests
          refusedPort: value('refused-port'),
          refusedField: value('refused-field'),
          refusedLong: value('refused-long'),
          refusedJson: value('refused-json'),
          refusedStale: value('refused-stale'),
          refusedCsv: value('refused-csv'),
          refusedQuery: value('refused-query'),
          refusedUpload: value('refused-upload'),
          refusedExport: value('refused-export'),
        };
        const pem = (inner: string) => `-----BEGIN OPENSSH PRIVATE KEY-----\n${inner}\n-----END OPENSSH PRIVATE KEY-----\n`;
        const otpUri = `otpauth://totp/web?secret=${V.webOtp}&period=30`;
        const notes = `first line\n${V.webNotes}\n"quoted", and more`;

        // the tree
        const vault = (await call(h, 'POST', '/api/v1/vaults', { token: t, body: { name: 'Canary vault' } })).body.id as string;
        const ops = (await call(h, 'POST', '/api/v1/folders', { token: t, body: { vaultId: vault, name: 'Ops' } })).body.id as string;
        const restricted = (
          await call(h, 'POST', '/api/v1/folders', {
            token: t,
            body: { vaultId: vault, parentId: ops, name: 'Restricted', policy: { requireReason: true } },
          })
        ).body.id as string;
        assert.ok(vault && ops && restricted);

        // secrets of every sensitive field type
        const create = async (folderId: string | null, template: string, name: string, fields: Record<string, string>, extra = {}) => {
          const r = await call(h, 'POST', '/api/v1/secrets', {
            token: t,
            body: { vaultId: vault, ...(folderId ? { folderId } : {}), template, name, fields, ...extra },
          });
          assert.equal(r.status, 201, r.raw);
          return r.body.id as string;
        };
        const web = await create(
          ops,
          'web-login',
          'Canary web',
          { url: 'https://web.example', username: 'alice', password: V.webPassword, otp: otpUri, notes },
          {
            customFields: [
              { name: 'PIN', type: 'password', value: V.customPin },
              { name: 'Recovery file', type: 'file', value: V.customFile },
              { name: 'Clear note', type: 'text', value: 'not secret' },
            ],
          },
        );
        const unix = await create(ops, 'unix-account', 'Canary unix', {
          host: 'bastion',
          port: '22',
          username: 'root',
          password: V.unixPassword,
          'private-key': pem(V.unixKey),
        });
        const ssh = await create(restricted, 'ssh-key', 'Canary ssh', {
          host: 'git',
          username: 'git',
          'private-key': pem(V.sshKey),
          'public-key': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA public',
          passphrase: V.sshPassphrase,
        });
        const api = await create(ops, 'api-key', 'Canary api', { url: 'https://api.example', 'key-id': 'kid-1', secret: V.apiSecret });
        const note = await create(null, 'secure-note', 'Canary note', { notes: V.noteText });
        await create(ops, 'windows-account', 'Canary win', { host: 'dc01', username: 'adm', password: V.winPassword });
        const db = await create(ops, 'database-account', 'Canary db', {
          host: 'db01',
          port: '5432',
          username: 'app',
          password: V.dbPassword1,
        });
        await create(ops, 'host-credential', 'Canary host', { username: 'svc', password: V.hostPassword, host: 'h1' });

        // bulk creation
        const bulk = await call(h, 'POST', '/api/v1/secrets/bulk/create', {
          token: t,
          body: {
            items: [
              { vaultId: vault, folderId: ops, template: 'web-login', name: 'Canary bulk', fields: { password: V.bulkPassword } },
              {
                vaultId: vault,
                template: 'database-account',
                name: 'bad',
                fields: { host: 'h', username: 'u', password: 'p', port: V.refusedPort },
              },
            ],
          },
        });
        assert.equal(bulk.status, 200);
        assert.equal(bulk.body.succeeded, 1);

        // a version change, reveals (one with a reason) of the current and the old version, a restore
        const v2 = await call(h, 'PATCH', `/api/v1/secrets/${db}`, {
          token: t,
          headers: { 'if-match': '"v1"' },
          body: { fields: { password: V.dbPassword2 } },
        });
        assert.equal(v2.status, 200, v2.raw);
        const reason = 'INC-4242 rotate the orders database';
        const now = await call(h, 'POST', `/api/v1/secrets/${db}/reveal`, { token: t, body: { reason } });
        assert.equal(now.body.values.password, V.dbPassword2);
        const old = await call(h, 'POST', `/api/v1/secrets/${db}/history/1/reveal`, { token: t, body: { reason } });
        assert.equal(old.body.values.password, V.dbPassword1);
        assert.equal((await call(h, 'POST', `/api/v1/secrets/${db}/history/1/restore`, { token: t })).status, 200);
        const all = await call(h, 'POST', `/api/v1/secrets/${web}/reveal`, { token: t, body: { reason: 'check every field' } });
        assert.deepEqual(
          [
            all.body.values.password,
            all.body.values.otp,
            all.body.values.notes,
            all.body.values['custom:PIN'],
            all.body.values['custom:Recovery file'],
          ],
          [V.webPassword, otpUri, notes, V.customPin, V.customFile],
        );
        const sshValues = await call(h, 'POST', `/api/v1/secrets/${ssh}/reveal`, {
          token: t,
          body: { reason: 'deploy key', fields: ['passphrase', 'private-key'] },
        });
        assert.equal(sshValues.body.values.passphrase, V.sshPassphrase);
        for (const id of [unix, api, note])
          assert.equal((await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: t, body: {} })).status, 200);

        // an attachment whose bytes hold canaries, one across the border of two encrypted chunks
        const file = Buffer.concat([
          randomBytes(1000),
          Buffer.from(V.attachmentInside as string),
          randomBytes(CHUNK - 1000 - (V.attachmentInside as string).length - 12),
          Buffer.from(V.attachmentAcross as string),
          randomBytes(3000),
        ]);
        const up = await inject({
          method: 'POST',
          url: `/api/v1/secrets/${unix}/attachments?name=backup.bin`,
          headers: { authorization: `Bearer ${t}`, 'content-type': 'application/octet-stream' },
          payload: file,
        });
        assert.equal(up.statusCode, 201, up.body);
        answers.push({ where: 'upload answer', text: up.body });
        const down = await inject({
          method: 'GET',
          url: `/api/v1/secrets/${unix}/attachments/${up.json().id}`,
          headers: { authorization: `Bearer ${t}`, 'x-reveal-reason': 'restore the backup' },
        });
        assert.equal(down.statusCode, 200);
        assert.ok(down.rawPayload.equals(file), 'the download gives the file back');

        // a CSV import (dry run, then for real) with canaries in the password, notes and TOTP columns
        const csv = `name,username,password,url,notes,folder,totp\nCanary csv,bob,${V.csvPassword},https://csv.example,${V.csvNotes},Imported/Sub,${V.csvOtp}\n`;
        const dry = await call(h, 'POST', '/api/v1/import', {
          token: t,
          body: { format: 'csv', content: csv, vaultId: vault, dryRun: true },
        });
        assert.equal(dry.status, 200, dry.raw);
        const imp = await call(h, 'POST', '/api/v1/import', {
          token: t,
          body: { format: 'csv', content: csv, vaultId: vault, folderId: ops },
        });
        assert.equal(imp.status, 200, imp.raw);
        assert.equal(imp.body.created, 1);
        const imported = await call(h, 'POST', `/api/v1/secrets/${imp.body.items[0].id}/reveal`, { token: t, body: {} });
        assert.deepEqual([imported.body.values.password, imported.body.values.notes], [V.csvPassword, V.csvNotes]);

        // generated passwords and a strength check
        const gen = await call(h, 'POST', '/api/v1/passwords/generate', { token: t, body: { folderId: ops, count: 3 } });
        assert.equal(gen.status, 200);
        const generated = gen.body.passwords as string[];
        assert.equal(
          (await call(h, 'POST', '/api/v1/passwords/strength', { token: t, body: { password: V.strengthChecked } })).status,
          200,
        );

        // the export under a canary passphrase, and its import back (right and wrong passphrase)
        const ex = await call(h, 'POST', '/api/v1/export', {
          token: t,
          body: { vaultId: vault, passphrase: V.exportPassphrase, reason: 'backup' },
        });
        assert.equal(ex.status, 200, ex.raw);
        assert.ok(ex.body.count >= 10, `exported ${ex.body.count}`);
        const copy = (await call(h, 'POST', '/api/v1/vaults', { token: t, body: { name: 'Canary copy' } })).body.id as string;
        const back = await call(h, 'POST', '/api/v1/import', {
          token: t,
          body: { format: 'coffer-export', content: ex.body.content, passphrase: V.exportPassphrase, vaultId: copy },
        });
        assert.equal(back.status, 200, back.raw);
        assert.equal(back.body.created, ex.body.count, 'the export held every secret');
        const wrong = await call(h, 'POST', '/api/v1/import', {
          token: t,
          body: { format: 'coffer-export', content: ex.body.content, passphrase: V.wrongPassphrase, vaultId: copy },
        });
        assert.equal(wrong.status, 400);

        // the usual mistakes, each refused
        const refused: Array<[string, Res | { status: number }, number]> = [];
        refused.push([
          'a value in a number field',
          await call(h, 'POST', '/api/v1/secrets', {
            token: t,
            body: {
              vaultId: vault,
              template: 'database-account',
              name: 'x',
              fields: { host: 'h', username: 'u', password: 'p', port: V.refusedPort },
            },
          }),
          400,
        ]);
        refused.push([
          'a value under an unknown field',
          await call(h, 'POST', '/api/v1/secrets', {
            token: t,
            body: { vaultId: vault, template: 'web-login', name: 'x', fields: { password: 'p', 'pass-word': V.refusedField } },
          }),
          400,
        ]);
        refused.push([
          'a value over the size limit',
          await call(h, 'POST', '/api/v1/secrets', {
            token: t,
            body: { vaultId: vault, template: 'web-login', name: 'x', fields: { password: (V.refusedLong as string).repeat(3000) } },
          }),
          400,
        ]);
        const malformed = await inject({
          method: 'POST',
          url: '/api/v1/secrets',
          headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
          payload: `{"vaultId":"${vault}","template":"web-login","name":"x","fields":{"password":"${V.refusedJson}"}`,
        });
        refused.push(['a malformed body', { status: malformed.statusCode }, 400]);
        refused.push([
          'a stale write',
          await call(h, 'PATCH', `/api/v1/secrets/${db}`, {
            token: t,
            headers: { 'if-match': '"v1"' },
            body: { fields: { password: V.refusedStale } },
          }),
          412,
        ]);
        refused.push([
          'a broken CSV',
          await call(h, 'POST', '/api/v1/import', {
            token: t,
            body: { format: 'csv', content: `name,password\nx,"${V.refusedCsv}" trailing\n`, vaultId: vault },
          }),
          400,
        ]);
        refused.push([
          'a password in the query string',
          await call(h, 'GET', `/api/v1/secrets?password=${V.refusedQuery}`, { token: t }),
          400,
        ]);
        refused.push([
          'a reveal without the reason the policy asks',
          await call(h, 'POST', `/api/v1/secrets/${ssh}/reveal`, { token: t, body: {} }),
          400,
        ]);
        refused.push([
          'a reveal by an outsider',
          await call(h, 'POST', `/api/v1/secrets/${web}/reveal`, { token: outsider.token, body: {} }),
          404,
        ]);
        const foreignUpload = await inject({
          method: 'POST',
          url: `/api/v1/secrets/${unix}/attachments?name=x.bin`,
          headers: { authorization: `Bearer ${outsider.token}`, 'content-type': 'application/octet-stream' },
          payload: Buffer.from(`head ${V.refusedUpload} tail`),
        });
        refused.push(['an upload by an outsider', { status: foreignUpload.statusCode }, 404]);
        refused.push([
          'an export by an outsider',
          await call(h, 'POST', '/api/v1/export', { token: outsider.token, body: { vaultId: vault, passphrase: V.refusedExport } }),
          404,
        ]);
        for (const [what, r, status] of refused) assert.equal(r.status, status, what);
        // searching for a value finds nothing: values are not searchable, and the query is not kept
        const search = await call(h, 'GET', `/api/v1/secrets?q=${encodeURIComponent(V.webPassword as string)}`, { token: t });
        assert.equal(search.status, 200);
        assert.deepEqual(search.body.items, []);

        // every metadata read: values stay out of them
        for (const id of [web, unix, ssh, api, note, db, imp.body.items[0].id as string]) {
          for (const sub of ['', '/history', '/attachments', '/policy']) {
            assert.equal((await call(h, 'GET', `/api/v1/secrets/${id}${sub}`, { token: t })).status, 200, `${id}${sub}`);
          }
        }
        for (const url of [
          '/api/v1/secrets?limit=500',
          '/api/v1/secrets?q=canary&sort=updated',
          '/api/v1/trash',
          `/api/v1/folders?vaultId=${vault}`,
        ]) {
          assert.equal((await call(h, 'GET', url, { token: t })).status, 200, url);
        }

        // the canaries: every value above, the PEM blocks whole, the generated passwords
        const canaries = [
          ...Object.entries(V).map(([k, v]) => canary(k, v)),
          canary('unix key PEM', pem(V.unixKey as string)),
          canary('ssh key PEM', pem(V.sshKey as string)),
          canary('web OTP URI', otpUri),
          canary('web notes', notes),
          ...generated.map((p, i) => canary(`generated password ${i}`, p)),
        ];

        // positive controls: each scan sees what it should
        const exportData = Buffer.from(JSON.parse(ex.body.content).data, 'base64');
        assert.ok(exportData.length > 2000, `export data: ${exportData.length} bytes`);
        const logs = h.logs();
        assert.ok(logs.includes('"level":30') && logs.length > 5000, 'the logs were captured');
        const auditRows = await h.database.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
        const auditText = auditRows.map((r) => JSON.stringify(r)).join('\n');
        assert.ok(auditText.includes(reason), 'the audit scan sees the reveal reason');
        assert.ok(auditRows.length > 40, `audit records: ${auditRows.length}`);
        const store = await storeScans(h);
        assert.ok(
          store.some((s) => s.text?.includes('Canary unix') || s.bytes?.includes(Buffer.from('Canary unix'))),
          'the store scan sees clear metadata',
        );
        assert.ok(errors.length >= 12, `error bodies: ${errors.length}`);
        assert.ok(answers.length >= 30, `answers: ${answers.length}`);
        assert.ok(
          hits(canaries, [{ where: 'the reveals', text: JSON.stringify([all.body, sshValues.body, now.body, old.body, imported.body]) }])
            .length >= 9,
          'the canaries are found where they belong',
        );

        assert.deepEqual(
          hits(canaries, [
            { where: 'logs', text: logs },
            { where: 'audit_log', text: auditText },
            ...errors.map((e, i) => ({ where: `error body ${i}: ${e.slice(0, 100)}`, text: e })),
            ...answers.map((a, i) => ({ where: `answer ${i} to ${a.where}`, text: a.text })),
            { where: 'the export file', text: ex.body.content },
            { where: 'the export file data, decoded', bytes: exportData },
            ...store,
          ]),
          [],
        );
      } finally {
        await h.close();
      }
    });
  });
}
