// Devices: a device is a folder of the senhasegura vault named by its hostname (the credentials of
// the device are created in it); its attributes are the folder's metadata (section "senhasegura
// device"), deactivation a metadata flag (the folder and its credentials stay).
// POST /pam/device (create or update by hostname), GET /pam/device[/{id|hostname}],
// DELETE /pam/device/{id|hostname} (deactivate), PUT /pam/device/{id|hostname} (activate).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import type { RequestContext } from '../../modules/auth/actor.ts';
import { fieldsOf, list, text } from './body.ts';
import { refParams } from './credentials-read.ts';
import { anyBody } from './credentials-write.ts';
import type { Ctx } from './deps.ts';
import { ok } from './envelope.ts';
import { ensureDevice, ensureVault, findDevice } from './place.ts';
import { deviceListResponses, deviceReadResponses, deviceSaveResponses, plainResponses } from './schemas.ts';

export const DEVICE_SECTION = 'senhasegura device';
const ATTRS = ['ip', 'type', 'vendor', 'model', 'site', 'device_domain', 'device_tags', 'connectivities', 'session_remote_config'] as const;
type Attr = (typeof ATTRS)[number];
const ACTIVE = 'active';

const noDevice = () => new AppError('not_found', 'No such device.', { reason: 'device' });

interface Device {
  folderId: string;
  hostname: string;
  attrs: Partial<Record<Attr, string>>;
  active: boolean;
}

async function readDevice(c: Ctx, ctx: RequestContext, folderId: string): Promise<Device> {
  const folder = await c.vaults.getFolder(ctx, folderId);
  const fields = (await c.metadata.list(ctx, folderId)).items.filter((m) => m.section === DEVICE_SECTION);
  const attrs: Partial<Record<Attr, string>> = {};
  let active = true;
  for (const m of fields) {
    if (m.name === ACTIVE) active = m.value !== false;
    else if ((ATTRS as readonly string[]).includes(m.name)) attrs[m.name as Attr] = String(m.value);
  }
  return { folderId, hostname: folder.name, attrs, active };
}

/** A device by its integer id or hostname; undefined when missing or hidden. */
async function findByRef(c: Ctx, ctx: RequestContext, ref: string): Promise<string | undefined> {
  const r = ref.trim();
  if (/^[1-9]\d{0,14}$/.test(r)) {
    const id = await c.numbering.idOf(c.db, 'folder', r);
    if (id) return id;
  }
  return findDevice(c, ctx, r);
}

async function wire(c: Ctx, d: Device) {
  const num = await c.numbering.numberOf(c.db, 'folder', d.folderId);
  const a = (k: Attr) => d.attrs[k] ?? '';
  return {
    id: String(num),
    hostname: d.hostname,
    ip: a('ip'),
    model: a('model'),
    type: a('type'),
    vendor: a('vendor'),
    site: a('site'),
    device_domain: a('device_domain'),
    connectivities: a('connectivities'),
    session_remote_config: a('session_remote_config'),
    device_tags: a('device_tags'),
    tags: a('device_tags'),
    active: d.active ? '1' : '0',
  };
}

async function setAttr(c: Ctx, ctx: RequestContext, folderId: string, name: string, value: string | boolean) {
  await c.metadata.set(ctx, {
    nodeId: folderId,
    section: DEVICE_SECTION,
    name,
    type: typeof value === 'boolean' ? 'boolean' : 'string',
    value,
  });
}

