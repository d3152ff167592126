import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { deggJson, query, writeSchedule } from '../helpers/master.js';
import { allowSlowDomnet } from '../helpers/patient-domnet.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * `fat measure stf` through the real binary: icefat's self-test passes every healthy module and
 * names exactly the item a fault breaks (a dead HV supply, a module that does not answer), with its
 * reading, and puts the HV back as it found it.
 */
interface Item {
  item: string;
  status: 'pass' | 'fail' | 'skipped';
  reading: string;
  value: number | null;
  limit: string;
}
interface StfSummary {
  folder: string;
  passed: number;
  failed: number;
  modules: Array<{ port: number; serial: string; passed: boolean; failedItems: string[]; items: Item[] }>;
}

const ITEMS = [
  'communication',
  'temperature',
  'pressure',
  'supply_voltages',
  'supply_currents',
  'hv_ch0',
  'hv_ch1',
  'sw_trigger_ch0',
  'baseline_ch0',
  'sw_trigger_ch1',
  'baseline_ch1',
  'dark_rate_ch0',
  'dark_rate_ch1',
  'interlocks',
];

describe('measure_stf on the simulated lab', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.moduleTestsStf, { timeScale: 1000 });
    allowSlowDomnet(env.dir);
    const setup = await env.run(['setup']);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    const made = await env.run(['run', 'new', '--comment', 'x']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('healthy modules pass every item; a dead HV supply fails exactly hv_ch1, a silent module communication; the HV is put back', async () => {
    const victim = env.lab.truth.modules[6];
    const mbOf = (port: number) => env.lab.wirePairs.flatMap((w) => w.modules).find((x) => x.truth.port === port)!.mb;
    // one module had its lower PMT on at 1400 V before the STF
    const warm = mbOf(env.lab.truth.modules[0].port);
    const now = env.lab.ctx.clock.now();
    warm.hv[0].setEnabled(now, true, true);
    warm.hv[0].set(now, true, 1400);
    await env.lab.ctx.clock.sleep(100_000); // ramped
    env.lab.ctx.faults.add({ kind: 'dead-hv', target: `${victim.port}/1` });
    // and one module that does not answer at all
    const silent = env.lab.truth.modules[11];
    env.lab.ctx.faults.add({ kind: 'dead-module', target: String(silent.port) });

    const r = await env.run(['measure', 'stf', '--comment', 'self test', '--json']);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    const s = JSON.parse(r.stdout) as StfSummary;
    expect(s.modules).toHaveLength(16);
    expect(s).toMatchObject({ passed: 14, failed: 2 });
    for (const m of s.modules) {
      expect(m.items.map((i) => i.item).sort(), m.serial).toEqual([...ITEMS].sort());
      if (m.port === silent.port) {
        // its ICM does not answer either, so the interlocks could not be enabled
        expect(m.failedItems).toEqual(['communication', 'interlocks']);
        expect(m.items.find((i) => i.item === 'interlocks')!.reading).toContain('?TIMEOUT');
        expect(m.items.find((i) => i.item === 'communication')!.reading).toMatch(new RegExp(`:${silent.port} did not answer "boot"`));
        expect(m.items.filter((i) => i.status === 'skipped')).toHaveLength(ITEMS.length - 2);
        continue;
      }
      if (m.port === victim.port) {
        expect(m.failedItems).toEqual(['hv_ch1']);
        expect(m.items.find((i) => i.item === 'hv_ch1')!.reading).toMatch(/^readback 0\.\d V at set point 1500 V$/);
        expect(m.items.find((i) => i.item === 'dark_rate_ch1')).toMatchObject({
          status: 'skipped',
          reading: 'needs the HV (hv_ch1 failed)',
        });
        expect(m.items.find((i) => i.item === 'hv_ch0')!.status).toBe('pass');
      } else {
        expect(m.failedItems, `${m.serial}: ${JSON.stringify(m.items.filter((i) => i.status !== 'pass'))}`).toEqual([]);
        expect(m.items.every((i) => i.status === 'pass')).toBe(true);
      }
      // the readings are the simulator's: pressure and baselines
      const truth = env.lab.truth.modules.find((x) => x.port === m.port)!;
      const bl = m.items.find((i) => i.item === 'baseline_ch0')!.value!;
      expect(Math.abs(bl - truth.pmts[0].baselineAtDac30000Adc)).toBeLessThan(1);
      const p = m.items.find((i) => i.item === 'pressure')!.value!;
      expect(p).toBeGreaterThan(300);
      expect(p).toBeLessThan(600);
      // the D-Egg file gets STF_00 at the top level, and the per-module result file is in the folder
      const entry = deggJson(env.dir, m.serial).STF_00 as Record<string, unknown>;
      expect(entry).toMatchObject({ Folder: s.folder, Comment: 'self test', Passed: m.passed, FailedItems: m.failedItems });
      const file = JSON.parse(fs.readFileSync(entry.Filename as string, 'utf8')) as { items: Item[]; failed_items: string[] };
      expect(file.failed_items).toEqual(m.failedItems);
      expect(file.items).toHaveLength(ITEMS.length);
    }
    // people are told which module failed which item, with the reading
    expect(r.stderr).toContain(`STF: ${victim.deggSerial} (port ${victim.port}) failed hv_ch1: readback`);
    const ev = query<{ message: string }>(env.dir, "select message from events where kind = 'measure.stf.failed'");
    expect(ev).toHaveLength(2);
    expect(ev.map((e) => e.message).join('\n')).toContain(`STF: ${silent.deggSerial} (port ${silent.port}) failed communication: error:`);

    // one judged result per module
    const rows = query<{ degg_serial: string; value: number; verdict: string }>(
      env.dir,
      "select * from results where name = 'stf.failed_items'",
    );
    expect(rows).toHaveLength(16);
    expect(rows.filter((x) => x.verdict === 'fail')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ degg_serial: victim.deggSerial, value: 1 }),
        expect.objectContaining({ degg_serial: silent.deggSerial, value: 2 }),
      ]),
    );
    expect(rows.filter((x) => x.verdict === 'fail')).toHaveLength(2);

    // the HV as it was found: off where it was off, the warm module's lower PMT on at 1400 V again
    for (const w of env.lab.wirePairs)
      for (const x of w.modules) {
        for (const ch of [0, 1] as const) {
          if (x.truth.port === warm.port && ch === 0) continue;
          expect(x.mb.hv[ch].enabled, `${x.truth.port}/${ch}`).toBe(false);
        }
      }
    expect(warm.hv[0].enabled).toBe(true);
    expect(Math.abs(warm.hv[0].setVolts - 1400)).toBeLessThanOrEqual(2);

    env.lab.ctx.faults.remove('dead-hv');
    env.lab.ctx.faults.remove('dead-module');

    // stf_ana in a schedule summarises that STF from the store
    const ini = writeSchedule(env.dir, 'ana', [{ name: 'stf_ana_0', task: 'stf_ana' }]);
    const ana = await env.run(['master', ini]);
    expect(ana.code, ana.stdout + ana.stderr).toBe(0);
    const summary = query<{ message: string }>(env.dir, "select message from events where kind = 'stf.summary'");
    expect(summary).toHaveLength(1);
    expect(summary[0].message).toMatch(/^STF of run 1: 14\/16 modules passed; failing: /);
    expect(summary[0].message).toContain(`${victim.deggSerial} (port ${victim.port}): hv_ch1 (readback 0.`);
    expect(summary[0].message).toContain(`${silent.deggSerial} (port ${silent.port}): communication (error:`);

    // a healthy lab passes, in the human form
    const text = await env.run(['measure', 'stf']);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toContain('16/16 modules passed');
    expect(text.stdout.match(/\[PASS\]/g)).toHaveLength(16);
  }, 150_000);
});
