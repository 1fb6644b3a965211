import { createHmac, randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerApiSurfaces } from './apis/surfaces.ts';
import { frontDoorRoute, loadWebUi, uiFallback } from './apis/web/static.ts';
import type { Config } from './config/config.ts';
import { createPasswordHasher } from './crypto/password-hash.ts';
import type { Database } from './db/database.ts';
import { createEdgeRegistry, frameworkErrorHandler, genRequestId, registerEdge } from './http/hooks.ts';
import { redactPath } from './http/log-paths.ts';
import { logRedactPaths } from './http/log-redact-paths.ts';
import type { EdgeDeps } from './http/surface.ts';
import './http/route-config.ts';
import { ErrorEnvelope } from '@coffer/contracts/errors';
import { createJobQueue } from './jobs/queue.ts';
import { createReencryptJob } from './jobs/reencrypt.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import { integrityRecordOf } from './lib/integrity-error.ts';
import { createAccess } from './modules/access/access.service.ts';
import { createAdminRequestsService } from './modules/admin-requests/admin-requests.service.ts';
import { createDualControl } from './modules/admin-requests/dual-control.ts';
import { createAttachmentsService } from './modules/attachments/attachments.service.ts';
import { createAuditService } from './modules/audit/audit.service.ts';
import { createAudited, createAuditLog } from './modules/audit/audit-log.ts';
import { createIntegrityReporter } from './modules/audit/integrity.ts';
import { createApiKeysService } from './modules/auth/api-keys.service.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { createCredentialExposure } from './modules/auth/credential-exposure.ts';
import { createCredentialRateLimit, defaultRateLimit } from './modules/auth/credential-rate-limit.ts';
import { accountKey } from './modules/auth/login-throttle.ts';
import { createReauth } from './modules/auth/reauth.ts';
import { createSecondFactor } from './modules/auth/second-factor.ts';
import { createTotpService } from './modules/auth/totp.service.ts';
import { createClientKeysService } from './modules/client-keys/client-keys.service.ts';
import { createCommentsService } from './modules/comments/comments.service.ts';
import { createUserKeysService } from './modules/e2e/user-keys.ts';
import { createGroupsService } from './modules/identities/groups.service.ts';
import { createOwnAccountService } from './modules/identities/own-account.service.ts';
import { recoverPassword } from './modules/identities/recovery.ts';
import { createSetupService } from './modules/identities/setup.ts';
import { createUserLookupService } from './modules/identities/user-lookup.service.ts';
import { createUsersService } from './modules/identities/users.service.ts';
import { createLookupService } from './modules/lookup/lookup.service.ts';
import { createNaturalKeys } from './modules/lookup/natural-keys.ts';
import { createMetadataService } from './modules/metadata/metadata.service.ts';
import { createNumbering } from './modules/numbering/numbering.service.ts';
import { createPasswordsService } from './modules/passwords/passwords.service.ts';
import { createRemoteConnectors } from './modules/rotation/connector.ts';
import { remoteConnectors } from './modules/rotation/connectors/index.ts';
import { createRotationService } from './modules/rotation/rotation.service.ts';
import { createBulkService } from './modules/secrets/bulk.service.ts';
import { createSecretsService } from './modules/secrets/secrets.service.ts';
import { createTemplatesService } from './modules/secrets/templates.service.ts';
import { type InitOptions, initializeCoffer } from './modules/sys/init.ts';
import { createSealManager } from './modules/sys/seal.ts';
import { createSysService } from './modules/sys/sys.service.ts';
import { createTransferService } from './modules/transfer/transfer.service.ts';
import { isGroupNamedApprover } from './modules/vaults/approver-groups.ts';
import { createExplainService } from './modules/vaults/explain.service.ts';
import { createVaultsService } from './modules/vaults/vaults.service.ts';
import { createWebhooksService, defaultWebhooksConfig } from './modules/webhooks/webhooks.service.ts';
import { waitingRequestNamesGroup } from './modules/workflow/approver-groups.ts';
import { createWorkflowService } from './modules/workflow/workflow.service.ts';

export { logRedactPaths };