/** `base`: '/pam' under /iso, '' under /api/pam. */
export function deviceRoutes(app: FastifyInstance, c: Ctx, base: string): void {
  const cfg = (action: string) => ({ auth: 'user' as const, permission: 'self' as const, action });

  app.post(`${base}/device`, {
    config: cfg('senhasegura.device.save'),
    schema: { body: anyBody, response: deviceSaveResponses },
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const b = fieldsOf(req.body);
      const hostname = text(b, 'hostname', 200);
      if (!hostname) throw new AppError('validation.failed', "The device's hostname was not informed", { reason: 'hostname_missing' });
      const ip = text(b, 'ip', 200) ?? text(b, 'address', 200);
      if (!ip) throw new AppError('validation.failed', "The device's IP was not informed", { reason: 'ip_missing' });
      const wanted: Partial<Record<Attr, string>> = { ip };
      for (const k of ATTRS) {
        if (k === 'ip') continue;
        const v = k === 'device_tags' || k === 'connectivities' || k === 'device_domain' ? list(b, k)?.join(',') : text(b, k, 2000);
        if (v !== undefined) wanted[k] = v;
      }
      // one write per device at a time, on every node (ADR 0016)
      return c.naturalKeys.serialize('senhasegura.device', hostname.toLowerCase(), () => save(req, reply, hostname, wanted));
    },
  });

  async function save(req: FastifyRequest, reply: FastifyReply, hostname: string, wanted: Partial<Record<Attr, string>>) {
    const vaultId = await ensureVault(c, req.ctx);
    const { id, created } = await ensureDevice(c, req.ctx, vaultId, hostname);
    const before = await readDevice(c, req.ctx, id);
    let changed = created;
    for (const [k, v] of Object.entries(wanted)) {
      if (before.attrs[k as Attr] !== v) {
        await setAttr(c, req.ctx, id, k, v as string);
        changed = true;
      }
    }
    // saving a device makes it active again (senhasegura: an update of a deactivated device)
    if (!before.active) {
      await setAttr(c, req.ctx, id, ACTIVE, true);
      changed = true;
    }
    const device = await wire(c, await readDevice(c, req.ctx, id));
    const status = created ? 201 : 200;
    reply.code(status);
    const body = ok(status, created ? 'Device successfully registered!' : changed ? 'Device updated successfully!' : 'Device unchanged', {
      device,
    });
    body.response.changed = changed ? 'true' : 'false';
    return body;
  }

  const listDevices = async (req: FastifyRequest) => {
    const vaultId = await ensureVault(c, req.ctx);
    const folders = (await c.vaults.listFolders(req.ctx, { vaultId })).items;
    const devices = [];
    for (const f of folders) devices.push(await wire(c, await readDevice(c, req.ctx, f.id)));
    return ok(200, `${devices.length} device${devices.length === 1 ? '' : 's'} found`, { devices });
  };
  app.get(`${base}/device`, {
    config: cfg('senhasegura.device.list'),
    schema: { querystring: { type: 'object' }, response: deviceListResponses },
    handler: listDevices,
  });
  app.get(`${base}/device/`, {
    config: cfg('senhasegura.device.list'),
    schema: { querystring: { type: 'object' }, response: deviceListResponses },
    handler: listDevices,
  });

  app.get(`${base}/device/:ref`, {
    config: cfg('senhasegura.device.get'),
    schema: { params: refParams, response: deviceReadResponses },
    handler: async (req) => {
      const id = await findByRef(c, req.ctx, (req.params as { ref: string }).ref);
      if (!id) throw noDevice();
      const device = await wire(c, await readDevice(c, req.ctx, id));
      return ok(200, `Device ${device.id}`, { device });
    },
  });

  // unknown, hidden or already inactive: 400 1011 (never 404), as senhasegura answers
  app.delete(`${base}/device/:ref`, {
    config: cfg('senhasegura.device.deactivate'),
    schema: { params: refParams, response: plainResponses },
    handler: async (req) => {
      const id = await findByRef(c, req.ctx, (req.params as { ref: string }).ref);
      if (!id) throw noDevice();
      const d = await readDevice(c, req.ctx, id);
      if (!d.active) throw new AppError('not_found', 'The device is inactive.', { reason: 'already_inactive' });
      await setAttr(c, req.ctx, id, ACTIVE, false);
      return ok(200, 'Device successfully deactivated');
    },
  });

  app.put(`${base}/device/:ref`, {
    config: cfg('senhasegura.device.activate'),
    schema: { params: refParams, response: plainResponses },
    handler: async (req) => {
      const id = await findByRef(c, req.ctx, (req.params as { ref: string }).ref);
      if (!id) throw noDevice();
      await setAttr(c, req.ctx, id, ACTIVE, true);
      return ok(200, 'Device successfully activated');
    },
  });
}
