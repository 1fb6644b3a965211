// The strict CSP (apis/web/csp.ts) against what React Aria injects: on an iPhone (emulated: its
// user agent and platform, touch) a dialog makes usePreventScroll add an inline <style>; the CSP
// allows exactly that text by its hash, so the browser applies it and reports no violation, on the
// sign-in screen, the tree, a dialog and a menu. Without the hash this test fails with the
// violation Chromium reports.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ALLOWED_INLINE_STYLES } from '../../server/src/apis/web/csp.ts';
import { ADMIN } from '../../server/test/harness.ts';
import { cspReport, launch, type Server, shot, signIn, startServer, watchCsp, watchErrors } from './helpers.ts';

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1';

describe('web UI: the CSP and React Aria inline styles', { timeout: 120_000 }, () => {
  let server: Server;
  let browser: Browser;

  before(async () => {
    server = await startServer();
    await server.admin.vaults.create({ name: 'Ops' });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("on iOS a dialog's overscroll style is applied, and no screen reports a CSP violation", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 1366 }, userAgent: IPHONE_UA, hasTouch: true });
    // React Aria asks navigator.userAgentData.platform first, then navigator.platform
    await ctx.addInitScript(`(() => {
      Object.defineProperty(Navigator.prototype, 'userAgentData', { get: () => undefined });
      Object.defineProperty(Navigator.prototype, 'platform', { get: () => 'iPhone' });
    })()`);
    const page = await ctx.newPage();
    const errors: string[] = [];
    watchErrors(page, errors);
    await watchCsp(page);
    const seen: string[] = [];
    const check = async (name: string) => {
      const r = await cspReport(page);
      for (const v of r.violations) seen.push(`${name}: violation ${v}`);
      for (const s of r.styles) {
        if (!ALLOWED_INLINE_STYLES.includes(s.text)) seen.push(`${name}: unknown inline style ${s.text}`);
        else if (!s.applied) seen.push(`${name}: inline style not applied ${s.text}`);
      }
      return r;
    };
    await page.goto(`${server.base}/`);
    await page.getByLabel('Username').waitFor();
    await check('sign-in');
    await signIn(page, server.base, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await check('vaults');
    await page.getByRole('button', { name: 'New vault' }).click();
    await page.getByRole('dialog').waitFor();
    const open = await check('dialog');
    await shot(page, 'csp-ios-dialog');
    const overscroll = open.styles.find((s) => s.text.includes('overscroll-behavior'));
    assert.ok(overscroll, 'the iOS scroll lock injected its <style> (the emulation took)');
    assert.equal(overscroll.applied, true, 'and the browser applied it');
    const contained = await page.evaluate(`getComputedStyle(document.querySelector('main') || document.body).overscrollBehaviorY`);
    assert.equal(contained, 'contain', 'the style is in effect');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('banner').getByRole('button', { name: 'admin', exact: true }).click();
    await page.getByRole('menu').waitFor();
    await check('menu');
    await page.keyboard.press('Escape');
    assert.deepEqual(seen, []);
    assert.deepEqual(errors, []);
    await ctx.close();
  });
});
