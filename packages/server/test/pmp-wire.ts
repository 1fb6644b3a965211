// Watches what the PMP API answers, in every app built while the watch runs (through Fastify's
// public `fastify.initialization` diagnostics channel): for each answer under /restapi/json/v1 that
// Fastify serializes, the body the handler (or the error handler) gave and the JSON that left the
// server must be equal — a response schema that drops or changes a field shows up here.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const PMP_PATH = '/restapi/json/v1';

export interface WireAnswer {
  method: string;
  route: string;
  action: string;
  status: number;
  /** operation.result.status of the body */
  result: string;
  hasDetails: boolean;
}

export interface WireWatch {
  /** Every PMP answer compared (equal ones). */
  answers: WireAnswer[];
  /** Answers whose wire JSON differs from the handler's body. */
  mismatches: Array<{ url: string; handler: unknown; wire: unknown }>;
  stop(): void;
}

export function watchPmpWire(): WireWatch {
  const answers: WireAnswer[] = [];
  const mismatches: WireWatch['mismatches'] = [];
  const given = new WeakMap<FastifyReply, string>();
  const onInit = (message: unknown) => {
    const app = (message as { fastify: FastifyInstance }).fastify;
    app.addHook('preSerialization', async (req, reply, payload) => {
      if (req.url.includes(PMP_PATH)) given.set(reply, JSON.stringify(payload));
      return payload;
    });
    app.addHook('onSend', async (req, reply, payload) => {
      const before = given.get(reply);
      if (before === undefined || typeof payload !== 'string') return payload;
      const handler = JSON.parse(before);
      const wire = JSON.parse(payload);
      try {
        assert.deepStrictEqual(wire, handler);
        answers.push({
          method: req.method,
          route: req.routeOptions.url ?? '',
          action: String(req.routeOptions.config?.action ?? ''),
          status: reply.statusCode,
          result: String(handler?.operation?.result?.status),
          hasDetails: handler?.operation?.Details !== undefined,
        });
      } catch {
        mismatches.push({ url: req.url.split('?')[0] as string, handler, wire });
      }
      return payload;
    });
  };
  diagnostics.subscribe('fastify.initialization', onInit);
  return { answers, mismatches, stop: () => diagnostics.unsubscribe('fastify.initialization', onInit) };
}
