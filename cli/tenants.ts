/**
 * `ozres tenants …`: the tenants a deployment serves (docs/tenants.md, "Admin API"), through the HTTP API's admin
 * routes, so that the CLI needs only the API's address and ADMIN_API_KEY, never the registry's store or key.
 * Exit codes: 0 done; 1 the API unreachable or failing; 2 refused (bad field, bad key); 4 no such tenant.
 */
import type { Command } from 'commander';
import { request } from 'undici';
import { loadConfig } from '../config/env.ts';
import { TenantId } from '../contract/tenants.ts';
import { hostPort, dialableHost } from '../net/hosts.ts';
import { EXIT } from './exit-codes.ts';
import { wholeNumber } from './options.ts';

interface TenantFlags {
  name?: string;
  ozmapUrl?: string;
  ozmapKey?: string;
  radius?: number;
  holdDays?: number;
  maxHoldDays?: number;
  selection?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  json?: boolean;
}

/** Where the admin API answers: ADMIN_API_URL, else this configuration's HTTP_HOST and HTTP_PORT. */
function adminTarget(): { url: string; key: string } {
  const key = process.env.ADMIN_API_KEY;
  if (!key) throw new CliUsageError('ADMIN_API_KEY: is required for ozres tenants (the admin API key)');
  if (process.env.ADMIN_API_URL) return { url: process.env.ADMIN_API_URL.replace(/\/$/, ''), key };
  const { http } = loadConfig(process.env, 'client');
  return { url: `http://${hostPort(dialableHost(http.host), http.port)}`, key };
}

class CliUsageError extends Error {}

/** The `<tenantId>` argument, checked before any call: a bad one is refused here, naming it. */
function tenantPath(id: string): string {
  const parsed = TenantId.safeParse(id);
  if (!parsed.success) throw new CliUsageError(`<tenantId> "${id}": ${parsed.error.issues[0]!.message}`);
  return `/v1/admin/tenants/${parsed.data}`;
}

/** One admin call; prints the answer (JSON with --json) and sets the exit code by its status. */
async function admin(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const { url, key } = adminTarget();
  const response = await request(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).catch((err: unknown) => {
    throw new Error(
      `The admin API at ${url} did not answer (${err instanceof Error ? err.message : String(err)}): is the HTTP ` +
        'API running there with ADMIN_API_KEY set? (ADMIN_API_URL names where it is)',
    );
  });
  const text = await response.body.text();
  const answer = parseJson(text);
  if (response.statusCode >= 400) {
    const problem = answer as { message?: string; details?: Array<{ field: string; message: string }> } | undefined;
    const details = (problem?.details ?? []).map((d) => `\n  - ${d.field}: ${d.message}`).join('');
    console.error(`${problem?.message ?? `The admin API answered ${response.statusCode}`}${details}`);
    process.exitCode =
      response.statusCode === 404 ? EXIT.notFound : response.statusCode >= 500 ? EXIT.failure : EXIT.invalid;
    return undefined;
  }
  return answer;
}

/** An answer's JSON; a body that is not JSON (a proxy's page, say) as its text. */
function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/**
 * The PUT body from the flags; a key given as `-` is read from standard input (kept out of the shell's history).
 * `add` needs --name, --ozmap-url and --ozmap-key, and a webhook secret goes with its URL: refused here, naming the
 * flags, before anything is sent.
 */
async function tenantBody(flags: TenantFlags, adding: boolean): Promise<Record<string, unknown>> {
  const missing = adding
    ? (['name', 'ozmapUrl', 'ozmapKey'] as const).filter((flag) => flags[flag] === undefined).map(flagName)
    : [];
  if (missing.length > 0) throw new CliUsageError(`${missing.join(', ')}: required to add a tenant`);
  if (flags.webhookSecret !== undefined && flags.webhookUrl === undefined)
    throw new CliUsageError('--webhook-secret: goes with --webhook-url (the webhook it signs)');
  if (flags.ozmapKey === '-' && flags.webhookSecret === '-')
    throw new CliUsageError('--ozmap-key, --webhook-secret: only one of them can be read from standard input');
  const secret = async (value: string | undefined) => (value === '-' ? (await readStdin()).trim() : value);
  const ozmapKey = await secret(flags.ozmapKey);
  const webhookSecret = await secret(flags.webhookSecret);
  return {
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.ozmapUrl !== undefined || ozmapKey !== undefined
      ? {
          ozmap: {
            ...(flags.ozmapUrl !== undefined ? { url: flags.ozmapUrl } : {}),
            ...(ozmapKey !== undefined ? { apiKey: ozmapKey } : {}),
          },
        }
      : {}),
    ...(flags.radius !== undefined ? { radiusMeters: flags.radius } : {}),
    ...(flags.holdDays !== undefined ? { holdDays: flags.holdDays } : {}),
    ...(flags.maxHoldDays !== undefined ? { maxHoldDays: flags.maxHoldDays } : {}),
    ...(flags.selection !== undefined ? { selection: flags.selection } : {}),
    ...(flags.webhookUrl !== undefined
      ? { webhook: { url: flags.webhookUrl, ...(webhookSecret !== undefined ? { secret: webhookSecret } : {}) } }
      : {}),
  };
}

