import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCleanName, isCleanText } from '@coffer/contracts/text';
import fc from 'fast-check';
import { AppError } from '../../lib/app-error.ts';
import { parseBitwardenJson } from './bitwarden-import.ts';
import { parseCsv } from './csv.ts';
import { parseCsvImport } from './csv-import.ts';
import { finish, type ImportEntry, isSkip } from './entries.ts';
import { exportSealer, openExportFile, payloadEntries } from './export-file.ts';
import { parseKeePassXml } from './keepass-import.ts';
import { parseXml } from './xml.ts';

const isValidationError = (e: unknown) => e instanceof AppError && e.code === 'validation.failed';

/** RFC 4180 writer for the round-trip property (quotes every field that needs it). */
const writeCsv = (rows: string[][], eol: string) =>
  rows.map((r) => r.map((c) => (/[",\r\n]/.test(c) || c === '' ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join(eol) + eol;

describe('CSV (RFC 4180)', () => {
  it('reads quoted commas, escaped quotes, embedded line breaks, CRLF, LF and CR, a BOM, and drops empty lines', () => {
    const text = '\ufeffa,b,c\r\n"x, y","he said ""hi""","two\r\nlines"\n\n1,,\r"",x,"y"';
    assert.deepEqual(parseCsv(text), [
      ['a', 'b', 'c'],
      ['x, y', 'he said "hi"', 'two\r\nlines'],
      ['1', '', ''],
      ['', 'x', 'y'],
    ]);
    assert.deepEqual(parseCsv('a,b\n1,2\n'), [
      ['a', 'b'],
      ['1', '2'],
    ]);
    assert.deepEqual(parseCsv('a,b,\n'), [['a', 'b', '']]);
    assert.deepEqual(parseCsv('ab"c,d'), [['ab"c', 'd']], 'a quote inside an unquoted field is a character');
  });

  it('refuses an unclosed quote and text after a closing quote, naming the line only', () => {
    for (const bad of ['a\n"open field, never closed', 'a\n"x"y,z']) {
      assert.throws(
        () => parseCsv(bad),
        (e: unknown) => isValidationError(e) && /line 2/.test((e as Error).message) && !(e as Error).message.includes('never closed,'),
      );
    }
  });

  it('round-trips any table (property)', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '😀'), maxLength: 8 });
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((w) => fc.array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 6 })),
        fc.constantFrom('\r\n', '\n'),
        (rows, eol) => {
          // a lone empty field on a line is an empty line (dropped), as spreadsheets read it
          const expected = rows.filter((r) => !(r.length === 1 && r[0] === ''));
          assert.deepEqual(
            parseCsv(writeCsv(rows, eol)).filter((r) => !(r.length === 1 && r[0] === '')),
            expected,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('maps columns case-insensitively, nests folders, and makes password-less rows secure notes', () => {
    const r = parseCsvImport(
      'Title,Login,PASSWORD,Website,Extra,Grouping,OTP,Tags,Ignored\r\n' +
        'Mail,ann,pw1,https://mail.example.com,n1,Personal\\Email,SEED,"a;b, c",x\r\n' +
        ',bob,,https://bank.example.com,,,,,\r\n' +
        ',,,,,,,,\r\n' +
        'Too,many,cells,,,,,,,extra\r\n',
    );
    assert.equal(r.entries.length, 2);
    const [mail, bank] = r.entries as [ImportEntry, ImportEntry];
    assert.equal(mail.template, 'web-login');
    assert.deepEqual(mail.fields, { password: 'pw1', url: 'https://mail.example.com', username: 'ann', otp: 'SEED', notes: 'n1' });
    assert.deepEqual(mail.folder, ['Personal', 'Email']);
    assert.deepEqual(mail.tags, ['a', 'b', 'c']);
    assert.equal(bank.template, 'secure-note');
    assert.equal(bank.name, 'bank.example.com', 'a nameless entry is named after its host');
    assert.match(bank.fields.notes ?? '', /Username: bob\nURL: https:\/\/bank\.example\.com/);
    assert.deepEqual(
      r.skipped.map((s) => s.index),
      [2, 3],
    );
  });

  it('needs a header naming known columns', () => {
    assert.throws(() => parseCsvImport('foo,bar\n1,2\n'), isValidationError);
    assert.throws(() => parseCsvImport('\n\n'), isValidationError);
  });
});

describe('XML parser', () => {
  it('decodes the predefined entities, character references and CDATA; normalises line ends', () => {
    const doc = parseXml(
      '\ufeff<?xml version="1.0"?><!-- c --><a x="1 &amp; 2" y=\'&quot;\'>t&lt;&#65;&#x1F600;<![CDATA[<&>]]>\r\n<b/></a>',
    );
    assert.equal(doc.attrs.x, '1 & 2');
    assert.equal(doc.attrs.y, '"');
    assert.equal(doc.text, 't<A😀<&>\n');
    assert.equal(doc.children[0]?.name, 'b');
  });

  it('refuses DTDs, entity declarations (XXE, billion laughs) and unknown entities', () => {
    const attacks = [
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>',
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
      '<r><!ENTITY x "y"></r>',
      '<r>&xxe;</r>',
      '<r a="&ext;"/>',
    ];
    for (const a of attacks) assert.throws(() => parseXml(a), isValidationError, a);
  });

  it('refuses malformed documents with a 400-type error, never anything else (property)', () => {
    for (const bad of [
      '',
      'text',
      '<a>',
      '<a></b>',
      '<a/><b/>',
      '<a x=1/>',
      '<a x="1" x="2"/>',
      '<a>&#0;</a>',
      '<a>&amp</a>',
      '<a><!-- x</a>',
    ]) {
      assert.throws(() => parseXml(bad), isValidationError, JSON.stringify(bad));
    }
    const deep = `${'<a>'.repeat(300)}${'</a>'.repeat(300)}`;
    assert.throws(() => parseXml(deep), isValidationError);
    const piece = fc.constantFrom(
      '<a>',
      '</a>',
      '<b x="1">',
      '</b>',
      '<c/>',
      '&amp;',
      '&',
      '<![CDATA[',
      ']]>',
      '<!--',
      '-->',
      '<?x?>',
      'txt',
      '"',
      '<',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
        try {
          parseXml(parts.join(''));
        } catch (e) {
          assert.ok(isValidationError(e), String(e));
        }
      }),
      { numRuns: 500 },
    );
  });
});

