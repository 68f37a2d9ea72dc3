/**
 * `npm start` stopped with Ctrl-C and started again: reserved workflows are still there (dev server persisted
 * to SQLite, simulator state in its file) and still expire on time. Runs the real start script on random ports.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { findFreePort, isPortOpen } from '../../scripts/dev-server.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { type ReservationState } from '../../contract/schemas.ts';
import { SIM_API_KEY, propertiesOf, reservablePoints } from '../support/world.ts';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { startNpmStart, stopNpmStart } from '../support/npm-start.ts';
import { SHORT_HOLD_ENV, SHORT_HOLD_LIMITS, secondsAsDays } from '../support/short-holds.ts';

const HOLD_SECONDS = 40;

describe('npm start, stopped and started again', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-start-'));
  let current: ChildProcess | undefined;
  after(async () => {
    if (current && current.exitCode === null) await stopNpmStart(current);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps reserved workflows and expires them on time', { timeout: 240_000 }, async () => {
    const temporalPort = await findFreePort();
    const simPort = await findFreePort();
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_TASK_QUEUE: 'restart-test',
      OZMAP_URL: `http://127.0.0.1:${simPort}`,
      OZMAP_API_KEY: SIM_API_KEY,
      ISPBOX_OZMAP_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...SHORT_HOLD_ENV,
    };

    current = (await startNpmStart(env, 90_000)).child;
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    const reservations = new ReservationsClient(new Client({ connection }), 'restart-test', {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
      limits: SHORT_HOLD_LIMITS,
    });
    const ozmap = new OzmapClient({ baseUrl: env.OZMAP_URL, apiKey: SIM_API_KEY });
    try {
      const [point] = await reservablePoints(ozmap, 1);
      const viabilityId = `S-${Date.now()}`;
      const reserved = await reservations.reserve({
        viabilityId,
        customer: { code: 'C-S', name: 'Restart' },
        coordinates: { lat: point!.lat, lng: point!.lng },
        holdDays: secondsAsDays(HOLD_SECONDS),
      });
      assert.equal(reserved.status, 'RESERVED');

      await stopNpmStart(current);
      assert.equal(await isPortOpen('127.0.0.1', temporalPort), false, 'Temporal stopped with npm start');
      assert.equal(await isPortOpen('127.0.0.1', simPort), false, 'the simulator stopped with npm start');

      current = (await startNpmStart(env, 90_000)).child;
      const after = await reservations.get(viabilityId);
      assert.equal(after.status, 'RESERVED');
      assert.deepEqual(after.reservation, reserved.reservation);
      assert.equal(
        (await propertiesOf({ simUrl: env.OZMAP_URL }, externalIdFor(viabilityId))).length,
        1,
        'the simulator kept the client',
      );

      const final: ReservationState = await reservations.result(viabilityId);
      assert.equal(final.status, 'EXPIRED');
      const late = Date.parse(final.outcome!.at) - Date.parse(reserved.reservation!.expiresAt);
      assert.ok(late >= 0 && late < 10_000, `expired ${late} ms after the hold ended`);
      assert.deepEqual(await propertiesOf({ simUrl: env.OZMAP_URL }, externalIdFor(viabilityId)), []);
    } finally {
      await ozmap.close();
      await connection.close();
    }
  });
});
