// The account and the audit trail through the UI against the real server: a user turns TOTP on from
// the account screen (the key shown, a code confirms it, the recovery codes shown once), then signs
// in with a TOTP code and, in another browser, with a recovery code; the administrator's audit
// screen exports the trail as JSON lines and, after a record is altered in the store, the chain
// verification names the first bad record.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@coffer/sdk/client';
import type { Browser, Page } from 'playwright-core';
import { ADMIN } from '../../server/test/harness.ts';
import { launch, newContext, type Server, shot, signIn, startServer, totp, watchErrors } from './helpers.ts';

describe('web UI: TOTP enrolment and the audit trail', { timeout: 180_000 }, () => {
  let server: Server;
  let browser: Browser;
  const errors: string[] = [];
  const hank = { username: 'hank', temp: 'hank-temporary-passphrase-18', password: 'hank-own-long-passphrase-9f0' };
  let seed = '';
  let recovery: string[] = [];

  before(async () => {
    server = await startServer();
    await server.admin.users.create({ username: hank.username, password: hank.temp, role: 'password_user' });
    const h = createClient({ baseUrl: server.base });
    await h.auth.login(hank.username, hank.temp);
    await h.users.changeOwnPassword(hank.temp, hank.password);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const fresh = async (): Promise<Page> => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    watchErrors(page, errors);
    return page;
  };

  it('turns TOTP on from the account screen; the recovery codes are shown once', async () => {
    const page = await fresh();
    await signIn(page, server.base, hank.username, hank.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await page.goto(`${server.base}/admin/account`);
    const totpSection = page.getByRole('region', { name: 'Two-factor sign-in (TOTP)' });
    await totpSection.getByLabel('Your password').fill(hank.password);
    await totpSection.getByRole('button', { name: 'Set up TOTP' }).click();
    await totpSection.getByText('Add this key to your authenticator app').waitFor();
    seed = ((await totpSection.locator('code').textContent()) ?? '').trim();
    assert.match(seed, /^[A-Z2-7]{16,}$/, 'the key is shown (base32)');
    await totpSection.getByLabel('Code').fill(totp(seed));
    await totpSection.getByRole('button', { name: 'Turn on' }).click();
    const codes = totpSection.getByRole('alert').filter({ hasText: 'TOTP is on' });
    await codes.waitFor();
    recovery = (await codes.getByRole('listitem').allTextContents()).map((c) => c.trim());
    assert.ok(recovery.length >= 8, `recovery codes shown (${recovery.length})`);
    await shot(page, 'screen-totp-recovery-codes');
    // shown once: after a reload the codes are nowhere on the page, and TOTP is on for the server
    await page.reload();
    await page.getByRole('heading', { name: 'Two-factor sign-in (TOTP)' }).waitFor();
    const html = await page.content();
    for (const c of recovery) assert.ok(!html.includes(c), 'a recovery code is shown again');
    assert.ok(!html.includes(seed), 'the key is shown again');
    const audit = await server.admin.audit.list({ action: 'mfa.*', limit: 20 });
    const enabled = audit.items.find((r) => r.action === 'mfa.totp_enable' && r.actorName === hank.username);
    assert.ok(enabled, 'the enrolment is audited');
    assert.equal(enabled.via, 'web');
    assert.ok(!JSON.stringify(audit.items).includes(seed), 'the key is in no audit record');
    // without a code, the password alone no longer signs hank in
    const native = createClient({ baseUrl: server.base });
    await assert.rejects(native.auth.login(hank.username, hank.password), /mfa_required|code/i);
    await page.context().close();
  });

  it('signs in with a TOTP code, and in another browser with a recovery code (used once)', async () => {
    const page = await fresh();
    // the step after the one that confirmed the enrolment (a code works once)
    await signIn(page, server.base, hank.username, hank.password, () => totp(seed, 1));
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await page.context().close();

    const other = await fresh();
    await signIn(other, server.base, hank.username, hank.password);
    await other.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await other.getByLabel('Recovery code').fill(recovery[0]!);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await other.context().close();
    // the same recovery code is spent
    const native = createClient({ baseUrl: server.base });
    await assert.rejects(native.auth.login(hank.username, hank.password, { recoveryCode: recovery[0]! }));
    const logins = await server.admin.audit.list({ action: 'auth.login', limit: 50 });
    const hankWeb = logins.items.filter((r) => r.actorName === hank.username && r.via === 'web' && r.outcome === 'success');
    assert.ok(hankWeb.length >= 3, `hank's web sign-ins are audited (${hankWeb.length})`);
  });

  it('exports the audit trail as JSON lines; a record altered in the store is named as the first bad one', async () => {
    const page = await fresh();
    await signIn(page, server.base, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'Vaults', level: 1 }).waitFor();
    await page.goto(`${server.base}/audit`);
    const verify = page.getByRole('region', { name: 'Chain verification' });
    await verify.getByText('intact').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export (JSON lines)' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^coffer-audit-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as { seq: number; action: string; actorName: string | null });
    await page
      .getByRole('status')
      .filter({ hasText: `Exported ${records.length} records.` })
      .waitFor();
    const seqs = records.map((r) => r.seq).sort((a, b) => a - b);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => seqs[0]! + i),
      'no record is missing from the export',
    );
    assert.ok(records.some((r) => r.action === 'mfa.totp_enable' && r.actorName === hank.username));
    const exported = await server.admin.audit.list({ action: 'audit.export', limit: 5 });
    assert.ok(
      exported.items.some((r) => r.via === 'web'),
      'the export is audited',
    );

    // tamper with one record in the store: the screen reports the chain broken at that record
    const db = server.h.database.db;
    const target = await db.selectFrom('audit_log').select('seq').where('action', '=', 'mfa.totp_enable').executeTakeFirstOrThrow();
    await db.updateTable('audit_log').set({ outcome: 'denied' }).where('seq', '=', target.seq).execute();
    await verify.getByRole('button', { name: 'Verify again' }).click();
    await verify.getByText('broken').waitFor();
    assert.match((await verify.textContent()) ?? '', new RegExp(`First bad record: #${Number(target.seq)}\\b`));
    await shot(page, 'screen-audit-broken-chain');
    assert.deepEqual(errors, []);
  });
});
