import { analyseVisibility, meanBaseline, MIN_EFFICIENCY, waveformCharges, type VisibilityResult } from '../../analysis/visibility.js';
import type { IcebootSession, PmtChannel } from '../../lab/iceboot/session.js';
import type { CheckItem } from '../../records/check-results.js';
import type { Workspace } from '../../station/workspace.js';
import { LabPlugs } from '../../station/lab-plugs.js';
import { addEntry } from '../../records/entries.js';
import { hvSetPoint, PMTS } from '../../tasks/pmt-json.js';
import { wirePairLanes, runLanes } from '../../station/wire-pair-jobs.js';

/**
 * `fat check visibility` (check_laser_visibility.py): can every PMT of the run see the laser?
 * Filters 0.25 × 1.0, laser at 100 Hz, HV at the module's set point (1500 V until a gain scan has
 * found HV1e7Gain), a trigger threshold 150 ADC above the baseline: a PMT that sees the laser
 * triggers once per shot.
 */
export const VISIBILITY = {
  filters: [0.25, 1.0] as const,
  laserHz: 100,
  dac: 5000,
  samples: 128,
  thresholdOverBaselineAdc: 150,
  hvRampS: 40,
  baselineWaveforms: 20,
};

export interface PmtVisibility extends VisibilityResult {
  port: number;
  serial: string;
  channel: PmtChannel;
  pmt: 'LowerPmt' | 'UpperPmt';
  hvVolts: number;
  baselineAdc: number;
  thresholdAdc: number;
}

export interface VisibilityModule {
  port: number;
  serial: string;
  wirePair: number;
  jsonFile: string;
}

/** laser shots to cover at least, so that a high dark rate cannot fill the sample by itself */
const MIN_LASER_SHOTS = 50;

const describe = (r: VisibilityResult) =>
  `laser seen in ${r.laserEvents}/${r.laserShots} shots (${(100 * r.efficiency).toFixed(0)}%), <${r.meanNpe.toFixed(1)}> PE, dark ${(r.darkRateHz / 1000).toFixed(1)} kHz`;

async function acquire(ws: Workspace, s: IcebootSession, m: VisibilityModule, ch: PmtChannel, events: number): Promise<PmtVisibility> {
  const pmt = PMTS[ch];
  await s.setBaselineDac(ch, VISIBILITY.dac);
  await s.setConstReadout(ch, VISIBILITY.samples);
  // baseline from software-triggered waveforms, then a threshold well above the dark pulses
  await s.startSwTrigStream(ch, 10);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < VISIBILITY.baselineWaveforms; i++) {
    const w = await s.readWaveformFromStream();
    if (w.count) {
      sum += meanBaseline(w.adc, w.count, w.samplesPerRecord, Math.min(w.samplesPerRecord, 10));
      n++;
    }
  }
  if (!n) throw new Error(`${m.serial} on port ${m.port}, channel ${ch}: no software-triggered waveform for the baseline`);
  const baselineAdc = sum / n;
  const thresholdAdc = Math.round(baselineAdc + VISIBILITY.thresholdOverBaselineAdc);
  await s.startThresholdTrigStream(ch, thresholdAdc);

  // collect `events` waveforms spanning at least MIN_LASER_SHOTS laser periods, or give up once the
  // waveforms span three times the time the laser needs for them. That span is the module's own
  // time (its timestamps): the lab clock may run ahead of a busy host (a time-scaled lab), and a
  // bright channel's many dark pulses then need more blocks than the lab clock would allow. The
  // lab clock stops a module whose timestamps do not advance, at ten times that time.
  const ts: number[] = [];
  const charges: number[] = [];
  const blockStarts: number[] = [];
  const minSpanTicks = (MIN_LASER_SHOTS / VISIBILITY.laserHz) * 240e6;
  const giveUpS = (3 * Math.max(events, MIN_LASER_SHOTS)) / VISIBILITY.laserHz;
  const deadline = ws.clock.now() + 10 * giveUpS * 1000;
  let coveredTicks = 0;
  const enough = () => ts.length >= events && coveredTicks >= minSpanTicks;
  while (!enough() && coveredTicks < giveUpS * 240e6 && ws.clock.now() < deadline) {
    const b = await s.readWaveformBlock(66000, { expectChannel: ch });
    const q = waveformCharges(b.adc, b.count, b.samplesPerRecord > 0 ? b.samplesPerRecord : VISIBILITY.samples, baselineAdc);
    blockStarts.push(ts.length);
    for (let i = 0; i < b.count; i++) {
      ts.push(b.timestamp[i]);
      charges.push(q[i]);
    }
    if (b.count > 1) coveredTicks += b.timestamp[b.count - 1] - b.timestamp[0];
  }
  await s.disableTriggers(ch);
  const r = analyseVisibility(Float64Array.from(ts), Float64Array.from(charges), VISIBILITY.laserHz, blockStarts);
  return {
    ...r,
    port: m.port,
    serial: m.serial,
    channel: ch,
    pmt,
    hvVolts: await hvSetPoint(ws, m.jsonFile, pmt),
    baselineAdc,
    thresholdAdc,
  };
}

