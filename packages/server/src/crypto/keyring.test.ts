import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type Binding, DecryptError } from './aead.ts';
import { createKeyring, envelopeTerm, type KeyTerm, newDataKey, unwrapDataKey, wrapDataKey } from './keyring.ts';

const RUNS = 10_000;

const bindingArb: fc.Arbitrary<Binding> = fc.record({
  type: fc.string({ unit: 'binary', maxLength: 16 }),
  id: fc.string({ unit: 'binary', maxLength: 16 }),
  field: fc.string({ unit: 'binary', maxLength: 16 }),
});

const plaintextArb = fc.oneof(
  fc.uint8Array({ maxLength: 256 }).map((u) => Buffer.from(u)),
  fc.string({ unit: 'grapheme', maxLength: 64 }),
);

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64urlArb = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...B64URL), minLength, maxLength });

function asBuffer(pt: Buffer | string): Buffer {
  return typeof pt === 'string' ? Buffer.from(pt, 'utf8') : pt;
}

/** True when fn throws a DecryptError; fails the property on any other error or on success. */
function throwsDecryptError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecryptError) return true;
    throw new Error(`expected DecryptError, got ${String(e)}`);
  }
  return false;
}

function isDecryptError(e: unknown): boolean {
  return e instanceof DecryptError;
}

function envelopeBody(envelope: string): Buffer {
  const body = envelope.slice(envelope.indexOf('.', 3) + 1);
  return Buffer.from(body, 'base64url');
}

function withBody(envelope: string, body: Buffer): string {
  return `${envelope.slice(0, envelope.indexOf('.', 3) + 1)}${body.toString('base64url')}`;
}

// Five terms; terms 4 and 5 deliberately share one key, so only the term in the associated data
// tells their ciphertexts apart.
const shared = newDataKey();
const TERMS: KeyTerm[] = [
  { term: 1, key: newDataKey() },
  { term: 2, key: newDataKey() },
  { term: 3, key: newDataKey() },
  { term: 4, key: shared },
  { term: 5, key: Buffer.from(shared) },
];
const rings = new Map(TERMS.map((t) => [t.term, createKeyring(TERMS, t.term)]));
const ring = rings.get(1) as ReturnType<typeof createKeyring>;

