import path from 'node:path';
import { z } from 'zod';
import { deadTimeCorrectedRates } from '../analysis/dark-rate.js';
import {
  currentCheck,
  darkRateSummary,
  hvCheck,
  meanStd,
  type CurrentCheck,
  type DarkRateSummary,
  type HvCheck,
} from '../analysis/monitoring.js';
import { type ResultInput } from '../records/results.js';
import type { PmtChannel } from '../lab/iceboot/session.js';
import { writeHdf5 } from '../store/hdf5.js';
import { startMonitoring } from './monitor-common.js';
import { eachModule } from './module-jobs.js';
import { hvSetPoint, PMTS } from './pmt-json.js';
import { readScalerWindows, SCALER, scalerBaseline, setTrigger } from './scaler-windows.js';
import type { ActiveModule, TaskContext, TaskKind } from './types.js';
import { iniInt, iniRequiredText, iniText } from './values.js';

/**
 * `online_mon` (monitoring/bolt.py, "quick monitoring", original-system.md §6.12): laser off, HV
 * at HV1e7Gain, then per D-Egg and repeat 5 reads each of the slow ADC (supply currents and
 * voltages, HV0/HV1, temperature) and the pressure, the baselines, and 5 FIR scaler windows at
 * 20 ADC over baseline. Per D-Egg a report like the original's Slack message: to the channel when
 * all is OK, to the people otherwise. The wire pairs run in parallel (the original's 4 batches).
 */
export const ONLINE_MON = {
  readsPerRepeat: 5,
  firThresholdOverBaselineAdc: 20,
};

const params = z.object({
  comment: iniText().default('quick online monitoring'),
  n_repeat: iniInt({ min: 1 }).default(3),
  hv_status: iniRequiredText(),
});
type P = z.infer<typeof params>;

interface PmtMon {
  pmt: (typeof PMTS)[number];
  setPointV: number;
  hv: HvCheck;
  baselineAdc: number[];
  dark: DarkRateSummary;
}

interface ModuleMon {
  port: number;
  serial: string;
  pmts: PmtMon[];
  currents: CurrentCheck;
  pressureHpa: number;
  temperatureC: number;
  powerW: number;
  ok: boolean;
  report: string;
  file: string;
  key: string;
}

/** The original's Slack text, line by line. */
function reportText(m: ActiveModule, pmts: PmtMon[], cur: CurrentCheck): string {
  const lines = [`${m.serial} (${m.port})`];
  for (const [ch, x] of pmts.entries()) {
    lines.push(`HV${ch} Val: ${x.hv.valOk ? 'OK' : 'FAILED'}`);
    lines.push(`HV${ch} Std: ${x.hv.stdOk ? 'OK' : 'FAILED'}`);
    lines.push(`HV${ch} = ${x.hv.meanV.toFixed(1)} +/- ${x.hv.stdV.toFixed(1)} V (set ${x.setPointV.toFixed(0)} V)`);
  }
  for (const [ch, x] of pmts.entries())
    lines.push(
      `Dark Rate ${ch}: (N > ${x.dark.flagHz} = ${x.dark.nAbove} / ${x.dark.n}): ${x.dark.meanHz.toFixed(0)} +/- ${x.dark.stdHz.toFixed(0)} Hz`,
    );
  lines.push(`I_Mon N Checks: ${cur.ok}/${cur.checks} OK`);
  for (const f of cur.fails) lines.push(`FAILS: Ch=${f.rail}, Val=${f.valueMa.toFixed(0)} (Max=${f.maxMa}) mA`);
  return lines.join('\n');
}

interface Readings {
  n: number;
  slo: Float64Array;
  pressure: Float64Array;
  timeS: Float64Array;
  baselines: Float64Array;
  counts: Uint32Array[];
}

