// End-to-end helpers: the built UI, the real server on SQLite (in process, listening on
// loopback), Debian's Chromium through playwright-core, axe-core, and request recording for the
// waterfall budget. Nothing here downloads a browser.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createClient } from '@coffer/sdk/client';
import { type Browser, type BrowserContext, chromium, type Page, type Request } from 'playwright-core';
import { base32Decode, hotp, totpStep } from '../../server/src/crypto/totp.ts';
import { ADMIN, type Harness, startHarness } from '../../server/test/harness.ts';
import { type Timed, waterfall } from './waterfall.ts';

export const webRoot = path.resolve(import.meta.dirname, '..');
export const repoRoot = path.resolve(webRoot, '..', '..');
export const distDir = path.join(webRoot, 'dist');
export const artifacts = path.join(repoRoot, 'test-artifacts', 'web');

/** The built UI; built now when missing. Throws (never skips) when it still is not there. */
export function ensureBuilt(): string {
  const index = path.join(distDir, 'index.html');
  if (!existsSync(index)) {
    const bin = path.join(repoRoot, 'node_modules', '.bin');
    const r = spawnSync('npm', ['run', 'build', '-w', '@coffer/web'], {
      cwd: repoRoot,
      stdio: 'inherit',
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
    });
    if (r.status !== 0) throw new Error(`npm run build -w @coffer/web failed (${r.status})`);
  }
  if (!existsSync(index)) throw new Error(`the web UI is not built: ${index} is missing`);
  return distDir;
}

export interface Server {
  h: Harness & { shares: string[] | null };
  base: string;
  /** A native API client signed in as the administrator. */
  admin: ReturnType<typeof createClient>;
  close(): Promise<void>;
}

/** The real server on a fresh SQLite store, serving the built UI, listening on 127.0.0.1. */
export async function startServer(opts: Parameters<typeof startHarness>[1] = {}): Promise<Server> {
  const webDir = ensureBuilt();
  const h = await startHarness('sqlite', { ...opts, config: { webDir, ...opts.config } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const admin = createClient({ baseUrl: base });
  if (opts.init !== false && opts.mode !== 'shamir') await admin.auth.login(ADMIN.username, ADMIN.password);
  return { h, base, admin, close: () => h.close() };
}

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A TOTP code for `secretB32` at the time step `offset` steps from now. */
export function totp(secretB32: string, offset = 0): string {
  return hotp(base32Decode(secretB32), totpStep(Date.now()) + offset);
}

/** Fails the test on any error the page logs (a CSP violation, an exception). */
export function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    // a 401/404 answer is reported by the browser as a console error: those are expected states
    if (/Failed to load resource: the server responded with a status of (401|403|404|409|503)/.test(t)) return;
    errors.push(`console: ${t}`);
  });
}

/**
 * Records the API requests of a page, to measure the waterfall of each screen. Playwright's
 * request events say which requests are in flight; the times come from the page itself: when the
 * app called fetch and when the answer arrived (the fetch promise resolved), so the browser's
 * own scheduling of connections does not count as a dependency of the app.
 */
