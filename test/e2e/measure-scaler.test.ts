import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { darkRateHz } from '../../src/sim/physics.js';
import { readHdf5 } from '../../src/store/hdf5.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, masterStates, setupRun, writeSchedule } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * `measure_scaler` through the real binary against the simulated lab: `fat measure scaler` on its
 * own and as a task of `fat master`. The dark rate measured through the drivers must agree with
 * what the simulator knows.
 */
interface Summary {
  folder: string;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: 'LowerPmt' | 'UpperPmt';
    pmtSerial: string;
    darkRateHz: number;
    stdHz: number;
    temperatureC: number;
    note: string;
  }>;
  failures: unknown[];
}

describe('measure_scaler on the simulated lab', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.measureScaler, { timeScale: 1000 });
    await setupRun(env.run);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('fat measure scaler: every PMT agrees with the truth at the module temperature and the D-Egg files get the entry', async () => {
    const r = await env.run(['measure', 'scaler', '-j', '4', '--runs', '50', '--comment', 'dark', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.failures).toEqual([]);
    expect(s.pmts).toHaveLength(32);
    // the PMTs sit in the freezer air; the mainboard sensor reads that plus its self-heating
    const airC = env.lab.ctx.lab.freezer.temperatureC();
    for (const p of s.pmts) {
      const m = env.lab.truth.modules.find((x) => x.port === p.port)!;
      const truth = darkRateHz(m.pmts[p.pmt === 'LowerPmt' ? 0 : 1], airC);
      expect(Math.abs(p.darkRateHz / truth - 1), `${p.serial} ${p.pmt}: ${p.darkRateHz} Hz vs truth ${truth} Hz`).toBeLessThan(0.15);
      expect(p.temperatureC).toBeGreaterThan(airC - 0.5);
      expect(p.temperatureC).toBeLessThan(airC + m.selfHeatingC + 0.5);
      expect(p.note).toContain('48 ADC per PE');
    }
    for (const m of env.lab.truth.modules) {
      const doc = deggJson(env.dir, m.deggSerial);
      for (const pmt of ['LowerPmt', 'UpperPmt'] as const) {
        const e = (doc[pmt] as Record<string, Record<string, unknown>>).DarkrateScalerMeasurement_00;
        expect(e, `${m.deggSerial} ${pmt}`).toBeDefined();
        expect(e).toMatchObject({
          Folder: s.folder,
          Comment: 'dark',
          Constants: { period: 100000, deadtime: 24, n_runs: 50, threshold: 12 },
          use_fir: false,
          BaselineFilename: 'AltMethod',
        });
        expect(e.Baseline as number).toBeGreaterThan(8000);
        expect(typeof e.DEggSurfaceTemp).toBe('number');
        expect(typeof e.BoxSurfaceTemp).toBe('number');
        expect(fs.existsSync(e.Filename as string)).toBe(true);
      }
    }
    expect(fs.readdirSync(s.folder).filter((f) => f.endsWith('.hdf5'))).toHaveLength(32);
    // the raw series in HDF5: one count per window, and the rates they give
    const first = s.pmts[0];
    const raw = await readHdf5(path.join(s.folder, `${first.pmtSerial}.hdf5`));
    expect(raw.attrs).toMatchObject({ degg: first.serial, port: first.port, pmt: first.pmt, period_us: 100000, deadtime_cycles: 24 });
    expect((raw.datasets.count.value as Uint32Array).length).toBe(50);
    const rates = raw.datasets.rate_hz.value as Float64Array;
    expect(rates.reduce((a, b) => a + b, 0) / rates.length).toBeCloseTo(first.darkRateHz, 0);

    // every PMT's dark rate is a judged result in the store, in the band of its temperature
    const db = new Database(path.join(env.dir, 'fat.db'), { readonly: true });
    const rows = db.prepare("select * from results where kind = 'measure_scaler'").all() as Array<Record<string, unknown>>;
    db.close();
    expect(rows).toHaveLength(32);
    for (const row of rows) {
      const p = s.pmts.find((x) => x.serial === row.degg_serial && x.pmt === row.pmt)!;
      expect(row.value).toBeCloseTo(p.darkRateHz, 3);
      expect(row.name).toBe(p.temperatureC < -12 ? 'darkrate_adc.cold' : p.temperatureC < 0 ? 'darkrate_adc.mid' : 'darkrate_adc.warm');
      expect(['pass', 'marginal', 'fail']).toContain(row.verdict);
      const prov = JSON.parse(row.provenance as string) as { station: string; goalpostsVersion: string; operator: string };
      expect(prov.station).toBe('sim-station');
      expect(prov.goalpostsVersion).toMatch(/^icefat-/);
    }
    expect(fs.readdirSync(s.folder).filter((f) => f.includes('.tmp'))).toEqual([]);

    // the human form: rate ± std at its temperature per PMT
    const text = await env.run(['measure', 'scaler', '-j', '4', '--runs', '20']);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout.match(/\d+ ± \d+ Hz at -?\d+\.\d °C/g)).toHaveLength(32);
  }, 120_000);

  it('fat master runs a schedule with a measure_scaler task (FIR trigger)', async () => {
    const ini = writeSchedule(env.dir, 'scaler', [
      { name: 'measure_scaler_0', task: 'measure_scaler', comment: 'in schedule', n_jobs: 4, use_fir: true, n_runs: 30 },
    ]);
    const r = await env.run(['master', ini]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(masterStates(env.dir)).toEqual({ '[0] measure_scaler_0': 1 });
    for (const m of env.lab.truth.modules) {
      const doc = deggJson(env.dir, m.deggSerial);
      const lower = doc.LowerPmt as Record<string, Record<string, unknown>>;
      const entry = Object.entries(lower).find(([k, v]) => k.startsWith('DarkrateScalerMeasurement_') && v.Comment === 'in schedule');
      expect(entry, m.deggSerial).toBeDefined();
      expect(entry![1]).toMatchObject({ use_fir: true, Constants: { n_runs: 30 } });
      expect(entry![1].DarkRateMeanHz as number).toBeGreaterThan(1000);
    }
  }, 120_000);

  it('use_alt_thresholds: also 0.25 PE -1 and +1 ADC and 0.3 PE, with the rates those thresholds give', async () => {
    const ini = writeSchedule(env.dir, 'scaler-alt', [
      { name: 'measure_scaler_0', task: 'measure_scaler', comment: 'alt', n_jobs: 4, use_alt_thresholds: true, n_runs: 300 },
    ]);
    const r = await env.run(['master', ini]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const ratios: number[][] = [[], [], []];
    for (const m of env.lab.truth.modules) {
      const doc = deggJson(env.dir, m.deggSerial);
      for (const pmt of ['LowerPmt', 'UpperPmt'] as const) {
        const sec = doc[pmt] as Record<string, Record<string, unknown>>;
        const e = Object.values(sec).find((v) => v.Comment === 'alt')!;
        const alt = e.AltThresholds as Array<{ PE: number; ShiftADC: number; Threshold: number; DarkRateMeanHz: number; Filename: string }>;
        expect(alt.map((a) => [a.PE, a.ShiftADC, a.Threshold])).toEqual([
          [0.25, -1, 11],
          [0.25, 1, 13],
          [0.3, 0, 15],
        ]);
        alt.forEach((a, i) => {
          expect(fs.existsSync(a.Filename), a.Filename).toBe(true);
          ratios[i].push(a.DarkRateMeanHz / (e.DarkRateMeanHz as number));
        });
      }
    }
    // one PMT's rate changes by under 1% per ADC near 0.25 PE, inside its statistical scatter; the
    // mean ratio to the 0.25 PE rate over the 32 PMTs is known to about 0.05%: lower threshold,
    // more counts (dark pulses and, below 0.25 PE, baseline noise); higher threshold, fewer
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [minusOneAdc, plusOneAdc, pe03] = ratios.map(mean);
    expect(minusOneAdc).toBeGreaterThan(1.002);
    expect(plusOneAdc).toBeLessThan(0.999);
    expect(pe03).toBeLessThan(plusOneAdc - 0.002);
    const db = new Database(path.join(env.dir, 'fat.db'), { readonly: true });
    const rows = db.prepare("select verdict from results where name = 'darkrate.alt_threshold'").all() as Array<{ verdict: string }>;
    db.close();
    expect(rows).toHaveLength(32 * 3);
    expect(rows.every((x) => x.verdict === 'info')).toBe(true);
  }, 120_000);
});