export interface AppDeps {
  config: Config;
  database: Database;
  clock?: Clock;
  /** Where logs go (stdout by default); tests pass a stream to scan for canaries. */
  logStream?: NodeJS.WritableStream;
  https?: { cert: Buffer; key: Buffer };
}

/**
 * The composition root: builds the services and the HTTP app. Never listens, so tests use
 * `app.inject()` or listen on an ephemeral port themselves.
 */
export async function buildApp(deps: AppDeps) {
  const { config, database } = deps;
  const db = database.db;
  const clock = deps.clock ?? systemClock;
  // which surface answers a malformed URL under its prefix (http/hooks.ts)
  const registry = createEdgeRegistry();
  const app: FastifyInstance = Fastify({
    ...(deps.https ? { https: deps.https } : {}),
    logger: {
      level: config.logLevel,
      redact: { paths: logRedactPaths, censor: '[redacted]' },
      serializers: {
        // only method, path (never the query string) and ids
        req: (req: { method: string; url: string; id: string; ip?: string }) => ({
          method: req.method,
          // a credential a product documents in its path (Passwork's login and refresh) is cut out
          path: redactPath(req.url.split('?')[0] ?? ''),
          id: req.id,
          ip: req.ip,
        }),
      },
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
    genReqId: genRequestId,
    frameworkErrors: frameworkErrorHandler(registry),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, allowUnionTypes: true } },
    // `//restapi/...` from a base URL ending in a slash reaches the same route (as on a servlet container)
    routerOptions: { maxParamLength: 200, ignoreDuplicateSlashes: true },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  const seal = createSealManager({ db, clock, keyFile: config.keyFile });
  const audit = createAuditLog({
    clock,
    dialect: database.dialect,
    checkpointEvery: config.audit.checkpointEvery,
    signer: () => seal.keys?.auditSigner,
    keyring: () => seal.keys?.keyring,
    reloadKeyring: (exec) => seal.reloadKeyring(exec),
    // where MACs begin, pinned under the keys (ADR 0008)
    macStart: { read: (exec) => seal.readAuditPin(exec), write: (trx, macFrom) => seal.writeAuditPin(trx, macFrom) },
  });
  const audited = createAudited({ db, audit });
  const hasher = createPasswordHasher(config.argon2);
  const reauth = createReauth({ db, clock, hasher, seal, secondFactor: createSecondFactor({ db, clock, seal }), login: config.login });
  // dual control of administrative actions that open values (ADR 0010): the services call its gate
  const dualControl = createDualControl({ clock, seal, mode: config.dualControl ?? 'auto' });
  const users = createUsersService({
    db,
    clock,
    hasher,
    audited,
    dualControl,
    accountKey: (canonical) => accountKey(seal.requireKeys().tokenHmacKey, canonical),
    reauth,
  });
  const ownAccount = createOwnAccountService({ db, clock, hasher, audited, reauth });
  const groups = createGroupsService({
    clock,
    audited,
    dualControl,
    // approver groups are named by the vaults' policies and by waiting access requests (their modules' tables)
    approverGroup: async (exec, id) => (await isGroupNamedApprover(exec, id)) || (await waitingRequestNamesGroup(exec, id)),
  });
  const userLookup = createUserLookupService({ clock, audited, auditHmacKey: () => seal.requireKeys().auditHmacKey });
  const auth = createAuthService({ db, clock, hasher, seal, audit, audited, session: config.session, login: config.login });
  const apiKeys = createApiKeysService({ clock, seal, audited, reauth, dualControl, maxDays: config.apiKeys?.maxDays ?? 365 });
  const adminRequests = createAdminRequestsService({
    db,
    clock,
    seal,
    hasher,
    audit,
    audited,
    reauth,
    runners: { ...users.runners, ...groups.runners, ...apiKeys.runners },
  });
  const totp = createTotpService({ clock, seal, audited, reauth });
  // integrity failures found by background work (no request to answer): audited as the system, logged
  const integrity = createIntegrityReporter({ db, audit, clock, log: (fields, message) => app.log.error(fields, message) });
  const reencrypt = createReencryptJob({ db, clock, seal, owner: `node_${randomBytes(6).toString('hex')}`, integrity });
  const onJobError = (e: unknown) => app.log.error({ err: e }, 'background job failed');
  // the job queue shared by every process on the database (jobs/queue.ts); idle while sealed
  const jobs = createJobQueue({
    db,
    dialect: database.dialect,
    clock,
    owner: `node_${randomBytes(6).toString('hex')}`,
    ready: () => seal.keys !== undefined,
    onError: (e, info) => {
      app.log.error({ err: e, ...info }, 'queued job failed');
      // e.g. the sweep rotating a secret whose stored value was altered
      if (integrityRecordOf(e)) void integrity(e, info.kind ?? 'job', info.jobId);
    },
  });
  const webhooks = createWebhooksService({ db, clock, seal, audited, jobs, config: config.webhooks ?? defaultWebhooksConfig, integrity });
  const sys = createSysService({ db, seal, audit, audited, reencrypt, onJobError });
  const auditService = createAuditService({ db, audit, audited, seal });
  const access = createAccess({ clock, dialect: database.dialect });
  const vaults = createVaultsService({ db, clock, access, audited });
  const explain = createExplainService({ db, access, vaults, audited });
  const templates = createTemplatesService({ db, clock, audited });
  const secrets = createSecretsService({
    db,
    clock,
    seal,
    access,
    vaults,
    templates,
    audited,
    // bound late: the workflow service is built from the secrets service
    revealGate: (trx, ctx, secret, chain, opts) => workflow.revealGate(trx, ctx, secret, chain, opts),
  });
  // remote rotation (issue 14): built before the workflow, which calls it; its secret access is
  // bound late to the workflow's locks and the secrets service
  const rotation = createRotationService({
    db,
    clock,
    seal,
    audit,
    audited,
    connectors: createRemoteConnectors(remoteConnectors()),
    secrets: {
      row: (exec, id) => workflow.secretRow(exec, id),
      lock: (trx, id) => workflow.lockSecret(trx, id),
      sensitive: async (exec, s) => (await secrets.loadValues(exec, s)).sensitive,
      write: (trx, ctx, s, field, value) => secrets.writeSecretValue(trx, ctx, s, field, value, 'rotate'),
      load: secrets.load,
      newPassword: (exec, s) => workflow.newPassword(exec, s),
    },
    publish: (trx, event) => webhooks.publish(trx, event),
    access,
    owner: jobs.owner,
    policy: { allowedTargets: config.webhooks?.allowedTargets ?? [] },
    jobs,
    reauth,
    ...(config.rotation?.leaseMs ? { leaseMs: config.rotation.leaseMs } : {}),
    ...(config.rotation?.sweepMs ? { sweepMs: config.rotation.sweepMs } : {}),
  });
  const workflow = createWorkflowService({
    remote: rotation,
    db,
    clock,
    seal,
    access,
    audit,
    audited,
    secrets,
    writeSecretValue: secrets.writeSecretValue,
    // events go out through the webhooks outbox, in the transaction of the change
    publish: (trx, event) => webhooks.publish(trx, event),
  });
  // Ends what expired (checkouts, approvals, temporary grants): once per period across every
  // process on the database; each change inside is a conditional update, so an overlap is harmless.
  jobs.every('workflow.sweep', config.workflowSweepMs ?? 5000, {
    external: async () => {
      await workflow.sweep();
    },
  });
  // admin requests past their lifetime are stored as expired (and audited), like the workflow sweep
  jobs.every('admin-requests.sweep', config.workflowSweepMs ?? 5000, {
    external: async () => {
      await adminRequests.sweep();
    },
  });
  const transfer = createTransferService({
    db,
    clock,
    seal,
    access,
    vaults,
    secrets,
    audited,
    audit,
    // export files use the login hashing parameters and share its gate (Argon2id is memory-hard)
    kdf: { params: hasher.params, maxMemoryKiB: Math.max(256 * 1024, hasher.params.memoryKiB), gate: (fn) => hasher.gate.run(fn) },
  });
  const attachments = createAttachmentsService({
    db,
    clock,
    seal,
    secrets,
    audited,
    revealGate: workflow.revealGate,
    maxBytes: config.attachmentMaxBytes,
  });
  const metadata = createMetadataService({ clock, secrets, vaults, audited });
  const comments = createCommentsService({ clock, secrets, audited });
  const passwords = createPasswordsService({ access, secrets, audited });
  const lookup = createLookupService({ access, vaults, secrets, audited });
  const bulk = createBulkService({ secrets, audited, onError: (e) => app.log.error({ err: e }, 'bulk item failed') });
  const numbering = createNumbering();
  const naturalKeys = createNaturalKeys({ db, dialect: database.dialect });
  const clientKeys = createClientKeysService({ db, clock, audited });
  const userKeys = createUserKeysService({ clock, audited, userLookup });
  // account setup by OpenPGP key (Passbolt's invitation): tokens keyed by a key derived from the keyring
  const setup = createSetupService({
    db,
    clock,
    audited,
    users,
    setupKey: () => createHmac('sha256', seal.requireKeys().auditHmacKey).update('coffer/account-setup-token/v1').digest(),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Coffer native API', version: '1.0.0', description: 'Errors use one envelope: see docs/errors.md.' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Session token (cfs_…) or API key (cfk_…)' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs', staticCSP: true, uiConfig: { deepLinking: true } });

  app.addSchema(ErrorEnvelope);
  // the built web UI, read once (apis/web/static.ts): `/` and the browser's client-side routes
  const web = loadWebUi(config.webDir);
  const ui = web.ui;
  registerEdge(app, { db, audit, tls: Boolean(deps.https), registry, notFound: uiFallback(ui) });
  frontDoorRoute(app, ui);
  const edge: EdgeDeps = {
    db,
    seal,
    audit,
    registry,
    exposure: createCredentialExposure({ db, clock, seal, audit }),
    rateLimit: createCredentialRateLimit({ ...(config.rateLimit ?? defaultRateLimit), clock }),
  };

  const services = {
    seal,
    audit,
    users,
    groups,
    auth,
    apiKeys,
    totp,
    sys,
    auditService,
    reencrypt,
    hasher,
    access,
    vaults,
    templates,
    secrets,
    passwords,
    attachments,
    metadata,
    comments,
    workflow,
    rotation,
    jobs,
    webhooks,
    dualControl,
    adminRequests,
    numbering,
    clientKeys,
    userKeys,
    lookup,
    explain,
    bulk,
    transfer,
    userLookup,
    ownAccount,
    edge,
  };

  // every API surface (native, web UI, PMP, senhasegura, Secret Server, Passwork, Passbolt), each
  // built by its apis/<x>/ factory from these services (apis/surfaces.ts)
  await registerApiSurfaces(
    app,
    edge,
    {
      ...services,
      audit: auditService,
      setup,
      attachmentMaxBytes: config.attachmentMaxBytes,
      db,
      clock,
      audited,
      naturalKeys,
    },
    config,
  );

  // periodic signed checkpoint of the audit head
  const timer = setInterval(() => {
    if (seal.keys) audit.checkpointNow(db).catch((e) => app.log.error({ err: e }, 'audit checkpoint failed'));
  }, config.audit.checkpointSeconds * 1000);
  timer.unref();
  // an interrupted re-encryption (error, crash of the node holding the lease) is picked up again
  const jobTimer = setInterval(() => {
    if (seal.keys) reencrypt.kick(onJobError);
  }, 30_000);
  jobTimer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    clearInterval(jobTimer);
    await jobs.stop();
  });

  return {
    app,
    services,
    /** Whether the web UI is served, in words for the start log (main.ts). */
    webUi: web.note,
    /** Unseals from the key file when the server uses one; resumes an unfinished re-encryption. */
    async start() {
      await templates.ensureBuiltins();
      await seal.autoUnseal();
      // records written while sealed (and, on a migrated store, the MAC start marker) go in now
      await audit.settle(db);
      if (seal.keys) reencrypt.kick(onJobError);
      jobs.start();
    },
    initialize: (opts: InitOptions) => initializeCoffer({ db, seal, users, hasher, audit, keyFile: config.keyFile }, opts),
    /** Store-level recovery of a lost password (`coffer admin reset-password`); the caller unseals first. */
    recoverPassword: (opts: Parameters<typeof recoverPassword>[1]) => recoverPassword({ db, clock, hasher, audit, seal }, opts),
  };
}
export type App = Awaited<ReturnType<typeof buildApp>>;
