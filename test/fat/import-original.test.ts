import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_GOALPOSTS, loadGoalposts } from '../../src/records/goalposts-file.js';
import { openWorkspace } from '../../src/station/workspace.js';
import { importOriginal, type ImportReport } from '../../src/fat/import-original.js';
import { openStore, type Db } from '../../src/store/open.js';
import { startServer } from '../../src/web/server.js';
import { launchBrowser } from '../helpers/browser.js';
import { fat } from '../helpers/fat-cli.js';
import { freshStore, workspaceOn, type Engine } from '../helpers/pg-schema.js';

/**
 * `fat import`: the original system's JSON tree (test/fixtures/original, see its README) goes into
 * the store with nothing lost, every quantity it records becomes a result with its units and the
 * original's value, judged against the goalposts, and `fat results`, `fat report` and the read API
 * show the imported runs on a home that holds nothing else, without a flag.
 */
const ROOT = path.resolve(import.meta.dirname, '../fixtures/original');
const at = (f: string) => path.join(ROOT, f);
const ENTRY = /^(.+)_(\d+)$/;
const GOALPOSTS = loadGoalposts(DEFAULT_GOALPOSTS);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** Every readable file and every measurement entry in it, as the original wrote them. */
function expectedEntries() {
  const files: { file: string; level: string; text: string }[] = [];
  const entries: { file: string; pmt: string; key: string; value: Json }[] = [];
  const add = (file: string, level: string) => {
    const text = fs.readFileSync(file, 'utf8');
    files.push({ file, level, text });
    if (level === 'analysis') return;
    const doc = JSON.parse(text.replace(/\bNaN\b/g, '"NaN"')) as Json;
    for (const [pmt, d] of [['', doc], ...['UpperPmt', 'LowerPmt'].filter((p) => isObject(doc[p])).map((p) => [p, doc[p]])] as [
      string,
      Json,
    ][]) {
      for (const [key, value] of Object.entries(d)) if (ENTRY.test(key) && isObject(value)) entries.push({ file, pmt, key, value });
    }
  };
  for (const f of ['run/run_00001.json', 'run/run_00002.json', 'run/run_00004.json']) add(at(f), 'run');
  for (const f of ['run_00001/DEgg2021-3-133.json', 'run_00002/DEgg2021-3-133.json', 'run_00004/DEgg2021-3-200.json']) add(at(f), 'module');
  for (const f of fs.readdirSync(at('database_jsons'), { recursive: true, encoding: 'utf8' }).filter((x) => x.endsWith('.json')))
    add(at(path.join('database_jsons', f)), 'analysis');
  return { files, entries };
}

const sorted = <T>(rows: T[]) => rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
const D133 = at('run_00001/DEgg2021-3-133.json');
const D133_2 = at('run_00002/DEgg2021-3-133.json');
const DB = (f: string) => at(`database_jsons/run_0000000000000001/${f}`);

function expectProblems(r: ImportReport) {
  const shown = sorted(r.problems.map((p) => [path.relative(ROOT, p.file), p.key ?? '', p.message]));
  expect(shown.map(([f, k]) => [f, k])).toEqual(
    sorted([
      ['database_jsons/run_0000000000000001/degg-pmt_R5912-100-70_SQ0301_timing_00.json', 'meas_data[0].value'],
      ['run/run_00003.json', ''],
      ['run_00001/DEgg2021-3-085.json', ''],
      ['run_00002/DEgg2021-3-133.json', 'LowerPmt.DarkrateTemperature_0000.Pressure'],
      ['run_00002/DEgg2021-3-133.json', 'UpperPmt.GainMeasurement_01.GainFitExp'],
      ['run_00002/DEgg2021-3-133.json', 'UpperPmt.SPEPeakHeight'],
    ]),
  );
  const msg = (f: string, k = '') => shown.find((p) => p[0] === f && p[1] === k)?.[2];
  expect(msg('run/run_00003.json')).toMatch(/not valid JSON \(line 3, column 23\).*position 82/);
  expect(msg('run_00001/DEgg2021-3-085.json')).toMatch(/not valid JSON \(line 6, column 1\)/);
  expect(msg('run_00002/DEgg2021-3-133.json', 'UpperPmt.GainMeasurement_01.GainFitExp')).toBe(
    '"NaN" is not a number: gain.fit_exponent not imported',
  );
  expect(msg('run_00002/DEgg2021-3-133.json', 'LowerPmt.DarkrateTemperature_0000.Pressure')).toBe(
    'null is not a number: monitor.pressure not imported',
  );
  expect(msg('database_jsons/run_0000000000000001/degg-pmt_R5912-100-70_SQ0301_timing_00.json', 'meas_data[0].value')).toBe(
    '"NaN" is not a number: timing.tts not imported',
  );
}

