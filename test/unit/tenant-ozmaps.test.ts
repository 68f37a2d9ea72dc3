/**
 * Each tenant's OZmap behind its own bulkhead (activities/tenant-ozmaps.ts): a tenant whose calls hang fills its own
 * slots and is refused at once (retryably) beyond them, while another tenant's calls go through; a tenant's client is
 * kept until its registry version changes; an unknown tenant fails for good.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURES } from '../../contract/failures.ts';
import { TenantOzmaps, type TenantOzmapSettings } from '../../activities/tenant-ozmaps.ts';
import type { OzmapClient } from '../../activities/ozmap/client.ts';

const fakeClient = (settings: TenantOzmapSettings) =>
  ({ settings, close: () => Promise.resolve() }) as unknown as OzmapClient & { settings: TenantOzmapSettings };

describe('tenant OZmaps', () => {
  const versions: Record<string, number> = { acme: 1, beta: 1 };
  const lookup = (tenantId: string) =>
    Promise.resolve(
      tenantId in versions
        ? { version: versions[tenantId]!, url: `https://${tenantId}.example`, apiKey: `${tenantId}-key` }
        : undefined,
    );

  it('a hung tenant fills its own slots only; beyond them it is refused at once, retryably', async () => {
    const ozmaps = new TenantOzmaps(lookup, fakeClient, 2);
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const held = [ozmaps.run('beta', () => hung), ozmaps.run('beta', () => hung)];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ozmaps.busy('beta'), 2);
    await assert.rejects(
      ozmaps.run('beta', () => Promise.resolve()),
      (err: unknown) =>
        err instanceof ApplicationFailure && err.type === FAILURES.TenantBusy && err.nonRetryable === false,
    );
    // Another tenant is not slowed: its call runs while beta's hang.
    assert.equal(
      await ozmaps.run('acme', (client) => Promise.resolve((client as ReturnType<typeof fakeClient>).settings.url)),
      'https://acme.example',
    );
    release();
    await Promise.all(held);
    assert.equal(ozmaps.busy('beta'), 0, 'slots are given back');
  });

  it("keeps a tenant's client until its version changes", async () => {
    const ozmaps = new TenantOzmaps(lookup, fakeClient);
    const first = await ozmaps.run('acme', (client) => Promise.resolve(client));
    assert.equal(await ozmaps.run('acme', (client) => Promise.resolve(client)), first);
    versions.acme = 2;
    assert.notEqual(await ozmaps.run('acme', (client) => Promise.resolve(client)), first, 'rebuilt after a change');
  });

  it('an unknown tenant fails for good', async () => {
    const ozmaps = new TenantOzmaps(lookup, fakeClient);
    await assert.rejects(
      ozmaps.run('nobody', () => Promise.resolve()),
      (err: unknown) => err instanceof ApplicationFailure && err.type === FAILURES.UnknownTenant && err.nonRetryable,
    );
  });
});
