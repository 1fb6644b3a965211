import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteOptions } from 'fastify';
import { operationIdOf, operationIds } from './openapi.ts';

describe('operationIds', () => {
  it('derives camelCase ids from audit actions', () => {
    assert.equal(operationIdOf('secret.import'), 'secretImport');
    assert.equal(operationIdOf('secret.shared_with_me'), 'secretSharedWithMe');
    assert.equal(operationIdOf('audit.checkpoints_read'), 'auditCheckpointsRead');
  });

  it('refuses a second route with the same id, keeps an explicit one, and leaves HEAD and hidden routes alone', () => {
    const assign = operationIds();
    const route = (method: string, url: string, schema: Record<string, unknown>) =>
      ({ method, url, schema, handler: () => {} }) as RouteOptions;
    const a = route('GET', '/a', {});
    assign(a, 'thing.read');
    assert.equal((a.schema as { operationId: string }).operationId, 'thingRead');
    assign(route('HEAD', '/a', {}), 'thing.read');
    assign(route('GET', '/hidden', { hide: true }), 'thing.read');
    assert.throws(() => assign(route('GET', '/b', {}), 'thing.read'), /operationId thingRead of GET \/b is already used by GET \/a/);
    const c = route('GET', '/c', { operationId: 'thingReadOther' });
    assign(c, 'thing.read');
    assert.equal((c.schema as { operationId: string }).operationId, 'thingReadOther');
  });
});