const keepass = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<KeePassFile>
  <Meta><RecycleBinEnabled>True</RecycleBinEnabled><RecycleBinUUID>YmluYmluYmluYmluYmluMQ==</RecycleBinUUID></Meta>
  <Root>
    <Group>
      <UUID>cm9vdHJvb3Ryb290cm9vdA==</UUID><Name>Root</Name>
      <Entry>
        <Tags>infra;prod</Tags>
        <String><Key>Title</Key><Value>Top</Value></String>
        <String><Key>Password</Key><Value ProtectInMemory="True">p&amp;1</Value></String>
        <String><Key>otp</Key><Value ProtectInMemory="True">otpauth://totp/x?secret=JBSWY3DPEHPK3PXP</Value></String>
        <String><Key>PIN</Key><Value ProtectInMemory="True">1234</Value></String>
        <String><Key>Account</Key><Value>42</Value></String>
        <History><Entry><String><Key>Title</Key><Value>Old</Value></String></Entry></History>
      </Entry>
      <Group><UUID>c2VydmVyc3NlcnZlcnNzZQ==</UUID><Name>Servers</Name>
        <Group><UUID>bGludXhsaW51eGxpbnV4bA==</UUID><Name>Linux/Unix</Name>
          <Entry><String><Key>Title</Key><Value>web01</Value></String><String><Key>Password</Key><Value>p2</Value></String></Entry>
        </Group>
      </Group>
      <Group><UUID>YmluYmluYmluYmluYmluMQ==</UUID><Name>Recycle Bin</Name>
        <Entry><String><Key>Title</Key><Value>gone</Value></String><String><Key>Password</Key><Value>p3</Value></String></Entry>
      </Group>
      <Entry><String><Key>Title</Key><Value>enc</Value></String><String><Key>Password</Key><Value Protected="True">AAAA</Value></String></Entry>
    </Group>
    <DeletedObjects/>
  </Root>
