import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The seed's Quick Check list, through the real `fat` binary against the simulated lab: each step
 * exits 0 and prints what the shifter needs, and the run is stored and exported.
 */
describe('pre-run checklist on a healthy simulated lab', () => {
  const BASE = TEST_PORTS.checklist;
  let env: Awaited<ReturnType<typeof labWithHome>>;

  beforeAll(async () => {
    env = await labWithHome(BASE);
  }, 60_000);
  afterAll(async () => env?.close(), 30_000);

  it('fat setup starts 4 DomNet instances and finds 16 D-Eggs answering', async () => {
    const r = await env.run(['setup']);
    expect(r.stderr + r.stdout).toContain('DomNet 4/4 OK, D-Eggs 16/16 answering');
    expect(r.code).toBe(0);
  }, 60_000);

  it('fat run new creates run 1 with one record and one JSON file per D-Egg', async () => {
    const r = await env.run(['run', 'new', '--comment', 'batch 1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('New Run Number is: 1');
    for (const m of env.lab.truth.modules) expect(r.stdout).toContain(`${m.port}: ${m.deggSerial}`);

    const runJson = JSON.parse(fs.readFileSync(path.join(env.dir, 'json/run/run_00001.json'), 'utf8')) as Record<string, string>;
    expect(runJson.comment).toBe('batch 1');
    const first = env.lab.truth.modules[0];
    const degg = JSON.parse(fs.readFileSync(runJson[first.deggSerial], 'utf8')) as Record<string, unknown>;
    expect(degg).toMatchObject({
      DEggSerialNumber: first.deggSerial,
      ICMID: first.icmId,
      Port: first.port,
      fpgaVersion: 272,
      IcebootVersion: 62,
    });
    expect((degg.LowerPmt as Record<string, unknown>).SerialNumber).toBe(first.pmts[0].serial);
    expect((degg.UpperPmt as Record<string, unknown>).HV1e7Gain).toBe(-1);

    const db = new Database(path.join(env.dir, 'fat.db'), { readonly: true });
    expect(db.prepare('select count(*) n from modules').get()).toEqual({ n: 16 });
    db.close();

    const again = await env.run(['run', 'new', '--comment', 'batch 2', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { runNumber: number }).runNumber).toBe(2);
  }, 60_000);

  it('fat check peripherals reads every instrument and passes', async () => {
    const r = await env.run(['check', 'peripherals']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/thermometer.*D-Egg surface -?\d+\.\d °C/);
    expect(r.stdout).toMatch(/filter wheel 0: .*strengths \[0.01, 0.05, 0.1, 0.25, 0.32, 1\]/);
    expect(r.stdout).toMatch(/function generator.*output switched on and off/);
    expect(r.stdout).toContain('laser power supply');
    const db = new Database(path.join(env.dir, 'fat.db'), { readonly: true });
    const kinds = db.prepare('select kind, identity from instruments order by kind').all() as Array<{ kind: string; identity: string }>;
    db.close();
    expect(kinds.map((k) => k.kind)).toEqual([
      'filter-wheel',
      'filter-wheel',
      'freezer',
      'function-generator',
      'humidity',
      'humidity',
      'thermometer',
    ]);
    expect(kinds.find((k) => k.kind === 'function-generator')?.identity).toMatch(/AFG3021B/);
  }, 60_000);

  it('fat check laser-freq passes at 100 Hz and leaves the laser off', async () => {
    const r = await env.run(['check', 'laser-freq', '--freq', '100']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Laser Frequency Test Passed: 999\/999 intervals/);
    expect(env.lab.ctx.lab.laserFiring).toBe(false);
  }, 60_000);

  it('fat check visibility sees the laser on all 32 PMTs and records it in the D-Egg files', async () => {
    const r = await env.run(['check', 'visibility', '2', 'visibility check', '-j', '4', '--events', '200', '--force']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('All 32 PMTs see the laser.');
    const runJson = JSON.parse(fs.readFileSync(path.join(env.dir, 'json/run/run_00002.json'), 'utf8')) as Record<string, string>;
    const degg = JSON.parse(fs.readFileSync(runJson[env.lab.truth.modules[5].deggSerial], 'utf8')) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    expect(degg.UpperPmt.LaserVisibilityMeasurement_00).toMatchObject({ Comment: 'visibility check', Visible: true });
  }, 120_000);
});
