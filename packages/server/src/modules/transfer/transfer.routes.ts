import { ExportFile, ExportRequest, ImportReport, ImportRequest } from '@coffer/contracts/transfer';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { TransferService } from './transfer.service.ts';

/** Import bodies carry whole files: their own limit instead of the global 1 MiB. */
export const IMPORT_BODY_LIMIT = 50 * 1024 * 1024 + 64 * 1024;

export function transferRoutes(fastify: FastifyInstance, deps: { transfer: TransferService }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { transfer } = deps;
  const tags = ['transfer'];

  app.post('/api/v1/import', {
    bodyLimit: IMPORT_BODY_LIMIT,
    config: { auth: 'user', permission: 'self', action: 'secret.import' },
    schema: {
      tags,
      summary: 'Import a CSV, KeePass XML, Bitwarden JSON or Coffer export file below a vault or folder (edit); dryRun only reports',
      body: ImportRequest,
      response: { 200: ImportReport },
    },
    handler: async (req) => transfer.importFile(req.ctx, req.body),
  });
  app.post('/api/v1/export', {
    config: { auth: 'user', permission: 'self', action: 'secret.export' },
    schema: {
      tags,
      summary: 'Export what you can reveal below a vault or folder, encrypted with a passphrase (audited as a reveal)',
      body: ExportRequest,
      response: { 200: ExportFile },
    },
    handler: async (req) => transfer.exportFile(req.ctx, req.body),
  });
}
