import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { adminToken, call, createUser, dialects, type Harness, startHarness } from '../../../test/harness.ts';

// Canaries: values that must never show in an export file, a report or an error.
const CANARY = {
  csv1: 'csv-canary-1,"q"',
  csv2: 'csv-canary-2-Zx',
  kp1: 'kp-canary-1 & <x>',
  kpPin: 'kp-canary-pin-77',
  kpOld: 'kp-canary-old-in-history',
  kpBin: 'kp-canary-in-recycle-bin',
  kp2: 'kp-canary-2-web01',
  bw1: 'bw-canary-1-aws',
  bwHidden: 'bw-canary-hidden-key',
  bwNote: 'bw-canary-note-text',
  bwCard: '4111111111111111',
};

const CSV = [
  'name,username,password,url,notes,folder,totp,tags',
  `"Mail, personal",alice,"csv-canary-1,""q""",https://mail.example.com,"line1\nline2",Personal/Email,JBSWY3DPEHPK3PXP,"a,b"`,
  `Bank,bob,${CANARY.csv2},https://bank.example.com,,Finance,,`,
  'Note only,,,,just a note,,,',
  ',,,,,,,',
].join('\r\n');

const KEEPASS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<KeePassFile>
  <Meta>
    <Generator>KeePassXC</Generator>
    <RecycleBinEnabled>True</RecycleBinEnabled>
    <RecycleBinUUID>cmVjeWNsZWJpbnV1aWQwMQ==</RecycleBinUUID>
  </Meta>
  <Root>
    <Group>
      <UUID>cm9vdGdyb3VwdXVpZDAwMQ==</UUID>
      <Name>Root</Name>
      <Entry>
        <UUID>ZW50cnl1dWlkMDAwMDAwMQ==</UUID>
        <Tags>infra;prod</Tags>
        <String><Key>Title</Key><Value>Top entry</Value></String>
        <String><Key>UserName</Key><Value>root</Value></String>
        <String><Key>Password</Key><Value ProtectInMemory="True">kp-canary-1 &amp; &lt;x&gt;</Value></String>
        <String><Key>URL</Key><Value>https://top.example.com</Value></String>
        <String><Key>Notes</Key><Value>multi&#10;line</Value></String>
        <String><Key>otp</Key><Value ProtectInMemory="True">otpauth://totp/top?secret=JBSWY3DPEHPK3PXP&amp;period=30</Value></String>
        <String><Key>PIN</Key><Value ProtectInMemory="True">${CANARY.kpPin}</Value></String>
        <String><Key>Account no</Key><Value>12345</Value></String>
        <History>
          <Entry>
            <String><Key>Title</Key><Value>Old title</Value></String>
            <String><Key>Password</Key><Value>${CANARY.kpOld}</Value></String>
          </Entry>
        </History>
      </Entry>
      <Group>
        <UUID>c2VydmVyc3V1aWQwMDAwMQ==</UUID>
        <Name>Servers</Name>
        <Group>
          <UUID>bGludXh1dWlkMDAwMDAwMQ==</UUID>
          <Name>Linux</Name>
          <Entry>
            <String><Key>Title</Key><Value>web01</Value></String>
            <String><Key>UserName</Key><Value>deploy</Value></String>
            <String><Key>Password</Key><Value ProtectInMemory="True">${CANARY.kp2}</Value></String>
          </Entry>
        </Group>
        <Group><UUID>ZW1wdHl1dWlkMDAwMDAwMQ==</UUID><Name>Empty</Name></Group>
      </Group>
      <Group>
        <UUID>cmVjeWNsZWJpbnV1aWQwMQ==</UUID>
        <Name>Recycle Bin</Name>
        <Entry>
          <String><Key>Title</Key><Value>deleted one</Value></String>
          <String><Key>Password</Key><Value>${CANARY.kpBin}</Value></String>
        </Entry>
      </Group>
    </Group>
    <DeletedObjects/>
  </Root>
