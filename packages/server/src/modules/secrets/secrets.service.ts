import { createAuthors } from './authors.ts';
import { createCompare } from './compare.ts';
import { createCore, type SecretsDeps } from './core.ts';
import { createE2eReaders } from './e2e-readers.ts';
import { createEdit } from './edit.ts';
import { createFavorites } from './favorites.ts';
import { createInbox } from './inbox.ts';
import { createRead } from './read.ts';
import { createReveal } from './reveal.ts';
import { createRevealCard } from './reveal-card.ts';
import { createSearch } from './search.ts';
import { present } from './secrets.presenter.ts';
import { createShares } from './shares.ts';
import { createTrash } from './trash.ts';
import { createVersions } from './versions.ts';

export type { ClearFields, SecretsDeps } from './core.ts';
export { searchText, valueBinding, versionBinding } from './core.ts';

/**
 * Secrets: typed values (sensitive ones encrypted, bound to the secret and the field), metadata in
 * clear for search, a version for every change, trash, shares. One file per use case group
 * (edit.ts, read.ts, reveal.ts, versions.ts, search.ts, trash.ts, shares.ts, inbox.ts, favorites.ts) over
 * shared reads and writes
 * (core.ts); SQL in secrets.repository.ts, rows -> wire objects in secrets.presenter.ts.
 *
 * Invariants:
 * - reading metadata needs `view`, revealing values `reveal` (plus a reason when the effective
 *   policy asks for one; the reason lands in the audit record), writing `edit`, sharing `manage`;
 * - a secret the caller may not see reads exactly like a missing one (404);
 * - lists and searches are scoped in SQL (access.secretVisible), never filtered after loading;
 * - every change writes a version row: who, when, which fields (names only), and the values as
 *   an encrypted snapshot, so an old version can be revealed (audited) and restored;
 * - a write carrying a stale version (If-Match) gets 412.
 */
export function createSecretsService(deps: SecretsDeps) {
  const core = createCore(deps);
  const edit = createEdit(core);
  const read = createRead(core);
  const reveal = createReveal(core);
  const versions = createVersions(core);
  const trash = createTrash(core);
  const { share } = createShares(core);
  const { search, tagsAndColors } = createSearch(core);
  const { revealCard } = createRevealCard(core, reveal.gateWithReason);
  const { sameSensitive } = createCompare(core);
  const favorites = createFavorites(core, search);
  const inbox = createInbox(core, revealCard);
  const e2eReaders = createE2eReaders(core);
  const authors = createAuthors(core);
  // secrets keep their folder's path in their search text
  deps.vaults.onPathsChanged(edit.reindexFolders);

  return {
    create: edit.create,
    get: read.get,
    update: edit.update,
    reveal: reveal.reveal,
    revealMessage: reveal.revealMessage,
    history: versions.history,
    revealVersion: reveal.revealVersion,
    revealCard,
    restoreVersion: versions.restoreVersion,
    trash: trash.trash,
    restore: trash.restore,
    purge: trash.purge,
    share,
    search,
    tagsAndColors,
    policyOf: read.policyOf,
    gateReveal: reveal.gateReveal,
    load: core.load,
    present,
    effectivePolicy: core.effectivePolicy,
    recordChange: edit.recordChange,
    writeSecretValue: edit.writeSecretValue,
    /** A secret's values, decrypted, for system work (remote rotation); the caller has authorized. */
    loadValues: core.loadValues,
    overwrite: edit.overwrite,
    sameSensitive,
    setFavorite: favorites.setFavorite,
    favoritesAmong: favorites.favoritesAmong,
    favoriteMarksAmong: favorites.favoriteMarksAmong,
    favorites: favorites.favorites,
    recent: favorites.recent,
    inbox: inbox.inbox,
    inboxCount: inbox.inboxCount,
    openShare: inbox.openShare,
    markSharesSeen: inbox.markSeen,
    readers: e2eReaders.readers,
    nodeReaders: e2eReaders.nodeReaders,
    reencrypt: e2eReaders.reencrypt,
    authorsAmong: authors.authorsAmong,
    readersAmong: authors.readersAmong,
    groupReadsAmong: authors.groupReadsAmong,
  };
}
export type SecretsService = ReturnType<typeof createSecretsService>;