describe('keyring AEAD binding', () => {
  test('round trip for random plaintexts and bindings', () => {
    fc.assert(
      fc.property(plaintextArb, bindingArb, (pt, binding) => {
        const env = ring.encrypt(binding, pt);
        assert.match(env, /^c1\.1\.[A-Za-z0-9_-]+$/);
        assert.deepEqual(ring.decrypt(binding, env), asBuffer(pt));
      }),
      { numRuns: RUNS },
    );
  });

  test('any single bit flip in the decoded envelope makes decrypt throw', () => {
    fc.assert(
      fc.property(plaintextArb, bindingArb, fc.nat(), (pt, binding, bit) => {
        const env = ring.encrypt(binding, pt);
        const body = envelopeBody(env);
        const i = bit % (body.length * 8);
        const flipped = Buffer.from(body);
        flipped[i >> 3] = (flipped[i >> 3] as number) ^ (1 << (i & 7));
        const tampered = withBody(env, flipped);
        assert.notEqual(tampered, env);
        return throwsDecryptError(() => ring.decrypt(binding, tampered));
      }),
      { numRuns: RUNS },
    );
  });

  test('every bit position of one envelope is covered (exhaustive)', () => {
    const binding = { type: 'user', id: '42', field: 'totp_secret' };
    const env = ring.encrypt(binding, 'JBSWY3DPEHPK3PXP');
    const body = envelopeBody(env);
    for (let i = 0; i < body.length * 8; i++) {
      const flipped = Buffer.from(body);
      flipped[i >> 3] = (flipped[i >> 3] as number) ^ (1 << (i & 7));
      assert.throws(() => ring.decrypt(binding, withBody(env, flipped)), isDecryptError, `bit ${i}`);
    }
  });

  test('decrypting with a different binding (type, id or field) throws', () => {
    const fieldArb = fc.constantFrom('type', 'id', 'field');
    fc.assert(
      fc.property(plaintextArb, bindingArb, fieldArb, fc.string({ unit: 'binary', maxLength: 16 }), (pt, binding, which, replacement) => {
        fc.pre(binding[which] !== replacement);
        const env = ring.encrypt(binding, pt);
        const other: Binding = { ...binding, [which]: replacement };
        return throwsDecryptError(() => ring.decrypt(other, env));
      }),
      { numRuns: RUNS },
    );
  });

  test('swapped binding components do not decrypt', () => {
    const env = ring.encrypt({ type: 'user', id: '1', field: 'f' }, 'x');
    for (const other of [
      { type: '1', id: 'user', field: 'f' },
      { type: 'user', id: 'f', field: '1' },
      { type: 'user1', id: '', field: 'f' },
      { type: 'user', id: '1f', field: '' },
    ]) {
      assert.throws(() => ring.decrypt(other, env), isDecryptError);
    }
  });

  test('relabelling a ciphertext as another term throws', () => {
    const termArb = fc.constantFrom(...TERMS.map((t) => t.term));
    fc.assert(
      fc.property(plaintextArb, bindingArb, termArb, termArb, (pt, binding, from, to) => {
        fc.pre(from !== to);
        const src = rings.get(from) as ReturnType<typeof createKeyring>;
        const env = src.encrypt(binding, pt);
        assert.equal(envelopeTerm(env), from);
        assert.ok(env.startsWith(`c1.${from}.`));
        const relabelled = `c1.${to}.${env.slice(`c1.${from}.`.length)}`;
        // Every keyring holds every term, so only the binding of the term can refuse it.
        return throwsDecryptError(() => ring.decrypt(binding, relabelled));
      }),
      { numRuns: RUNS },
    );
  });

  test("terms sharing one key still refuse each other's ciphertexts", () => {
    const binding = { type: 't', id: 'i', field: 'f' };
    const env4 = (rings.get(4) as ReturnType<typeof createKeyring>).encrypt(binding, 'x');
    assert.equal(ring.decrypt(binding, env4).toString(), 'x');
    assert.throws(() => ring.decrypt(binding, `c1.5.${env4.slice(5)}`), isDecryptError);
  });

  test('relabelling to a term not in the keyring throws DecryptError', () => {
    const binding = { type: 't', id: 'i', field: 'f' };
    const env = ring.encrypt(binding, 'x');
    for (const t of [0, 6, 99, 123456789, 999999999]) {
      assert.throws(() => ring.decrypt(binding, `c1.${t}.${env.slice(5)}`), isDecryptError);
    }
  });

  test('malformed envelopes (structured) throw DecryptError', () => {
    const binding = { type: 't', id: 'i', field: 'f' };
    const env = ring.encrypt(binding, 'hello');
    const body = env.slice(5);
    const cases = [
      '',
      'c1',
      'c1.',
      'c1.1',
      'c1.1.',
      'c1..AAAA',
      'c1.x.AAAA',
      'c1.-1.AAAA',
      'c1.1.5.AAAA',
      'c1.1234567890.AAAA',
      `c2.1.${body}`,
      `C1.1.${body}`,
      `c1.1.${body}=`,
      `c1.1.${body}==`,
      ` ${env}`,
      `${env} `,
      `${env}\n`,
      `c1.1.${body.slice(0, 10)}+/${body.slice(12)}`,
      `c1.1.${body.slice(0, 10)}.${body.slice(10)}`,
      'c1.1.A',
      'c1.1.AAAA',
      `c1.1.${'A'.repeat(37)}`,
      `c1.1.${'A'.repeat(38)}`,
      `c1.1.${'A'.repeat(1000)}`,
      `c1.1.${body.slice(0, 37)}`,
      `c1.1.${body.slice(1)}`,
      `c1.1.${body.slice(0, -4)}`,
      `c1.1.${body.slice(4)}`,
      `c1.1.${body}${body}`,
      `c1.1.\u0410${body.slice(1)}`,
    ];
    for (const c of cases) {
      assert.throws(() => ring.decrypt(binding, c), isDecryptError, JSON.stringify(c));
    }
    assert.throws(() => envelopeTerm('c1.x.AAAA'), isDecryptError);
    assert.throws(() => envelopeTerm(''), isDecryptError);
  });

  test('malformed envelopes (random strings) throw DecryptError', () => {
    const binding = { type: 't', id: 'i', field: 'f' };
    const arb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.tuple(fc.nat({ max: 12 }), b64urlArb(0, 120)).map(([t, b]) => `c1.${t}.${b}`),
      fc
        .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 12 }), fc.string({ maxLength: 80 }))
        .map(([a, t, b]) => `${a}.${t}.${b}`),
    );
    fc.assert(
      fc.property(arb, (s) => throwsDecryptError(() => ring.decrypt(binding, s))),
      { numRuns: RUNS },
    );
  });

  test('edited envelope strings never yield another error type or another plaintext', () => {
    const binding = { type: 't', id: 'i', field: 'f' };
    fc.assert(
      fc.property(
        plaintextArb,
        fc.nat(),
        fc.constantFrom('insert', 'delete', 'replace', 'truncate'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        (pt, pos, op, ch) => {
          const env = ring.encrypt(binding, pt);
          const i = pos % env.length;
          let edited: string;
          if (op === 'insert') edited = env.slice(0, i) + ch + env.slice(i);
          else if (op === 'delete') edited = env.slice(0, i) + env.slice(i + 1);
          else if (op === 'replace') edited = env.slice(0, i) + ch + env.slice(i + 1);
          else edited = env.slice(0, i);
          fc.pre(edited !== env);
          let out: Buffer;
          try {
            out = ring.decrypt(binding, edited);
          } catch (e) {
            assert.ok(e instanceof DecryptError, `got ${String(e)}`);
            return;
          }
          // A few non-canonical spellings of the same bytes are accepted (see report);
          // they must at least decrypt to the very same plaintext.
          assert.deepEqual(out, asBuffer(pt));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('two encryptions of one plaintext differ (fresh nonce)', () => {
    const binding = { type: 'user', id: '1', field: 'f' };
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(ring.encrypt(binding, 'same'));
    assert.equal(seen.size, 1000);
    const [a, b] = [...seen] as [string, string];
    assert.notDeepEqual(envelopeBody(a).subarray(0, 12), envelopeBody(b).subarray(0, 12));
  });
});

describe('keyring rotation', () => {
  const k1 = newDataKey();
  const k2 = newDataKey();
  const binding = { type: 'vault_secret', id: 'abc', field: 'value' };

  test('terms 1 and 2 (active 2): reads term 1, writes term 2', () => {
    const old = createKeyring([{ term: 1, key: k1 }], 1);
    const oldEnv = old.encrypt(binding, 'v1');
    assert.equal(envelopeTerm(oldEnv), 1);

    const kr = createKeyring(
      [
        { term: 1, key: k1 },
        { term: 2, key: k2 },
      ],
      2,
    );
    assert.equal(kr.activeTerm, 2);
    assert.deepEqual(kr.terms, [1, 2]);
    assert.equal(kr.decrypt(binding, oldEnv).toString(), 'v1');
    const newEnv = kr.encrypt(binding, 'v2');
    assert.equal(envelopeTerm(newEnv), 2);
    assert.ok(newEnv.startsWith('c1.2.'));
    assert.equal(kr.decrypt(binding, newEnv).toString(), 'v2');
    // The old keyring cannot read term 2.
    assert.throws(() => old.decrypt(binding, newEnv), isDecryptError);
  });

  test('withTerm adds a term and optionally activates it', () => {
    const kr1 = createKeyring([{ term: 1, key: k1 }], 1);
    const oldEnv = kr1.encrypt(binding, 'v1');
    const kr2 = kr1.withTerm({ term: 2, key: k2 }, true);
    assert.equal(kr2.activeTerm, 2);
    assert.deepEqual(kr2.terms, [1, 2]);
    assert.equal(kr2.decrypt(binding, oldEnv).toString(), 'v1');
    assert.equal(envelopeTerm(kr2.encrypt(binding, 'x')), 2);
    // The original is unchanged.
    assert.equal(kr1.activeTerm, 1);
    assert.deepEqual(kr1.terms, [1]);

    const kr3 = kr1.withTerm({ term: 2, key: k2 }, false);
    assert.equal(kr3.activeTerm, 1);
    assert.deepEqual(kr3.terms, [1, 2]);
    assert.equal(envelopeTerm(kr3.encrypt(binding, 'x')), 1);
    // kr3 can read what kr2 writes.
    assert.equal(kr3.decrypt(binding, kr2.encrypt(binding, 'y')).toString(), 'y');
  });

  test('terms are listed sorted', () => {
    const kr = createKeyring(
      [
        { term: 10, key: k1 },
        { term: 2, key: k2 },
        { term: 7, key: newDataKey() },
      ],
      7,
    );
    assert.deepEqual(kr.terms, [2, 7, 10]);
  });

  test('active term must be in the keyring', () => {
    assert.throws(() => createKeyring([{ term: 1, key: k1 }], 2));
    assert.throws(() => createKeyring([], 1));
  });

  test('the keyring copies keys; wipe zeroes its copies only', () => {
    const key = newDataKey();
    const keyCopy = Buffer.from(key);
    const kr = createKeyring([{ term: 1, key }], 1);
    const env = kr.encrypt(binding, 'v');
    key.fill(0); // caller's buffer changed: keyring unaffected
    assert.equal(kr.decrypt(binding, env).toString(), 'v');
    const kr2 = kr.withTerm({ term: 2, key: newDataKey() }, false);
    kr.wipe();
    assert.throws(() => kr.decrypt(binding, env), isDecryptError);
    // The derived keyring holds its own copies.
    assert.equal(kr2.decrypt(binding, env).toString(), 'v');
    assert.equal(
      createKeyring([{ term: 1, key: keyCopy }], 1)
        .decrypt(binding, env)
        .toString(),
      'v',
    );
  });

  test('envelopeTerm parses the term', () => {
    assert.equal(envelopeTerm('c1.1.AAAA'), 1);
    assert.equal(envelopeTerm('c1.123456789.AAAA'), 123456789);
  });
});

describe('data key wrapping', () => {
  test('wrap/unwrap round trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 999_999_999 }), (root, term) => {
        const rootKey = Buffer.from(root);
        const dataKey = newDataKey();
        const wrapped = wrapDataKey(rootKey, term, dataKey);
        assert.match(wrapped, /^[A-Za-z0-9_-]+$/);
        assert.deepEqual(unwrapDataKey(rootKey, term, wrapped), dataKey);
      }),
      { numRuns: 2000 },
    );
  });

  test('wrong root key or wrong term throws DecryptError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), (term, otherTerm) => {
        fc.pre(term !== otherTerm);
        const rootKey = randomBytes(32);
        const dataKey = newDataKey();
        const wrapped = wrapDataKey(rootKey, term, dataKey);
        assert.throws(() => unwrapDataKey(randomBytes(32), term, wrapped), isDecryptError);
        assert.throws(() => unwrapDataKey(rootKey, otherTerm, wrapped), isDecryptError);
      }),
      { numRuns: 2000 },
    );
  });

  test('tampered or garbage wrapped keys throw DecryptError', () => {
    const rootKey = randomBytes(32);
    const wrapped = wrapDataKey(rootKey, 3, newDataKey());
    const bytes = Buffer.from(wrapped, 'base64url');
    for (let i = 0; i < bytes.length * 8; i++) {
      const f = Buffer.from(bytes);
      f[i >> 3] = (f[i >> 3] as number) ^ (1 << (i & 7));
      assert.throws(() => unwrapDataKey(rootKey, 3, f.toString('base64url')), isDecryptError);
    }
    for (const g of ['', 'AAAA', '!!!!', 'A'.repeat(80)]) {
      assert.throws(() => unwrapDataKey(rootKey, 3, g), isDecryptError);
    }
  });

  test('a wrapped data key works as a keyring term', () => {
    const rootKey = randomBytes(32);
    const dataKey = newDataKey();
    const wrapped = wrapDataKey(rootKey, 1, dataKey);
    const kr = createKeyring([{ term: 1, key: unwrapDataKey(rootKey, 1, wrapped) }], 1);
    const binding = { type: 'a', id: 'b', field: 'c' };
    const env = createKeyring([{ term: 1, key: dataKey }], 1).encrypt(binding, 'z');
    assert.equal(kr.decrypt(binding, env).toString(), 'z');
  });

  test('newDataKey returns fresh 32-byte keys', () => {
    const a = newDataKey();
    const b = newDataKey();
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
  });
});