export async function checkVisibility(
  ws: Workspace,
  modules: VisibilityModule[],
  opts: { jobs: number; events: number; comment: string; progress?: (l: string) => void },
): Promise<{ pmts: PmtVisibility[]; failures: Array<{ port: number; serial: string; error: string }>; items: CheckItem[] }> {
  const progress = opts.progress ?? (() => {});
  const lab = new LabPlugs(ws.station, ws.clock);
  const pmts: PmtVisibility[] = [];
  const failures: Array<{ port: number; serial: string; error: string }> = [];
  try {
    const wheels = await lab.filterWheels();
    await Promise.all(wheels.map((w, i) => w.setStrength(VISIBILITY.filters[i])));
    await raiseHv(ws, lab, modules, failures, progress);
    await ws.clock.sleep(VISIBILITY.hvRampS * 1000);
    const fg = await lab.functionGenerator();
    await fg.setShape('SQU');
    await fg.setAmplitude(3);
    await fg.setFrequency(VISIBILITY.laserHz);
    await fg.enableOutput();

    const todo = modules.filter((m) => !failures.some((f) => f.port === m.port));
    await runLanes(wirePairLanes(todo), opts.jobs, async (m) => {
      try {
        await lab.module(m.port, async (s) => {
          for (const ch of [0, 1] as const) {
            const r = await acquire(ws, s, m, ch, opts.events);
            pmts.push(r);
            progress(`${m.serial} (port ${m.port}) ${r.pmt}: ${r.visible ? 'sees the laser' : 'does NOT see the laser'} (${describe(r)})`);
          }
        });
      } catch (e) {
        failures.push({ port: m.port, serial: m.serial, error: (e as Error).message });
        progress(`${m.serial} (port ${m.port}): ${(e as Error).message}`);
      }
    });
  } finally {
    // the laser off first, then every connection closed
    for (const problem of await lab.close()) progress(problem);
  }

  pmts.sort((a, b) => a.port - b.port || a.channel - b.channel);
  await recordEntries(ws, modules, pmts, opts.comment);
  const items = visibilityItems(pmts, failures);
  return { pmts, failures, items };
}

type Failure = { port: number; serial: string; error: string };

/** HV up on every module at once (then one ramp wait, instead of one wait per module); a module that fails is noted. */
async function raiseHv(
  ws: Workspace,
  lab: LabPlugs,
  modules: VisibilityModule[],
  failures: Failure[],
  progress: (l: string) => void,
): Promise<void> {
  progress(`setting HV on ${modules.length} D-Eggs and waiting ${VISIBILITY.hvRampS} s for the ramp`);
  await Promise.all(
    modules.map((m) =>
      lab
        .module(m.port, async (s) => {
          for (const ch of [0, 1] as const) {
            await s.enableHV(ch);
            await s.setHV(ch, await hvSetPoint(ws, m.jsonFile, PMTS[ch]));
          }
        })
        .catch((e: Error) => failures.push({ port: m.port, serial: m.serial, error: e.message })),
    ),
  );
}

/** The LaserVisibilityMeasurement entries of the D-Egg JSON documents. */
async function recordEntries(ws: Workspace, modules: VisibilityModule[], pmts: PmtVisibility[], comment: string): Promise<void> {
  for (const p of pmts) {
    const m = modules.find((x) => x.port === p.port)!;
    await addEntry(
      ws,
      m.jsonFile,
      'LaserVisibilityMeasurement',
      {
        Folder: 'None',
        Comment: comment,
        HV: p.hvVolts,
        Threshold: p.thresholdAdc,
        Baseline: p.baselineAdc,
        Events: p.events,
        LaserEvents: p.laserEvents,
        Efficiency: p.efficiency,
        DarkRate: p.darkRateHz,
        Visible: p.visible,
        NPE: p.meanNpe,
      },
      p.pmt,
    );
  }
}

function visibilityItems(pmts: PmtVisibility[], failures: Failure[]): CheckItem[] {
  return [
    ...pmts.map((p) => ({
      check: 'visibility',
      subject: `${p.serial} port ${p.port} channel ${p.channel} (${p.pmt})`,
      reading: p,
      tolerance: `a trigger locked to the laser on at least ${MIN_EFFICIENCY * 100}% of the ${VISIBILITY.laserHz} Hz shots`,
      verdict: p.visible ? ('pass' as const) : ('fail' as const),
      message: p.visible
        ? `Port ${p.port}, Channel ${p.channel} can see the laser: ${describe(p)}`
        : `Port ${p.port}, Channel ${p.channel} can not see the laser! (${describe(p)}) Please investigate the fibre to this PMT.`,
    })),
    ...failures.map((f) => ({
      check: 'visibility',
      subject: `${f.serial} port ${f.port}`,
      reading: null,
      tolerance: 'module answers',
      verdict: 'fail' as const,
      message: f.error,
    })),
  ];
}
