import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { setupRun } from '../helpers/master.js';
import { TEST_PORTS } from '../helpers/ports.js';
import { seedHv1e7 } from '../helpers/docs.js';

/** A broken fibre to one PMT: measure_linearity names that module, that PMT and the fibre, and measures the others. */
describe('measure_linearity with a broken fibre', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  const base = TEST_PORTS.linearityFault;
  const broken = base + 5;

  beforeAll(async () => {
    env = await labWithHome(base, { timeScale: 1000, faults: [{ kind: 'broken-fibre', target: `${broken}/0` }] });
    await setupRun(env.run);
    await seedHv1e7(env.dir, env.lab.truth);
  }, 120_000);
  afterAll(async () => env?.close(), 30_000);

  it('the module with the broken fibre fails for that reason; the 15 others are measured', async () => {
    const r = await env.run(['measure', 'linearity', '-j', '4', '--events', '100', '--json']);
    expect(r.code).not.toBe(0);
    const s = JSON.parse(r.stdout) as { pmts: Array<{ port: number }>; failures: Array<{ port: number; serial: string; error: string }> };
    const serial = env.lab.truth.modules.find((m) => m.port === broken)!.deggSerial;
    expect(s.failures.map((f) => [f.port, f.serial])).toEqual([[broken, serial]]);
    expect(s.failures[0].error).toMatch(/LowerPmt/);
    expect(s.failures[0].error).toMatch(/fibre/);
    expect(s.pmts.filter((p) => p.port === broken)).toEqual([]);
    expect(new Set(s.pmts.map((p) => p.port)).size).toBe(15);
    expect(r.stderr).toContain('1 module(s) could not be measured');
  }, 180_000);
});
