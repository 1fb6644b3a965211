// A direct load of a deep URL: the tree expands the path down to the current folder (its vault and
// every folder above it), so the selected folder is in view; folders elsewhere stay collapsed; and
// within the screens' request-depth budget of 2, however deep the folder.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN } from '../../server/test/harness.ts';
import { launch, newContext, recordRequests, type Server, shot, signIn, startServer, watchErrors } from './helpers.ts';

describe('web UI: the tree on a deep URL', { timeout: 120_000 }, () => {
  let server: Server;
  let browser: Browser;
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startServer();
    const a = server.admin;
    const v = await a.vaults.create({ name: 'Deep' });
    const top = await a.folders.create({ vaultId: v.id, name: 'Region' });
    const mid = await a.folders.create({ vaultId: v.id, parentId: top.id, name: 'Site' });
    const low = await a.folders.create({ vaultId: v.id, parentId: mid.id, name: 'Rack' });
    const leaf = await a.folders.create({ vaultId: v.id, parentId: low.id, name: 'Host' });
    await a.folders.create({ vaultId: v.id, parentId: leaf.id, name: 'Below' });
    const other = await a.folders.create({ vaultId: v.id, name: 'Elsewhere' });
    await a.folders.create({ vaultId: v.id, parentId: other.id, name: 'Hidden' });
    await a.vaults.create({ name: 'Other vault' });
    Object.assign(ids, { vault: v.id, top: top.id, mid: mid.id, leaf: leaf.id });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [name, level, visible] of [
    ['Site', 'mid', ['Region', 'Site']],
    ['Host', 'leaf', ['Region', 'Site', 'Rack', 'Host']],
  ] as const) {
    it(`a fresh page at ${name}'s URL shows the path to it expanded and ${name} selected`, async () => {
      const ctx = await newContext(browser);
      const page = await ctx.newPage();
      const errors: string[] = [];
      watchErrors(page, errors);
      const rec = await recordRequests(page);
      await signIn(page, server.base, ADMIN.username, ADMIN.password);
      await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
      // a new document at the deep URL: nothing of the tree is in memory
      await rec.reset();
      await page.goto(`${server.base}/vaults/${ids.vault}/folders/${ids[level]}`);
      await page.getByRole('heading', { name, level: 1 }).waitFor();
      const tree = page.getByRole('treegrid', { name: 'Vaults and folders' });
      const row = tree.getByRole('row', { name, exact: true });
      await row.waitFor();
      assert.equal(await row.getAttribute('aria-selected'), 'true', `${name} is the selected row`);
      assert.ok(await row.isVisible());
      for (const n of visible) assert.ok(await tree.getByRole('row', { name: n, exact: true }).isVisible(), `${n} is shown`);
      // the path is expanded, not everything
      assert.equal(await tree.getByRole('row', { name: 'Deep', exact: true }).getAttribute('aria-expanded'), 'true');
      for (const n of visible.slice(0, -1))
        assert.equal(await tree.getByRole('row', { name: n, exact: true }).getAttribute('aria-expanded'), 'true', `${n} is expanded`);
      assert.equal(await tree.getByRole('row', { name: 'Hidden', exact: true }).count(), 0, 'a folder off the path stays collapsed');
      assert.equal(await tree.getByRole('row', { name: 'Below', exact: true }).count(), 0, 'the current folder itself is not expanded');
      await rec.idle();
      const d = await rec.depth();
      console.log(`${name}: request depth ${d.depth} (${d.timeline})`);
      // the path and its child lists come in one request beside the page's own
      assert.ok(d.depth <= 2, `${name}: a request chain of ${d.depth}: ${d.chain.join(' -> ')}`);
      await shot(page, `tree-deep-${name.toLowerCase()}`);
      assert.deepEqual(errors, []);
      await ctx.close();
    });
  }
});
