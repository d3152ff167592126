import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darkRateHz } from '../../src/sim/physics.js';
import { openStore, type Db } from '../../src/store/open.js';
import { fat, labWithHome } from '../helpers/fat-cli.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { masterStates, writeSchedule } from '../helpers/master.js';
import { freshPgSchema, type PgSchema } from '../helpers/pg-schema.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The whole chain on PostgreSQL (FAT_DB): `fat setup`, `fat run new`, a master running
 * measure_scaler on the simulated lab, and `fat results` reading the verdicts back: nothing goes to
 * a SQLite file, and what the store holds agrees with the simulator.
 */
describe('a station on PostgreSQL', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  let pg: PgSchema;
  let db: Db;
  let fatDb: Record<string, string>;

  beforeAll(async () => {
    pg = await freshPgSchema('e2e');
    fatDb = { FAT_DB: pg.url };
    env = await labWithHome(TEST_PORTS.postgresStore, { timeScale: 1000 });
    db = await openStore(pg.url);
    // four DomNet stand-ins are four fresh processes: on a loaded machine they need their time
    allowSlowDomnet(env.dir, 150);
    const setup = await fat(env.dir, ['setup'], fatDb, 200_000);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
  }, 240_000);
  afterAll(async () => {
    await env?.close();
    await db?.destroy();
    await pg?.drop();
  }, 30_000);

  it('runs a schedule with its results in PostgreSQL', async () => {
    const made = await env.run(['run', 'new', '--comment', 'on postgres'], fatDb);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const ini = writeSchedule(env.dir, 'pg', [{ name: 'measure_scaler_0', task: 'measure_scaler', comment: 'pg', n_jobs: 4, n_runs: 10 }]);
    const master = await fat(env.dir, ['master', ini], fatDb, 120_000);
    expect(master.code, master.stdout + master.stderr).toBe(0);
    expect(masterStates(env.dir)).toEqual({ '[0] measure_scaler_0': 1 });
    expect(fs.existsSync(path.join(env.dir, 'fat.db'))).toBe(false);

    const run = await db.selectFrom('runs').selectAll().executeTakeFirstOrThrow();
    expect([run.station, run.run_number, run.comment]).toEqual(['sim-station', 1, 'on postgres']);
    expect(await db.selectFrom('modules').select('id').where('run_id', '=', run.id).execute()).toHaveLength(16);
    const tasks = await db.selectFrom('tasks').select(['state', 'attempts', 'progress']).execute();
    expect(tasks).toEqual([{ state: 'done', attempts: 1, progress: 1 }]);
    expect(await db.selectFrom('leases').selectAll().execute()).toEqual([]); // released at the end
    const results = await db.selectFrom('results').selectAll().where('run_id', '=', run.id).where('kind', '=', 'measure_scaler').execute();
    expect(results).toHaveLength(32);
    const airC = env.lab.ctx.lab.freezer.temperatureC();
    for (const r of results) {
      expect(r.name).toMatch(/^darkrate(_adc)?\.(cold|mid|warm)$/);
      const m = env.lab.truth.modules.find((x) => x.port === r.port)!;
      const truth = darkRateHz(m.pmts[r.pmt === 'LowerPmt' ? 0 : 1], airC);
      expect(Math.abs(r.value! / truth - 1), `${r.degg_serial} ${r.pmt}`).toBeLessThan(0.2);
      expect((JSON.parse(r.provenance) as { station: string }).station).toBe('sim-station');
    }
    const events = await db.selectFrom('events').select(['kind']).where('station', '=', 'sim-station').execute();
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['task.start', 'task.done']));

    const shown = await env.run(['results', '--json'], fatDb);
    expect(shown.code, shown.stderr).toBe(0);
    const report = JSON.parse(shown.stdout) as { run: number; modules: { serial: string; judged: number; info: number }[] };
    expect(report.run).toBe(1);
    expect(report.modules).toHaveLength(16);
    for (const m of report.modules) expect(m.judged + m.info, m.serial).toBe(2); // its two PMTs
  }, 200_000);
});
