import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEMO_OZMAP_API_KEY, loadConfig } from '../../config/env.ts';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  it('has working defaults for the embedded demo', () => {
    const config = loadConfig({});
    assert.equal(config.temporal.address, '127.0.0.1:7233');
    assert.equal(config.temporal.taskQueue, 'ozmap-reservations');
    assert.equal(config.ozmap.url, 'http://127.0.0.1:9994');
    assert.equal(config.ozmap.apiKey, DEMO_OZMAP_API_KEY);
    assert.deepEqual(config.defaults, { radiusMeters: 250, holdDays: 30, selectionTimeoutHours: 24 });
    assert.equal(config.geocoder.provider, 'nominatim');
    assert.equal(config.geocoder.url, 'http://127.0.0.1:9994');
    assert.equal(config.worker.maxCachedWorkflows, 50);
    assert.equal(config.worker.maxConcurrentWorkflowTaskExecutions, 40);
    assert.equal(config.worker.workflowThreadPoolSize, 1);
  });

  it('takes the worker cache size, and refuses one that is not a whole number', () => {
    assert.equal(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).worker.maxCachedWorkflows, 0);
    assert.equal(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '1000' }).worker.maxCachedWorkflows, 1000);
    assert.ok(
      errorOf({ WORKER_MAX_CACHED_WORKFLOWS: 'lots' }).problems.some((p) =>
        p.startsWith('WORKER_MAX_CACHED_WORKFLOWS:'),
      ),
    );
    assert.ok(
      errorOf({ WORKER_MAX_CACHED_WORKFLOWS: '-1' }).problems.some((p) => p.startsWith('WORKER_MAX_CACHED_WORKFLOWS:')),
    );
  });

  it('takes the workflow task slots and threads, and refuses more slots than the cache holds', () => {
    const tuned = loadConfig({
      WORKER_MAX_CACHED_WORKFLOWS: '100',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      WORKER_WORKFLOW_THREADS: '2',
    }).worker;
    assert.equal(tuned.maxConcurrentWorkflowTaskExecutions, 20);
    assert.equal(tuned.workflowThreadPoolSize, 2);
    // The SDK would silently lower the slots to the cache size; the configuration says so instead.
    const problems = errorOf({
      WORKER_MAX_CACHED_WORKFLOWS: '10',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
    }).problems;
    assert.ok(
      problems.some((p) => p.startsWith('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS:') && p.includes('at most 10')),
      problems.join('\n'),
    );
    // No cache: any number of slots.
    assert.equal(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).worker.maxCachedWorkflows, 0);
  });

  it('reports every problem at once, by name', () => {
    const err = errorOf({
      OZMAP_URL: 'ftp://x',
      RESERVATION_HOLD_DAYS: 'soon',
      HTTP_PORT: '99999',
      GEOCODER_PROVIDER: 'bing',
    });
    const names = err.problems.map((p) => p.split(':')[0]).sort();
    assert.deepEqual(names, ['GEOCODER_PROVIDER', 'HTTP_PORT', 'OZMAP_URL', 'RESERVATION_HOLD_DAYS']);
    assert.match(err.message, /4 problems/);
  });

  it('requires an API key for a real OZmap and refuses plain http outside loopback', () => {
    const err = errorOf({ OZMAP_URL: 'http://acme.ozmap.com.br:9994' });
    assert.ok(err.problems.some((p) => p.startsWith('OZMAP_URL:') && /https:\/\/|OZMAP_ALLOW_INSECURE_HTTP/.test(p)));
    assert.ok(err.problems.some((p) => p.startsWith('OZMAP_API_KEY:')));
    const ok = loadConfig({
      OZMAP_URL: 'http://acme.ozmap.com.br:9994',
      OZMAP_ALLOW_INSECURE_HTTP: 'true',
      OZMAP_API_KEY: 'k',
      ISPBOX_API_KEY: 'a-real-ispbox-key-0123456789',
    });
    assert.equal(ok.ozmap.url, 'http://acme.ozmap.com.br:9994');
    assert.equal(ok.geocoder.url, 'https://nominatim.openstreetmap.org');
  });

  it('never echoes a secret in its messages', () => {
    const err = errorOf({
      OZMAP_API_KEY: 'x',
      OZMAP_URL: 'http://10.1.2.3',
      TEMPORAL_API_KEY: 'supersecret-temporal',
      ISPBOX_API_KEY: 'short',
    });
    assert.doesNotMatch(err.message, /supersecret-temporal|short\b(?! )/);
    assert.ok(err.problems.some((p) => p.startsWith('ISPBOX_API_KEY:')));
  });

  it('switches to Google when its key is given and to TLS for an API key', () => {
    const config = loadConfig({
      GOOGLE_GEOCODING_API_KEY: 'g',
      TEMPORAL_API_KEY: 't',
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
    });
    assert.equal(config.geocoder.provider, 'google');
    assert.ok(config.temporal.tls);
    assert.equal(errorOf({ GEOCODER_PROVIDER: 'google' }).problems[0]?.split(':')[0], 'GOOGLE_GEOCODING_API_KEY');
  });

  it('wants TLS certificate and key together', () => {
    assert.equal(errorOf({ TEMPORAL_TLS_CERT_PATH: '/c.pem' }).problems[0]?.split(':')[0], 'TEMPORAL_TLS_KEY_PATH');
  });
});
