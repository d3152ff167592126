import type { Workspace } from '../station/workspace.js';
import { basisOf, durationModel, placesOf } from '../views/task-durations.js';
import { scheduleTasks } from './journal.js';

/**
 * When will the schedule end, and when will a person next be needed (a manual input, a freezer
 * set by hand)? From the tasks' estimates and the running task's progress, so a shifter can plan
 * the day. The estimates are learned from the station's finished tasks where it has any
 * (src/views/task-durations.ts: lab time, on the run's clock), else the catalogue's.
 */
export interface ForecastTask {
  idx: number;
  section: string;
  kind: string;
  state: string;
  estimate_s: number;
  progress: number;
  /** what a person must do for this task, if anything */
  person?: string;
}

export interface Forecast {
  remainingS: number;
  etaMs: number;
  done: number;
  total: number;
  nextPerson?: { idx: number; section: string; what: string; atMs: number };
}

/** The forecast from learned durations, what they rest on, and the catalogue's for comparison. */
export interface LearnedForecast extends Forecast {
  /** "median of 6 runs", ... (task-durations.ts basisOf) for the tasks still to run */
  basis: string;
  /** lab seconds to go by the catalogue's fixed estimates */
  catalogueRemainingS: number;
}

export function forecast(tasks: ForecastTask[], nowMs: number): Forecast {
  let remaining = 0;
  let nextPerson: Forecast['nextPerson'];
  for (const t of tasks) {
    if (t.state !== 'pending' && t.state !== 'running') continue;
    if (t.person && !nextPerson) nextPerson = { idx: t.idx, section: t.section, what: t.person, atMs: nowMs + remaining * 1000 };
    remaining += t.state === 'running' ? t.estimate_s * (1 - t.progress) : t.estimate_s;
  }
  return {
    remainingS: remaining,
    etaMs: nowMs + remaining * 1000,
    done: tasks.filter((t) => t.state === 'done' || t.state === 'skipped').length,
    total: tasks.length,
    nextPerson,
  };
}

/** The journal of a schedule and its forecast from now, from the station's learned durations. */
export async function forecastOf(ws: Workspace, scheduleId: number) {
  const tasks = await scheduleTasks(ws, scheduleId);
  const model = await durationModel(ws);
  const places = placesOf(tasks);
  const learned = tasks.map((t, i) => model.estimate(t, places[i]));
  const now = ws.clock.now();
  const fc = forecast(
    tasks.map((t, i) => ({ ...t, estimate_s: learned[i].estimateS, person: t.person ?? undefined })),
    now,
  );
  const open = tasks.flatMap((t, i) => (t.state === 'pending' || t.state === 'running' ? [learned[i]] : []));
  const catalogue = forecast(
    tasks.map((t) => ({ ...t, person: t.person ?? undefined })),
    now,
  );
  return {
    tasks,
    learned,
    forecast: { ...fc, basis: basisOf(open), catalogueRemainingS: catalogue.remainingS } satisfies LearnedForecast,
  };
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min`;
  return `${Math.round(s)} s`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** A task of a schedule not yet planned: its catalogue estimate and what a person must do for it. */
export interface PlanTask {
  index: number;
  section: string;
  kind: string;
  params: Record<string, unknown>;
  estimateS: number;
  person?: string;
}

/**
 * A schedule's forecast if it started now (`fat schedule check`): each task's learned estimate
 * and its basis, the end and the next time a person is needed. Without a station (`ws`
 * undefined) there is no history, and the catalogue's estimates are all there is.
 */
export async function planForecast(ws: Workspace | undefined, tasks: PlanTask[], nowMs: number) {
  const model = ws ? await durationModel(ws) : undefined;
  const places = placesOf(tasks);
  const learned = tasks.map(
    (t, i) =>
      model?.estimate({ kind: t.kind, params: t.params, estimate_s: t.estimateS }, places[i]) ?? {
        estimateS: t.estimateS,
        catalogueS: t.estimateS,
        source: 'catalogue' as const,
        runs: 0,
        basis: 'catalogue estimate',
      },
  );
  const fc = forecast(
    tasks.map((t, i) => ({
      idx: t.index,
      section: t.section,
      kind: t.kind,
      state: 'pending',
      estimate_s: learned[i].estimateS,
      progress: 0,
      person: t.person,
    })),
    nowMs,
  );
  return {
    learned,
    forecast: {
      ...fc,
      basis: ws ? basisOf(learned) : 'catalogue estimates: no station home here to learn from',
      catalogueRemainingS: tasks.reduce((s, t) => s + t.estimateS, 0),
    } satisfies LearnedForecast,
  };
}
