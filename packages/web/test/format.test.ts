import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedBetween, guessFormat, match, remaining } from '../src/lib/format.ts';

describe('web UI helpers', () => {
  it('changedBetween: the fields changed after one version up to another, either way round', () => {
    const versions = [
      { version: 1, changedFields: ['password', 'username'] },
      { version: 2, changedFields: ['password'] },
      { version: 3, changedFields: ['url', 'notes'] },
      { version: 4, changedFields: [] },
    ];
    assert.deepEqual(changedBetween(versions, 1, 3), ['notes', 'password', 'url']);
    assert.deepEqual(changedBetween(versions, 3, 1), ['notes', 'password', 'url']);
    assert.deepEqual(changedBetween(versions, 2, 2), []);
    assert.deepEqual(changedBetween(versions, 3, 4), []);
  });
  it('remaining: hours, minutes, seconds; never negative', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(remaining('2030-01-01T01:05:00Z', now), '1 h 5 min');
    assert.equal(remaining('2030-01-01T00:04:10Z', now), '4 min 10 s');
    assert.equal(remaining('2030-01-01T00:00:12Z', now), '12 s');
    assert.equal(remaining('2029-12-31T23:00:00Z', now), '0 s');
  });
  it('guessFormat: by the file name', () => {
    assert.equal(guessFormat('KeePass.XML'), 'keepass-xml');
    assert.equal(guessFormat('bitwarden_export.json'), 'bitwarden-json');
    assert.equal(guessFormat('vault.coffer'), 'coffer-export');
    assert.equal(guessFormat('export.csv'), 'csv');
  });
  it('match: path parameters, decoded; a query is ignored; malformed escapes do not match', () => {
    assert.deepEqual(match('/vaults/:vaultId/folders/:folderId', '/vaults/vlt_1/folders/fld%202?x=1'), {
      vaultId: 'vlt_1',
      folderId: 'fld 2',
    });
    assert.equal(match('/vaults/:vaultId', '/vaults/vlt_1/folders/fld_2'), null);
    assert.equal(match('/secrets/:id', '/secrets/%E0%A4%A'), null);
    assert.deepEqual(match('/audit', '/audit'), {});
  });
});
