import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CliError, type Command, EXIT, flag, formatError, out, outJson, str, UsageError } from '../cli.ts';
import { readAllLines } from '../stdin.ts';
import { openFromConfig } from '../store.ts';

const usage = `Usage: coffer audit verify [--public-key FILE] [--shares-stdin] [--json]

Checks the audit log on the database named by the configuration (no server needed): the plain hash
chain, the MAC of every record (HMAC-SHA-256 under the audit MAC key derived from the keyring),
the signed checkpoints and the chain head. Names the first record that was altered, removed,
inserted or reordered, also among the records after the newest checkpoint.

The MACs need the unseal material, as the server does:
  key-file store   the key file (COFFER_KEY_FILE, default DATA_DIR/coffer.key) is read
  Shamir store     pass --shares-stdin and give threshold shares on stdin, one per line
Without it the chain, the checkpoints and the presence of the MACs are still checked, but not the
MACs themselves: a rewrite after the newest checkpoint could then pass. The output says so
("MACs not checked") and the exit status is 9, never 0.

The last line shows the head (last record, its hash and MAC): keep it, or the exported checkpoints
(GET /api/v1/audit/checkpoints), outside Coffer. A tail cut off after the newest checkpoint can only
be seen by comparing with such a copy.

Where MACs begin is read from the keys (pinned under the barrier, ADR 0008), not from the chain
head, which a database writer can change. A store migrated from before MACs on which no server has
started since has no pin yet: every record is legacy (hash chain and checkpoints only), and the
output says "the MAC era has not started" (exit 9). On a store that a server has run, that line
means the MACs were stripped: a server pins the MAC start before it serves.

Exit status: 0 intact (MACs checked), 3 tampering found (also: the store's sealed keys are missing
or altered), 9 nothing wrong found but MACs not checked (no unseal material, or the MAC era has not
started), 1 could not check.

Options:
  --public-key FILE   check the checkpoint signatures against this exported Ed25519 public key (PEM)
                      instead of the key stored in the database, which whoever rewrites the
                      database could replace
  --shares-stdin      Shamir store: read unseal shares from stdin, one per line (at a terminal
                      they are asked for without echo); they only unlock the keyring in this process
  --json              print {ok, records, lastSeq, lastHash, lastMac, macFrom, macStart, macsChecked,
                      macsUncheckedReason, checkpoints, lastCheckpointSeq, sealedPending, firstBad}
  -h, --help          this help`;

