import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHdf5 } from '../../src/store/hdf5.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, setupRun } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * `measure_gain` through the real binary against the simulated lab: the online HV scan of all 32
 * PMTs must find the HV at gain 1e7 the simulator knows, and write it into the D-Egg files.
 */
interface Summary {
  folder: string;
  pmts: Array<{
    port: number;
    serial: string;
    pmt: 'LowerPmt' | 'UpperPmt';
    hv1e7GainVolts: number;
    spePeakHeightVolts: number;
    points: Array<{ hvVolts: number; gain: number }>;
  }>;
  failures: unknown[];
}

describe('measure_gain on the simulated lab', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.measureGain, { timeScale: 1000 });
    await setupRun(env.run);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('fat measure gain: every PMT gets V(1e7) within 3% of the truth, the fit and its points', async () => {
    const r = await env.run(['measure', 'gain', '-j', '4', '--events', '2000', '--comment', 'scan', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.failures).toEqual([]);
    expect(s.pmts).toHaveLength(32);
    for (const m of env.lab.truth.modules) {
      const doc = deggJson(env.dir, m.deggSerial);
      for (const [ch, pmt] of (['LowerPmt', 'UpperPmt'] as const).entries()) {
        const truthVolts = m.pmts[ch].hv1e7Volts;
        const sec = doc[pmt] as Record<string, unknown>;
        const hv = sec.HV1e7Gain as number;
        expect(Math.abs(hv / truthVolts - 1), `${m.deggSerial} ${pmt}: ${hv} V vs truth ${truthVolts} V`).toBeLessThan(0.03);
        const spe = sec.SPEPeakHeight as number;
        expect(spe, `${m.deggSerial} ${pmt} SPEPeakHeight`).toBeGreaterThan(0.001);
        expect(spe).toBeLessThan(0.01);
        const e = sec.GainMeasurement_00 as Record<string, unknown>;
        expect(e, `${m.deggSerial} ${pmt}`).toMatchObject({
          Folder: s.folder,
          Comment: 'scan',
          mode: 'scan',
          config: 'waveform',
          HV1e7Gain: hv,
        });
        expect(e.GainFitNorm as number).toBeGreaterThan(0);
        expect(e.GainFitExp as number).toBeGreaterThan(4);
        expect(e.GainFitExp as number).toBeLessThan(11);
        expect(e.Baseline as number).toBeGreaterThan(7900);
        const points = e.points as Array<{ hv: number; gain: number; gainError: number; file: string }>;
        expect(points.length).toBeGreaterThanOrEqual(2);
        for (const q of points) {
          expect(q.hv).toBeGreaterThanOrEqual(1050);
          expect(q.hv).toBeLessThanOrEqual(1950);
          expect(q.gain).toBeGreaterThan(0);
          expect(fs.existsSync(`${s.folder}/${q.file}`), q.file).toBe(true);
        }
      }
    }
    expect(fs.readdirSync(s.folder).filter((f) => f.includes('.tmp'))).toEqual([]);
  }, 150_000);

  it('configuration chargestamp: the same V(1e7) from the FPGA charge stamps, recorded as config "stamp"', async () => {
    const r = await env.run([
      'measure',
      'gain',
      '-j',
      '4',
      '--events',
      '2000',
      '--configuration',
      'chargestamp',
      '--comment',
      'stamps',
      '--json',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.failures).toEqual([]);
    for (const p of s.pmts) {
      const m = env.lab.truth.modules.find((x) => x.port === p.port)!;
      const truthVolts = m.pmts[p.pmt === 'LowerPmt' ? 0 : 1].hv1e7Volts;
      expect(
        Math.abs(p.hv1e7GainVolts / truthVolts - 1),
        `${p.serial} ${p.pmt}: ${p.hv1e7GainVolts} V vs truth ${truthVolts} V`,
      ).toBeLessThan(0.03);
      // no waveforms, so the SPE peak height comes from the charge
      expect(p.spePeakHeightVolts).toBeGreaterThan(0.001);
      expect(p.spePeakHeightVolts).toBeLessThan(0.01);
      const e = (deggJson(env.dir, p.serial)[p.pmt] as Record<string, Record<string, unknown>>).GainMeasurement_01;
      expect(e).toMatchObject({ Folder: s.folder, Comment: 'stamps', mode: 'scan', config: 'stamp' });
    }
    const one = (await readHdf5(`${s.folder}/${fs.readdirSync(s.folder).find((f) => f.endsWith('V.hdf5'))!}`)).datasets;
    expect((one.charge_pc.value as Float64Array).length).toBe(2000);
    expect(one.amplitude_adc, 'charge stamps carry no amplitude').toBeUndefined();
  }, 150_000);

  it('--test (the original test mode): only the first module by port is scanned, and the shifter is told', async () => {
    const r = await env.run(['measure', 'gain', '--test', '--events', '2000', '--comment', 'trial', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    const first = [...env.lab.truth.modules].sort((a, b) => a.port - b.port)[0];
    expect(s.pmts.map((p) => `${p.serial} ${p.pmt}`)).toEqual([`${first.deggSerial} LowerPmt`, `${first.deggSerial} UpperPmt`]);
    expect(r.stdout + r.stderr).toContain(`measure_gain in test mode: only ${first.deggSerial} (port ${first.port}) is measured`);
    for (const m of env.lab.truth.modules) {
      const lower = deggJson(env.dir, m.deggSerial).LowerPmt as Record<string, Record<string, unknown>>;
      if (m === first) expect(lower.GainMeasurement_02).toMatchObject({ Folder: s.folder, Comment: 'trial' });
      else expect(lower.GainMeasurement_02, m.deggSerial).toBeUndefined();
    }
  }, 150_000);
});
