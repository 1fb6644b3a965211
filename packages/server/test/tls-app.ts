// A second app on a harness's store, serving HTTPS with the self-signed certificate COFFER_TLS=auto
// would make (crypto/self-signed.ts), listening on a free loopback port; and a client for it that
// accepts that certificate. What the compatibility APIs' over-HTTPS tests share.
import { request } from 'node:https';
import { buildApp } from '../src/app.ts';
import { selfSignedCertificate } from '../src/crypto/self-signed.ts';
import type { Harness } from './harness.ts';

export interface HttpsAnswer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a parsed answer body
  json: any;
  headers: Record<string, unknown>;
}

export async function startTlsApp(h: Harness): Promise<{ port: number; close: () => Promise<void> }> {
  const { cert, key } = selfSignedCertificate(['localhost', '127.0.0.1']);
  const server = await buildApp({ config: h.config, database: h.database, https: { key: Buffer.from(key), cert: Buffer.from(cert) } });
  await server.start();
  await server.services.jobs.stop();
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (server.app.server.address() as { port: number }).port;
  return { port, close: () => server.app.close() };
}

/** One request over TLS to 127.0.0.1:`port`; the body parsed as JSON when it is JSON. */
export function httpsSend(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, rejectUnauthorized: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          // not JSON: the text is there
        }
        resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
