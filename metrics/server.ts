/**
 * A small HTTP endpoint serving a prom-client registry on /metrics (the worker's own metrics, and the API's when
 * HTTP_METRICS_ADDRESS gives them a listener of their own), behind a bearer token when one is given.
 */
import http from 'node:http';
import type { Registry } from 'prom-client';
import { bearerMatcher, bearerToken } from '../net/bearer.ts';
import { splitHostPort } from '../net/hosts.ts';

export async function serveMetrics(
  registry: Registry,
  address: string,
  options: { token?: string; tokenName?: string } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const { host, port } = splitHostPort(address);
  const allowed = options.token ? bearerMatcher(options.token) : () => true;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
      return;
    }
    if (!allowed(bearerToken(req.headers.authorization))) {
      res
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="ispbox-ozmap"' })
        .end(`send "Authorization: Bearer <${options.tokenName ?? 'token'}>"\n`);
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
