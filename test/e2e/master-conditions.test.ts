import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environment } from '../../src/views/environment.js';
import { openWorkspace } from '../../src/station/workspace.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { query, setupRun, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * Suspenders: while the humidity is above the station's limit the master waits between tasks,
 * alerts once, and goes on by itself once the reading has been back in band long enough (here
 * the freezer, cooling, dries the air).
 */
describe('fat master pauses while a condition is out of band', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.masterConditions, { timeScale: 1000 });
    await setupRun(env.run);
    const station = path.join(env.dir, 'station.toml');
    fs.appendFileSync(station, '\n[conditions]\nhumidity_max_pct = 40\nfreezer_band_c = 5\nresume_after_s = 120\n');
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('pauses at the task boundary with one alert and resumes when the air is dry again', async () => {
    const ini = writeSchedule(env.dir, 'humid', [
      { name: 'set_freezer_0', task: 'set_freezer', fcurrent: 20, fdelta: -60, wait_reached: false },
      { name: 'wait_time_0', task: 'wait_time', pause: 5 },
    ]);
    const r = await env.run(['master', ini]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/Paused between tasks: humidity H1 \(door\) at \d+\.\d % \(limit 40 %\)/);
    expect(out).toMatch(/Conditions back in band .*resuming/);
    const kinds = query<{ kind: string }>(
      env.dir,
      "select kind from events where kind like 'conditions.%' and kind != 'conditions.reading' order by id",
    ).map((e) => e.kind);
    expect(kinds).toEqual(['conditions.paused', 'conditions.resumed']);
    // the pause came before the wait, and the wait ran after the air had dried
    const [t] = query<{ started_at: string }>(env.dir, "select started_at from tasks where section = 'wait_time_0'");
    const [resumed] = query<{ time: string }>(env.dir, "select time from events where kind = 'conditions.resumed'");
    expect(Date.parse(t.started_at)).toBeGreaterThanOrEqual(Date.parse(resumed.time));
    const humid = query<{ data: string }>(env.dir, "select data from events where kind = 'conditions.paused'");
    expect(humid).toHaveLength(1);

    // every reading of the pause is in the environment history the dashboard plots: humid at
    // first, dry at the end, while the freezer air cooled
    const ws = await openWorkspace(env.dir);
    try {
      const e = await environment(ws);
      const h1 = e.humidity.filter((h) => h.sensor.startsWith('H1'));
      expect(h1.length).toBeGreaterThanOrEqual(3);
      expect(h1[0].relativeHumidityPct).toBeGreaterThan(40);
      expect(h1[h1.length - 1].relativeHumidityPct).toBeLessThan(40);
      const air = e.thermometer.filter((t) => t.name === 'freezer air');
      expect(air.length).toBe(h1.length);
      expect(air[air.length - 1].temperatureC).toBeLessThan(air[0].temperatureC);
    } finally {
      await ws.close();
    }
  }, 120_000);
});
