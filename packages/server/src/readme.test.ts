// The README's examples run as written: the webhook example against a real server and a local
// receiver, the Shamir init with `npm run -s` and COFFER_ADMIN_PASSWORD, and the systemd unit's
// ExecStart (SIGTERM ends it cleanly). Only ports and directories are substituted.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { baseEnv, freePort, healthy, type Proc, REPO_ROOT, spawnProc, startServer, until } from '../test/server-process.ts';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

/** The fenced block of `lang` that contains `marker`. */
function block(lang: string, marker: string): string {
  const re = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g');
  for (const m of README.matchAll(re)) if ((m[1] as string).includes(marker)) return m[1] as string;
  throw new Error(`no ${lang} block with ${marker} in the README`);
}

const PASSWORD = 'readme-admin-password-42';

describe('README examples', () => {
  const dirs: string[] = [];
  const procs: Proc[] = [];
  const newDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'coffer-readme-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const p of procs) p.child.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the webhook example delivers a signed ping to the local receiver', async () => {
    const dir = newDir();
    const [port, receiverPort] = [await freePort(), await freePort()];
    const server = startServer({
      COFFER_DATA_DIR: dir,
      COFFER_PORT: String(port),
      COFFER_ADMIN_PASSWORD: PASSWORD,
      COFFER_WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
    });
    procs.push(server);
    await healthy(port);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const script = block('sh', 'webhooks/$HOOK/test')
      .replaceAll('localhost:7300', `localhost:${port}`)
      .replaceAll('9000', String(receiverPort));
    // the receiver stays in the background; its pid is printed so the test can end it
    const child = spawn('bash', ['-euo', 'pipefail', '-c', `${script}\necho "RECEIVER_PID=$!"`], {
      cwd: dir,
      env: { ...baseEnv({ TOKEN: accessToken }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    await until('the example to run', () => /RECEIVER_PID=\d+/.test(out));
    const receiver = Number(/RECEIVER_PID=(\d+)/.exec(out)?.[1]);
    try {
      const saved = JSON.parse(readFileSync(path.join(dir, 'webhook.json'), 'utf8')) as { webhook: { id: string }; secret: string };
      assert.match(saved.webhook.id, /^whk_/);
      assert.ok(saved.secret, 'the signing secret is kept in webhook.json');
      await until('the ping to reach the receiver', () => /v1=[0-9a-f]{64} \{"id":"evt_[^"]+","type":"ping"/.test(out));
      // the delivery log, as the example's last command shows it
      let items: Array<{ state: string; eventType: string }> = [];
      await until('the delivery to be logged', async () => {
        const deliveries = await fetch(`http://127.0.0.1:${port}/api/v1/webhooks/${saved.webhook.id}/deliveries`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        items = ((await deliveries.json()) as { items: typeof items }).items;
        return items[0]?.state === 'delivered';
      });
      assert.deepEqual(
        items.map((d) => [d.eventType, d.state]),
        [['ping', 'delivered']],
      );
    } finally {
      if (receiver) process.kill(receiver, 'SIGTERM');
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('the Shamir init prints parseable JSON with npm run -s, and the password shows nowhere', () => {
    const dir = newDir();
    const lines = block('sh', '--unseal-mode shamir').split('\n');
    // up to the server start: init, then the password is unset
    const setup = lines
      .slice(
        0,
        lines.findIndex((l) => l.startsWith('npm start')),
      )
      .join('\n')
      .replace('/srv/coffer', path.join(dir, 'store'))
      .replace('> init.json', `> ${path.join(dir, 'init.json')}`);
    assert.match(setup, /read -rs COFFER_ADMIN_PASSWORD/);
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', setup], {
      cwd: REPO_ROOT,
      env: baseEnv({}),
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const init = JSON.parse(readFileSync(path.join(dir, 'init.json'), 'utf8')) as {
      shares: string[];
      threshold: number;
      generatedPassword: boolean;
    };
    assert.deepEqual([init.shares.length, init.threshold, init.generatedPassword], [5, 3, false]);
    for (const text of [r.stdout, r.stderr, readFileSync(path.join(dir, 'init.json'), 'utf8')]) assert.ok(!text.includes(PASSWORD));
    assert.ok(existsSync(path.join(dir, 'store', 'coffer.db')));
  });

  it("the systemd unit's ExecStart runs the server, and its KillSignal ends it cleanly", async () => {
    const unit = block('ini', '[Service]');
    const get = (key: string) =>
      unit
        .split('\n')
        .find((l) => l.startsWith(`${key}=`))
        ?.slice(key.length + 1) as string;
    assert.equal(get('KillSignal'), 'SIGTERM');
    const [exe, ...args] = get('ExecStart').replaceAll('/opt/coffer', REPO_ROOT).split(' ');
    assert.equal(get('WorkingDirectory'), '/opt/coffer');
    const dir = newDir();
    const port = await freePort();
    const p = spawnProc(
      exe as string,
      args,
      { COFFER_DATA_DIR: dir, COFFER_PORT: String(port), COFFER_ADMIN_PASSWORD: PASSWORD },
      { cwd: REPO_ROOT },
    );
    procs.push(p);
    await healthy(port);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.out());
    assert.match(p.out(), /"signal":"SIGTERM","msg":"shutting down"/);
    assert.ok(!existsSync(path.join(dir, 'coffer.db.lock')));
  });
});
