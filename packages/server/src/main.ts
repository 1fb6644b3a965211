import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { autoCertificate } from './crypto/self-signed.ts';
import { migrateToLatest, openDatabase } from './db/database.ts';
import { acquireStoreLock, StoreLockedError, sqliteFile } from './db/store-lock.ts';
import { prettyLog } from './lib/pretty-log.ts';

/** loadConfig -> store lock (SQLite) -> openDatabase -> migrate -> buildApp -> (first start: init) -> unseal -> listen. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`coffer: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  // One server per SQLite store (db/store-lock.ts); taken here, at the process start, not in
  // openDatabase/buildApp: tests build several apps on one store in one process on purpose.
  const dbFile = sqliteFile(config.databaseUrl);
  let lock: { release(): void } | undefined;
  if (dbFile) {
    try {
      lock = acquireStoreLock(dbFile, 'server');
    } catch (e) {
      if (e instanceof StoreLockedError) {
        process.stderr.write(`coffer: ${e.message}\n`);
        process.exit(3);
      }
      throw e;
    }
  }
  const database = await openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  let https = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;
  if (!https && config.tls === 'auto') {
    // COFFER_TLS=auto: a self-signed certificate, made on first start and kept (key 0600)
    const auto = autoCertificate(config.dataDir, config.host);
    https = { cert: auto.cert, key: auto.key };
    process.stdout.write(
      `${auto.created ? '  TLS: made a self-signed certificate' : '  TLS: self-signed certificate'} in ${path.join(config.dataDir, 'tls')}\n  SHA-256 fingerprint: ${auto.fingerprint}\n`,
    );
  }
  // a person at a terminal reads lines; a supervisor or a log shipper gets JSON (both redacted)
  const logStream = process.stdout.isTTY ? prettyLog(process.stdout, { colors: !process.env.NO_COLOR }) : undefined;
  const coffer = await buildApp({ config, database, ...(https ? { https } : {}), ...(logStream ? { logStream } : {}) });
  const status = await coffer.services.seal.status();
  if (!status.initialized) {
    const username = process.env.COFFER_ADMIN_USERNAME || 'admin';
    const password = process.env.COFFER_ADMIN_PASSWORD || undefined;
    const r = await coffer.initialize({ mode: 'keyfile', adminUsername: username, ...(password ? { adminPassword: password } : {}) });
    const lines = [
      '',
      '  Coffer initialised.',
      `  Root key file: ${r.keyFile} (mode 0600). In production keep it on another disk or use Shamir shares (coffer init --unseal-mode shamir).`,
      `  Administrator: ${r.adminUsername}`,
      r.generatedPassword
        ? `  Password (shown once, change it): ${r.adminPassword}\n  It is temporary: the first login must change it (coffer login asks for a new one).`
        : '  Password: the one given in COFFER_ADMIN_PASSWORD',
      '',
    ];
    // printed once to the terminal, never to the log
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  await coffer.start();
  const sealed = !coffer.services.seal.keys;
  await coffer.app.listen({ host: config.host, port: config.port });
  coffer.app.log.info(
    {
      sealed,
      tls: Boolean(https),
      ...(coffer.webUi ? { webUi: coffer.webUi } : {}),
      ...(config.tls === 'auto' ? { tlsFingerprint: new X509Certificate((https as { cert: Buffer }).cert).fingerprint256 } : {}),
    },
    sealed ? 'Coffer is sealed: unseal with coffer unseal' : 'Coffer is ready',
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    coffer.app.log.info({ signal }, 'shutting down');
    await coffer.app.close();
    await database.close();
    lock?.release();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`coffer: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
