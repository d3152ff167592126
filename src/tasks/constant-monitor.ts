import path from 'node:path';
import { z } from 'zod';
import type { TriggerType } from '../analysis/dark-rate.js';
import { newDataDir } from '../station/data-dirs.js';
import { withSession } from '../station/module-link.js';
import { recordResults, type ResultInput } from '../records/results.js';
import { addEntry } from '../records/entries.js';
import { runLanes, wirePairLanes } from '../station/wire-pair-jobs.js';
import { rounds } from './rounds.js';
import { speAtHv } from './gain-check.js';
import { failureLog, hvToSetPoints, laserOff } from './monitor-common.js';
import { darkSteps, thresholdFrom } from './monitor-pmt.js';
import { PMTS, pmtSerialOf, where } from './pmt-json.js';
import { darkRateGoalpost } from './scaler-windows.js';
import type { TaskKind } from './types.js';
import { rethrowUnlessModuleFault } from './module-errors.js';
import { iniBool, iniInt } from './values.js';

/**
 * `constant_monitor` (monitoring/ritual.py, original-system.md §6.12): at the fixed HV, per PMT
 * the HV readback, pressure and temperature, a gain check (SPE charge; warns outside 1.4-1.8 pC,
 * "expected peak position of 1.6"), scalers at 0.25 PE and Δt; `max_i` times. `ignore_warn`
 * keeps the SPE-charge warnings in the log.
 */
export const SPE_CHARGE_WARN_PC = [1.4, 1.8] as const;

const params = z.object({
  max_i: iniInt({ min: 1 }).default(1),
  n_jobs: iniInt({ min: 1, max: 16 }).default(4),
  use_fir: iniBool(true),
  verbose: iniBool(true),
  ignore_warn: iniBool(false),
  n_gain_events: iniInt({ min: 100 }).default(30000),
  n_runs: iniInt({ min: 10 }).default(1000),
  n_dt_events: iniInt({ min: 10 }).default(10000),
});
type P = z.infer<typeof params>;

