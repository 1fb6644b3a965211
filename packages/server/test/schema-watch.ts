// What the response-schema tests of the compatibility APIs share: the app's routes of one surface
// with their declared response schemas, and every answer of that surface as the handler produced
// it and as it was sent (the serializer drops what a schema does not name, so a difference is a
// field lost on the wire). Watched through Fastify's initialization channel, before any route.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type dialects, startHarness } from './harness.ts';

export type Json = Record<string, unknown>;
export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface WatchedRoute {
  key: string;
  response: Json | undefined;
}
export interface WatchedAnswer {
  route: string;
  status: number;
  produced: unknown;
  sent: unknown;
}

/** Object schemas with properties that are open to more (the allow-list must be closed). */
export function openObjects(s: unknown, where: string, out: string[]): void {
  if (!isObj(s)) return;
  if (isObj(s.properties) && s.additionalProperties !== false) out.push(where);
  for (const [k, v] of Object.entries(isObj(s.properties) ? s.properties : {})) openObjects(v, `${where}.${k}`, out);
  if (s.items) openObjects(s.items, `${where}[]`, out);
}

/** A harness whose app reports the routes under the surface (`ours(url)`) and their answers. */
export async function startWatched(dialect: (typeof dialects)[number], ours: (url: string) => boolean) {
  const routes: WatchedRoute[] = [];
  const answers: WatchedAnswer[] = [];
  const produced = new WeakMap<FastifyRequest, string>();
  const onInit = (message: unknown) => {
    const app = (message as { fastify: FastifyInstance }).fastify;
    app.addHook('onRoute', (r: RouteOptions) => {
      for (const m of Array.isArray(r.method) ? r.method : [r.method]) {
        if (ours(r.url) && m !== 'HEAD') routes.push({ key: `${m} ${r.url}`, response: (r.schema as Json | undefined)?.response as Json });
      }
    });
    app.addHook('preSerialization', async (req: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
      if (ours(req.url)) produced.set(req, JSON.stringify(payload));
      return payload;
    });
    app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const before = produced.get(req);
      if (before !== undefined && typeof payload === 'string' && req.routeOptions.url) {
        answers.push({
          route: `${req.method} ${req.routeOptions.url}`,
          status: reply.statusCode,
          produced: JSON.parse(before),
          sent: JSON.parse(payload),
        });
      }
      return payload;
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  try {
    const h = await startHarness(dialect);
    return { h, routes, answers };
  } finally {
    diagnostics.unsubscribe('fastify.initialization', onInit);
  }
}

/** Every route has a 200 or 201 and each of `errorStatuses`, every one a closed object; `more` adds checks per route. */
export function schemaProblems(
  routes: WatchedRoute[],
  errorStatuses: readonly (string | number)[],
  more?: (r: WatchedRoute, res: Json, problems: string[]) => void,
): string[] {
  const problems: string[] = [];
  for (const r of routes) {
    const res = r.response;
    if (!isObj(res)) {
      problems.push(`${r.key}: no response schema`);
      continue;
    }
    if (!res[200] && !res[201]) problems.push(`${r.key}: no 200/201`);
    for (const s of errorStatuses) if (!res[s]) problems.push(`${r.key}: no ${s}`);
    for (const [status, schema] of Object.entries(res)) openObjects(schema, `${r.key} ${status}`, problems);
    more?.(r, res, problems);
  }
  return problems;
}

/** Every route was answered with a success, each of `statuses` was seen, every answer through a declared schema and nothing lost. */
export function assertAnswersKept(routes: WatchedRoute[], answers: WatchedAnswer[], statuses: number[]): void {
  const succeeded = new Set(answers.filter((a) => a.status < 300).map((a) => a.route));
  assert.deepEqual(
    routes.map((r) => r.key).filter((k) => !succeeded.has(k)),
    [],
    'routes without a success answer in this test',
  );
  const seen = new Set(answers.map((a) => a.status));
  for (const s of statuses) assert.ok(seen.has(s), `no ${s} answer seen`);
  for (const a of answers) {
    const declared = routes.find((r) => r.key === a.route)?.response?.[a.status];
    assert.ok(declared, `${a.route} answered ${a.status} without a schema for it`);
    assert.deepEqual(a.sent, a.produced, `${a.route} ${a.status}: the schema dropped or changed something`);
  }
}
