/**
 * The codec endpoint for the Temporal Web UI and CLI (`--ui-codec-endpoint`, `temporal … --codec-endpoint`):
 * POST …/decode and …/encode with `{ payloads: [...] }`, as in Temporal's codec server protocol (only the last path
 * segment counts, so it can be mounted under any prefix).
 *
 * It decrypts whatever it is given, so access is the whole question:
 *   - it binds to loopback by default (config refuses another address without a token);
 *   - browsers may only call it from the allowed origins (the UI's); a request from another origin is refused
 *     outright, not merely left unreadable by CORS;
 *   - with a token configured, every POST needs `Authorization: Bearer <token>` (the CLI sends it with
 *     `--codec-auth`); the dev server's UI has no login and so no token to send, which is why loopback is the default.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { hostPort } from '../net/hosts.ts';
import { fromJson, JsonPayloads, toJson } from './json-payloads.ts';

export interface CodecServerOptions {
  codec: PayloadCodec;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Browser origins allowed to call it, e.g. http://127.0.0.1:8233 (the Web UI). */
  allowedOrigins: string[];
  /** When set, POSTs need `Authorization: Bearer <token>`. */
  token?: string;
  /** Operational messages (refused requests, codec errors); never payload contents. Default: stderr. */
  log?: (line: string) => void;
}

export interface CodecServer {
  /** e.g. http://127.0.0.1:8888: what `--ui-codec-endpoint` takes. */
  readonly url: string;
  readonly port: number;
  /** Allows one more browser origin (e.g. the Web UI once its port is known). */
  allowOrigin(origin: string): void;
  close(): Promise<void>;
}

/** Temporal's payload limit is 2 MB each; the UI sends a few at a time. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** What the Web UI sends (Authorization and Authorization-Extras only when it passes its access token). */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const allowed = new Set(options.allowedOrigins);
  const tokenDigest = options.token ? sha256(options.token) : undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const problem = err instanceof HttpProblem ? err : new HttpProblem(500, 'internal error');
      if (problem.status >= 500)
        log(`[codec] ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, problem.status, { message: problem.message }, problem.headers);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowed.has(origin))
        throw new HttpProblem(403, `origin ${origin} is not allowed: add it to CODEC_SERVER_ALLOWED_ORIGINS`);
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true'); // the UI's "include cross-origin credentials"
    }
    res.setHeader('Vary', 'Origin');
    const action = new URL(req.url ?? '/', 'http://codec').pathname.split('/').filter(Boolean).at(-1);
    if (action !== 'decode' && action !== 'encode') throw new HttpProblem(404, 'not found: POST …/decode or …/encode');

    if (req.method === 'OPTIONS') {
      // The preflight carries no credentials, by the browser's rules: answer it without asking for the token.
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') throw new HttpProblem(405, 'use POST', { Allow: 'POST, OPTIONS' });
    if (tokenDigest && !bearerMatches(req.headers.authorization, tokenDigest)) {
      throw new HttpProblem(401, 'a bearer token is required (Authorization: Bearer <CODEC_SERVER_TOKEN>)', {
        'WWW-Authenticate': 'Bearer',
      });
    }

    const body = JsonPayloads.safeParse(parseJson(await readBody(req)));
    if (!body.success) {
      const issue = body.error.issues[0];
      throw new HttpProblem(
        400,
        `expected {"payloads": [{"metadata": {…base64}, "data": base64}]}: ` +
          `${issue?.path.join('.') || 'body'} ${issue?.message ?? ''}`.trim(),
      );
    }
    const payloads = body.data.payloads.map(fromJson);
    let result;
    try {
      result = action === 'decode' ? await options.codec.decode(payloads) : await options.codec.encode(payloads);
    } catch (err) {
      // e.g. a key id that is not configured: the message names the id, never key material.
      throw new HttpProblem(422, err instanceof Error ? err.message : String(err));
    }
    send(res, 200, { payloads: result.map(toJson) });
  }

  server.listen({ host: options.host ?? '127.0.0.1', port: options.port });
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${hostPort(address, port)}`,
    port,
    allowOrigin: (origin) => void allowed.add(origin),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares digests, so the comparison takes the same time whatever the token's length or content. */
function bearerMatches(header: string | undefined, digest: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1].trim()), digest);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpProblem(400, 'the body is not JSON');
  }
}