async function expectImported(db: Db, station: string) {
  const { files, entries } = expectedEntries();
  const kept = await db.selectFrom('imported_entries').selectAll().where('station', '=', station).execute();
  for (const f of files)
    expect(kept.find((r) => r.source_file === f.file && r.level === f.level)?.raw, `${f.file} kept whole`).toBe(f.text);
  for (const e of entries) {
    const row = kept.find((r) => r.source_file === e.file && r.level === 'entry' && r.pmt === e.pmt && r.entry_key === e.key);
    expect(JSON.parse(row?.raw ?? 'null'), `${e.file} ${e.pmt} ${e.key}`).toEqual(e.value);
  }

  const results = await db
    .selectFrom('results')
    .innerJoin('runs', 'runs.id', 'results.run_id')
    .select(['runs.run_number', 'degg_serial', 'pmt', 'name', 'value', 'units', 'verdict', 'reason', 'detail', 'provenance'])
    .where('results.station', '=', station)
    .execute();
  const got = (run: number) => sorted(results.filter((r) => r.run_number === run).map((r) => [r.pmt, r.name, r.value, r.units, r.verdict]));
  // run 1: the D-Egg file and the analysis results of a FAT at -40 °C
  expect(got(1)).toEqual(
    sorted([
      ['LowerPmt', 'gain.hv1e7', 1423.8542437195745, 'V', 'pass'],
      ['LowerPmt', 'gain.spe_peak_height', 0.0036886251418696836 * 1e3, 'mV', 'pass'],
      ['LowerPmt', 'gain.fit_exponent', 6.6716938256138985, '', 'info'],
      ['LowerPmt', 'gain.fit_norm', 9.142047379124173e-15, '', 'info'],
      ['LowerPmt', 'baseline.mean', 8019.3212890625, 'ADC', 'pass'],
      ['LowerPmt', 'baseline.mean', 8018.75, 'ADC', 'pass'],
      ['LowerPmt', 'darkrate.cold', 1834.2, 'Hz', 'pass'],
      ['LowerPmt', 'flasher.leds_working', 12, 'LEDs', 'pass'],
      ['UpperPmt', 'gain.hv1e7', 1291.5276230146176, 'V', 'pass'],
      ['UpperPmt', 'gain.hv1e7', 1291.5276230146176, 'V', 'pass'],
      ['UpperPmt', 'gain.spe_peak_height', 0.0036400680721569503 * 1e3, 'mV', 'pass'],
      ['UpperPmt', 'gain.fit_exponent', 8.334104896585252, '', 'info'],
      ['UpperPmt', 'gain.fit_norm', 1.1934468591700926e-19, '', 'info'],
      ['UpperPmt', 'baseline.mean', 8030.10888671875, 'ADC', 'pass'],
      ['UpperPmt', 'baseline.mean', 8027.5, 'ADC', 'pass'],
      ['UpperPmt', 'darkrate.cold', 2712.4, 'Hz', 'marginal'],
      ['UpperPmt', 'linearity.charge_ratio_200pe', 0.912, '', 'pass'],
      ['UpperPmt', 'linearity.current_ratio_10ma', 0.874, '', 'pass'],
      ['UpperPmt', 'double_pulse.separation', 20.07, 'ns', 'pass'],
      ['UpperPmt', 'double_pulse.peak_to_valley1', 1.83, '', 'pass'],
      ['UpperPmt', 'double_pulse.peak_to_valley2', 2.21, '', 'pass'],
      ['UpperPmt', 'timing.tts', 2.64, 'ns', 'pass'],
      ['UpperPmt', 'timing.tts_chi2', 1.21, '', 'pass'],
      ['UpperPmt', 'timing.offset', 61.35, 'ns', 'info'],
      ['UpperPmt', 'monitor.high_dark_rates', 1, 'readings', 'pass'],
      ['camera R214', 'camera.dark_noise', 6.41, 'ADU', 'info'],
      [null, 'monitor.pressure', 452.7, 'hPa', 'pass'],
      [null, 'monitor.pressure', 451.9, 'hPa', 'pass'],
      [null, 'monitor.pressure', 452.1, 'hPa', 'pass'],
      [null, 'stf.failed_items', 0, 'items', 'pass'],
      [null, 'coldboot.failures', 0, 'modules', 'pass'],
    ]),
  );
  // run 2: the same D-Egg written by another version: strings read as numbers, NaN and null reported
  expect(got(2)).toEqual(
    sorted([
      ['LowerPmt', 'gain.hv1e7', 1402.5, 'V', 'pass'],
      ['UpperPmt', 'gain.hv1e7', 1288.25, 'V', 'pass'],
      ['UpperPmt', 'gain.fit_norm', 3.2e-15, '', 'info'],
      ['UpperPmt', 'baseline.mean', 8022.4, 'ADC', 'pass'],
    ]),
  );
  expect(got(4)).toEqual([]); // HV1e7Gain -1: never analysed
  // where each value came from, and why a marginal one is marginal
  const dark = results.find((r) => r.name === 'darkrate.cold' && r.pmt === 'UpperPmt')!;
  expect(dark.reason).toMatch(/2712 Hz is within 1400 Hz of a limit/);
  expect(JSON.parse(dark.detail)).toMatchObject({ entry: 'pmt-darknoise', temperatureC: -38.6, daq_type: 'scaler' });
  expect(JSON.parse(dark.provenance)).toMatchObject({
    importedFrom: DB('degg-pmt_R5912-100-70_SQ0300_darknoise_00.json'),
    operator: 'imported',
  });
  const fit = results.find((r) => r.name === 'gain.fit_exponent' && r.run_number === 1 && r.pmt === 'UpperPmt')!;
  expect(JSON.parse(fit.detail)).toEqual({ entry: 'UpperPmt.GainMeasurement_01', key: 'GainFitExp' });
  expect(JSON.parse(fit.provenance)).toMatchObject({ importedFrom: D133 });
  const stf = results.find((r) => r.name === 'stf.failed_items')!;
  expect(JSON.parse(stf.detail)).toMatchObject({ entry: 'STF_00', items: 5, failed: [] });

  const runs = await db
    .selectFrom('runs')
    .select(['run_number', 'comment', 'date', 'operator'])
    .where('station', '=', station)
    .orderBy('run_number')
    .execute();
  expect(runs).toEqual([
    { run_number: 1, comment: 'DEgg', date: '2023-02-09', operator: 'imported' },
    { run_number: 2, comment: 'second batch: only one left', date: '2023-03-01', operator: 'imported' },
    { run_number: 4, comment: 'new batch', date: '2023-05-15', operator: 'imported' },
  ]);
  const history = await db
    .selectFrom('modules')
    .innerJoin('runs', 'runs.id', 'modules.run_id')
    .select(['runs.run_number', 'modules.port', 'modules.icm_id', 'modules.fpga_version', 'modules.registry'])
    .where('modules.degg_serial', '=', 'DEgg2021-3-133')
    .where('runs.station', '=', station)
    .orderBy('runs.run_number')
    .execute();
  expect(history.map((h) => [h.run_number, h.port, h.icm_id, h.fpga_version])).toEqual([
    [1, 5006, '3300002c73032e2d', 272],
    [2, 5000, '3300002c73032e2d', 272],
  ]);
  expect((JSON.parse(history[0].registry) as Json).WhoKnowsWhat).toEqual({ nested: { deeper: [1, { x: 'y' }] } });
}

