/** A small HTTP endpoint serving a prom-client registry on /metrics (the worker's own metrics). */
import http from 'node:http';
import type { Registry } from 'prom-client';
import { splitHostPort } from '../net/hosts.ts';

export async function serveMetrics(
  registry: Registry,
  address: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const { host, port } = splitHostPort(address);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  return {
    url: `http://${address}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
