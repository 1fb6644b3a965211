// The log: JSON lines for machines, readable lines at a terminal; the redaction of credentials and
// secret fields holds in both forms.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ADMIN, call, freshDatabase, testConfig } from '../../test/harness.ts';
import { baseEnv, freePort, healthy, SERVER_MAIN, until } from '../../test/server-process.ts';
import { buildApp } from '../app.ts';
import { migrateToLatest } from '../db/database.ts';
import { escapeControls, formatLine, prettyLog } from './pretty-log.ts';

const CANARY = {
  password: 'log-canary-password-9d1e',
  token: 'cfs_logcanarytoken0000000000000000000000000',
  passphrase: 'log-canary-passphrase-77',
};

describe('readable log lines', () => {
  it('formats a pino line: time, level, request, status, message, other fields; controls escaped', () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.UTC(2030, 0, 2, 3, 4, 5, 678),
      pid: 1,
      hostname: 'h',
      reqId: 'req_1',
      req: { method: 'GET', path: '/api/v1/x', ip: '127.0.0.1' },
      msg: 'incoming request',
    });
    assert.equal(formatLine(line, false), '03:04:05.678  INFO   [req_1]  GET /api/v1/x from 127.0.0.1  incoming request');
    assert.equal(
      formatLine(
        JSON.stringify({ level: 30, time: 0, reqId: 'r', res: { statusCode: 404 }, responseTime: 2.345, msg: 'request completed' }),
        false,
      ),
      '00:00:00.000  INFO   [r]  404  2.3 ms  request completed',
    );
    assert.equal(
      formatLine(JSON.stringify({ level: 40, time: 0, msg: 'm', sealed: false, note: 'two words', n: { a: 1 } }), false),
      '00:00:00.000  WARN   m  sealed=false  note="two words"  n={"a":1}',
    );
    const err = formatLine(
      JSON.stringify({ level: 50, time: 0, msg: 'failed', err: { type: 'Error', message: 'x', stack: 'Error: x\n    at f' } }),
      true,
    );
    assert.equal(err, '00:00:00.000  \u001b[31mERROR\u001b[0m  failed\n    Error: x\n        at f');
    // what a client sent must not drive the operator's terminal (C0, DEL, C1 such as CSI 0x9b)
    const hostile = formatLine(JSON.stringify({ level: 30, time: 0, msg: 'a\u001b[2Jb\u009b31mc\rd', path: '/x\u0007' }), false);
    assert.ok(![...hostile].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f)), hostile);
    assert.match(hostile, /a\\u001b\[2Jb\\u009b31mc\\u000dd {2}path=\/x\\u0007$/);
    assert.equal(escapeControls('ok\u2028'), 'ok\\u2028');
    assert.equal(formatLine('not json \u001b', false), 'not json \\u001b');
  });

  it('holds the redaction in both forms: JSON and readable lines of a real app carry no credential or secret field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-log-'));
    const { database } = await freshDatabase('sqlite', dir);
    await migrateToLatest(database.db);
    let json = '';
    let pretty = '';
    const screen = new PassThrough();
    screen.on('data', (c: Buffer) => {
      pretty += c.toString();
    });
    const formatter = prettyLog(screen);
    // the app's one log stream: keep the JSON, and hand it on to the formatter as a terminal would get it
    const tee = new Writable({
      write(chunk: Buffer, _e, done) {
        json += chunk.toString();
        formatter.write(chunk, done);
      },
    });
    const coffer = await buildApp({ config: testConfig(dir, `sqlite:${path.join(dir, 'coffer.db')}`), database, logStream: tee });
    try {
      await coffer.initialize({ mode: 'keyfile', adminUsername: ADMIN.username, adminPassword: ADMIN.password });
      await coffer.start();
      await coffer.services.jobs.stop();
      await coffer.app.ready();
      await call({ app: coffer.app }, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password: CANARY.password } });
      await call({ app: coffer.app }, 'GET', '/api/v1/auth/whoami', { token: CANARY.token });
      // a log call that carries the redacted paths themselves, as an error handler might
      coffer.app.log.error(
        { headers: { authorization: `Bearer ${CANARY.token}` }, body: { password: CANARY.password, passphrase: CANARY.passphrase } },
        'bad request',
      );
      await until('the lines to be formatted', () => pretty.includes('bad request'));
      assert.match(json, /"msg":"bad request"/);
      assert.match(
        pretty,
        /ERROR {2}bad request {2}headers=\{"authorization":"\[redacted\]"\} {2}body=\{"password":"\[redacted\]","passphrase":"\[redacted\]"\}/,
      );
      assert.match(pretty, /POST \/api\/v1\/auth\/login from 127\.0\.0\.1 {2}incoming request/);
      assert.ok(!pretty.includes('{"level"'), 'no JSON line left in the readable form');
      for (const [form, text] of [
        ['JSON', json],
        ['readable', pretty],
      ] as const) {
        for (const c of Object.values(CANARY)) assert.ok(!text.includes(c), `${form} log holds ${c.slice(0, 12)}…`);
        assert.ok(text.includes('[redacted]'), `${form} shows what was redacted`);
      }
    } finally {
      await coffer.app.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the server writes readable lines when stdout is a terminal (a pty from script(1)), JSON otherwise', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coffer-tty-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const env = baseEnv({ COFFER_DATA_DIR: dir, COFFER_PORT: String(port), COFFER_ADMIN_PASSWORD: CANARY.password, NO_COLOR: '1' });
    const cmd = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(SERVER_MAIN)}`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await healthy(port);
      await until('the ready line', () => out.includes('Coffer is ready'));
      const pid = (JSON.parse(readFileSync(path.join(dir, 'coffer.db.lock'), 'utf8')) as { pid: number }).pid;
      process.kill(pid, 'SIGTERM');
      await exited;
      assert.match(out, /\d\d:\d\d:\d\d\.\d{3} {2}INFO {3}Coffer is ready {2}sealed=false {2}tls=false/);
      assert.match(out, /INFO {3}shutting down {2}signal=SIGTERM/);
      assert.ok(!out.includes('{"level"'), out);
      assert.ok(!out.includes(CANARY.password));
      assert.ok(!existsSync(path.join(dir, 'coffer.db.lock')));
    } finally {
      child.kill('SIGKILL');
    }
  });
});
