import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fat } from '../helpers/fat-cli.js';
import { seedRun } from './seed-run.js';
import { servedHome, type ServedHome } from './server-home.js';

/** GET /api/results is what `fat results --json` prints; /metrics shows the run's modules and temperatures. */
describe('fat serve: results of a run', () => {
  let h: ServedHome;
  beforeAll(async () => {
    h = await servedHome();
    await seedRun(h.ws);
  });
  afterAll(async () => h?.close());

  it('GET /api/results?run=1 equals fat results 1 --json', async () => {
    const r = await fetch(`${h.server.url}/api/results?run=1`);
    expect(r.status).toBe(200);
    const cli = await fat(h.dir, ['results', '1', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const body = (await r.json()) as { counts: Record<string, number> };
    expect(body).toEqual(JSON.parse(cli.stdout));
    expect(body.counts).toEqual({ pass: 1, marginal: 0, fail: 1, notJudged: 0 });
  });

  it('GET /api/results?module=S has its result rows; an unknown module is 404 naming it', async () => {
    const r = await fetch(`${h.server.url}/api/results?module=DEgg2026-1-002`);
    const body = (await r.json()) as { results: Array<{ name: string; verdict: string }> };
    expect(body.results.map((x) => [x.name, x.verdict])).toEqual([['darkrate.cold', 'fail']]);
    const bad = await fetch(`${h.server.url}/api/results?module=DEgg-nope`);
    expect(bad.status).toBe(404);
    expect(((await bad.json()) as { error: string }).error).toContain('"DEgg-nope" is not in run 1');
  });

  it('GET /metrics has the module states and the last stored temperatures', async () => {
    const text = await (await fetch(`${h.server.url}/metrics`)).text();
    const st = h.ws.station.name;
    expect(text).toContain(`fat_modules{station="${st}",state="active"} 2`);
    expect(text).toContain('fat_last_temperature_celsius{serial="DEgg2026-1-001"} -40.5');
    expect(text).toContain('fat_last_temperature_celsius{serial="DEgg2026-1-002"} -39.5');
    expect(text).toContain(`fat_run_number{station="${st}"} 1`);
  });
});
