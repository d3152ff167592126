import path from 'node:path';
import { z } from 'zod';
import { analyseScaler } from '../analysis/dark-rate.js';
import { baselineStats } from '../analysis/baseline.js';
import {
  communicationItem,
  darkRateItem,
  failedItems,
  hvItem,
  hvTolerance,
  rangeItem,
  skipped,
  STF_LIMITS,
  supplyItems,
  temperatureItem,
  type StfItem,
} from '../analysis/stf.js';
import { newDataDir } from '../station/data-dirs.js';
import { freezerAirC } from '../station/freezer-air.js';
import { runLanes, wirePairLanes } from '../station/wire-pair-jobs.js';
import type { IcebootSession, PmtChannel } from '../lab/iceboot/session.js';
import { IcmClient } from '../lab/icm-client.js';
import { laserOff } from './module-jobs.js';
import { wirePairOf } from '../lab/station.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { rounds } from './rounds.js';
import { swWaveforms } from './measure-baseline.js';
import { hvSetPoint, PMTS } from './pmt-json.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { rethrowUnlessModuleFault } from './module-errors.js';
import { iniInt, iniText } from './values.js';
import { recordResultRows } from './result-rows.js';

/**
 * `measure_stf` (measure_stf.py, original-system.md §6.11). The original ran the external Simple
 * Test Framework's DEgg-FAT set; icefat runs its own quick self-test per module instead: it
 * answers (identity words, FPGA and iceboot versions), its sensors read plausible values, each
 * HV channel ramps to its set point and reads back (then the previous HV state is restored), the
 * baseline sits near 8000 at DAC 30000, the software trigger returns waveforms and the ADC
 * trigger counts dark noise. Limits: analysis/stf.ts. At the end the HV, LID and flash interlocks
 * are enabled again on the ICM, as the original did.
 */
export const STF = {
  hvRampS: 40,
  hvReadbacks: 5,
  swWaveforms: 10,
  swSamples: 1024,
  swPeriodMs: 10,
  /** 0.25 PE of a 48 ADC SPE pulse */
  darkThresholdAdc: 12,
  scalerWindows: 10,
  scalerPeriodUs: 100_000,
  scalerDeadtime: 24,
};

/** the items read over the module's iceboot session, after `communication` */
const SESSION_ITEMS = [
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
];

const params = z.object({
  comment: iniText().default(''),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4).describe('wire pairs tested in parallel'),
});
type P = z.infer<typeof params>;

/** an item whose reading ended in error `e` */
const failedItem = (name: string, e: unknown, limit: string): StfItem => ({
  item: name,
  status: 'fail',
  reading: `error: ${(e as Error).message}`,
  value: null,
  limit,
});

/** runs one reading; a driver error becomes a failed item that names it (an abort stays an abort) */
async function item(signal: AbortSignal, name: string, limit: string, fn: () => Promise<StfItem | StfItem[]>): Promise<StfItem[]> {
  try {
    const r = await fn();
    return Array.isArray(r) ? r : [r];
  } catch (e) {
    if (signal.aborted) throw e;
    return [failedItem(name, e, limit)];
  }
}

async function hvMean(s: IcebootSession, ch: PmtChannel, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await s.hvReadback(ch)).hvVolts);
  return out;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

type Sleep = (s: number) => Promise<void>;

async function communicationStep(ctx: TaskContext, s: IcebootSession): Promise<StfItem> {
  const ws = ctx.ws;
  const ids: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, read] of [
    ['ICM', () => s.icmId()],
    ['flash', () => s.flashId()],
    ['mainboard', () => s.mainboardId()],
  ] as const) {
    try {
      ids[name] = await read();
    } catch {
      missing.push(name === 'ICM' ? 'icmID' : name === 'flash' ? 'flashID' : 'mainboardID');
    }
  }
  return communicationItem({
    boardType: s.info.boardType,
    fpgaVersion: s.info.fpgaVersion,
    expectedFpga: ws.station.expected.fpga_version,
    softwareVersion: s.info.softwareVersion,
    expectedSoftware: ws.station.expected.software_version,
    ids,
    missing,
  });
}

