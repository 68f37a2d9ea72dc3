/**
 * The cluster's Prometheus scrapes the HTTP API's metrics where they are served: on their own listener (never the
 * API's port, where /metrics is no route), with METRICS_TOKEN from a file when one is set.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../config/env.ts';
import { clusterLayout } from '../../scripts/cluster/layout.ts';
import { prometheusConfig, scrapeTargets } from '../../scripts/cluster/observability.ts';

const config = loadConfig({ CLUSTER_METRICS_PORT_BASE: '19000', HTTP_PORT: '13000' });
const layout = clusterLayout(config, '/nonexistent');

describe("the cluster's scrape of the HTTP API", () => {
  it('targets the API metrics listener on base+300, not the API port', () => {
    assert.equal(layout.apiMetrics, '127.0.0.1:19300');
    const targets = scrapeTargets(layout);
    assert.equal(targets.api, '127.0.0.1:19300');
    const yml = prometheusConfig(targets, 'alerts.yml');
    assert.match(yml, /- job_name: api\n {4}static_configs:\n {6}- targets: \["127\.0\.0\.1:19300"\]/);
    assert.doesNotMatch(yml, /127\.0\.0\.1:13000/);
    assert.doesNotMatch(yml, /authorization/);
  });

  it('with METRICS_TOKEN, sends it as a bearer token read from a file (the token is not in the config)', () => {
    const yml = prometheusConfig({ ...scrapeTargets(layout), apiTokenFile: '/data/api-metrics-token' }, 'alerts.yml');
    assert.match(
      yml,
      /- job_name: api\n {4}authorization:\n {6}type: Bearer\n {6}credentials_file: "\/data\/api-metrics-token"\n {4}static_configs:/,
    );
  });
});