/** `n_repeat` times: the slow-control ADCs and the pressure, the baselines, FIR scaler windows. */
async function readModule(ctx: TaskContext, p: P, m: ActiveModule): Promise<Readings> {
  const n = p.n_repeat * ONLINE_MON.readsPerRepeat;
  const slo = new Float64Array(n * 16);
  const pressure = new Float64Array(n);
  const timeS = new Float64Array(n);
  const baselines = new Float64Array(p.n_repeat * 2);
  const counts = [new Uint32Array(n), new Uint32Array(n)];
  const t0 = ctx.ws.clock.now();
  await ctx.lab.module(m.port, async (s) => {
    for (let r = 0; r < p.n_repeat; r++) {
      ctx.signal.throwIfAborted();
      for (let i = 0; i < ONLINE_MON.readsPerRepeat; i++) {
        const k = r * ONLINE_MON.readsPerRepeat + i;
        const all = await s.readAllSloAdc();
        for (const x of all) slo[k * 16 + x.channel] = x.value;
        pressure[k] = await s.pressure();
        timeS[k] = (ctx.ws.clock.now() - t0) / 1000;
      }
      for (const ch of [0, 1] as PmtChannel[]) {
        baselines[r * 2 + ch] = await scalerBaseline(s, ch, m);
        await setTrigger(s, ch, baselines[r * 2 + ch], ONLINE_MON.firThresholdOverBaselineAdc, 'fir');
      }
      const c = await readScalerWindows(ctx, s, [0, 1], ONLINE_MON.readsPerRepeat);
      for (const ch of [0, 1]) counts[ch].set(c[ch], r * ONLINE_MON.readsPerRepeat);
    }
  });
  return { n, slo, pressure, timeS, baselines, counts };
}

/** The module's readings as HDF5, with what they were taken with. */
async function writeMonitorFile(
  ctx: TaskContext,
  p: P,
  m: ActiveModule,
  file: string,
  r: Readings,
  pmts: PmtMon[],
  cur: CurrentCheck,
): Promise<void> {
  const { n, slo, pressure, timeS, baselines, counts } = r;
  const time = new Date(ctx.ws.clock.now()).toISOString();
  await writeHdf5(file, {
    attrs: {
      degg: m.serial,
      port: m.port,
      hv_status: p.hv_status,
      comment: p.comment,
      n_repeat: p.n_repeat,
      reads_per_repeat: ONLINE_MON.readsPerRepeat,
      dac: SCALER.dac,
      fir_threshold_adc_over_baseline: ONLINE_MON.firThresholdOverBaselineAdc,
      period_us: SCALER.periodUs,
      deadtime_cycles: SCALER.deadtimeCycles,
      hv0_set_volts: pmts[0].setPointV,
      hv1_set_volts: pmts[1].setPointV,
      time,
    },
    datasets: {
      time_s: { data: timeS, attrs: { units: 's since the first read' } },
      slo_adc: {
        data: slo,
        shape: [n, 16],
        attrs: { units: 'per channel: mA (0-4), V (5, 8, 10, 12-15), mV (6), C (7), uA (9, 11)', channels: 'sloAdcReadAll order' },
      },
      pressure_hpa: { data: pressure, attrs: { units: 'hPa' } },
      power_w: { data: cur.powerW, attrs: { units: 'W, sum of I*V over the five rails' } },
      baseline_adc: { data: baselines, shape: [p.n_repeat, 2], attrs: { units: 'ADC counts, [repeat, channel]' } },
      scaler_count: {
        data: Uint32Array.from([...counts[0], ...counts[1]]),
        shape: [2, n],
        attrs: { units: 'triggers per 100 ms window, [channel, read]' },
      },
    },
  });
}

async function monitorModule(ctx: TaskContext, p: P, m: ActiveModule, dir: string): Promise<ModuleMon> {
  const { n, slo, pressure, timeS, baselines, counts } = await readModule(ctx, p, m);
  const reads = Array.from({ length: n }, (_, k) => slo.subarray(k * 16, k * 16 + 16));
  const cur = currentCheck(reads);
  const rates = counts.map((c) => deadTimeCorrectedRates(c, SCALER.periodUs / 1e6, SCALER.deadtimeCycles / 240e6));
  const setPoints = await Promise.all(PMTS.map((pmt) => hvSetPoint(ctx.ws, m.jsonFile, pmt)));
  const pmts: PmtMon[] = PMTS.map((pmt, ch) => {
    const setPointV = setPoints[ch];
    return {
      pmt,
      setPointV,
      hv: hvCheck(
        reads.map((r) => r[8 + 2 * ch]),
        setPointV,
      ),
      baselineAdc: Array.from({ length: p.n_repeat }, (_, r) => baselines[r * 2 + ch]),
      dark: darkRateSummary(rates[ch]),
    };
  });
  const pressureHpa = meanStd(pressure).mean;
  const temperatureC = meanStd(reads.map((r) => r[7])).mean;
  const powerW = meanStd(cur.powerW).mean;
  const ok = pmts.every((x) => x.hv.valOk && x.hv.stdOk) && cur.fails.length === 0;

  const file = path.join(dir, `${m.serial}.hdf5`);
  await writeMonitorFile(ctx, p, m, file, { n, slo, pressure, timeS, baselines, counts }, pmts, cur);
  const key = await ctx.record.entry(m.jsonFile, 'OnlineMon', {
    Folder: dir,
    Filename: file,
    Comment: p.comment,
    HVStatus: p.hv_status,
    n_repeat: p.n_repeat,
    HV0: pmts[0].hv.meanV,
    HV0Std: pmts[0].hv.stdV,
    HV1: pmts[1].hv.meanV,
    HV1Std: pmts[1].hv.stdV,
    DarkRate0: pmts[0].dark.meanHz,
    DarkRate1: pmts[1].dark.meanHz,
    Pressure: pressureHpa,
    MainboardTemp: temperatureC,
    PowerW: powerW,
    CurrentFails: cur.fails.length,
    OK: ok,
    TaskId: ctx.task.id,
  });
  return {
    port: m.port,
    serial: m.serial,
    pmts,
    currents: cur,
    pressureHpa,
    temperatureC,
    powerW,
    ok,
    report: reportText(m, pmts, cur),
    file,
    key,
  };
}

