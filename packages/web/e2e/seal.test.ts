// The seal screen: a sealed Shamir server shows its unseal progress; operators enter shares in
// the browser; then the sign-in appears. The screen passes axe-core.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { axe, describeViolations, launch, newContext, type Server, shot, startServer, watchErrors } from './helpers.ts';

describe('web UI: seal status and unseal by shares', { timeout: 120_000 }, () => {
  let server: Server;
  let browser: Browser;

  before(async () => {
    server = await startServer({ mode: 'shamir', shares: 3, threshold: 2 });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the progress, takes two shares, then offers the sign-in', async () => {
    const shares = server.h.shares!;
    const scanCtx = await newContext(browser, { bypassCSP: true });
    const scan = await scanCtx.newPage();
    await scan.goto(`${server.base}/`);
    await scan.getByRole('heading', { name: 'Sealed' }).waitFor();
    assert.equal(describeViolations(await axe(scan)), '');
    await scanCtx.close();

    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const errors: string[] = [];
    watchErrors(page, errors);
    await page.goto(`${server.base}/`);
    await page.getByText('0 of 2 entered').waitFor();
    await shot(page, 'screen-unseal');
    await page.getByLabel('Unseal share').fill(shares[0]!);
    await page.getByRole('button', { name: 'Enter share' }).click();
    await page.getByText('1 of 2 entered').waitFor();
    assert.equal(await page.getByLabel('Unseal share').inputValue(), '', 'the share is not kept in the form');
    await page.getByLabel('Unseal share').fill(shares[2]!);
    await page.getByRole('button', { name: 'Enter share' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.deepEqual(errors, []);
    await ctx.close();
  });
});
