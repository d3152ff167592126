import type { Workspace } from '../station/workspace.js';
import { numberIn } from './module-grid.js';
import { parseJson } from '../store/open.js';
import type { Environment } from '../records/api-types.js';
import { detailOf, mergeSamples, sampleRows } from '../records/samples.js';

/**
 * The freezer and the air around the modules over time (GET /api/environment), from what the
 * store records: thermometer channels and humidity of every peripherals check (check_results),
 * the humidity and freezer air the master reads between tasks (conditions.reading events),
 * the mainboard temperatures of the results, the freezer set points the schedule chose
 * (freezer.setpoint events), the pauses of the condition checks, and the allowed bands of the
 * station file.
 */
const LIMIT = 5000;

interface ConditionReading {
  humidity?: Array<{ sensor: string; relativeHumidityPct: number }>;
  freezerC?: number | null;
}

export async function environment(ws: Workspace): Promise<Environment> {
  const st = ws.station;
  const out: Environment = {
    station: st.name,
    bands: {
      humidityMaxPct: st.conditions.humidity_max_pct,
      freezerBandC: st.conditions.freezer_band_c,
      resumeAfterS: st.conditions.resume_after_s,
    },
    thermometer: [],
    humidity: [],
    setPoints: [],
    mainboard: [],
    conditions: [],
  };
  await addCheckReadings(ws, out);
  await addConditionEvents(ws, out);
  await addMainboardTemperatures(ws, out);
  return out;
}

/** Thermometer channels and humidity sensors as `fat check peripherals` read them. */
async function addCheckReadings(ws: Workspace, out: Environment): Promise<void> {
  const st = ws.station;
  const checks = await ws.db
    .selectFrom('check_results')
    .select(['id', 'subject', 'reading', 'created_at'])
    .where('station', '=', st.name)
    .where((e) => e.or([e('subject', 'like', 'thermometer%'), e('subject', 'like', 'humidity sensor%')]))
    .orderBy('id')
    .limit(LIMIT)
    .execute();
  for (const c of checks) {
    const reading = parseJson<unknown>(c.reading, `check_results.reading of check ${c.id}`);
    if (!reading || typeof reading !== 'object') continue;
    const r = reading as Record<string, unknown>;
    if (c.subject.startsWith('thermometer')) {
      for (const [ch, v] of Object.entries(r))
        if (typeof v === 'number')
          out.thermometer.push({ at: c.created_at, channel: ch, name: st.thermometer.channels[ch] ?? `channel ${ch}`, temperatureC: v });
    } else {
      const rh = numberIn(r, 'relativeHumidityPct');
      if (rh !== undefined)
        out.humidity.push({
          at: c.created_at,
          sensor: c.subject.replace(/^humidity sensor\s*/, ''),
          relativeHumidityPct: rh,
          temperatureC: numberIn(r, 'temperatureC'),
        });
    }
  }
}

/** The master's condition readings, freezer set points and condition pauses. */
async function addConditionEvents(ws: Workspace, out: Environment): Promise<void> {
  const st = ws.station;
  const events = await ws.db
    .selectFrom('events')
    .select(['id', 'time', 'kind', 'message', 'data'])
    .where('station', '=', st.name)
    .where((e) => e.or([e('kind', '=', 'freezer.setpoint'), e('kind', 'like', 'conditions.%')]))
    .orderBy('id', 'desc')
    .limit(LIMIT)
    .execute();
  for (const e of events.reverse()) {
    if (e.kind === 'conditions.reading') {
      // the master's condition check at every task boundary: humidity by sensor, freezer air
      const d = parseJson<ConditionReading>(e.data, `events.data of event ${e.id}`);
      for (const h of d.humidity ?? []) out.humidity.push({ at: e.time, sensor: h.sensor, relativeHumidityPct: h.relativeHumidityPct });
      if (typeof d.freezerC === 'number')
        out.thermometer.push({ at: e.time, channel: 'freezer', name: 'freezer air', temperatureC: d.freezerC });
    } else if (e.kind === 'freezer.setpoint') {
      const m = /(-?\d+(?:\.\d+)?)\s*°C/.exec(e.message);
      if (m) out.setPoints.push({ at: e.time, setPointC: Number(m[1]) });
    } else out.conditions.push({ at: e.time, kind: e.kind, message: e.message });
  }
}

/** The mainboard temperatures recorded with the results and the monitoring samples. */
async function addMainboardTemperatures(ws: Workspace, out: Environment): Promise<void> {
  const results = await ws.db
    .selectFrom('results')
    .select(['degg_serial', 'detail', 'created_at', 'id'])
    .where('station', '=', ws.station.name)
    .where('detail', 'like', '%temperatureC%')
    .orderBy('id', 'desc')
    .limit(LIMIT)
    .execute();
  // a row of samples holds a module's samples of one commit: the newest LIMIT rows hold more than LIMIT samples
  const samples = (await sampleRows(ws.db, { station: ws.station.name, containing: 'temperatureC', newest: LIMIT }))
    .filter((x) => 'temperatureC' in x.parsedDetail)
    .reverse();
  const seen = new Set<string>();
  for (const r of mergeSamples(results.reverse(), samples).slice(-LIMIT)) {
    const t = numberIn(detailOf(r), 'temperatureC');
    // both PMTs of a module carry the same mainboard reading: one point per module and time
    const key = `${r.degg_serial}\u0000${r.created_at}`;
    if (t === undefined || seen.has(key)) continue;
    seen.add(key);
    out.mainboard.push({ at: r.created_at, serial: r.degg_serial, temperatureC: t });
  }
}