async function sensorSteps(ctx: TaskContext, s: IcebootSession, airC: number | null, items: StfItem[]): Promise<void> {
  items.push(
    ...(await item(ctx.signal, 'temperature', 'plausible against the freezer air', async () =>
      temperatureItem(await s.temperatureC(), airC),
    )),
  );
  const [pLo, pHi] = STF_LIMITS.pressureHpa;
  items.push(
    ...(await item(ctx.signal, 'pressure', `${pLo} to ${pHi} hPa`, async () => rangeItem('pressure', await s.pressure(), pLo, pHi, 'hPa'))),
  );
  items.push(
    ...(await item(ctx.signal, 'supplies', 'supply rails', async () => {
      const all = await s.readAllSloAdc();
      return supplyItems(
        STF_LIMITS.rails.map((r) => all[r.currentCh].value),
        STF_LIMITS.rails.map((r) => all[r.voltageCh].value),
      );
    })),
  );
}

type HvBefore = Array<{ enabled: boolean; volts: number } | null>;

/** HV: remember the state (into `before`), ramp to the set point, read back; returns which channels passed */
async function hvStep(
  ctx: TaskContext,
  s: IcebootSession,
  sleep: Sleep,
  setPoints: number[],
  before: HvBefore,
  items: StfItem[],
): Promise<boolean[]> {
  const hvOk = [false, false];
  try {
    let wait = false;
    for (const ch of [0, 1] as const) {
      before[ch] = { enabled: await s.hvEnabled(ch), volts: mean(await hvMean(s, ch, STF.hvReadbacks)) };
      if (!(before[ch].enabled && Math.abs(before[ch].volts - setPoints[ch]) <= hvTolerance(setPoints[ch]))) wait = true;
      await s.enableHV(ch);
      await s.setHV(ch, setPoints[ch]);
    }
    if (wait) await sleep(STF.hvRampS);
    for (const ch of [0, 1] as const) {
      const it = hvItem(ch, setPoints[ch], await hvMean(s, ch, STF.hvReadbacks));
      hvOk[ch] = it.status === 'pass';
      items.push(it);
    }
  } catch (e) {
    rethrowUnlessModuleFault(ctx, e);
    for (const ch of [0, 1] as const)
      if (!items.some((i) => i.item === `hv_ch${ch}`)) items.push(failedItem(`hv_ch${ch}`, e, `${setPoints[ch]} V`));
  }
  return hvOk;
}

/** software trigger and baseline at DAC 30000; returns the baselines */
async function swTriggerStep(ctx: TaskContext, s: IcebootSession, m: ActiveModule, items: StfItem[]): Promise<Array<number | null>> {
  const baselines: Array<number | null> = [null, null];
  for (const ch of [0, 1] as const) {
    const [lo, hi] = STF_LIMITS.baselineAdc;
    try {
      await s.setBaselineDac(ch, STF_LIMITS.baselineDac);
      const w = await swWaveforms(s, ch, STF.swWaveforms, STF.swSamples, STF.swPeriodMs, `${m.serial} (port ${m.port}) channel ${ch}`);
      items.push({
        item: `sw_trigger_ch${ch}`,
        status: 'pass',
        reading: `${STF.swWaveforms}/${STF.swWaveforms} waveforms of ${STF.swSamples} samples`,
        value: STF.swWaveforms,
        limit: `${STF.swWaveforms} waveforms of channel ${ch}, ${STF.swSamples} samples`,
      });
      const b = baselineStats(w.adc).meanAdc;
      baselines[ch] = b;
      items.push(rangeItem(`baseline_ch${ch}`, b, lo, hi, 'ADC'));
    } catch (e) {
      rethrowUnlessModuleFault(ctx, e);
      items.push(failedItem(`sw_trigger_ch${ch}`, e, `${STF.swWaveforms} waveforms`));
      items.push(skipped(`baseline_ch${ch}`, 'no waveforms'));
    }
  }
  return baselines;
}

