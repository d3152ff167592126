import type { Workspace } from '../station/workspace.js';
import { scheduleTasks } from './journal.js';

/**
 * When will the schedule end, and when will a person next be needed (a manual input, a freezer
 * set by hand)? From the tasks' estimates and the running task's progress, so a shifter can plan
 * the day.
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

/** The journal of a schedule and its forecast from now. */
export async function forecastOf(ws: Workspace, scheduleId: number) {
  const tasks = await scheduleTasks(ws, scheduleId);
  return {
    tasks,
    forecast: forecast(
      tasks.map((t) => ({ ...t, person: t.person ?? undefined })),
      ws.clock.now(),
    ),
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
