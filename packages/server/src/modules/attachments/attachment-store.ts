import type { Executor, Trx } from '../../db/database.ts';

/**
 * Moving attachments between the live tables and the removed ones (migration 0007), in the
 * caller's transaction. Rows and chunks keep their ids, indexes and ciphertexts: the chunks stay
 * bound to (attachment id, index) and decrypt the same after a move. Nothing is decrypted here.
 */

/** The live attachments of a secret, as a version snapshot records them. */
export async function liveAttachments(trx: Executor, secretId: string): Promise<Array<{ id: string; name: string }>> {
  return trx.selectFrom('attachments').select(['id', 'name']).where('secret_id', '=', secretId).orderBy('id').execute();
}

/** Moves a live attachment (row and chunks) to the removed tables. */
export async function archiveAttachment(trx: Trx, id: string, by: string | null, at: number): Promise<void> {
  await trx
    .insertInto('attachments_removed')
    .columns(['id', 'secret_id', 'name', 'content_type', 'size', 'created_by', 'created_at', 'removed_by', 'removed_at'])
    .expression((eb) =>
      eb
        .selectFrom('attachments')
        .select(['id', 'secret_id', 'name', 'content_type', 'size', 'created_by', 'created_at'])
        .select((s) => [s.val(by).as('removed_by'), s.val(at).as('removed_at')])
        .where('id', '=', id),
    )
    .execute();
  await trx
    .insertInto('attachment_removed_chunks')
    .columns(['attachment_id', 'idx', 'data_enc'])
    .expression((eb) => eb.selectFrom('attachment_chunks').select(['attachment_id', 'idx', 'data_enc']).where('attachment_id', '=', id))
    .execute();
  await trx.deleteFrom('attachment_chunks').where('attachment_id', '=', id).execute();
  await trx.deleteFrom('attachments').where('id', '=', id).execute();
}

/** Moves a removed attachment of `secretId` back; null when it is not among the removed ones. */
export async function unarchiveAttachment(trx: Trx, secretId: string, id: string): Promise<{ name: string } | null> {
  const row = await trx
    .selectFrom('attachments_removed')
    .select('name')
    .where('id', '=', id)
    .where('secret_id', '=', secretId)
    .executeTakeFirst();
  if (!row) return null;
  await trx
    .insertInto('attachments')
    .columns(['id', 'secret_id', 'name', 'content_type', 'size', 'created_by', 'created_at'])
    .expression((eb) =>
      eb
        .selectFrom('attachments_removed')
        .select(['id', 'secret_id', 'name', 'content_type', 'size', 'created_by', 'created_at'])
        .where('id', '=', id),
    )
    .execute();
  await trx
    .insertInto('attachment_chunks')
    .columns(['attachment_id', 'idx', 'data_enc'])
    .expression((eb) =>
      eb.selectFrom('attachment_removed_chunks').select(['attachment_id', 'idx', 'data_enc']).where('attachment_id', '=', id),
    )
    .execute();
  await trx.deleteFrom('attachment_removed_chunks').where('attachment_id', '=', id).execute();
  await trx.deleteFrom('attachments_removed').where('id', '=', id).execute();
  return { name: row.name };
}
