import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation.ts';
import * as m0002 from './0002-vaults-secrets.ts';
import * as m0003 from './0003-attachments-metadata.ts';
import * as m0004 from './0004-search.ts';
import * as m0005 from './0005-jobs-webhooks.ts';
import * as m0006 from './0006-access-workflows.ts';
import * as m0007 from './0007-attachment-history.ts';
import * as m0008 from './0008-audit-mac.ts';
import * as m0009 from './0009-auth-hardening.ts';
import * as m0010 from './0010-dual-control.ts';
import * as m0011 from './0011-user-activity.ts';
import * as m0012 from './0012-workflow.ts';
import * as m0013 from './0013-compat-edge.ts';
import * as m0014 from './0014-api-user-host.ts';
import * as m0015 from './0015-session-audience.ts';
import * as m0016 from './0016-favorites-inbox-client-keys.ts';
import * as m0017 from './0017-remote-rotation.ts';
import * as m0018 from './0018-e2e-vaults.ts';
import * as m0019 from './0019-rotation-dependencies.ts';
import * as m0020 from './0020-key-sign-in.ts';
import * as m0021 from './0021-owned-items-value-format.ts';
import * as m0022 from './0022-secret-comments.ts';
import * as m0023 from './0023-e2e-schemes.ts';

/** The one ordered migration list for both dialects. Append only. */
export const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-vaults-secrets': m0002,
  '0003-attachments-metadata': m0003,
  '0004-search': m0004,
  '0005-jobs-webhooks': m0005,
  '0006-access-workflows': m0006,
  '0007-attachment-history': m0007,
  '0008-audit-mac': m0008,
  '0009-auth-hardening': m0009,
  '0010-dual-control': m0010,
  '0011-user-activity': m0011,
  '0012-workflow': m0012,
  '0013-compat-edge': m0013,
  '0014-api-user-host': m0014,
  '0015-session-audience': m0015,
  '0016-favorites-inbox-client-keys': m0016,
  '0017-remote-rotation': m0017,
  '0018-e2e-vaults': m0018,
  '0019-rotation-dependencies': m0019,
  '0020-key-sign-in': m0020,
  '0021-owned-items-value-format': m0021,
  '0022-secret-comments': m0022,
  '0023-e2e-schemes': m0023,
};