</KeePassFile>`;

const BITWARDEN = JSON.stringify({
  encrypted: false,
  folders: [
    { id: 'f-work', name: 'Work' },
    { id: 'f-cloud', name: 'Work/Cloud' },
  ],
  items: [
    {
      id: 'i1',
      type: 1,
      name: 'AWS',
      folderId: 'f-cloud',
      notes: null,
      favorite: false,
      fields: [
        { name: 'Account ID', value: '123456789012', type: 0 },
        { name: 'Secret key', value: CANARY.bwHidden, type: 1 },
        { name: 'MFA', value: 'true', type: 2 },
      ],
      login: {
        username: 'ops',
        password: CANARY.bw1,
        totp: 'JBSWY3DPEHPK3PXP',
        uris: [{ match: null, uri: 'https://aws.amazon.com' }, { uri: 'https://console.aws.amazon.com' }],
      },
    },
    { id: 'i2', type: 2, name: 'Wifi', folderId: 'f-work', notes: CANARY.bwNote, secureNote: { type: 0 } },
    {
      id: 'i3',
      type: 3,
      name: 'Visa',
      folderId: null,
      notes: '',
      card: { cardholderName: 'Ann Bee', brand: 'Visa', number: CANARY.bwCard, expMonth: '12', expYear: '2030', code: '123' },
    },
    { id: 'i4', type: 4, name: 'Me', identity: { firstName: 'Ann', lastName: 'Bee', email: 'ann@example.com' } },
    { id: 'i5', type: 99, name: 'from the future' },
  ],
});

const PASSPHRASE = 'export passphrase canary 42';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const hex = (s: string) => Buffer.from(s).toString('hex');

interface Listed {
  id: string;
  name: string;
  path: string;
  template: string;
  username: string;
  url: string;
  tags: string[];
  fields: Record<string, string>;
  sensitiveFields: string[];
  customFields: Array<{ name: string; type: string; value: string | null }>;
}

for (const dialect of dialects) {
  describe(`import and export [${dialect}]`, () => {
    let h: Harness;
    let admin: string;
    let owner: Awaited<ReturnType<typeof createUser>>;
    let outsider: Awaited<ReturnType<typeof createUser>>;
    let viewer: Awaited<ReturnType<typeof createUser>>;
    const vault = { a: '', b: '', c: '' };

    const newVault = async (name: string) => {
      const v = await call(h, 'POST', '/api/v1/vaults', { token: owner.token, body: { name: `${name} ${dialect}` } });
      assert.equal(v.status, 201, v.raw);
      return v.body.id as string;
    };
    const list = async (vaultId: string): Promise<Listed[]> => {
      const r = await call(h, 'GET', `/api/v1/secrets?vaultId=${vaultId}&limit=500`, { token: owner.token });
      assert.equal(r.status, 200, r.raw);
      return r.body.items;
    };
    const reveal = async (id: string) => {
      const r = await call(h, 'POST', `/api/v1/secrets/${id}/reveal`, { token: owner.token, body: {} });
      assert.equal(r.status, 200, r.raw);
      return r.body.values as Record<string, string>;
    };
    const folderPaths = async (vaultId: string) => {
      const out: string[] = [];
      const walk = async (parentId?: string) => {
        const r = await call(h, 'GET', `/api/v1/folders?vaultId=${vaultId}${parentId ? `&parentId=${parentId}` : ''}`, {
          token: owner.token,
        });
        assert.equal(r.status, 200, r.raw);
        for (const f of r.body.items) {
          out.push(f.path);
          await walk(f.id);
        }
      };
      await walk();
      return out.sort();
    };
    const importFile = (token: string, body: Record<string, unknown>) => call(h, 'POST', '/api/v1/import', { token, body });
    const byName = (items: Listed[], name: string) => {
      const s = items.find((x) => x.name === name);
      assert.ok(s, `secret ${name}`);
      return s;
    };
    const assertNoCanary = (text: string, where: string) => {
      for (const c of Object.values(CANARY)) {
        for (const form of [c, b64(c), hex(c), b64(c).slice(0, 12)])
          assert.ok(!text.includes(form), `${where} holds a canary (${form.slice(0, 6)}…)`);
      }
    };

    before(async () => {
      h = await startHarness(dialect);
      admin = await adminToken(h);
      owner = await createUser(h, admin, 'password_administrator');
      outsider = await createUser(h, admin, 'password_user');
      viewer = await createUser(h, admin, 'password_user');
      vault.a = await newVault('Imports');
      vault.b = await newVault('Restored');
      vault.c = await newVault('Untouched');
    });
    after(async () => h.close());

    it('CSV: a dry run reports what a real import then creates (quoted commas, newlines, folders)', async () => {
      const dry = await importFile(owner.token, { format: 'csv', content: CSV, vaultId: vault.a, dryRun: true });
      assert.equal(dry.status, 200, dry.raw);
      assert.equal(dry.body.dryRun, true);
      assert.equal(dry.body.created, 3);
      assert.equal(dry.body.folders, 3);
      assert.deepEqual(dry.body.skipped, [{ index: 3, reason: 'empty row' }]);
      assert.ok(dry.body.items.every((i: { id?: string }) => i.id === undefined));
      assertNoCanary(dry.raw, 'the dry-run report');
      assert.equal((await list(vault.a)).length, 0, 'a dry run creates no secret');
      assert.deepEqual(await folderPaths(vault.a), [], 'a dry run creates no folder');

      const real = await importFile(owner.token, { format: 'csv', content: CSV, vaultId: vault.a });
      assert.equal(real.status, 200, real.raw);
      assert.equal(real.body.dryRun, false);
      assert.equal(real.body.created, dry.body.created);
      assert.equal(real.body.folders, dry.body.folders);
      assert.deepEqual(real.body.skipped, dry.body.skipped);
      assert.deepEqual(
        real.body.items.map((i: { name: string; path: string; template: string }) => [i.name, i.path, i.template]),
        dry.body.items.map((i: { name: string; path: string; template: string }) => [i.name, i.path, i.template]),
      );
      assert.ok(real.body.items.every((i: { id?: string }) => /^sec_/.test(i.id ?? '')));
      assertNoCanary(real.raw, 'the import report');

      assert.deepEqual(await folderPaths(vault.a), ['/Finance', '/Personal', '/Personal/Email']);
      const items = await list(vault.a);
      const mail = byName(items, 'Mail, personal');
      assert.equal(mail.path, '/Personal/Email');
      assert.equal(mail.template, 'web-login');
      assert.equal(mail.username, 'alice');
      assert.deepEqual(mail.tags.sort(), ['a', 'b']);
      assert.deepEqual(mail.sensitiveFields, ['notes', 'otp', 'password']);
      const values = await reveal(mail.id);
      assert.equal(values.password, CANARY.csv1);
      assert.equal(values.notes, 'line1\nline2');
      assert.equal(values.otp, 'JBSWY3DPEHPK3PXP');
      assert.equal(byName(items, 'Bank').path, '/Finance');
      const note = byName(items, 'Note only');
      assert.equal(note.template, 'secure-note');
      assert.equal(note.path, '/');
      // it is searchable like any secret, and has its first version
      const found = await call(h, 'GET', `/api/v1/secrets?q=${encodeURIComponent('personal/email')}`, { token: owner.token });
      assert.ok(found.body.items.some((s: Listed) => s.id === mail.id));
      const hist = await call(h, 'GET', `/api/v1/secrets/${mail.id}/history`, { token: owner.token });
      assert.equal(hist.body.items.length, 1);
      assert.equal(hist.body.items[0].action, 'import');
      const v1 = await call(h, 'POST', `/api/v1/secrets/${mail.id}/history/1/reveal`, { token: owner.token, body: {} });
      assert.equal(v1.body.values.password, CANARY.csv1);

      // importing again reuses the folders (same names, any case) instead of failing or duplicating them
      const again = await importFile(owner.token, {
        format: 'csv',
        content: CSV.replace('Personal/Email', 'PERSONAL/email'),
        vaultId: vault.a,
        dryRun: true,
      });
      assert.equal(again.status, 200, again.raw);
      assert.equal(again.body.folders, 0);
    });

    it('KeePass XML: nested groups below a folder, protected strings, otp; no recycle bin, no history', async () => {
      const kp = await call(h, 'POST', '/api/v1/folders', { token: owner.token, body: { vaultId: vault.a, name: 'KeePass' } });
      assert.equal(kp.status, 201);
      const dry = await importFile(owner.token, {
        format: 'keepass-xml',
        content: KEEPASS,
        vaultId: vault.a,
        folderId: kp.body.id,
        dryRun: true,
      });
      assert.equal(dry.status, 200, dry.raw);
      assert.deepEqual([dry.body.created, dry.body.folders], [2, 3]);
      const r = await importFile(owner.token, { format: 'keepass-xml', content: KEEPASS, vaultId: vault.a, folderId: kp.body.id });
      assert.equal(r.status, 200, r.raw);
      assert.deepEqual([r.body.created, r.body.folders], [2, 3]);
      assert.deepEqual(r.body.skipped, [{ index: 2, reason: 'in the recycle bin' }]);
      assertNoCanary(r.raw, 'the import report');
      const paths = await folderPaths(vault.a);
      for (const p of ['/KeePass', '/KeePass/Servers', '/KeePass/Servers/Linux', '/KeePass/Servers/Empty']) assert.ok(paths.includes(p), p);
      assert.ok(!paths.some((p) => p.includes('Recycle')), 'no recycle bin folder');

      const items = await list(vault.a);
      const top = byName(items, 'Top entry');
      assert.equal(top.path, '/KeePass');
      assert.equal(top.url, 'https://top.example.com');
      assert.deepEqual(top.tags.sort(), ['infra', 'prod']);
      assert.deepEqual(top.customFields, [
        { name: 'PIN', type: 'password', value: null },
        { name: 'Account no', type: 'text', value: '12345' },
      ]);
      const values = await reveal(top.id);
      assert.equal(values.password, CANARY.kp1);
      assert.equal(values['custom:PIN'], CANARY.kpPin);
      assert.equal(values.otp, 'otpauth://totp/top?secret=JBSWY3DPEHPK3PXP&period=30');
      assert.equal(values.notes, 'multi\nline');
      assert.equal(byName(items, 'web01').path, '/KeePass/Servers/Linux');
      assert.ok(!items.some((s) => s.name === 'Old title' || s.name === 'deleted one'), 'history and recycle bin are left out');
    });

    it('Bitwarden JSON: nested folders, login with totp and hidden field, note, card, identity', async () => {
      const r = await importFile(owner.token, { format: 'bitwarden-json', content: BITWARDEN, vaultId: vault.a });
      assert.equal(r.status, 200, r.raw);
      assert.deepEqual([r.body.created, r.body.folders], [4, 2]);
      assert.deepEqual(r.body.skipped, [{ index: 4, reason: 'unsupported item type' }]);
      const items = await list(vault.a);
      const aws = byName(items, 'AWS');
      assert.equal(aws.path, '/Work/Cloud');
      assert.equal(aws.template, 'web-login');
      assert.deepEqual(aws.customFields, [
        { name: 'Account ID', type: 'text', value: '123456789012' },
        { name: 'Secret key', type: 'password', value: null },
        { name: 'MFA', type: 'text', value: 'true' },
        { name: 'URL 2', type: 'text', value: 'https://console.aws.amazon.com' },
      ]);
      const v = await reveal(aws.id);
      assert.equal(v.password, CANARY.bw1);
      assert.equal(v.otp, 'JBSWY3DPEHPK3PXP');
      assert.equal(v['custom:Secret key'], CANARY.bwHidden);
      assert.equal(byName(items, 'Wifi').path, '/Work');
      const visa = byName(items, 'Visa');
      assert.equal(visa.template, 'secure-note');
      assert.match((await reveal(visa.id)).notes ?? '', new RegExp(`Number: ${CANARY.bwCard}`));
      assert.match((await reveal(byName(items, 'Me').id)).notes ?? '', /Name: Ann Bee\nEmail: ann@example\.com/);

      const enc = await importFile(owner.token, {
        format: 'bitwarden-json',
        content: JSON.stringify({ encrypted: true, passwordProtected: true, salt: 'x', data: '2.abc' }),
        vaultId: vault.a,
      });
      assert.equal(enc.status, 400);
      assert.equal(enc.body.error.code, 'validation.failed');
      assert.match(enc.body.error.message, /encrypted/);
    });

    it('refuses XXE and DOCTYPE input with 400 and creates nothing', async () => {
      const before = (await list(vault.c)).length;
      for (const content of [
        '<?xml version="1.0"?><!DOCTYPE KeePassFile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><KeePassFile><Root><Group><Name>&xxe;</Name></Group></Root></KeePassFile>',
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><KeePassFile>&lol1;</KeePassFile>',
        '<KeePassFile><Root><Group><Name>&xxe;</Name></Group></Root></KeePassFile>',
        '<?xml version="1.0"?><!DOCTYPE KeePassFile SYSTEM "http://127.0.0.1:9/x.dtd"><KeePassFile><Root><Group><Name>G</Name></Group></Root></KeePassFile>',
      ]) {
        const r = await importFile(owner.token, { format: 'keepass-xml', content, vaultId: vault.c });
        assert.equal(r.status, 400, r.raw);
        assert.equal(r.body.error.code, 'validation.failed');
        assert.match(r.body.error.message, /document type|entit/);
        assert.ok(!r.raw.includes('root:'), 'no file content in the answer');
      }
      assert.equal((await list(vault.c)).length, before);
      assert.deepEqual(await folderPaths(vault.c), []);
    });

    it('answers malformed files with 400, never 5xx', async () => {
      const bad: Array<[string, string]> = [
        ['csv', '"never closed'],
        ['csv', 'a,b\n"x"y,z'],
        ['csv', 'nothing,known\n1,2'],
        ['keepass-xml', '<KeePassFile><Root>'],
        ['keepass-xml', '<html/>'],
        ['keepass-xml', 'not xml at all'],
        ['bitwarden-json', '{"items":'],
        ['bitwarden-json', '[1,2]'],
        ['bitwarden-json', '{"items":{}}'],
        ['coffer-export', '{"format":"coffer-export"}'],
      ];
      for (const [format, content] of bad) {
        const r = await importFile(owner.token, {
          format,
          content,
          vaultId: vault.c,
          ...(format === 'coffer-export' ? { passphrase: PASSPHRASE } : {}),
        });
        assert.equal(r.status, 400, `${format} ${JSON.stringify(content)}: ${r.raw}`);
        assert.equal(r.body.error.code, 'validation.failed');
      }
      const odd = await importFile(owner.token, {
        format: 'bitwarden-json',
        content: JSON.stringify({ items: [null, 1, { type: 1 }, { type: 1, login: 'x', fields: 'y' }, { type: 2, notes: { a: 1 } }] }),
        vaultId: vault.c,
        dryRun: true,
      });
      assert.equal(odd.status, 200, odd.raw);
      assert.equal(odd.body.created, 0);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('csv', 'keepass-xml', 'bitwarden-json'),
          fc.oneof(
            fc.string({ minLength: 1, maxLength: 200 }),
            fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ items: [v], folders: [v] })),
            fc
              .array(
                fc.constantFrom(
                  '<KeePassFile>',
                  '<Root>',
                  '<Group>',
                  '</Group>',
                  '<Entry>',
                  '<String>',
                  '<Key>',
                  'Title',
                  '</Key>',
                  '<Value>',
                  '&amp;',
                  '"',
                  ',',
                  '\n',
                ),
                { minLength: 1, maxLength: 30 },
              )
              .map((p) => p.join('')),
          ),
          async (format, content) => {
            const r = await importFile(owner.token, { format, content, vaultId: vault.c, dryRun: true });
            assert.ok(r.status === 200 || r.status === 400, `${format}: ${r.status} ${r.raw}`);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('takes files above the global 1 MiB body limit (up to 50 MiB), and no more', async () => {
      const rows = ['name,password,notes'];
      for (let i = 0; i < 3000; i++) rows.push(`big ${i},pw${i},${'n'.repeat(600)}`);
      const content = rows.join('\n');
      assert.ok(content.length > 1024 * 1024 * 1.5);
      const r = await importFile(owner.token, { format: 'csv', content, vaultId: vault.c, dryRun: true });
      assert.equal(r.status, 200, r.raw.slice(0, 300));
      assert.equal(r.body.created, 3000);
      const huge = await importFile(owner.token, { format: 'csv', content: 'x'.repeat(51 * 1024 * 1024), vaultId: vault.c, dryRun: true });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.error.code, 'request.body_too_large');
      const exportTooBig = await call(h, 'POST', '/api/v1/export', {
        token: owner.token,
        body: { vaultId: vault.c, passphrase: PASSPHRASE, reason: 'x'.repeat(2 * 1024 * 1024) },
      });
      assert.equal(exportTooBig.status, 413, 'other routes keep the global limit');
    });

    it('needs edit on the target: 404 for what the caller cannot see, 403 below edit', async () => {
      const body = { format: 'csv', content: CSV, vaultId: vault.a };
      const hidden = await importFile(outsider.token, body);
      assert.equal(hidden.status, 404);
      const missing = await importFile(outsider.token, { ...body, vaultId: 'vlt_0000000000zzzzzzzzzzzzzzzz' });
      assert.deepEqual({ ...hidden.body.error, requestId: '' }, { ...missing.body.error, requestId: '' });
      const g = await call(h, 'POST', '/api/v1/grants', {
        token: owner.token,
        body: { nodeId: vault.a, principalType: 'user', principalId: viewer.id, level: 'view' },
      });
      assert.equal(g.status, 201);
      assert.equal((await importFile(viewer.token, body)).status, 403);
      // view is not reveal: the viewer's export holds nothing
      const ex = await call(h, 'POST', '/api/v1/export', { token: viewer.token, body: { vaultId: vault.a, passphrase: PASSPHRASE } });
      assert.equal(ex.status, 200, ex.raw);
      assert.equal(ex.body.count, 0);
      assert.equal(
        (await call(h, 'POST', '/api/v1/export', { token: outsider.token, body: { vaultId: vault.a, passphrase: PASSPHRASE } })).status,
        404,
      );
      const short = await call(h, 'POST', '/api/v1/export', { token: owner.token, body: { vaultId: vault.a, passphrase: 'too short' } });
      assert.equal(short.status, 400);
    });

    it('exports everything revealable, encrypted; imports it into another vault equal; a wrong passphrase creates nothing', async () => {
      const ex = await call(h, 'POST', '/api/v1/export', { token: owner.token, body: { vaultId: vault.a, passphrase: PASSPHRASE } });
      assert.equal(ex.status, 200, ex.raw);
      assert.equal(ex.body.format, 'coffer-export');
      const source = await list(vault.a);
      assert.equal(ex.body.count, source.length);
      assertNoCanary(ex.raw, 'the export');
      assert.ok(!ex.raw.includes(PASSPHRASE));
      const header = JSON.parse(ex.body.content);
      assert.equal(header.kdf.name, 'argon2id');
      assert.equal(header.cipher.name, 'aes-256-gcm');

      const wrong = await importFile(owner.token, {
        format: 'coffer-export',
        content: ex.body.content,
        passphrase: 'not the passphrase',
        vaultId: vault.c,
      });
      assert.equal(wrong.status, 400, wrong.raw);
      assert.equal(wrong.body.error.code, 'validation.failed');
      assert.equal(wrong.body.error.details[0].path, '/passphrase');
      const tampered = JSON.stringify({ ...header, data: `${header.data.slice(0, -8)}AAAAAAA=` });
      assert.equal(
        (await importFile(owner.token, { format: 'coffer-export', content: tampered, passphrase: PASSPHRASE, vaultId: vault.c })).status,
        400,
      );
      assert.equal((await importFile(owner.token, { format: 'coffer-export', content: ex.body.content, vaultId: vault.c })).status, 400);
      assert.equal((await list(vault.c)).length, 0, 'nothing created');
      assert.deepEqual(await folderPaths(vault.c), []);

      const dry = await importFile(owner.token, {
        format: 'coffer-export',
        content: ex.body.content,
        passphrase: PASSPHRASE,
        vaultId: vault.b,
        dryRun: true,
      });
      assert.equal(dry.status, 200, dry.raw);
      assert.equal(dry.body.created, source.length);
      const r = await importFile(owner.token, {
        format: 'coffer-export',
        content: ex.body.content,
        passphrase: PASSPHRASE,
        vaultId: vault.b,
      });
      assert.equal(r.status, 200, r.raw);
      assert.equal(r.body.created, source.length);
      assert.deepEqual(r.body.skipped, []);
      assert.equal(r.body.folders, dry.body.folders);
      assert.deepEqual(await folderPaths(vault.b), await folderPaths(vault.a));

      const restored = await list(vault.b);
      const key = (s: Listed) => `${s.path}|${s.name}`;
      const shape = async (s: Listed) => ({
        name: s.name,
        path: s.path,
        template: s.template,
        tags: [...s.tags].sort(),
        fields: s.fields,
        sensitiveFields: s.sensitiveFields,
        customFields: s.customFields,
        values: await reveal(s.id),
      });
      const a = await Promise.all([...source].sort((x, y) => key(x).localeCompare(key(y))).map(shape));
      const b = await Promise.all([...restored].sort((x, y) => key(x).localeCompare(key(y))).map(shape));
      assert.deepEqual(b, a);
      assert.ok(
        a.some((s) => s.values.password === CANARY.kp1),
        'values made the trip',
      );
    });

    it('writes one audit record per import and one per export, with counts and no values', async () => {
      const imports = await call(h, 'GET', '/api/v1/audit?action=secret.import&limit=1000', { token: admin });
      assert.equal(imports.status, 200);
      const ok = imports.body.items.filter((x: { outcome: string; details: { dryRun: boolean } | null }) => x.outcome === 'success');
      assert.ok(
        ok.some(
          (x: { details: Record<string, unknown> }) => x.details.format === 'csv' && x.details.created === 3 && x.details.dryRun === false,
        ),
      );
      assert.ok(ok.some((x: { details: Record<string, unknown> }) => x.details.format === 'keepass-xml' && x.details.folders === 3));
      const failed = imports.body.items.filter((x: { outcome: string }) => x.outcome !== 'success');
      assert.ok(
        failed.some((x: { reason: string }) => x.reason === 'validation.failed'),
        'refused imports are recorded too',
      );
      const exports = await call(h, 'GET', '/api/v1/audit?action=secret.export&limit=1000', { token: admin });
      const full = exports.body.items.find(
        (x: { actorId: string; details: { count?: number } | null }) => x.actorId === owner.id && (x.details?.count ?? 0) > 0,
      );
      assert.ok(full, 'the export is audited');
      assert.equal(full.details.ids.length, full.details.count);
      assertNoCanary(JSON.stringify(imports.body) + JSON.stringify(exports.body), 'the audit trail');
      assertNoCanary(h.logs(), 'the logs');
    });

    it('asks for a reason when a policy requires one to reveal', async () => {
      const v = await newVault('Guarded');
      await call(h, 'PATCH', `/api/v1/vaults/${v}`, { token: owner.token, body: { policy: { requireReason: true } } });
      const r = await importFile(owner.token, { format: 'csv', content: CSV, vaultId: v });
      assert.equal(r.status, 200, r.raw);
      const no = await call(h, 'POST', '/api/v1/export', { token: owner.token, body: { vaultId: v, passphrase: PASSPHRASE } });
      assert.equal(no.status, 400);
      assert.equal(no.body.error.details[0].path, '/reason');
      const yes = await call(h, 'POST', '/api/v1/export', {
        token: owner.token,
        body: { vaultId: v, passphrase: PASSPHRASE, reason: 'migration' },
      });
      assert.equal(yes.status, 200, yes.raw);
      assert.equal(yes.body.count, 3);
    });

    if (dialect === 'sqlite') {
      it('imports 10,000 CSV rows in one request (timing printed, not asserted)', async () => {
        const v = await newVault('Bulk');
        const rows = ['name,username,password,url,notes,folder'];
        for (let i = 0; i < 10_000; i++)
          rows.push(`entry ${i},user${i},pw-${i}-${'x'.repeat(12)},https://host${i % 50}.example.com,,group ${i % 20}/sub ${i % 3}`);
        const content = rows.join('\r\n');
        const t0 = performance.now();
        const r = await importFile(owner.token, { format: 'csv', content, vaultId: v });
        const ms = performance.now() - t0;
        assert.equal(r.status, 200, r.raw.slice(0, 300));
        assert.equal(r.body.created, 10_000);
        assert.equal(r.body.folders, 80);
        console.log(
          `[transfer] import of 10,000 CSV rows on ${dialect}: ${(ms / 1000).toFixed(2)} s (${Math.round(10_000 / (ms / 1000))} rows/s, ${(content.length / 1024).toFixed(0)} KiB)`,
        );
        const one = await call(h, 'GET', `/api/v1/secrets?vaultId=${v}&q=${encodeURIComponent('entry 9999')}`, { token: owner.token });
        assert.equal((await reveal(one.body.items[0].id)).password, `pw-9999-${'x'.repeat(12)}`);
      });
    }
  });
}