describe('purpose keys derived from a term (keyring.derive)', () => {
  const exported = (k: ReturnType<ReturnType<typeof createKeyring>['derive']>) => k?.export();

  test('HKDF-SHA-256 of the term key with the label as info: one key per (term, label), stable, 32 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string({ minLength: 1, maxLength: 40 }), (raw, label) => {
        const key = Buffer.from(raw);
        const kr = createKeyring([{ term: 7, key }], 7);
        const expected = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), Buffer.from(label, 'utf8'), 32));
        assert.deepEqual(exported(kr.derive(7, label)), expected);
        assert.equal(kr.derive(7, label), kr.derive(7, label), 'cached');
        assert.notDeepEqual(exported(kr.derive(7, `${label}x`)), expected, 'another label, another key');
        assert.notDeepEqual(expected, key, 'never the data key itself');
      }),
      { numRuns: 500 },
    );
  });

  test('different term keys give different keys; an unknown term gives none; nothing after wipe', () => {
    const kr = createKeyring(TERMS, 1);
    const label = 'coffer/audit-mac/v1';
    const keys = [1, 2, 3].map((t) => exported(kr.derive(t, label))?.toString('hex'));
    assert.equal(new Set(keys).size, 3);
    assert.equal(kr.derive(99, label), undefined);
    const copy = createKeyring(TERMS, 1);
    assert.ok(copy.derive(1, label));
    copy.wipe();
    assert.equal(copy.derive(1, label), undefined, 'nothing derived after wipe');
    assert.equal(copy.derive(2, label), undefined);
  });
});
