// Secret Server file fields and SSH key generation, over real HTTP on both dialects: a multipart
// upload to a file field (as tss-sdk-go sends it), the secret showing fileAttachmentId and
// filename, the raw content at /fields/{slug}, deletion by PATCH general with Value null, and
// real key pairs on create (`sshKeyArgs`): the private key opens with the generated passphrase and
// its public key is the one stored (checked with ssh-keygen too).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminToken, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { ss, ssTree, ssUpload, ssUser } from '../../../test/secretserver.ts';
import { openSshPublicKey, RSA_BITS } from './ssh-keys.ts';
import { BUILTIN_TEMPLATE_IDS, PLACEHOLDER } from './template-ids.ts';

const SSH_KEY = BUILTIN_TEMPLATE_IDS['ssh-key'] as number;
const WEB = BUILTIN_TEMPLATE_IDS['web-login'] as number;

// biome-ignore lint/suspicious/noExplicitAny: parsed answers
type Json = any;
const bySlug = (s: Json) => Object.fromEntries(s.items.map((i: Json) => [i.slug, i]));

const KEY_TEXT = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n';

for (const dialect of dialects) {
  describe(`Secret Server file fields and SSH keys [${dialect}]`, () => {
    let h: Harness;
    let u: Awaited<ReturnType<typeof ssUser>>;
    let t: Awaited<ReturnType<typeof ssTree>>;

    before(async () => {
      h = await startHarness(dialect);
      const admin = await adminToken(h);
      u = await ssUser(h, admin);
      t = await ssTree(h, admin, u.id);
    });
    after(async () => h.close());

    it('a multipart upload stores the file; the secret shows its id and name; /fields/{slug} answers the raw content', async () => {
      const c = await ss(h, 'POST', '/secrets', u.ss, {
        name: 'deploy key',
        folderId: t.folderNum,
        secretTemplateId: SSH_KEY,
        items: [{ slug: 'username', itemValue: 'deploy' }],
      });
      assert.equal(c.status, 200, c.raw);
      const before = bySlug(c.body)['private-key'];
      assert.equal(before.fileAttachmentId, null);
      assert.equal(before.filename, null);
      const up = await ssUpload(h, `/secrets/${c.body.id}/fields/private-key`, u.ss, 'id_ed25519', KEY_TEXT);
      assert.equal(up.status, 200, up.raw);
      const s = (await ss(h, 'GET', `/secrets/${c.body.id}`, u.ss)).body;
      const item = bySlug(s)['private-key'];
      assert.equal(item.isFile, true);
      assert.equal(typeof item.fileAttachmentId, 'number');
      assert.ok(item.fileAttachmentId > 0);
      assert.equal(item.filename, 'Private key');
      assert.equal(item.itemValue, PLACEHOLDER, 'a file is fetched apart, never inline');
      const raw = await h.app.inject({
        method: 'GET',
        url: `/SecretServer/api/v1/secrets/${c.body.id}/fields/private-key`,
        headers: { authorization: `Bearer ${u.ss}` },
      });
      assert.equal(raw.statusCode, 200);
      assert.equal(raw.headers['content-type'], 'application/octet-stream');
      assert.equal(raw.body, KEY_TEXT);
      // uploading again replaces it (the id stays the field's)
      await ssUpload(h, `/secrets/${c.body.id}/fields/private-key`, u.ss, 'other', 'second content\n');
      const again = (await ss(h, 'GET', `/secrets/${c.body.id}`, u.ss)).body;
      assert.equal(bySlug(again)['private-key'].fileAttachmentId, item.fileAttachmentId);
      // tss-sdk-go deletes a file by PATCH general with Value null (a required field cannot be emptied)
      await ssUpload(h, `/secrets/${c.body.id}/fields/public-key`, u.ss, 'id.pub', 'ssh-ed25519 AAAA deploy\n');
      assert.equal(typeof bySlug((await ss(h, 'GET', `/secrets/${c.body.id}`, u.ss)).body)['public-key'].fileAttachmentId, 'number');
      const del = await ss(h, 'PATCH', `/secrets/${c.body.id}/general`, u.ss, {
        Data: { SecretFields: [{ Slug: 'public-key', Dirty: true, Value: null }] },
      });
      assert.equal(del.status, 200, del.raw);
      const after = (await ss(h, 'GET', `/secrets/${c.body.id}`, u.ss)).body;
      assert.equal(bySlug(after)['public-key'].fileAttachmentId, null);
      assert.equal(typeof bySlug(after)['private-key'].fileAttachmentId, 'number');
      const required = await ss(h, 'PATCH', `/secrets/${c.body.id}/general`, u.ss, {
        Data: { SecretFields: [{ Slug: 'private-key', Dirty: true, Value: null }] },
      });
      assert.equal(required.status, 400, required.raw);
      const none = await ss(h, 'GET', `/secrets/${c.body.id}/fields/public-key`, u.ss);
      assert.equal(none.status, 400, none.raw);
      assert.equal(typeof none.body.message, 'string');
    });

    it('a file that is not UTF-8 text, a missing part or an unknown field answer 400; a JSON value works as well', async () => {
      const c = await ss(h, 'POST', '/secrets', u.ss, { name: 'files', folderId: t.folderNum, secretTemplateId: SSH_KEY, items: [] });
      const binary = await ssUpload(h, `/secrets/${c.body.id}/fields/private-key`, u.ss, 'blob.bin', Buffer.from([0xff, 0xfe, 0x00, 0x80]));
      assert.equal(binary.status, 400, binary.raw);
      assert.equal(typeof (binary.body as Json).message, 'string');
      const unknown = await ssUpload(h, `/secrets/${c.body.id}/fields/nope`, u.ss, 'x', 'x');
      assert.equal(unknown.status, 400);
      const noPart = await h.app.inject({
        method: 'PUT',
        url: `/SecretServer/api/v1/secrets/${c.body.id}/fields/private-key`,
        payload: '--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n',
        headers: { authorization: `Bearer ${u.ss}`, 'content-type': 'multipart/form-data; boundary=b' },
      });
      assert.equal(noPart.statusCode, 400, noPart.body);
      const json = await ss(h, 'PUT', `/secrets/${c.body.id}/fields/public-key`, u.ss, { value: 'ssh-ed25519 AAAA test' });
      assert.equal(json.status, 200, json.raw);
      assert.equal(json.body.slug, 'public-key');
      assert.equal(typeof json.body.fileAttachmentId, 'number');
      const read = await h.app.inject({
        method: 'GET',
        url: `/SecretServer/api/v1/secrets/${c.body.id}/fields/public-key`,
        headers: { authorization: `Bearer ${u.ss}` },
      });
      assert.equal(read.body, 'ssh-ed25519 AAAA test');
    });

    it('sshKeyArgs on create: a real RSA key pair and passphrase; the private key opens with it and matches the public key', async () => {
      const c = await ss(h, 'POST', '/secrets', u.ss, {
        Name: 'generated',
        FolderId: t.folderNum,
        SecretTemplateId: SSH_KEY,
        Items: [{ Slug: 'username', ItemValue: 'ops' }],
        SshKeyArgs: { GeneratePassphrase: true, GenerateSshKeys: true },
      });
      assert.equal(c.status, 200, c.raw);
      const items = bySlug(c.body);
      const passphrase = items.passphrase.itemValue as string;
      assert.ok(passphrase.length >= 20, 'a generated passphrase');
      assert.ok(!/["\\]/.test(passphrase));
      assert.equal(items['private-key'].filename, 'Private key');
      assert.equal(items['public-key'].filename, 'Public key', 'the public key file is named after its field');
      assert.equal(typeof items['private-key'].fileAttachmentId, 'number');
      const get = (slug: string) =>
        h.app.inject({
          method: 'GET',
          url: `/SecretServer/api/v1/secrets/${c.body.id}/fields/${slug}`,
          headers: { authorization: `Bearer ${u.ss}` },
        });
      const pem = (await get('private-key')).body;
      const pub = (await get('public-key')).body;
      assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      assert.throws(() => createPrivateKey({ key: pem, passphrase: 'wrong passphrase' }));
      const key = createPrivateKey({ key: pem, passphrase });
      assert.equal(key.asymmetricKeyType, 'rsa');
      assert.equal(key.asymmetricKeyDetails?.modulusLength, RSA_BITS);
      assert.match(pub, /^ssh-rsa [A-Za-z0-9+/]+=* coffer\n$/);
      assert.equal(pub.trim(), openSshPublicKey(createPublicKey(key), 'coffer'));
      // the passphrase is a value like any other: revealed by a read, stored encrypted
      assert.equal((await ss(h, 'GET', `/secrets/${c.body.id}/fields/passphrase`, u.ss)).body, passphrase);
      if (existsSync('/usr/bin/ssh-keygen')) {
        const dir = mkdtempSync(path.join(tmpdir(), 'coffer-ssh-'));
        try {
          const file = path.join(dir, 'id');
          writeFileSync(file, pem, { mode: 0o600 });
          const r = spawnSync('/usr/bin/ssh-keygen', ['-y', '-P', passphrase, '-f', file], { encoding: 'utf8' });
          assert.equal(r.status, 0, r.stderr);
          assert.equal(r.stdout.trim().split(' ')[1], pub.split(' ')[1], 'ssh-keygen derives the same public key');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      // keys without a passphrase: an unencrypted PKCS#8 key
      const plain = await ss(h, 'POST', '/secrets', u.ss, {
        name: 'generated plain',
        folderId: t.folderNum,
        secretTemplateId: SSH_KEY,
        sshKeyArgs: { generateSshKeys: true, generatePassphrase: false },
      });
      assert.equal(plain.status, 200, plain.raw);
      const plainPem = (
        await h.app.inject({
          method: 'GET',
          url: `/SecretServer/api/v1/secrets/${plain.body.id}/fields/private-key`,
          headers: { authorization: `Bearer ${u.ss}` },
        })
      ).body;
      assert.match(plainPem, /^-----BEGIN PRIVATE KEY-----/);
      // a template without key fields cannot generate them
      const web = await ss(h, 'POST', '/secrets', u.ss, {
        name: 'no keys here',
        folderId: t.folderNum,
        secretTemplateId: WEB,
        items: [{ slug: 'password', itemValue: 'x' }],
        sshKeyArgs: { generateSshKeys: true },
      });
      assert.equal(web.status, 400, web.raw);
      assert.equal(typeof web.body.message, 'string');
    });
  });
}