export const kind: TaskKind<P> = {
  name: 'constant_monitor',
  summary: 'monitoring at fixed HV: gain check, scalers, delta-t',
  params,
  positional: ['max_i', 'n_jobs', 'use_fir', 'verbose', 'ignore_warn'],
  listed: false,
  estimateS: (p, m) => p.max_i * (60 + rounds(m, p.n_jobs) * 2 * (p.n_gain_events / 1000 + p.n_runs * 0.1 + p.n_dt_events / 1500 + 10)),
  async run(ctx, p) {
    const modules = [...ctx.modules];
    if (!modules.length) throw new Error('constant_monitor: the run has no active modules');
    const trigger: TriggerType = p.use_fir ? 'fir' : 'adc';
    await laserOff(ctx);
    const log = failureLog(ctx, 'constant_monitor');
    await hvToSetPoints(ctx, modules, log.fail);
    const dir = newDataDir(ctx.ws.home.dataDir, 'constant_monitor', ctx.ws.clock.now());
    const todo = modules.filter((m) => !log.has(m));
    const rows: ResultInput[] = [];
    const summary: Array<Record<string, unknown>> = [];
    for (let i = 0; i < p.max_i; i++) {
      await runLanes(wirePairLanes(todo), p.n_jobs, async (m) => {
        ctx.signal.throwIfAborted();
        try {
          await withSession(ctx.ws.station.daq_host, m.port, async (s) => {
            const pressureHpa = await s.pressure();
            for (const ch of [0, 1] as const) {
              const pmt = PMTS[ch];
              const at = { port: m.port, serial: m.serial, pmt };
              const hvVolts = (await s.hvReadback(ch)).hvVolts;
              const temperatureC = await s.temperatureC();
              const tag = `${i}`;
              const spe = await speAtHv(
                ctx,
                s,
                m,
                ch,
                hvVolts,
                p.n_gain_events,
                path.join(dir, `${await pmtSerialOf(ctx.ws, m, pmt)}_gain_${tag}.hdf5`),
              );
              const inRange = spe.peakPc >= SPE_CHARGE_WARN_PC[0] && spe.peakPc <= SPE_CHARGE_WARN_PC[1];
              if (!inRange)
                ctx.emit({
                  level: p.ignore_warn ? 'info' : 'warn',
                  kind: 'monitor.spe-charge',
                  message: `constant_monitor: ${where(m, pmt)}: SPE peak at ${spe.peakPc.toFixed(3)} pC at ${hvVolts.toFixed(0)} V is outside ${SPE_CHARGE_WARN_PC.join('-')} pC (expected peak position of 1.6)`,
                  audience: p.ignore_warn ? 'log' : 'people',
                  data: { port: m.port, pmt, peakPc: spe.peakPc },
                });
              const d = await darkSteps(ctx, s, m, ch, {
                trigger,
                thresholdAdc: await thresholdFrom(ctx.ws, m, ch, spe),
                baselineAdc: spe.baselineAdc,
                nRuns: p.n_runs,
                nDtEvents: p.n_dt_events,
                dir,
                tag,
              });
              const key = await addEntry(
                ctx.ws,
                m.jsonFile,
                'AdvancedMonitoring',
                {
                  Folder: dir,
                  Iteration: i,
                  use_fir: p.use_fir,
                  HV: hvVolts,
                  Pressure: pressureHpa,
                  MainboardTemp: temperatureC,
                  Baseline: spe.baselineAdc,
                  Gain: spe.gain,
                  SPEPeakCharge: spe.peakPc,
                  SPEChargeInRange: inRange,
                  Threshold: d.thresholdAdc,
                  DarkRateMeanHz: d.darkRateHz,
                  DarkRateStdHz: d.darkRateStdHz,
                  DtRateHz: d.dt.data.analysis.rateHz,
                  CorrelatedFraction: d.dt.data.analysis.correlatedFraction,
                  GainFilename: spe.file,
                  ScalerFilename: d.scalerFile,
                  DtFilename: d.dt.file,
                  TaskId: ctx.task.id,
                },
                pmt,
              );
              rows.push(
                { ...at, name: 'monitor.spe_charge', value: spe.peakPc, detail: { hvVolts, gain: spe.gain, iteration: i } },
                { ...at, name: darkRateGoalpost(trigger, temperatureC), value: d.darkRateHz, detail: { temperatureC, iteration: i } },
                {
                  ...at,
                  name: 'dt.rate',
                  value: d.dt.data.analysis.rateHz,
                  detail: { correlatedFraction: d.dt.data.analysis.correlatedFraction },
                },
              );
              summary.push({ ...at, iteration: i, hvVolts, temperatureC, peakPc: spe.peakPc, darkRateHz: d.darkRateHz, key });
              if (p.verbose)
                ctx.progress(
                  summary.length / (2 * todo.length * p.max_i),
                  `${where(m, pmt)}: ${spe.peakPc.toFixed(3)} pC, ${d.darkRateHz.toFixed(0)} Hz at ${temperatureC.toFixed(1)} °C`,
                );
            }
            rows.push({ port: m.port, serial: m.serial, name: 'monitor.pressure', value: pressureHpa, detail: { iteration: i } });
          });
        } catch (e) {
          rethrowUnlessModuleFault(ctx, e);
          log.fail(m, e);
        }
      });
    }
    if (!summary.length)
      throw new Error(`constant_monitor monitored no PMT: ${log.failures.map((f) => `${f.serial}: ${f.error}`).join('; ')}`);
    await recordResults(ctx.ws, { runId: ctx.run.id, taskId: ctx.task.id, kind: 'constant_monitor', folder: dir }, rows);
    return { folder: dir, pmts: summary, failures: log.failures };
  },
};