async function readPublicKey(file: string): Promise<string> {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the public key file ${file}: ${formatError(e)}`);
  }
  try {
    const k = createPublicKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`it holds a ${k.asymmetricKeyType} key`);
  } catch (e) {
    throw new CliError(`${file} is not an Ed25519 public key in PEM: ${formatError(e)}`);
  }
  return pem;
}

export const auditVerifyCommand: Command = {
  name: 'audit verify',
  summary: 'Verify the audit log: hash chain, MACs, checkpoints',
  usage,
  options: { 'public-key': { type: 'string' }, 'shares-stdin': { type: 'boolean' } },
  positionals: { min: 0, max: 0 },
  async run({ values }) {
    const keyFile = str(values, 'public-key');
    const publicKeyPem = keyFile !== undefined ? await readPublicKey(keyFile) : undefined;
    const sharesStdin = flag(values, 'shares-stdin');
    const { verifyAuditChain } = await import('@coffer/server/modules/audit/audit-verify');
    const { AUDIT_MAC_LABEL } = await import('@coffer/server/modules/audit/audit-chain');
    const { createSealManager } = await import('@coffer/server/modules/sys/seal');
    const { systemClock } = await import('@coffer/server/lib/clock');
    const { isAppError } = await import('@coffer/server/lib/app-error');
    const { config, database } = await openFromConfig({ mustExist: true });
    const seal = createSealManager({ db: database.db, clock: systemClock, keyFile: config.keyFile });
    const { integrityRecordOf } = await import('@coffer/server/lib/integrity-error');
    let r: Awaited<ReturnType<typeof verifyAuditChain>>;
    let unchecked: string | null = null;
    // the root key was right but a sealed system key is missing or does not authenticate
    let keysAltered: string | null = null;
    const altered = (e: unknown) => {
      const rec = integrityRecordOf(e);
      if (!rec) return false;
      keysAltered = `the store's sealed system key ${rec.id} is missing or altered: the keys, and the MAC start they pin, cannot be loaded`;
      return true;
    };
    try {
      const cfg = await seal.sealConfig().catch((e) => {
        throw new CliError(`cannot read the store: ${formatError(e)}`);
      });
      if (!cfg) {
        unchecked = 'the store is not initialised (no keyring)';
      } else if (cfg.mode === 'keyfile') {
        if (sharesStdin) throw new UsageError('--shares-stdin is for a Shamir store; this one unseals with its key file', usage);
        try {
          await seal.autoUnseal();
        } catch (e) {
          if (altered(e)) {
            // reported below, with what can be checked without the keys
          } else if (isAppError(e) && e.code === 'sys.unseal_failed')
            throw new CliError(`the key file ${config.keyFile} does not unseal this store`);
          unchecked = `no unseal material: ${formatError(e)}`;
        }
      } else if (!sharesStdin) {
        unchecked = 'no unseal material: this store unseals with Shamir shares (pass --shares-stdin)';
      } else {
        const shares = await readAllLines(`Unseal share (input hidden, ${cfg.threshold} needed, empty line to stop): `, cfg.threshold);
        for (const share of shares) {
          try {
            await seal.submitShare(share);
          } catch (e) {
            if (altered(e)) break;
            throw new CliError(`the shares do not unseal this store: ${isAppError(e) ? e.message : formatError(e)}`);
          }
          if (seal.keys) break;
        }
        if (!seal.keys && !keysAltered) throw new CliError(`${shares.length} share(s) given, ${cfg.threshold} needed`);
      }
      const keyring = seal.keys?.keyring;
      try {
        // where MACs begin, as the keys pin it (null on a migrated store no server started on since)
        const pin = keyring ? await seal.readAuditPin(database.db) : undefined;
        r = await verifyAuditChain(database.db, {
          ...(publicKeyPem !== undefined ? { publicKeyPem } : {}),
          ...(keyring && pin
            ? {
                macKey: (term: number) => keyring.derive(term, AUDIT_MAC_LABEL),
                macStart: { pinned: pin.macFrom, required: false, problem: pin.problem },
              }
            : {}),
        });
      } catch (e) {
        throw new CliError(`cannot read the audit log: ${formatError(e)}`);
      }
      if (keysAltered) r = { ...r, ok: false, firstBad: { seq: r.macFrom, kind: 'mac_start', message: keysAltered } };
    } finally {
      seal.seal();
      await database.close();
    }
    if (flag(values, 'json')) {
      outJson({ ...r, macsUncheckedReason: r.macsChecked ? null : unchecked });
    } else {
      out(report(r, unchecked));
    }
    if (!r.ok) return EXIT.tampered;
    return r.macsChecked && r.macStart === 'pinned' ? EXIT.ok : EXIT.unverified;
  },
};

function report(
  r: Awaited<ReturnType<typeof import('@coffer/server/modules/audit/audit-verify').verifyAuditChain>>,
  unchecked: string | null,
) {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const counts = `${plural(r.records, 'record')}, ${plural(r.checkpoints, 'signed checkpoint')}`;
  const macs = r.macFrom > 1 ? `MACs from record ${r.macFrom} (records before it are legacy: hash chain only)` : 'MACs on every record';
  const lines: string[] = [];
  if (!r.ok && r.firstBad) {
    lines.push(`Audit chain FAILED at record ${r.firstBad.seq}: ${r.firstBad.message} (${r.firstBad.kind}). Read ${counts}.`);
  } else if (r.macsChecked && r.macStart === 'not_started') {
    lines.push(
      `Audit chain OK as far as checked: ${counts}, all legacy (hash chain and checkpoints only): the MAC era has not started. ` +
        'The keys pin no MAC start: this store was migrated from before MACs and no server has started on it since ' +
        '(a server pins it before serving). On a store a server has run, the MACs were stripped.',
    );
  } else if (r.macsChecked) {
    lines.push(`Audit chain OK: ${counts}, ${macs} checked.`);
  } else {
    lines.push(`Audit chain OK as far as checked: ${counts}, hashes and checkpoints only.`);
  }
  if (!r.macsChecked) lines.push(`MACs not checked: ${unchecked ?? 'no unseal material'}.`);
  if (r.sealedPending > 0) {
    lines.push(`${plural(r.sealedPending, 'record')} written while sealed wait to enter the chain (not protected until then).`);
  }
  lines.push(
    r.records > 0
      ? `Head: record ${r.lastSeq}, hash ${r.lastHash}, MAC ${r.lastMac ?? 'none'} (compare with a copy kept outside Coffer).`
      : 'Head: no records yet.',
  );
  return lines.join('\n');
}
