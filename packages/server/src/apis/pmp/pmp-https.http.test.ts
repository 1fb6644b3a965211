// PMP over real HTTPS against a listening server (some PMP clients speak only HTTPS and use a
// self-signed certificate, curl -k): the token in the query and in the header, a form body
// labelled text/json, the password read, bad token.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN, adminToken, dialects, dropSchema, freshDatabase, testConfig } from '../../../test/harness.ts';
import { apiUser, form, PMP } from '../../../test/pmp.ts';
import { type App, buildApp } from '../../app.ts';
import { selfSignedCertificate } from '../../crypto/self-signed.ts';
import { type Database, migrateToLatest } from '../../db/database.ts';

/** The server's certificate, made as COFFER_TLS=auto makes it (crypto/self-signed.ts). */
function selfSigned(): { cert: Buffer; key: Buffer } {
  const { cert, key } = selfSignedCertificate(['localhost', '127.0.0.1']);
  return { cert: Buffer.from(cert), key: Buffer.from(key) };
}

// biome-ignore lint/suspicious/noExplicitAny: a PMP answer, read field by field by the tests
type Answer = { status: number; body: any };

function https(port: number, method: string, pathAndQuery: string, opts: { headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path: pathAndQuery, headers: opts.headers ?? {}, rejectUnauthorized: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: text });
          }
        });
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

for (const dialect of dialects) {
  describe(`PMP over HTTPS (${dialect})`, () => {
    let dir: string;
    let database: Database;
    let schema: string | null;
    let coffer: App;
    let port: number;
    let key: string;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'coffer-pmp-tls-'));
      const fresh = await freshDatabase(dialect, dir);
      database = fresh.database;
      schema = fresh.schema;
      await migrateToLatest(database.db);
      coffer = await buildApp({ config: testConfig(dir, fresh.url), database, https: selfSigned() });
      await coffer.initialize({ mode: 'keyfile', adminUsername: ADMIN.username, adminPassword: ADMIN.password });
      await coffer.start();
      await coffer.services.jobs.stop();
      await coffer.app.listen({ host: '127.0.0.1', port: 0 });
      port = (coffer.app.server.address() as AddressInfo).port;
      key = (await apiUser(coffer, await adminToken(coffer), 'pmp-tls')).key;
    });
    after(async () => {
      await coffer.app.close();
      await database.close();
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates a resource and reads its password as curl -k does', async () => {
      const created = await https(port, 'POST', `${PMP}/resources?AUTHTOKEN=${encodeURIComponent(key)}`, {
        headers: { 'content-type': 'text/json' },
        body: form({ RESOURCENAME: 'tls-host', ACCOUNTNAME: 'root', RESOURCETYPE: 'Linux', PASSWORD: 's3cr3t' }),
      });
      assert.equal(created.status, 200);
      assert.equal(created.body.operation.result.status, 'Success');
      const ids = await https(port, 'GET', `${PMP}/resources/resourcename/tls-host/accounts/accountname/root`, {
        headers: { AUTHTOKEN: key },
      });
      const { RESOURCEID, ACCOUNTID } = ids.body.operation.Details;
      const pw = await https(
        port,
        'GET',
        `${PMP}/resources/${RESOURCEID}/accounts/${ACCOUNTID}/password?AUTHTOKEN=${encodeURIComponent(`${key}\n`)}`,
      );
      assert.deepEqual(pw.body.operation.Details, { PASSWORD: 's3cr3t' });
    });

    it("ManageEngine's Ansible lookup over HTTPS (validate_certs=False): APP_AUTHTOKEN in the query, a doubled slash, a GET body", async () => {
      const ids = await https(
        port,
        'GET',
        `/${PMP}/resources/getResourceIdAccountId?APP_AUTHTOKEN=${key}&APP_NAME=Ansible&RESOURCENAME=tls-host&ACCOUNTNAME=root`,
        {
          headers: { 'content-type': 'application/json' },
        },
      );
      assert.equal(ids.body.operation.result.status, 'Success', JSON.stringify(ids.body));
      const { RESOURCEID, ACCOUNTID } = ids.body.operation.Details;
      const d = await https(
        port,
        'GET',
        `/${PMP}/resources/getResourceAccountDetails?APP_AUTHTOKEN=${key}&APP_NAME=ANSIBLE&RESOURCEID=${RESOURCEID}&ACCOUNTID=${ACCOUNTID}`,
        { headers: { 'content-type': 'application/json' } },
      );
      assert.equal(JSON.parse(d.body.operation.Details.ACCOUNTDETAILS).PASSWORD, 's3cr3t');
      // curl -X GET --data-urlencode INPUT_DATA=... (PMP's current reference): a GET with a body
      const body = `INPUT_DATA=${encodeURIComponent('{"operation":{"Details":{"POLICY":"Low"}}}')}`;
      const gen = await https(port, 'GET', `${PMP}/passwords/generate`, {
        headers: { AUTHTOKEN: key, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
        body,
      });
      assert.equal(gen.body.operation?.Details?.PASSWORD?.length, 8, JSON.stringify(gen));
    });

    it("a wrong token answers PMP's envelope, not a 5xx", async () => {
      const r = await https(port, 'GET', `${PMP}/resources`, { headers: { AUTHTOKEN: 'B9A1809A-5BF7-4459-9ED2-8D4F499CB902' } });
      assert.equal(r.status, 200);
      assert.equal(r.body.operation.result.status, 'Failed');
    });
  });
}