/** dark noise on the ADC trigger, both channels at once; needs the HV and a baseline */
async function darkRateStep(
  ctx: TaskContext,
  s: IcebootSession,
  sleep: Sleep,
  hvOk: boolean[],
  baselines: Array<number | null>,
  items: StfItem[],
): Promise<void> {
  const live = ([0, 1] as const).filter((ch) => hvOk[ch] && baselines[ch] !== null);
  for (const ch of [0, 1] as const)
    if (!live.includes(ch)) items.push(skipped(`dark_rate_ch${ch}`, !hvOk[ch] ? `needs the HV (hv_ch${ch} failed)` : 'needs a baseline'));
  if (!live.length) return;
  try {
    for (const ch of live) {
      await s.setAdcTriggerThreshold(ch, Math.round((baselines[ch] ?? 0) + STF.darkThresholdAdc));
      await s.enableAdcTrigger(ch);
      await s.enableScalers(ch, STF.scalerPeriodUs, STF.scalerDeadtime);
    }
    const counts = live.map(() => new Uint32Array(STF.scalerWindows));
    // the first window after enabling is incomplete
    await sleep(STF.scalerPeriodUs / 1e6);
    for (let i = 0; i < STF.scalerWindows; i++) {
      await sleep(STF.scalerPeriodUs / 1e6);
      for (let k = 0; k < live.length; k++) counts[k][i] = await s.getScalerCount(live[k]);
    }
    live.forEach((ch, k) => items.push(darkRateItem(ch, analyseScaler(counts[k], STF.scalerPeriodUs / 1e6, STF.scalerDeadtime).meanHz)));
  } catch (e) {
    rethrowUnlessModuleFault(ctx, e);
    for (const ch of live)
      if (!items.some((i) => i.item === `dark_rate_ch${ch}`))
        items.push(failedItem(`dark_rate_ch${ch}`, e, `≥ ${STF_LIMITS.minDarkRateHz} Hz`));
  } finally {
    for (const ch of live) await s.disableTriggers(ch).catch(() => undefined);
  }
}

/** the HV as it was: on at its old readback, or off */
async function restoreHvStep(
  ctx: TaskContext,
  s: IcebootSession,
  m: ActiveModule,
  sleep: Sleep,
  setPoints: number[],
  before: HvBefore,
): Promise<void> {
  let rampBack = false;
  for (const ch of [0, 1] as const) {
    const b = before[ch];
    if (!b) continue;
    try {
      if (b.enabled && b.volts > 50) {
        await s.setHV(ch, Math.round(b.volts));
        if (Math.abs(b.volts - setPoints[ch]) > hvTolerance(setPoints[ch])) rampBack = true;
      } else {
        await s.setHV(ch, 0);
        if (!b.enabled) await s.disableHV(ch);
      }
    } catch (e) {
      ctx.emit({
        level: 'warn',
        kind: 'measure.stf.hv-restore',
        message: `measure_stf: ${m.serial} (port ${m.port}) HV channel ${ch} could not be put back (${b.enabled ? `on at ${b.volts.toFixed(0)} V` : 'off'}): ${(e as Error).message}`,
        audience: 'channel',
        data: { port: m.port, channel: ch },
      });
    }
  }
  if (rampBack) await sleep(STF.hvRampS);
}

async function testModule(ctx: TaskContext, m: ActiveModule, airC: number | null): Promise<StfItem[]> {
  const ws = ctx.ws;
  const sleep = (s: number) => ws.clock.sleep(s * 1000, ctx.signal);
  return ctx.lab.module(m.port, async (s) => {
    const items: StfItem[] = [];
    items.push(await communicationStep(ctx, s));
    await sensorSteps(ctx, s, airC, items);
    const before: HvBefore = [null, null];
    const setPoints = (await Promise.all(PMTS.map((pmt) => hvSetPoint(ctx.ws, m.jsonFile, pmt)))).map(Math.round);
    const hvOk = await hvStep(ctx, s, sleep, setPoints, before, items);
    const baselines = await swTriggerStep(ctx, s, m, items);
    await darkRateStep(ctx, s, sleep, hvOk, baselines, items);
    await restoreHvStep(ctx, s, m, sleep, setPoints, before);
    return items;
  });
}

/** the original re-enabled the flash, LID and HV interlocks after STF */
async function interlocksItem(ctx: TaskContext, m: ActiveModule): Promise<StfItem> {
  const { icmPort, address } = wirePairOf(ctx.ws.station, m.port);
  const icm = new IcmClient(ctx.ws.station.daq_host, icmPort, { timeoutMs: 5000 });
  const limit = 'pmt_hv_enable, lid_enable, mcu_flash_enable answered OK';
  try {
    await icm.pmtHvEnable(address);
    await icm.lidEnable(address);
    await icm.mcuFlashEnable(address);
    return {
      item: 'interlocks',
      status: 'pass',
      reading: `HV, LID and flash interlocks enabled (ICM port ${icmPort}, device ${address})`,
      value: 1,
      limit,
    };
  } catch (e) {
    return { item: 'interlocks', status: 'fail', reading: `error: ${(e as Error).message}`, value: 0, limit };
  } finally {
    icm.close();
  }
}

