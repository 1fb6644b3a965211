#!/usr/bin/env node
// The installed `coffer` command. The CLI is TypeScript run by Node's type stripping (Node >= 22.18),
// but the `node` first on a user's PATH may be older (this file is plain JavaScript that Node 20
// can parse for that reason). On a new enough Node the CLI runs in this process; otherwise in a
// child process on the Node 24 that `npm ci` installs under node_modules (the `node` devDependency),
// with stdio inherited, the signals a terminal or supervisor sends passed on, and its exit status
// (or the signal that ended it) passed back. The working directory is the caller's, so relative
// paths (./ca.pem, -o ./out) mean what the user meant.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const NEEDED = [22, 18];

function newEnough(version) {
  const [major, minor] = version.split('.').map(Number);
  return major > NEEDED[0] || (major === NEEDED[0] && minor >= NEEDED[1]);
}

/** The Node binary of the installed `node` package (node@24), or undefined. */
function bundledNode() {
  try {
    const pkg = createRequire(import.meta.url).resolve('node/package.json');
    const bin = path.join(path.dirname(pkg), 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** `npm run coffer` runs in the repository root; the user typed the command in INIT_CWD. */
function callerDir() {
  const init = process.env.INIT_CWD;
  if (process.env.npm_lifecycle_event === 'coffer' && init && existsSync(init)) return init;
  return process.cwd();
}

const cwd = callerDir();
if (cwd !== process.cwd()) process.chdir(cwd);

if (newEnough(process.versions.node) && process.features.typescript) {
  await import(pathToFileURL(MAIN).href);
} else {
  const node = bundledNode();
  if (!node) {
    process.stderr.write(
      `coffer needs Node.js >= ${NEEDED.join('.')} (this is ${process.versions.node}): install it, or run npm ci in the Coffer checkout (it brings Node 24 along)\n`,
    );
    process.exit(1);
  }
  const child = spawn(node, [MAIN, ...process.argv.slice(2)], { stdio: 'inherit' });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const s of signals) process.on(s, forward);
  child.on('error', (e) => {
    process.stderr.write(`coffer: cannot start ${node}: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal) {
      // end the same way, so a shell or supervisor sees what happened
      process.kill(process.pid, signal);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    process.exit(code ?? 1);
  });
}
