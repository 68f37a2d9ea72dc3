/**
 * What one connection may take and how long (docs/http-api.md, "Errors and limits"): the body's size, the request
 * line's and headers', the time to send a whole request, an idle socket's life; and Node's own refusals of a request
 * fastify never sees, answered in the API's error shape.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/env.ts';

/** Bodies are small JSON documents; anything bigger is a mistake or an attack (413). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** Defaults of HTTP_REQUEST_TIMEOUT_SECONDS and HTTP_WAIT_SECONDS, for callers that pass a partial config. */
const DEFAULT_REQUEST_TIMEOUT_SECONDS = 10;
const DEFAULT_WAIT_SECONDS = 20;

/**
 * The request line and headers may take as much as a body. The longest valid request line is about 6 KB (a 4096-
 * character page token), but an over-long value written in percent-escapes must reach validation, which names the
 * parameter, rather than Node's parser, which can only answer 431.
 */
const MAX_HEADER_BYTES = BODY_LIMIT_BYTES;

/**
 * A client must send its whole request (headers and body) within the request timeout, or Node answers 408 and
 * closes the socket; Node checks every half second, so the cut comes at most that late. An idle socket is
 * closed after the longest wait for a workflow (HTTP_WAIT_SECONDS) plus a minute, which a doctor run fits in.
 */
export function connectionLimits(http: Partial<Config['http']>) {
  const requestTimeout = (http.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000;
  return {
    requestTimeout,
    connectionTimeout: ((http.waitSeconds ?? DEFAULT_WAIT_SECONDS) + 60) * 1000,
    http: {
      requestTimeout,
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: 500,
      maxHeaderSize: MAX_HEADER_BYTES,
    },
  };
}

/** What Node's parser refuses before fastify sees a request, by its error code; each message follows "The request". */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request-timeout',
    message: 'did not arrive whole (headers and body) within HTTP_REQUEST_TIMEOUT_SECONDS: send it in time',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers-too-large',
    message: `line and headers exceed ${MAX_HEADER_BYTES / 1024} KiB: shorten them`,
  },
};
const MALFORMED = { status: 400, code: 'invalid-request', message: 'is not a well-formed HTTP/1.1 request' };

/** Node's refusals before fastify sees a request (fastify's `clientErrorHandler`). */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = CLIENT_ERRORS[err.code ?? ''] ?? MALFORMED;
  const body = JSON.stringify({
    error: code,
    message: `The request ${message}`,
    details: [{ field: '(request)', message }],
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
