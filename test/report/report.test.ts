import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { query, setupRun } from '../helpers/master.js';
import { verdictOfRows } from '../../src/records/verdicts.js';
import type { Verdict } from '../../src/analysis/goalposts.js';
import { FIT_COLOUR } from '../../src/report/charts.js';

/**
 * `fat report` through the real binary on a home with real results: a gain scan and a dark-rate
 * measurement of the simulated lab (base port 4000: 4000..4099, 5000..5016, 5234 reserved for
 * this file), then the module report as HTML and PDF and the run summary with its outliers.
 */
const BASE_PORT = 4000;
type Pmt = 'LowerPmt' | 'UpperPmt';

describe('fat report', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  const hv = new Map<string, number>();
  let serials: string[] = [];

  beforeAll(async () => {
    env = await labWithHome(BASE_PORT, { timeScale: 1000 });
    await setupRun(env.run);
    const g = await env.run(['measure', 'gain', '-j', '4', '--events', '1500', '--json']);
    expect(g.code, g.stdout + g.stderr).toBe(0);
    for (const x of (JSON.parse(g.stdout) as { pmts: Array<{ serial: string; pmt: Pmt; hv1e7GainVolts: number }> }).pmts)
      hv.set(`${x.serial} ${x.pmt}`, x.hv1e7GainVolts);
    const d = await env.run(['measure', 'scaler', '-j', '4', '--runs', '30']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    serials = env.lab.truth.modules.map((m) => m.deggSerial);
  }, 180_000);
  afterAll(async () => env?.close(), 30_000);

  /** the module's verdict as `fat results` computes it, from the store */
  const verdictOf = (serial: string) =>
    verdictOfRows(
      query<{ id: number; pmt: string | null; name: string; verdict: Verdict | 'info'; reason: string }>(
        env.dir,
        'select id, pmt, name, verdict, reason from results where degg_serial = ?',
        serial,
      ),
    ).verdict;

  it('a module report as PDF: serial, verdict, HV at 1e7 and the plots', async () => {
    const serial = serials[0];
    const r = await env.run(['report', '1', '--module', serial, '--pdf']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const file = r.stdout.trim();
    expect(file).toBe(path.join(env.dir, 'reports', `run_00001_${serial}.pdf`));
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain(serial);
    expect(text).toContain(verdictOf(serial).toUpperCase());
    for (const pmt of ['LowerPmt', 'UpperPmt']) expect(text).toContain(String(Number(hv.get(`${serial} ${pmt}`)!.toPrecision(5))));
    for (const title of ['gain vs HV', 'dark rate per PMT', 'results in their goalpost bands']) expect(text).toContain(title);
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
    expect(pages).toBeGreaterThan(1);
  }, 30_000);

  it('the module report as HTML: self-contained, with the fitted curve in its SVG', async () => {
    const serial = serials[1];
    const out = path.join(env.dir, 'elsewhere', 'm.html');
    const r = await env.run(['report', '1', '--module', serial, '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3);
    const fit = html.match(new RegExp(`<path d="M[^"]*"[^>]*stroke="${FIT_COLOUR}"`, 'g')) ?? [];
    expect(fit.some((p) => (p.match(/L/g) ?? []).length >= 30)).toBe(true);
    for (const s of ['Provenance', 'icefat commit', 'schedule hash', 'icefat-2026.', 'gain.hv1e7', 'FPGA']) expect(html).toContain(s);
  }, 30_000);

  it('the run summary lists all modules and flags a PMT far from the batch, with the reason', async () => {
    const before = await env.run(['report', '1']);
    expect(before.code, before.stdout + before.stderr).toBe(0);
    expect(before.stdout.trim()).toBe(path.join(env.dir, 'reports', 'run_00001.html'));
    const html = fs.readFileSync(before.stdout.trim(), 'utf8');
    expect(serials).toHaveLength(16);
    for (const s of serials) expect(html).toContain(s);
    const victim = serials[5];
    expect(html).not.toContain(`${victim} LowerPmt gain.hv1e7 =`);

    const db = new Database(path.join(env.dir, 'fat.db'));
    try {
      const row = db
        .prepare("select id from results where degg_serial = ? and pmt = 'LowerPmt' and name = 'gain.hv1e7' order by id desc limit 1")
        .get(victim) as { id: number };
      db.prepare('update results set value = 1990 where id = ?').run(row.id);
    } finally {
      db.close();
    }
    const after = await env.run(['report', '1', '--out', path.join(env.dir, 'after.html')]);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    const flagged = fs.readFileSync(path.join(env.dir, 'after.html'), 'utf8');
    expect(flagged).toMatch(new RegExp(`${victim} LowerPmt gain.hv1e7 = 1990 V is \\d+\\.\\d MADs above the batch median`));
    expect(flagged).toContain('⚑ 1990 V');
  }, 30_000);

  it('an unknown run or module is a named error', async () => {
    const run = await env.run(['report', '7']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('run 7 does not exist');
    const mod = await env.run(['report', '1', '--module', 'DEgg-nope']);
    expect(mod.code).toBe(1);
    expect(mod.stderr).toContain('module "DEgg-nope" is not in run 1');
  }, 30_000);
});
