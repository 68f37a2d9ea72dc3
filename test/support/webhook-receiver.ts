/**
 * A real Ispbox-like webhook receiver on loopback: it verifies each POST as Standard Webhooks with that project's own
 * library (`standardwebhooks`: signature over id, timestamp and raw body, 5-minute window), parses the body with the
 * contract's WebhookEvent schema and acknowledges with 204, unless it is told to be down (`503`), to reset the
 * connection, or to leave requests hanging. Every attempt is kept, acknowledged or not.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { ProspectViableEvent, WebhookBody, WebhookEvent } from '../../contract/schemas.ts';

export type ReceiverMode = 'up' | '503' | 'reset' | 'hang';

export interface Attempt {
  /** webhook-id: the event's id, the same on every retry. */
  eventId: string;
  eventType: string;
  /** 204 acknowledged, 503 down, 400 a bad body or signature, 0 reset or left hanging. */
  answered: number;
  at: number;
}

export interface Delivered {
  event: WebhookEvent;
  raw: string;
  headers: IncomingMessage['headers'];
}

export interface WebhookReceiver {
  url: string;
  attempts: Attempt[];
  /** Acknowledged deliveries (a retried event appears once per acknowledgement). */
  delivered: Delivered[];
  /** Acknowledged `prospect.viable` deliveries (the waitlist's; docs/demand.md), kept apart from reservations'. */
  prospects: Array<{ event: ProspectViableEvent; raw: string; headers: IncomingMessage['headers'] }>;
  /** Requests whose signature or body did not check out: must stay empty. */
  rejected: Array<{ problem: string; raw: string }>;
  /** Requests being held open in `hang` mode. */
  hanging: number;
  setMode(mode: ReceiverMode): void;
  /** The acknowledged events, one per id, in the order they first arrived. */
  events(): WebhookEvent[];
  close(): Promise<void>;
}

/**
 * The secret as `standardwebhooks` takes it: a `whsec_` one as is, any other as the base64 of its UTF-8 bytes (the
 * library base64-decodes every secret it is given).
 */
export const standardSecret = (secret: string): string =>
  secret.startsWith('whsec_') ? secret : Buffer.from(secret, 'utf8').toString('base64');

/** Why `standardwebhooks` refuses this delivery for this secret, or undefined when it verifies. */
export function signatureProblem(
  raw: Buffer | string,
  headers: IncomingHttpHeaders,
  secret: string,
): string | undefined {
  const single = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
  try {
    new Webhook(standardSecret(secret)).verify(raw, single as Record<string, string>, { jsonParse: false });
    return undefined;
  } catch (error) {
    return `signature: ${(error as Error).message}`;
  }
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  let mode: ReceiverMode = 'up';
  const held = new Set<ServerResponse>();
  const receiver: Omit<WebhookReceiver, 'url' | 'close' | 'hanging'> = {
    attempts: [],
    delivered: [],
    prospects: [],
    rejected: [],
    setMode(next) {
      mode = next;
      if (next !== 'hang') for (const res of held) res.socket?.destroy();
      held.clear();
    },
    events() {
      const seen = new Map<string, WebhookEvent>();
      for (const d of receiver.delivered) if (!seen.has(d.event.id)) seen.set(d.event.id, d.event);
      return [...seen.values()];
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const attempt: Attempt = {
      eventId: String(req.headers['webhook-id'] ?? ''),
      eventType: String(req.headers['x-event-type'] ?? ''),
      answered: 0,
      at: Date.now(),
    };
    receiver.attempts.push(attempt);
    if (mode === 'reset') return void req.socket.destroy();
    if (mode === 'hang') {
      held.add(res);
      return;
    }
    if (mode === '503') return void answer(res, attempt, 503);
    const problem = check(req, raw);
    if (problem) {
      receiver.rejected.push({ problem, raw: raw.toString('utf8') });
      return void answer(res, attempt, 400);
    }
    const body: unknown = JSON.parse(raw.toString('utf8'));
    const prospect = ProspectViableEvent.safeParse(body);
    if (prospect.success) {
      receiver.prospects.push({ event: prospect.data, raw: raw.toString(), headers: req.headers });
      return void answer(res, attempt, 204);
    }
    receiver.delivered.push({
      event: WebhookEvent.parse(body),
      raw: raw.toString(),
      headers: req.headers,
    });
    answer(res, attempt, 204);
  }

  function check(req: IncomingMessage, raw: Buffer): string | undefined {
    if (req.method !== 'POST') return `method ${req.method}`;
    if (req.headers['content-type'] !== 'application/json') return `content-type ${req.headers['content-type']}`;
    const signature = signatureProblem(raw, req.headers, secret);
    if (signature) return signature;
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return 'not JSON';
    }
    const parsed = WebhookBody.safeParse(body);
    if (!parsed.success) return `body: ${parsed.error.message}`;
    if (parsed.data.id !== req.headers['webhook-id']) return 'webhook-id differs from the body id';
    if (parsed.data.id !== req.headers['x-event-id']) return 'X-Event-Id differs from the body id';
    if (parsed.data.type !== req.headers['x-event-type']) return 'X-Event-Type differs from the body type';
    return undefined;
  }

  function answer(res: ServerResponse, attempt: Attempt, status: number): void {
    attempt.answered = status;
    res.writeHead(status);
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...receiver,
    get hanging() {
      return held.size;
    },
    url: `http://127.0.0.1:${port}/ozmap/events`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
