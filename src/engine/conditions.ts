import type { Workspace } from '../station/workspace.js';
import { freezerAirC } from '../station/freezer-air.js';
import { HumiditySensor } from '../lab/instruments/humidity.js';
import type { FatEvent } from '../station/events.js';

/**
 * Suspenders (Bluesky's word): conditions that must hold between tasks. While humidity is above its
 * limit, or the freezer air has left the band around a set point it had reached, the master waits
 * at the task boundary, alerts once, and resumes by itself once the readings have been back in
 * band for `resume_after_s`.
 */
export const POLL_MS = 60_000;

/**
 * How long a check that found the conditions in band stands for the next task boundaries (lab
 * time). The seed's manual asks for status checks of the D-Eggs between measurements (the
 * status_check task, and the master's own check before each measurement, which this leaves
 * alone); the lab conditions are icefat's own suspenders, and a paused master reads them once a
 * POLL_MS too. So boundaries closer together than that (a run of short waits, a dry run at a high
 * time scale) share one reading of the sensors; a new set point of the freezer, and a task that
 * acts on the lab or asks a person (who may open the freezer), call for a fresh one.
 */
export const CHECK_STANDS_MS = POLL_MS;

/** When the conditions were last found in band, and against which freezer set point. */
export interface ConditionsCheck {
  atMs: number;
  expectedFreezerC: number | undefined;
}

/** Whether the boundary at lab time `nowMs` needs a reading of the conditions. */
export function conditionsDue(last: ConditionsCheck | undefined, nowMs: number, expectedFreezerC: number | undefined): boolean {
  if (!last || last.expectedFreezerC !== expectedFreezerC) return true;
  const age = nowMs - last.atMs;
  return age < 0 || age >= CHECK_STANDS_MS;
}

export interface ConditionReadings {
  problems: string[];
  /** instruments that could not be read (reported, but they do not pause the run) */
  unreadable: string[];
  humidityPct: number[];
  /** the same readings by sensor name, for the environment history */
  humidity: Array<{ sensor: string; relativeHumidityPct: number }>;
  freezerC?: number;
}

export async function readConditions(ws: Workspace, expectedFreezerC: number | undefined): Promise<ConditionReadings> {
  const c = ws.station.conditions;
  const out: ConditionReadings = { problems: [], unreadable: [], humidityPct: [], humidity: [] };
  for (const h of ws.station.humidity) {
    try {
      const s = await HumiditySensor.connect(h.address, { name: `humidity sensor ${h.name}` });
      try {
        const r = await s.read();
        out.humidityPct.push(r.relativeHumidityPct);
        out.humidity.push({ sensor: h.name, relativeHumidityPct: r.relativeHumidityPct });
        if (r.relativeHumidityPct > c.humidity_max_pct)
          out.problems.push(`humidity ${h.name} at ${r.relativeHumidityPct.toFixed(1)} % (limit ${c.humidity_max_pct} %)`);
      } finally {
        await s.close();
      }
    } catch (e) {
      out.unreadable.push((e as Error).message);
    }
  }
  // the freezer air is read for the record even before a set point is reached; only a band that
  // applies makes an unreadable thermometer worth a warning
  try {
    out.freezerC = await freezerAirC(ws);
    if (expectedFreezerC !== undefined && Math.abs(out.freezerC - expectedFreezerC) > c.freezer_band_c) {
      out.problems.push(`freezer air at ${out.freezerC.toFixed(1)} °C, set point ${expectedFreezerC} °C (band ±${c.freezer_band_c} °C)`);
    }
  } catch (e) {
    if (expectedFreezerC !== undefined) out.unreadable.push((e as Error).message);
  }
  return out;
}

/** Returns once the conditions hold (at once when they already do). */
export async function holdForConditions(
  ws: Workspace,
  expectedFreezerC: number | undefined,
  emit: (e: Omit<FatEvent, 'timeMs' | 'runId'>) => void,
  signal: AbortSignal,
  /** told when the master starts and stops waiting (it writes pending files before the wait) */
  onPause: (paused: string | null) => void | Promise<void> = () => {},
): Promise<void> {
  let pausedFor: string | undefined;
  let goodSince: number | undefined;
  let warnedUnreadable = false;
  for (;;) {
    const r = await readConditions(ws, expectedFreezerC);
    // every reading goes to the store (not to Slack): the dashboard's environment history
    if (r.humidity.length || r.freezerC !== undefined)
      emit({
        level: 'debug',
        kind: 'conditions.reading',
        message: [
          ...r.humidity.map((h) => `humidity ${h.sensor} ${h.relativeHumidityPct.toFixed(1)} %`),
          ...(r.freezerC === undefined ? [] : [`freezer air ${r.freezerC.toFixed(1)} °C`]),
        ].join(', '),
        audience: 'log',
        data: { humidity: r.humidity, freezerC: r.freezerC ?? null, expectedFreezerC: expectedFreezerC ?? null },
      });
    if (r.unreadable.length && !warnedUnreadable) {
      warnedUnreadable = true;
      emit({
        level: 'warn',
        kind: 'conditions.unreadable',
        message: `condition check could not read: ${r.unreadable.join('; ')}`,
        audience: 'people',
      });
    }
    const now = ws.clock.now();
    if (r.problems.length) {
      goodSince = undefined;
      if (!pausedFor) {
        pausedFor = r.problems.join('; ');
        await onPause(pausedFor);
        emit({
          level: 'warn',
          kind: 'conditions.paused',
          message: `Paused between tasks: ${pausedFor}. The run resumes by itself once back in band for ${ws.station.conditions.resume_after_s} s.`,
          audience: 'people',
        });
      }
    } else {
      if (!pausedFor) return;
      goodSince ??= now;
      if (now - goodSince >= ws.station.conditions.resume_after_s * 1000) {
        emit({
          level: 'info',
          kind: 'conditions.resumed',
          message: `Conditions back in band (was: ${pausedFor}); resuming.`,
          audience: 'channel',
        });
        await onPause(null);
        return;
      }
    }
    await ws.clock.sleep(POLL_MS, signal);
  }
}