for (const engine of ['sqlite', 'postgres'] as const satisfies readonly Engine[]) {
  describe(`fat import (${engine})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    it('every quantity becomes a result with units, nothing is lost, each problem is named, and nothing is added the second time', async () => {
      const store = await freshStore(engine, 'import');
      cleanup.push(() => store.drop());
      const db = await openStore(store.url);
      try {
        const report = await importOriginal(db, ROOT, 'imported', GOALPOSTS);
        expectProblems(report);
        expect(report).toMatchObject({ runs: { new: 3 }, modules: { new: 3 }, results: 35 });
        await expectImported(db, 'imported');
        const before = await db.selectFrom('results').select('id').execute();
        const again = await importOriginal(db, path.join(ROOT, 'run'), 'imported', GOALPOSTS); // the run folder works too
        expect(again).toMatchObject({ runs: { new: 0, known: 3 }, modules: { new: 0, known: 3 }, entries: { new: 0 }, results: 0 });
        expectProblems(again);
        expect(await db.selectFrom('results').select('id').execute()).toHaveLength(before.length);
        // the same runs under another station are a history of their own
        const other = await importOriginal(db, ROOT, 'lab-2019', GOALPOSTS);
        expect(other.runs.new).toBe(3);
        await expectImported(db, 'lab-2019');
      } finally {
        await db.destroy();
      }
    }, 55_000);
  });
}

describe('an imported home, through the fat binary and the read API', () => {
  it('fat results, fat report and GET /api/modules show the imported runs and values; nothing fails for lack of data', async () => {
    const store = await freshStore('sqlite', 'import-home');
    const made = await workspaceOn(store.url, 'lab-a');
    const home = made.home.dir;
    await made.close();
    try {
      const imp = await fat(home, ['import', ROOT]);
      expect(imp.code).toBe(1); // some files and values could not be read
      expect(imp.stdout).toMatch(/results\s+35 new/);
      expect(imp.stdout).toContain(
        `${D133_2} UpperPmt.GainMeasurement_01.GainFitExp: "NaN" is not a number: gain.fit_exponent not imported`,
      );

      // no run of its own on this station: the latest imported run, a module with nothing to judge
      const latest = await fat(home, ['results']);
      expect(latest.code, latest.stderr).toBe(0);
      expect(latest.stdout).toContain('Run 4 on imported: 1 modules, 0 pass, 0 marginal, 0 fail, 1 not judged');
      expect(latest.stdout).toMatch(/port 5002 DEgg2021-3-200 {2}NOT JUDGED/);
      const verdicts = await Promise.all(
        [1, 2, 4].map(async (n) => {
          const r = await fat(home, ['results', String(n), '--json']);
          return (JSON.parse(r.stdout) as { modules: Array<{ serial: string; verdict: string; reasons: string[] }> }).modules;
        }),
      );
      expect(verdicts.map((ms) => ms.map((m) => [m.serial, m.verdict]))).toEqual([
        [['DEgg2021-3-133', 'marginal']],
        [['DEgg2021-3-133', 'pass']],
        [['DEgg2021-3-200', 'not judged']],
      ]);
      expect(verdicts[0][0].reasons).toEqual([
        expect.stringMatching(/DEgg2021-3-133 UpperPmt dark rate .* 2712 Hz is within 1400 Hz of a limit/),
      ]);
      const one = await fat(home, ['results', '1', '--module', 'DEgg2021-3-133']);
      expect(one.stdout).toContain('gain.hv1e7 UpperPmt: 1291.5 V  PASS');
      expect(one.stdout).toContain('flasher.leds_working LowerPmt: 12 LEDs  PASS');
      expect(one.stdout).toContain(`imported from ${D133}`);

      const report = await fat(home, ['report', '1', '--module', 'DEgg2021-3-133']);
      expect(report.code, report.stderr).toBe(0);
      const html = fs.readFileSync(report.stdout.trim(), 'utf8');
      expect(html).toContain('D-Egg DEgg2021-3-133: run 1 <span class="verdict v-marginal">MARGINAL</span>');
      expect(html).toContain('2712.4 Hz');
      expect(html).toContain('station imported');
      const summary = await fat(home, ['report', '4']);
      expect(fs.readFileSync(summary.stdout.trim(), 'utf8')).toContain('<span class="verdict v-not-judged">NOT JUDGED</span> 1');

      const ws = await openWorkspace(home);
      const server = await startServer(ws, '127.0.0.1', 0);
      try {
        const get = async (p: string) => (await (await fetch(`${server.url}${p}`)).json()) as Json;
        const grid = await get('/api/modules');
        expect(grid).toMatchObject({ run: 4, modules: [{ serial: 'DEgg2021-3-200', verdict: 'not judged' }] });
        const grid1 = await get('/api/modules?run=1');
        expect(grid1).toMatchObject({
          run: 1,
          modules: [
            {
              verdict: 'marginal',
              headlines: [
                { key: 'hv1e7', perPmt: { LowerPmt: 1423.8542437195745, UpperPmt: 1291.5276230146176 } },
                { key: 'darkRate', perPmt: { UpperPmt: 2712.4 } },
                { key: 'speHeight' },
              ],
            },
          ],
        });
        const h = (await get('/api/modules/DEgg2021-3-133')) as {
          runs: Array<{ run: Json; verdict: string }>;
          darkVsTemperature: unknown[];
        };
        expect(h.runs.map((r) => [r.run.runNumber, r.run.station, r.verdict])).toEqual([
          [2, 'imported', 'pass'],
          [1, 'imported', 'marginal'],
        ]);
        expect(h.darkVsTemperature).toEqual(
          expect.arrayContaining([expect.objectContaining({ run: 1, pmt: 'UpperPmt', temperatureC: -38.6, rateHz: 2712.4 })]),
        );
        const runs = (await get('/api/runs')) as { runs: Array<{ number: number; station: string }> };
        expect(runs.runs.map((r) => [r.number, r.station])).toEqual([
          [4, 'imported'],
          [2, 'imported'],
          [1, 'imported'],
        ]);

        // the dashboard: the grid of the latest run, and the module page with the original's runs
        const browser = await launchBrowser();
        try {
          const page = await browser.newPage();
          await page.goto(`${server.url}/#/modules`);
          const tile = page.getByTestId('module-tile');
          await expect.poll(() => tile.count(), { timeout: 15_000 }).toBe(1);
          expect(await tile.locator('.not-judged').textContent()).toBe('verdict: not judged');
          await page.goto(`${server.url}/#/module/DEgg2021-3-133`);
          const rows = page.getByTestId('module-run');
          await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
          expect(await rows.allTextContents()).toEqual([
            expect.stringMatching(/^2imported2023-03-01active.*pass$/),
            expect.stringMatching(/^1imported2023-02-09activemarginal.*2712 Hz/),
          ]);
        } finally {
          await browser.close();
        }
      } finally {
        await server.close();
        await ws.close();
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
      await store.drop();
    }
  }, 90_000);

  it('a folder without run/ is refused, naming what is expected', async () => {
    const store = await freshStore('sqlite', 'import-bad');
    const db = await openStore(store.url);
    try {
      await expect(importOriginal(db, path.join(ROOT, 'run_00001'), 'imported', GOALPOSTS)).rejects.toThrow(
        /holds no run\/ folder: give the original's JSON root/,
      );
    } finally {
      await db.destroy();
      await store.drop();
    }
  });
});