</KeePassFile>`;

describe('KeePass XML import', () => {
  it('maps groups to folders, skips the recycle bin and history, keeps protected strings encrypted', () => {
    const r = parseKeePassXml(keepass);
    assert.deepEqual(r.folders, [['Servers'], ['Servers', 'Linux-Unix']]);
    assert.deepEqual(
      r.entries.map((e) => [e.name, e.folder.join('/')]),
      [
        ['Top', ''],
        ['web01', 'Servers/Linux-Unix'],
      ],
    );
    const top = r.entries[0] as ImportEntry;
    assert.deepEqual(top.fields, { password: 'p&1', otp: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP' });
    assert.deepEqual(top.customFields, [
      { name: 'PIN', type: 'password', value: '1234' },
      { name: 'Account', type: 'text', value: '42' },
    ]);
    assert.deepEqual(top.tags, ['infra', 'prod']);
    assert.deepEqual(r.skipped, [
      { index: 2, reason: 'in the recycle bin' },
      { index: 3, reason: 'a value is still encrypted by KeePass (export as unencrypted XML)' },
    ]);
  });

  it('refuses other XML documents', () => {
    assert.throws(() => parseKeePassXml('<html><body/></html>'), isValidationError);
  });
});

describe('Bitwarden JSON import', () => {
  const bw = {
    encrypted: false,
    folders: [
      { id: 'f1', name: 'Work' },
      { id: 'f2', name: 'Work/Cloud' },
    ],
    items: [
      {
        type: 1,
        name: 'AWS',
        folderId: 'f2',
        notes: null,
        fields: [
          { name: 'Key', value: 'hidden', type: 1 },
          { name: 'On', value: 'true', type: 2 },
          { name: 'Linked', value: null, type: 3, linkedId: 100 },
        ],
        login: { username: 'ops', password: 'pw', totp: 'SEED', uris: [{ uri: 'https://a.example' }, { uri: 'https://b.example' }] },
      },
      { type: 2, name: 'Note', folderId: 'f1', notes: 'text' },
      { type: 3, name: 'Card', card: { cardholderName: 'A B', number: '4111', expMonth: '1', expYear: '2030', code: '123' } },
      { type: 4, name: 'Me', identity: { firstName: 'Ann', lastName: 'Bee' } },
      { type: 99, name: 'x' },
      'junk',
    ],
  };

  it('maps logins, notes, cards and identities; nested folders; hidden fields encrypted', () => {
    const r = parseBitwardenJson(JSON.stringify(bw));
    assert.deepEqual(r.folders, [['Work'], ['Work', 'Cloud']]);
    const [aws, note, card, me] = r.entries as [ImportEntry, ImportEntry, ImportEntry, ImportEntry];
    assert.equal(aws.template, 'web-login');
    assert.deepEqual(aws.folder, ['Work', 'Cloud']);
    assert.deepEqual(aws.fields, { password: 'pw', url: 'https://a.example', username: 'ops', otp: 'SEED' });
    assert.deepEqual(aws.customFields, [
      { name: 'Key', type: 'password', value: 'hidden' },
      { name: 'On', type: 'text', value: 'true' },
      { name: 'URL 2', type: 'text', value: 'https://b.example' },
    ]);
    assert.equal(note.template, 'secure-note');
    assert.equal(card.template, 'secure-note');
    assert.match(card.fields.notes ?? '', /Number: 4111\nExpires: 1\/2030\nSecurity code: 123/);
    assert.match(me.fields.notes ?? '', /Name: Ann Bee/);
    assert.deepEqual(r.skipped, [
      { index: 4, reason: 'unsupported item type' },
      { index: 5, reason: 'not an item' },
    ]);
  });

  it('refuses an encrypted export with a clear message, and non-exports', () => {
    assert.throws(
      () => parseBitwardenJson(JSON.stringify({ encrypted: true, passwordProtected: true, data: 'x' })),
      (e: unknown) => isValidationError(e) && /encrypted/.test((e as Error).message),
    );
    for (const bad of ['', '{', '[]', '{"items":{}}', 'null']) assert.throws(() => parseBitwardenJson(bad), isValidationError, bad);
  });

  it('never fails with anything but a validation error on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (items) => {
        try {
          parseBitwardenJson(JSON.stringify({ folders: items, items: Array.isArray(items) ? items : [items] }));
        } catch (e) {
          assert.ok(isValidationError(e), String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('Coffer export file', () => {
  const params = { memoryKiB: 19456, passes: 2 };
  const gate = <T>(fn: () => Promise<T>) => fn();
  const payload = {
    format: 'coffer-export-data' as const,
    version: 1 as const,
    exportedAt: new Date(0).toISOString(),
    folders: [['A'], ['A', 'B']],
    secrets: [
      {
        name: 's',
        path: ['A', 'B'],
        template: 'web-login',
        description: '',
        tags: ['t'],
        color: '',
        expiresAt: null,
        fields: { password: 'file-canary-9z' },
        customFields: [{ name: 'PIN', type: 'password' as const, value: '1' }],
      },
    ],
  };

  it('round-trips with the passphrase; a wrong passphrase or a changed header is refused alike', async () => {
    const sealer = await exportSealer('correct horse battery', params, gate);
    const content = sealer.seal(payload);
    sealer.wipe();
    assert.ok(!content.includes('file-canary-9z'));
    assert.ok(!content.includes(Buffer.from('file-canary-9z').toString('base64').slice(0, 16)));
    const back = await openExportFile(content, 'correct horse battery', { maxMemoryKiB: 65536 }, gate);
    assert.deepEqual(back, payload);
    assert.deepEqual(payloadEntries(back).entries[0]?.folder, ['A', 'B']);
    await assert.rejects(openExportFile(content, 'wrong horse battery', { maxMemoryKiB: 65536 }, gate), (e: unknown) => {
      return isValidationError(e) && (e as AppError).details?.[0]?.path === '/passphrase';
    });
    const header = JSON.parse(content);
    await assert.rejects(
      openExportFile(
        JSON.stringify({ ...header, kdf: { ...header.kdf, passes: 3 } }),
        'correct horse battery',
        { maxMemoryKiB: 65536 },
        gate,
      ),
      isValidationError,
    );
    await assert.rejects(
      openExportFile(JSON.stringify({ ...header, kdf: { ...header.kdf, memoryKiB: 4 * 1024 * 1024 } }), 'x', { maxMemoryKiB: 65536 }, gate),
      (e: unknown) => isValidationError(e) && /memory/.test(String((e as AppError).details?.[0]?.message)),
    );
    for (const bad of ['', 'null', '{}', '{"format":"coffer-export"}']) {
      await assert.rejects(openExportFile(bad, 'x', { maxMemoryKiB: 65536 }, gate), isValidationError);
    }
  });
});

describe('imported display text', () => {
  it('names, folders, tags and field names lose control characters and bidi overrides; descriptions keep lines; values stay exact (property)', () => {
    const hostileText = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\u001b', '\u009b', '\u202e', '\u2066', '\u2028', '\r', '\n', '\t', '\u007f', '\u0085'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      ),
      maxLength: 30,
    });
    fc.assert(
      fc.property(hostileText, hostileText, hostileText, hostileText, hostileText, (name, folder, tag, field, text) => {
        const value = text.replaceAll('\u0000', '');
        const b = finish(0, {
          name,
          folder: [folder],
          template: 'web-login',
          fields: { password: value },
          custom: [{ name: field, type: 'password', value }],
          tags: [tag],
          description: value,
        });
        if (isSkip(b)) return; // a value too long or with NUL: skipped, nothing stored
        assert.ok(isCleanName(b.name), JSON.stringify(b.name));
        for (const t of b.tags) assert.ok(isCleanName(t), JSON.stringify(t));
        for (const c of b.customFields) assert.ok(isCleanName(c.name), JSON.stringify(c.name));
        assert.ok(isCleanText(b.description), JSON.stringify(b.description));
        assert.equal(b.fields.password, value, 'a value is kept exactly');
        assert.equal(b.customFields[0]?.value, value);
      }),
      { numRuns: 1000 },
    );
  });

  it('a Bitwarden file with escapes in names and folders imports them visible-safe; CRLF in notes stays', () => {
    const r = parseBitwardenJson(
      JSON.stringify({
        encrypted: false,
        folders: [{ id: 'f1', name: 'Ops\u001b[2J\u202eevil' }],
        items: [
          {
            type: 1,
            name: 'db\u009b31m\u2028prod',
            folderId: 'f1',
            notes: 'line 1\r\nline 2\u001b',
            fields: [{ name: 'PIN\u001b', value: '12\u001b34', type: 1 }],
            login: { username: 'u', password: 'p\u001b\u202e' },
          },
        ],
      }),
    );
    const [e] = r.entries as [ImportEntry];
    assert.equal(e.name, 'db 31m prod');
    assert.deepEqual(e.folder, ['Ops [2J evil']);
    assert.deepEqual(r.folders, [['Ops [2J evil']]);
    assert.equal(e.customFields[0]?.name, 'PIN');
    assert.equal(e.customFields[0]?.value, '12\u001b34', 'a value is not text to clean');
    assert.equal(e.fields.password, 'p\u001b\u202e');
    assert.equal(e.fields.notes, 'line 1\r\nline 2\u001b', 'notes are a value');
  });
});
