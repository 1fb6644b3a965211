import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CliError, type Command, EXIT, flag, formatError, out, outJson, str } from '../cli.ts';
import { openFromConfig } from '../store.ts';

const usage = `Usage: coffer audit verify [--public-key FILE] [--json]

Checks the audit log's hash chain and its signed checkpoints, reading the database named by the
configuration directly (no server needed), and names the first record that was altered, removed
or inserted. Exit status: 0 intact, 3 tampering found, 1 could not check.

Options:
  --public-key FILE   check the checkpoint signatures against this exported Ed25519 public key (PEM)
                      instead of the key stored in the database, which whoever rewrites the
                      database could replace
  --json              print {ok, records, lastSeq, lastHash, checkpoints, lastCheckpointSeq, firstBad}
  -h, --help          this help`;

export const auditVerifyCommand: Command = {
  name: 'audit verify',
  summary: 'Verify the audit log hash chain and checkpoints',
  usage,
  options: { 'public-key': { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const keyFile = str(values, 'public-key');
    let publicKeyPem: string | undefined;
    if (keyFile !== undefined) {
      try {
        publicKeyPem = readFileSync(keyFile, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read the public key file ${keyFile}: ${formatError(e)}`);
      }
      try {
        const k = createPublicKey(publicKeyPem);
        if (k.asymmetricKeyType !== 'ed25519') throw new Error(`it holds a ${k.asymmetricKeyType} key`);
      } catch (e) {
        throw new CliError(`${keyFile} is not an Ed25519 public key in PEM: ${formatError(e)}`);
      }
    }
    const { verifyAuditChain } = await import('@coffer/server/modules/audit/audit-verify');
    const { database } = await openFromConfig({ mustExist: true });
    let r: Awaited<ReturnType<typeof verifyAuditChain>>;
    try {
      r = await verifyAuditChain(database.db, publicKeyPem !== undefined ? { publicKeyPem } : {});
    } catch (e) {
      throw new CliError(`cannot read the audit log: ${formatError(e)}`);
    } finally {
      await database.close();
    }
    if (flag(values, 'json')) {
      outJson(r);
    } else {
      const counts = `${r.records} record${r.records === 1 ? '' : 's'}, ${r.checkpoints} signed checkpoint${r.checkpoints === 1 ? '' : 's'}`;
      out(
        r.ok || !r.firstBad
          ? `Audit chain OK: ${counts}${r.records > 0 ? `, last record ${r.lastSeq}` : ''}.`
          : `Audit chain FAILED at record ${r.firstBad.seq}: ${r.firstBad.message} (${r.firstBad.kind}). Read ${counts}.`,
      );
    }
    return r.ok ? EXIT.ok : EXIT.tampered;
  },
};
