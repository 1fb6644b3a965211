import { createCore, type TransferDeps } from './core.ts';
import { createExporter } from './exporter.ts';
import { createImporter } from './importer.ts';

export type { TransferDeps } from './core.ts';

/**
 * Import from password-manager files and export to an encrypted Coffer file.
 *
 * Invariants:
 * - import needs `edit` on the target vault or folder; source folders are created below it with
 *   inherited permissions (an existing folder of the same name is reused when the caller may
 *   edit it, else its entries are skipped); a dry run checks everything and writes nothing but
 *   its audit record;
 * - an entry whose name is taken in its folder (canonical form, live visible secrets, or an
 *   earlier entry of the file) is skipped, updated or duplicated as `onConflict` says (default
 *   skip), so importing a file twice changes nothing the second time; an update is a new version
 *   of that secret with its own `secret.update` record, in the import's transaction;
 * - an import is one transaction and one audit record (`secret.import`, counts only): every
 *   secret is created as the secrets service creates one — values sealed bound to (secret,
 *   field), version 1 with its encrypted snapshot, search text — or none is;
 * - export contains only what the caller may reveal (scoped in SQL), with values, sealed with a
 *   key derived from the passphrase; one `secret.export` record lists the ids. A policy asking a
 *   reason to reveal applies to export too;
 * - reports and errors carry names, paths and counts, never values.
 */
export function createTransferService(deps: TransferDeps) {
  const core = createCore(deps);
  const { importFile } = createImporter(core);
  const { exportFile } = createExporter(core);
  return { importFile, exportFile };
}
export type TransferService = ReturnType<typeof createTransferService>;
