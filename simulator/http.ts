/** HTTP plumbing shared by the routes: JSON errors, body reading, responses, API-key checks. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

/** An error with the HTTP status and `{message}` body OZmap answers with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get body(): { message: string; errors?: FieldError[] } {
    return this.errors ? { message: this.message, errors: this.errors } : { message: this.message };
  }
}

/** What a route handler answers; the server serialises it (or, under an 'after' fault, throws it away). */
export interface ApiResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const ok = (body: unknown, status = 200): ApiResult => ({ status, body });

/** A 400 listing every field that failed validation. */
export function validationError(error: z.ZodError, what: string): ApiError {
  const errors = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  const summary = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new ApiError(400, `Invalid ${what}: ${summary}`, errors);
}

export const MAX_BODY_BYTES = 1_000_000;

/** Reads the whole body (GET included: the official SDK sends its filter in a GET body). */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new ApiError(413, `Request body is larger than ${limit} bytes`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // The client went away mid-body: nobody is left to answer, and it is not the simulator's fault.
    throw new ApiError(400, `Request body could not be read: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; an empty body is `undefined`. */
export function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, `Request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function send(res: ServerResponse, result: ApiResult): void {
  if (res.headersSent || res.destroyed) return;
  const payload = result.body === undefined ? '' : JSON.stringify(result.body);
  res.writeHead(result.status, {
    ...(payload === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': Buffer.byteLength(payload),
    ...result.headers,
  });
  res.end(payload);
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * OZmap takes the raw key in `Authorization` (no scheme); some integrations send `Bearer <key>` and the simulator
 * accepts both [SIM, OZmap fact O2]. Compared in constant time.
 */
export function isAuthorized(header: string | undefined, apiKey: string): boolean {
  if (!header) return false;
  const presented = header.replace(/^Bearer\s+/i, '').trim();
  return timingSafeEqual(digest(presented), digest(apiKey));
}

/** Decodes a path segment; a malformed %-escape is the caller's error, not a crash. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, `Malformed URL escape in path segment "${segment}"`);
  }
}