const flagName = (flag: string) => `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

interface TenantView {
  id: string;
  name: string;
  enabled: boolean;
  ozmap: { url: string };
  radiusMeters: number;
  holdDays: number;
  selection: string;
  webhook: { url: string } | null;
  keys: Array<{ keyId: string; createdAt: string }>;
}

const line = (t: TenantView) =>
  `${t.id.padEnd(20)} ${(t.enabled ? 'enabled' : 'DISABLED').padEnd(9)} ${t.ozmap.url}  radius ${t.radiusMeters} m, ` +
  `${t.holdDays} d, ${t.selection}, ${t.keys.length} key(s), webhook ${t.webhook ? 'on' : 'off'}  ${t.name}`;

const show = (answer: unknown, json?: boolean) => {
  if (answer === undefined) return;
  console.log(json ? JSON.stringify(answer, null, 2) : line(answer as TenantView));
};

function withTenantOptions(command: Command): Command {
  return command
    .option('--name <name>', "the ISP's name")
    .option('--ozmap-url <url>', "the tenant's OZmap, e.g. https://isp.ozmap.com.br:9994")
    .option('--ozmap-key <key>', "the tenant's OZmap API key (- reads it from standard input)")
    .option('--radius <metres>', 'search radius ("OzMap Raio")', wholeNumber('--radius'))
    .option('--hold-days <days>', 'default hold', wholeNumber('--hold-days'))
    .option('--max-hold-days <days>', 'longest hold, extensions included', wholeNumber('--max-hold-days'))
    .option('--selection <mode>', 'auto or manual, when a request names none')
    .option('--webhook-url <url>', "the tenant's webhook endpoint")
    .option('--webhook-secret <secret>', 'its signing secret (whsec_… or text; - reads it from standard input)')
    .option('--json', 'print the tenant as JSON');
}

const run = (fn: () => Promise<void>) => async () => {
  try {
    await fn();
  } catch (err) {
    console.error(err instanceof CliUsageError ? `Invalid input:\n  - ${err.message}` : String(err));
    process.exitCode = err instanceof CliUsageError ? EXIT.invalid : EXIT.failure;
  }
};

export function registerTenants(program: Command): void {
  const tenants = program
    .command('tenants')
    .description('the ISPs this deployment serves (the admin API: ADMIN_API_KEY, ADMIN_API_URL)')
    .addHelpText(
      'after',
      `
Examples:
  $ ozres tenants add acme --name "Acme Fibra" --ozmap-url https://acme.ozmap.com.br:9994 --ozmap-key - < key.txt
  $ ozres tenants keys create acme
  $ ozres tenants update acme --radius 300
  $ ozres tenants list
  $ ozres tenants disable acme

See docs/tenants.md.`,
    );
  const put = (id: string, flags: TenantFlags, adding: boolean) =>
    run(async () => show(await admin('PUT', tenantPath(id), await tenantBody(flags, adding)), flags.json));
  withTenantOptions(
    tenants.command('add <tenantId>').description('add a tenant (--name, --ozmap-url and --ozmap-key required)'),
  ).action((id: string, flags: TenantFlags) => put(id, flags, true)());
  withTenantOptions(tenants.command('update <tenantId>').description("change a tenant's settings")).action(
    (id: string, flags: TenantFlags) => put(id, flags, false)(),
  );
  tenants
    .command('list')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) =>
      run(async () => {
        const answer = (await admin('GET', '/v1/admin/tenants')) as { tenants: TenantView[] } | undefined;
        if (!answer) return;
        console.log(flags.json ? JSON.stringify(answer, null, 2) : answer.tenants.map(line).join('\n'));
      })(),
    );
  tenants
    .command('show <tenantId>')
    .option('--json', 'print JSON')
    .action((id: string, flags: { json?: boolean }) =>
      run(async () => show(await admin('GET', tenantPath(id)), flags.json))(),
    );
  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const)
    tenants
      .command(`${name} <tenantId>`)
      .description(enabled ? 'let the tenant start reservations again' : 'refuse its new work; running ones settle')
      .action((id: string) => run(async () => show(await admin('PUT', tenantPath(id), { enabled })))());
  const keys = tenants.command('keys').description("a tenant's Ispbox API keys");
  keys
    .command('create <tenantId>')
    .description('a new key, printed this once')
    .action((id: string) =>
      run(async () => {
        const created = await admin('POST', `${tenantPath(id)}/keys`);
        if (created) console.log(JSON.stringify(created, null, 2));
      })(),
    );
  keys
    .command('revoke <tenantId> <keyId>')
    .description('the key is refused (401) from the next few seconds on')
    .action((id: string, keyId: string) =>
      run(async () => {
        await admin('DELETE', `${tenantPath(id)}/keys/${encodeURIComponent(keyId)}`);
      })(),
    );
}
