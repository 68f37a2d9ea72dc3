/**
 * The receivers docs/webhooks.md shows, run as written there (their code blocks are cut out of the page): the PHP one
 * under `php -S` against deliveries the worker signs, both the PHP and the by-hand Node one against the vector
 * computed apart (test/support/webhook-vector.ts). Without `php` this fails: the PHP receiver is part of the contract.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IncomingHttpHeaders } from 'node:http';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createWebhookActivities, type WebhookTarget } from '../../activities/webhooks.ts';
import { FAILURES } from '../../contract/failures.ts';
import { EVENT, KNOWN_ANSWER, PREVIOUS, SECRET } from '../support/webhook-vector.ts';

const DOC = path.resolve(import.meta.dirname, '../../docs/webhooks.md');

/** The doc's fenced block in `language` that contains `marker`. */
function block(language: string, marker: string): string {
  const blocks = [...readFileSync(DOC, 'utf8').matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)];
  const found = blocks.find(([, lang, code]) => lang === language && code!.includes(marker));
  assert.ok(found, `docs/webhooks.md has no \`\`\`${language} block with ${marker}`);
  return found[2]!;
}

/** The vector's delivery as a receiver gets it: both signatures, as during a rotation. */
const vectorHeaders = {
  'webhook-id': KNOWN_ANSWER.id,
  'webhook-timestamp': String(KNOWN_ANSWER.timestamp),
  'webhook-signature': `${KNOWN_ANSWER.signature} ${KNOWN_ANSWER.previousSignature}`,
};
const ANOTHER = 'another-secret-0123456789';

/** What a receiver must answer for the vector: [secret, body, seconds now, verified?, why]. */
const VECTOR_CASES: Array<[string, string, number, boolean, string]> = [
  [SECRET, KNOWN_ANSWER.body, KNOWN_ANSWER.timestamp + 10, true, 'the current secret (UTF-8 bytes)'],
  [PREVIOUS, KNOWN_ANSWER.body, KNOWN_ANSWER.timestamp + 10, true, 'the previous secret (whsec_: decoded bytes)'],
  [ANOTHER, KNOWN_ANSWER.body, KNOWN_ANSWER.timestamp + 10, false, 'another secret'],
  [SECRET, KNOWN_ANSWER.body.replace('250', '251'), KNOWN_ANSWER.timestamp + 10, false, 'a changed body'],
  [SECRET, KNOWN_ANSWER.body, KNOWN_ANSWER.timestamp + 300, true, '5 minutes later'],
  [SECRET, KNOWN_ANSWER.body, KNOWN_ANSWER.timestamp + 301, false, 'replayed after 5 minutes'],
  [SECRET, KNOWN_ANSWER.body, KNOWN_ANSWER.timestamp - 301, false, 'stamped more than 5 minutes ahead'],
];

/** `php`, or a failure that says how to get it: the documented PHP receiver must be checked, never skipped. */
function requirePhp(): void {
  const probe = spawnSync('php', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    assert.fail(
      'php is not installed, so the PHP receiver of docs/webhooks.md cannot be checked: ' +
        'install PHP 8 (Debian: apt-get install -y php-cli; .ci/run does it)',
    );
}

describe('the receivers in docs/webhooks.md', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'webhook-receivers-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Node, by hand: verifies the vector with either secret, refuses the rest', async () => {
    const file = path.join(dir, 'verify.ts');
    writeFileSync(file, block('ts', 'function verified('));
    const { verified, webhookKey } = (await import(pathToFileURL(file).href)) as {
      verified: (raw: Buffer, headers: IncomingHttpHeaders, key: Buffer, now?: number) => boolean;
      webhookKey: (secret: string) => Buffer;
    };
    for (const [secret, body, now, expected, why] of VECTOR_CASES)
      assert.equal(verified(Buffer.from(body), vectorHeaders, webhookKey(secret), now), expected, why);
  });

  it('PHP: verifies the vector with either secret, refuses the rest', () => {
    requirePhp();
    const file = path.join(dir, 'vector.php');
    writeFileSync(
      file,
      block('php', 'function webhook_verified(') +
        `foreach (json_decode(stream_get_contents(STDIN), true) as [$secret, $id, $ts, $signatures, $body, $now]) {
    echo webhook_verified(webhook_key($secret), $id, $ts, $signatures, $body, $now) ? "1\\n" : "0\\n";
}
`,
    );
    const cases = VECTOR_CASES.map(([secret, body, now]) => [
      secret,
      vectorHeaders['webhook-id'],
      vectorHeaders['webhook-timestamp'],
      vectorHeaders['webhook-signature'],
      body,
      now,
    ]);
    const run = spawnSync('php', [file], { input: JSON.stringify(cases), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr || run.stdout);
    const answers = run.stdout.trim().split('\n');
    VECTOR_CASES.forEach(([, , , expected, why], i) => assert.equal(answers[i], expected ? '1' : '0', why));
  });

  describe('PHP under php -S, receiving what the worker sends', () => {
    const servers: ChildProcess[] = [];
    after(() => {
      for (const server of servers) server.kill();
    });

    /** The documented PHP endpoint (both its blocks) on loopback, keyed with `secret`. */
    async function phpReceiver(secret: string): Promise<string> {
      requirePhp();
      const file = path.join(dir, `endpoint-${servers.length}.php`);
      writeFileSync(
        file,
        block('php', 'function webhook_verified(') + block('php', "file_get_contents('php://input')"),
      );
      const port = await freePort();
      const server = spawn('php', ['-S', `127.0.0.1:${port}`, file], {
        env: { ...process.env, WEBHOOK_SECRET: secret },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      servers.push(server);
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const seen = (chunk: Buffer) => {
          output += chunk.toString();
          if (/started/i.test(output)) resolve();
        };
        server.stdout.on('data', seen);
        server.stderr.on('data', seen);
        server.on('exit', (code) => reject(new Error(`php -S exited (${code}): ${output}`)));
      });
      return `http://127.0.0.1:${port}/ozmap/events`;
    }

    const deliver = (url: string, target: Omit<WebhookTarget, 'url' | 'reminderDays'>) => {
      const activities = createWebhookActivities({ url, reminderDays: [], ...target });
      return new MockActivityEnvironment().run(() => activities.deliverWebhook(EVENT));
    };

    it('accepts a delivery signed during a rotation, keyed with either secret', async () => {
      const [current, previous] = await Promise.all([phpReceiver(SECRET), phpReceiver(PREVIOUS)]);
      assert.deepEqual(await deliver(current, { secret: SECRET, previousSecret: PREVIOUS }), { status: 204 });
      assert.deepEqual(await deliver(previous, { secret: SECRET, previousSecret: PREVIOUS }), { status: 204 });
      assert.deepEqual(await deliver(current, { secret: SECRET }), { status: 204 });
    });

    it('answers 401 to a delivery signed with another secret, and to the vector replayed', async () => {
      const url = await phpReceiver(SECRET);
      await assert.rejects(deliver(url, { secret: ANOTHER }), (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure, String(error));
        assert.equal(error.type, FAILURES.WebhookRejected);
        assert.match(error.message, /answered 401/);
        return true;
      });
      const replayed = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...vectorHeaders },
        body: KNOWN_ANSWER.body,
      });
      assert.equal(replayed.status, 401, 'the vector is stamped far from now: a replay');
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