export const kind: TaskKind<P> = {
  name: 'online_mon',
  summary: 'quick online monitoring: supplies, HV, pressure, temperature, baselines, FIR scalers',
  quantities: ['monitor.hv_deviation', 'monitor.hv_rel_std', 'monitor.current_overlimit', 'monitor.pressure'],
  params,
  positional: ['comment', 'n_repeat', 'hv_status'],
  listed: false,
  estimateS: (p, m) => 60 + p.n_repeat * Math.ceil(Math.max(1, m) / 4) * 45,
  async run(ctx, p) {
    const { log, dir, todo } = await startMonitoring(ctx, 'online_mon', 'online_mon');
    const out: ModuleMon[] = [];
    await eachModule(ctx, todo, { jobs: 4, log }, async (m) => {
      const r = await monitorModule(ctx, p, m, dir);
      out.push(r);
      ctx.progress(out.length / todo.length, `${m.serial}: ${r.ok ? 'OK' : 'FAILED'}`);
      ctx.emit({
        level: r.ok ? 'info' : 'warn',
        kind: 'monitor.online',
        message: r.report,
        audience: r.ok ? 'channel' : 'people',
        data: { port: m.port, hvStatus: p.hv_status, ok: r.ok },
      });
    });
    if (!out.length) throw new Error(`online_mon monitored no module: ${log.summary()}`);
    out.sort((a, b) => a.port - b.port);
    const rows: ResultInput[] = out.flatMap((x) => [
      ...x.pmts.flatMap((q) => [
        {
          port: x.port,
          serial: x.serial,
          pmt: q.pmt,
          name: 'monitor.hv_deviation',
          value: q.hv.deviationV,
          detail: { meanV: q.hv.meanV, setV: q.setPointV },
        },
        { port: x.port, serial: x.serial, pmt: q.pmt, name: 'monitor.hv_rel_std', value: q.hv.relStd, detail: { stdV: q.hv.stdV } },
      ]),
      {
        port: x.port,
        serial: x.serial,
        name: 'monitor.current_overlimit',
        value: x.currents.fails.length,
        detail: { checks: x.currents.checks },
      },
      { port: x.port, serial: x.serial, name: 'monitor.pressure', value: x.pressureHpa, detail: { temperatureC: x.temperatureC } },
    ]);
    await ctx.record.results('online_mon', dir, rows);
    return {
      folder: dir,
      hvStatus: p.hv_status,
      modules: out.map((x) => ({
        port: x.port,
        serial: x.serial,
        ok: x.ok,
        pressureHpa: x.pressureHpa,
        temperatureC: x.temperatureC,
        powerW: x.powerW,
        currentFails: x.currents.fails,
        pmts: x.pmts.map((q) => ({
          pmt: q.pmt,
          setPointV: q.setPointV,
          hvMeanV: q.hv.meanV,
          hvStdV: q.hv.stdV,
          hvValOk: q.hv.valOk,
          hvStdOk: q.hv.stdOk,
          darkRateHz: q.dark.meanHz,
          darkRateStdHz: q.dark.stdHz,
          baselineAdc: q.baselineAdc,
        })),
        report: x.report,
        key: x.key,
      })),
      failures: log.failures,
    };
  },
};
