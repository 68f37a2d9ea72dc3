/**
 * A small JSON-over-HTTP helper on undici shared by the OZmap and geocoder clients.
 * No HTTP-level retries: Temporal retries activities, and a blind re-send of a POST could double a reservation.
 * Errors are classified once here so that activities can decide what Temporal should retry.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { UpstreamErrorKind } from '../contract/failures.ts';

/** An OZmap or geocoder call that went wrong, classified (not the HTTP API's error of the same idea, in client/). */
export class UpstreamHttpError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'UpstreamHttpError';
  }

  get retryable(): boolean {
    return (
      this.kind === 'auth' || this.kind === 'rate-limited' || this.kind === 'unavailable' || this.kind === 'network'
    );
  }
}

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Absolute URL. Only its origin and path appear in error messages: query strings may carry keys. */
  url: URL;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export function createDispatcher(timeoutMs: number): Dispatcher {
  return new Agent({
    connections: 16,
    keepAliveTimeout: 10_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: Math.min(timeoutMs, 10_000),
  });
}

const describe = (req: JsonRequest) => `${req.method} ${req.url.origin}${req.url.pathname}`;

/** Sends one request and returns status + parsed JSON; throws UpstreamHttpError for anything but 2xx and 404. */
export async function sendJson(
  dispatcher: Dispatcher,
  req: JsonRequest,
  options: { allowNotFound?: boolean } = {},
): Promise<JsonResponse> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(req.url, {
      method: req.method,
      dispatcher,
      headers: {
        accept: 'application/json',
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...req.headers,
      },
      body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
    });
  } catch (err) {
    throw new UpstreamHttpError('network', `${describe(req)} failed: ${networkReason(err)}`);
  }
  const text = await res.body.text().catch((err: unknown) => {
    throw new UpstreamHttpError('network', `${describe(req)}: the response body was cut off (${networkReason(err)})`);
  });
  const body = parseJson(text);
  if (res.statusCode >= 200 && res.statusCode < 300) {
    if (res.statusCode !== 204 && text.length > 0 && body === undefined) {
      throw new UpstreamHttpError(
        'bad-response',
        `${describe(req)} answered ${res.statusCode} with a body that is not JSON`,
        res.statusCode,
      );
    }
    return { status: res.statusCode, body };
  }
  if (res.statusCode === 404 && options.allowNotFound) return { status: 404, body };
  throw new UpstreamHttpError(
    kindOf(res.statusCode),
    `${describe(req)} answered ${res.statusCode}${serverMessage(body)}`,
    res.statusCode,
    retryAfter(res.headers['retry-after']),
    body,
  );
}

/** Validates a response body at the boundary; an odd body is a clear, typed error naming what did not match. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new UpstreamHttpError('bad-response', `${what} did not match the documented shape (${issues.join('; ')})`);
}

function kindOf(status: number): UpstreamErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 408) return 'network';
  if (status === 409 || status === 422) return 'conflict';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'unavailable';
  return 'validation';
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function serverMessage(body: unknown): string {
  if (body && typeof body === 'object') {
    const { message, error } = body as { message?: unknown; error?: unknown };
    const text = typeof message === 'string' ? message : typeof error === 'string' ? error : undefined;
    if (text) return `: ${text.slice(0, 300)}`;
  }
  return '';
}

function retryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function networkReason(err: unknown): string {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError)
    return 'timed out';
  if (err instanceof undiciErrors.ConnectTimeoutError) return 'connection timed out';
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${code} (${message})` : message;
}
