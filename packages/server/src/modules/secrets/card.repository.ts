// What a whole-credential read of a compatibility API needs beyond the secret row, in ONE prepared
// statement: the sealed values, the secret's files (id, name), whether it is the caller's
// favourite and whether it has a remote rotation target (the rotation module's table, read here
// only for that mark: the Secret Server read asks the rotation state only of a secret that has
// one). A statement saved on the hottest path of the Passwork, senhasegura and Secret Server reads.
import { sql } from 'kysely';
import { prepared } from '../../db/prepared.ts';

/** k = 0: a value (a = field, b = sealed value); 1: a file (a = id, b = name); 2: the favourite mark; 3: a rotation target. */
export const valuesFilesFavorite = prepared<'id' | 'user', { k: number; a: string | null; b: string | null }>((db, p) => ({
  compile: () =>
    sql`select 0 as k, v.field as a, v.value_enc as b from secret_values v where v.secret_id = ${p('id')}
        union all
        select 1 as k, f.id as a, f.name as b from attachments f where f.secret_id = ${p('id')}
        union all
        select 2 as k, null as a, null as b from secret_favorites m where m.user_id = ${p('user')} and m.secret_id = ${p('id')}
        union all
        select 3 as k, null as a, null as b from rotation_targets t where t.secret_id = ${p('id')}
        order by 1, 2`.compile(db),
}));