/** the function generator's output off, and the freezer air temperature (null when it cannot be read) */
async function stfPrepare(ctx: TaskContext): Promise<number | null> {
  const ws = ctx.ws;
  await laserOff(ctx);
  let airC: number | null = null;
  try {
    airC = await freezerAirC(ws);
  } catch (e) {
    ctx.emit({
      level: 'warn',
      kind: 'measure.stf.no-air-temperature',
      message: `measure_stf: no freezer air temperature (${(e as Error).message}); the mainboard temperatures are judged against ${STF_LIMITS.temperatureAbsoluteC.join('..')} °C only`,
      audience: 'channel',
    });
  }
  return airC;
}

/** one module's STF file and its STF entry */
async function recordStfModule(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  dir: string,
  items: StfItem[],
  failed: StfItem[],
): Promise<{ file: string; key: string }> {
  const ws = ctx.ws;
  const file = path.join(dir, `${m.serial}.json`);
  const time = new Date(ws.clock.now()).toISOString();
  writeJsonAtomic(file, {
    degg: m.serial,
    port: m.port,
    time,
    comment: p.comment,
    passed: !failed.length,
    failed_items: failed.map((i) => i.item),
    items,
  });
  const key = await ctx.record.entry(m.jsonFile, 'STF', {
    Folder: dir,
    Comment: p.comment,
    Filename: file,
    Passed: !failed.length,
    FailedItems: failed.map((i) => i.item),
    Items: Object.fromEntries(items.map((i) => [i.item, { Status: i.status, Reading: i.reading, Limit: i.limit }])),
    TaskId: ctx.task.id,
  });
  return { file, key };
}

export interface StfModule {
  port: number;
  serial: string;
  passed: boolean;
  failedItems: string[];
  items: StfItem[];
  file: string;
  key: string;
}

export const kind = {
  name: 'measure_stf',
  aliases: ['stf_wrapper', 'stf'],
  summary: "icefat's quick self-test per module (in place of the STF DEgg-FAT set)",
  quantities: ['stf.failed_items'],
  params,
  positional: ['comment', 'n_jobs'],
  estimateS: (p, m) => 60 + rounds(m, p.n_jobs) * (2 * STF.hvRampS + 20),
  async run(ctx, p) {
    const ws = ctx.ws;
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('measure_stf: the run has no active modules');
    const airC = await stfPrepare(ctx);
    const dir = newDataDir(ws.home.dataDir, 'stf', ws.clock.now());
    const out: StfModule[] = [];
    let done = 0;
    await runLanes(wirePairLanes(modules), p.n_jobs, async (m) => {
      ctx.signal.throwIfAborted();
      let items: StfItem[];
      try {
        items = await testModule(ctx, m, airC);
      } catch (e) {
        rethrowUnlessModuleFault(ctx, e);
        items = [
          failedItem('communication', e, 'the module answers'),
          ...SESSION_ITEMS.map((name) => skipped(name, 'the module does not answer')),
        ];
      }
      items.push(await interlocksItem(ctx, m));
      const failed = failedItems(items);
      const { file, key } = await recordStfModule(ctx, p, m, dir, items, failed);
      out.push({ port: m.port, serial: m.serial, passed: !failed.length, failedItems: failed.map((i) => i.item), items, file, key });
      ctx.progress(
        ++done / modules.length,
        `${m.serial}: ${failed.length ? `FAILED ${failed.map((i) => i.item).join(', ')}` : `${items.length} items passed`}`,
      );
      if (failed.length)
        ctx.emit({
          level: 'warn',
          kind: 'measure.stf.failed',
          message: `STF: ${m.serial} (port ${m.port}) failed ${failed.map((i) => `${i.item}: ${i.reading} (limit ${i.limit})`).join('; ')}`,
          audience: 'people',
          data: { port: m.port, items: failed.map((i) => i.item) },
        });
    });
    out.sort((a, b) => a.port - b.port);
    if (out.every((r) => r.items.every((i) => i.item === 'communication' || i.item === 'interlocks' || i.status === 'skipped')))
      throw new Error(`measure_stf: no module answered: ${out.map((r) => `${r.serial}: ${r.items[0].reading}`).join('; ')}`);
    await recordResultRows(ctx, 'measure_stf', dir, out, 'stf.failed_items', (r) => ({
      value: r.failedItems.length,
      detail: { failed: r.failedItems, items: r.items },
    }));
    return {
      folder: dir,
      passed: out.filter((r) => r.passed).length,
      failed: out.filter((r) => !r.passed).length,
      modules: out.map(({ port, serial, passed, failedItems: f, items, key }) => ({ port, serial, passed, failedItems: f, items, key })),
    };
  },
} satisfies TaskKind<P>;
