import type { Kysely } from 'kysely';

// Frozen once released. Vaults, folder trees (closure table), grants, templates, secrets with
// encrypted values and versions, tags, trash.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('vaults')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_canonical', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('folders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id'))
    .addColumn('parent_node_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_canonical', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('inherit_permissions', 'integer', (c) => c.notNull())
    .addColumn('inherit_policy', 'integer', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('folders_sibling_name', ['parent_node_id', 'name_canonical'])
    .execute();
  await db.schema.createIndex('folders_vault').on('folders').columns(['vault_id', 'path']).execute();
  // Closure table over vaults and folders: one row per (ancestor, descendant) including self rows.
  // `inherits` = 1 when the descendant receives the ancestor's grants (no broken inheritance on the
  // way up, the ancestor itself excluded).
  await db.schema
    .createTable('tree_paths')
    .addColumn('ancestor_id', 'text', (c) => c.notNull())
    .addColumn('descendant_id', 'text', (c) => c.notNull())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('inherits', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('tree_paths_pk', ['descendant_id', 'ancestor_id'])
    .execute();
  await db.schema.createIndex('tree_paths_ancestor').on('tree_paths').columns(['ancestor_id', 'descendant_id']).execute();
  await db.schema
    .createTable('grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('node_type', 'text', (c) => c.notNull())
    .addColumn('principal_type', 'text', (c) => c.notNull())
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('is_share', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('grants_unique', ['node_id', 'principal_type', 'principal_id'])
    .execute();
  await db.schema.createIndex('grants_principal').on('grants').columns(['principal_id', 'node_id']).execute();
  await db.schema
    .createTable('templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('builtin', 'integer', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('secrets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vault_id', 'text', (c) => c.notNull().references('vaults.id'))
    .addColumn('parent_node_id', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text', (c) => c.notNull().references('templates.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('color', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('clear_fields', 'text', (c) => c.notNull())
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('deleted_by', 'text')
    .execute();
  await db.schema.createIndex('secrets_parent').on('secrets').columns(['parent_node_id', 'deleted_at', 'id']).execute();
  await db.schema.createIndex('secrets_vault').on('secrets').columns(['vault_id', 'id']).execute();
  await db.schema.createIndex('secrets_user_host').on('secrets').columns(['username', 'host']).execute();
  await db.schema
    .createTable('secret_values')
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('value_enc', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('secret_values_pk', ['secret_id', 'field'])
    .execute();
  await db.schema
    .createTable('secret_versions')
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('changed_by', 'text')
    .addColumn('changed_at', 'bigint', (c) => c.notNull())
    .addColumn('changed_fields', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('values_enc', 'text')
    .addPrimaryKeyConstraint('secret_versions_pk', ['secret_id', 'version'])
    .execute();
  await db.schema
    .createTable('secret_tags')
    .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('secret_tags_pk', ['secret_id', 'tag'])
    .execute();
  await db.schema.createIndex('secret_tags_tag').on('secret_tags').columns(['tag', 'secret_id']).execute();
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['actor_id', 'key'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be undone');
}