export async function recordRequests(page: Page) {
  await page.addInitScript(`(() => {
    const log = (window.__cofferRequests = []);
    const api = (u) => new URL(u, location.href).pathname.startsWith('/ui/');
    const orig = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input.url;
      if (!api(url)) return orig(input, init);
      const e = { url: new URL(url, location.href).pathname, start: performance.now(), end: Infinity };
      log.push(e);
      // finished = its answer arrived: nothing the app does with it can start earlier
      return orig(input, init).then((res) => { e.end = performance.now(); return res; }, (err) => { e.end = performance.now(); throw err; });
    };
  })()`);
  const live = new Set<Request>();
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/ui/')) live.add(r);
  });
  const finish = (r: Request) => {
    live.delete(r);
  };
  page.on('requestfinished', finish);
  page.on('requestfailed', finish);
  return {
    /** Forgets what was recorded (a new document starts empty anyway). */
    async reset(): Promise<void> {
      await page.evaluate('window.__cofferRequests && (window.__cofferRequests.length = 0)').catch(() => {});
    },
    /** Resolves once no API request has been in flight for `quietMs`. */
    async idle(quietMs = 400, timeoutMs = 15_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      let quietSince = Date.now();
      while (Date.now() < until) {
        if (live.size > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= quietMs) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`requests still in flight: ${[...live].map((x) => x.url()).join(', ')}`);
    },
    /** The depth of the API requests of the current document (since the last reset). */
    async depth(): Promise<{ depth: number; chain: string[]; count: number; timeline: string }> {
      const all = (await page.evaluate('(window.__cofferRequests || []).map((e) => ({ ...e }))')) as Timed[];
      const timeline = all.map((e) => `${e.start.toFixed(0)}-${e.end.toFixed(0)} ${e.url}`).join('; ');
      return { ...waterfall(all), count: all.length, timeline };
    },
  };
}

/** Waits until no loading indicator is shown. */
export async function settle(page: Page): Promise<void> {
  await page
    .locator('.loading')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => {});
}

const axeSource = readFileSync(path.join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page (its context must bypass the CSP: the scanner is injected as a
 * script). Answers the serious and critical violations.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource });
  // React Aria's live announcer keeps an announcement for 7 s: a pending button's (sign-in) is a
  // role="img" node labelled by that button, gone with the previous screen. It is no content of
  // this screen: dropped, as the 7 s would.
  await page.evaluate(`document.querySelectorAll('[aria-live] > [role="img"]').forEach((n) => n.remove())`);
  const result = await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })`,
  );
  const violations = (result as { violations: AxeViolation[] }).violations;
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(v: AxeViolation[]): string {
  return v
    .map(
      (x) =>
        `${x.id} (${x.impact}): ${x.help} at ${x.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    )
    .join('\n');
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

/** Signs in through the sign-in screen (password, then the second factor if asked). */
export async function signIn(page: Page, base: string, username: string, password: string, second?: () => string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (second) {
    await page.getByLabel('Authentication code').fill(second());
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
}

export async function newContext(
  browser: Browser,
  opts: { bypassCSP?: boolean; storageState?: Awaited<ReturnType<BrowserContext['storageState']>> } = {},
) {
  return browser.newContext({ viewport: { width: 1360, height: 860 }, ...opts });
}

/**
 * Records, in the page, every CSP violation the browser reports (the `securitypolicyviolation`
 * event; Chromium also logs it to the console, which watchErrors catches). Call before the first
 * navigation.
 */
export async function watchCsp(page: Page): Promise<void> {
  await page.addInitScript(`(() => {
    const seen = (window.__cofferCsp = []);
    document.addEventListener('securitypolicyviolation', (e) => {
      seen.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
    });
  })()`);
}

/**
 * The CSP violations of the current document, and its inline <style> elements: each with its
 * text and whether the browser applied it (a refused one has no rules).
 */
export async function cspReport(page: Page): Promise<{ violations: string[]; styles: { text: string; applied: boolean }[] }> {
  return (await page.evaluate(`({
    violations: [...(window.__cofferCsp || [])],
    styles: [...document.querySelectorAll('style')].map((s) => ({
      text: s.textContent,
      applied: !!s.sheet && s.sheet.cssRules.length > 0,
    })),
  })`)) as { violations: string[]; styles: { text: string; applied: boolean }[] };
}

/**
 * Polls an expression through page.evaluate (the debugger protocol) until it is truthy. Playwright's
 * waitForFunction compiles a string predicate inside the page, which the page's CSP (no
 * unsafe-eval) refuses; page.evaluate is not subject to it.
 */
export async function waitInPage<T>(page: Page, expression: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = (await page.evaluate(expression)) as T;
    if (value) return value;
    if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms for ${expression}`);
    await page.waitForTimeout(20);
  }
}
