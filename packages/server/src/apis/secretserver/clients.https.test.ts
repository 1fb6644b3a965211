// Secret Server over real HTTPS with a listening server (the self-signed certificate of
// COFFER_TLS=auto), driven the way its SDKs drive it, request by request: python-tss-sdk (health
// probe, password grant as a form, get by id and by path with the file fields fetched apart,
// search-total used as `take`, child folder ids through lookup) and tss-sdk-go (health probe at
// /healthcheck.aspx, PascalCase JSON writes with file fields uploaded as multipart afterwards, the
// paged search with `&&` in its query, generate-password read without unescaping).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, dialects, type Harness, startHarness } from '../../../test/harness.ts';
import { ssTree, ssUser } from '../../../test/secretserver.ts';
import { httpsSend, startTlsApp } from '../../../test/tls-app.ts';

const send = httpsSend;

const BASE = '/SecretServer';
const dialect = dialects[0] ?? 'sqlite';

describe(`Secret Server SDK flows over HTTPS [${dialect}]`, () => {
  let h: Harness;
  let closeTls: () => Promise<void> = async () => {};
  let port = 0;
  let u: Awaited<ReturnType<typeof ssUser>>;
  let t: Awaited<ReturnType<typeof ssTree>>;

  before(async () => {
    h = await startHarness(dialect);
    const admin = await adminToken(h);
    u = await ssUser(h, admin);
    t = await ssTree(h, admin, u.id, 'edit', 'NET-Automation');
    ({ port, close: closeTls } = await startTlsApp(h));
  });
  after(async () => {
    await closeTls();
    await h.close();
  });

  async function passwordGrant(): Promise<string> {
    const form = new URLSearchParams({ username: u.username, password: u.password, grant_type: 'password' }).toString();
    const r = await send(port, 'POST', `${BASE}/oauth2/token`, form, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 200, r.text);
    assert.ok(Number.isInteger(r.json.expires_in));
    return r.json.access_token;
  }

  it('tss-sdk-go: probe, PascalCase create, multipart upload of the file field, read back with the file, search, generate-password', async () => {
    // checkPlatformDetails: GET <base>/healthcheck.aspx, JSON with "healthy" (any case)
    const probe = await send(port, 'GET', `${BASE}/healthcheck.aspx`);
    assert.equal(probe.status, 200);
    assert.equal(probe.json.Healthy, true);
    const token = await passwordGrant();
    const bearer = { authorization: `Bearer ${token}` };
    const template = await send(port, 'GET', `${BASE}/api/v1/secret-templates/9005`, undefined, bearer);
    assert.equal(template.status, 200, template.text);
    const fieldId = (slug: string) =>
      template.json.fields.find((f: { fieldSlugName: string }) => f.fieldSlugName === slug).secretTemplateFieldId;
    // writeSecret: file fields left out of the JSON, every key PascalCase, SshKeyArgs omitted
    const body = JSON.stringify({
      Name: 'go-key',
      FolderID: t.folderNum,
      ID: 0,
      SiteID: 1,
      SecretTemplateID: 9005,
      LauncherConnectAsSecretID: 0,
      CheckOutIntervalMinutes: 0,
      Active: true,
      CheckedOut: false,
      CheckOutEnabled: false,
      AutoChangeEnabled: false,
      CheckOutChangePasswordEnabled: false,
      DelayIndexing: false,
      EnableInheritPermissions: true,
      EnableInheritSecretPolicy: true,
      ProxyEnabled: false,
      RequiresComment: false,
      SessionRecordingEnabled: false,
      WebLauncherRequiresIncognitoMode: false,
      Items: [
        {
          ItemID: 0,
          FieldID: fieldId('username'),
          FileAttachmentID: 0,
          FieldName: '',
          Slug: '',
          FieldDescription: '',
          Filename: '',
          ItemValue: 'gopher',
          IsFile: false,
          IsNotes: false,
          IsPassword: false,
        },
      ],
    });
    const created = await send(port, 'POST', `${BASE}/api/v1/secrets/`, body, { ...bearer, 'content-type': 'application/json' });
    assert.equal(created.status, 200, created.text);
    const id = created.json.id as number;
    // uploadFile: multipart, the file part named "file", a ".txt" added to a bare name
    const boundary = 'a1b2c3d4e5f6';
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\ngo-key\n-----END OPENSSH PRIVATE KEY-----\n';
    const multipart = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="private-key.txt"\r\nContent-Type: application/octet-stream\r\n\r\n${key}\r\n--${boundary}--\r\n`,
    );
    const up = await send(port, 'PUT', `${BASE}/api/v1/secrets/${id}/fields/private-key`, multipart, {
      ...bearer,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    });
    assert.equal(up.status, 200, up.text);
    // Secret(): IsFile && FileAttachmentID != 0 && Filename != "" -> GET the field, raw
    const s = await send(port, 'GET', `${BASE}/api/v1/secrets/${id}`, undefined, bearer);
    const file = s.json.items.find(
      (i: { isFile: boolean; fileAttachmentId: number | null; filename: string | null }) => i.isFile && i.fileAttachmentId && i.filename,
    );
    assert.equal(file.slug, 'private-key');
    const raw = await send(port, 'GET', `${BASE}/api/v1/secrets/${id}/fields/${file.slug}`, undefined, bearer);
    assert.equal(raw.text, key);
    // Secrets(searchText, field): the query as the SDK writes it (not encoded, a doubled &)
    const q =
      'paging.filter.searchText=go-key&paging.filter.searchField=&paging.filter.doNotCalculateTotal=true&paging.take=30&&paging.skip=0' +
      '&paging.filter.extendedFields=Machine&paging.filter.extendedFields=Notes&paging.filter.extendedFields=Username';
    const found = await send(port, 'GET', `${BASE}/api/v1/secrets?${q}`, undefined, bearer);
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(
      found.json.records.map((r: { id: number }) => r.id),
      [id],
    );
    const exact = await send(
      port,
      'GET',
      `${BASE}/api/v1/secrets?paging.filter.searchText=go-key&paging.filter.searchField=Name&paging.filter.doNotCalculateTotal=true&paging.take=30&&paging.skip=0&paging.filter.isExactMatch=true`,
      undefined,
      bearer,
    );
    assert.equal(exact.json.records.length, 1);
    // GeneratePassword: the body with its first and last characters cut off
    const gp = await send(port, 'POST', `${BASE}/api/v1/secret-templates/generate-password/${fieldId('passphrase')}`, '', {
      ...bearer,
      'content-type': 'application/json',
    });
    assert.equal(gp.status, 200, gp.text);
    assert.equal(gp.text.slice(1, -1), JSON.parse(gp.text));
    // DeleteSecret
    const del = await send(port, 'DELETE', `${BASE}/api/v1/secrets/${id}`, undefined, bearer);
    assert.equal(del.status, 200, del.text);
  });

  it('python-tss-sdk: probe, password grant, by id and by path, search-total as take, child folder ids; errors carry message', async () => {
    const probe = await send(port, 'GET', `${BASE}/api/v1/healthcheck`);
    assert.equal(probe.json.Healthy, true);
    const token = await passwordGrant();
    const bearer = { authorization: `Bearer ${token}` };
    const created = await send(
      port,
      'POST',
      `${BASE}/api/v1/secrets`,
      JSON.stringify({
        name: 'My-Secret',
        folderId: t.folderNum,
        secretTemplateId: 9002,
        items: [
          { slug: 'host', itemValue: 'r1' },
          { slug: 'username', itemValue: 'netops' },
          { slug: 'password', itemValue: 'py-pass' },
          { slug: 'private-key', itemValue: 'python key\n' },
        ],
      }),
      { ...bearer, 'content-type': 'application/json' },
    );
    assert.equal(created.status, 200, created.text);
    // get_secret_by_path: "\" + the path with every separator a backslash, requests-encoded
    const path = `\\${'NET-Automation/Servers/My-Secret'.replace(/[\\/]+/g, '\\')}`;
    const byPath = await send(port, 'GET', `${BASE}/api/v1/secrets/0?secretPath=${encodeURIComponent(path)}`, undefined, bearer);
    assert.equal(byPath.status, 200, byPath.text);
    assert.equal(byPath.json.id, created.json.id);
    // fetch_file_attachments: every item whose fileAttachmentId is truthy
    const files = byPath.json.items.filter((i: { fileAttachmentId: number | null }) => i.fileAttachmentId);
    assert.deepEqual(
      files.map((i: { slug: string }) => i.slug),
      ['private-key'],
    );
    const content = await send(
      port,
      'GET',
      `${BASE}/api/v1/secrets/0/fields/private-key?secretPath=${encodeURIComponent(path)}`,
      undefined,
      bearer,
    );
    assert.equal(content.text, 'python key\n');
    // get_secret_ids_by_folderid
    const total = await send(port, 'GET', `${BASE}/api/v1/secrets/search-total?filter.folderId=${t.folderNum}`, undefined, bearer);
    const page = await send(port, 'GET', `${BASE}/api/v1/secrets?filter.folderId=${t.folderNum}&take=${total.text}`, undefined, bearer);
    assert.equal(page.json.records.length, Number(total.text));
    // get_child_folder_ids_by_folderid
    const lookup = `filter.parentFolderId=${t.vaultNum}&filter.limitToDirectDescendents=True`;
    const n = await send(port, 'GET', `${BASE}/api/v1/folders/lookup?${lookup}&take=1`, undefined, bearer);
    const children = await send(port, 'GET', `${BASE}/api/v1/folders/lookup?${lookup}&take=${n.json.total}`, undefined, bearer);
    assert.deepEqual(
      children.json.records.map((r: { id: number }) => r.id),
      [t.folderNum],
    );
    // get_folder_by_path with getAllChildren
    const folder = await send(
      port,
      'GET',
      `${BASE}/api/v1/folders/0?folderPath=${encodeURIComponent('\\NET-Automation')}&getAllChildren=true`,
      undefined,
      bearer,
    );
    assert.equal(folder.json.childFolders[0].folderName, 'Servers');
    // process(): 4xx bodies carry "message"
    const err = await send(port, 'GET', `${BASE}/api/v1/secrets/424242`, undefined, bearer);
    assert.equal(err.status, 400);
    assert.equal(typeof err.json.message, 'string');
    const bad = await send(port, 'POST', `${BASE}/oauth2/token`, 'username=x&password=y&grant_type=password', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid_grant');
    assert.equal(probe.headers['strict-transport-security'], 'max-age=31536000');
  });
});
