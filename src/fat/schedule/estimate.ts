import { findKind, type Catalogue } from '../../tasks/catalogue.js';
import type { Schedule } from './parse.js';

export interface TaskEstimate {
  index: number;
  section: string;
  kind: string;
  estimateS: number;
}

/** Lab time per task and in total, for `nModules` modules. */
export function estimateSchedule(schedule: Schedule, cat: Catalogue, nModules: number): { tasks: TaskEstimate[]; totalS: number } {
  const tasks = schedule.tasks.map((t) => {
    const k = findKind(cat, t.kind);
    return { index: t.index, section: t.section, kind: t.kind, estimateS: k ? Math.max(0, k.estimateS(t.params, nModules)) : 0 };
  });
  return { tasks, totalS: tasks.reduce((s, t) => s + t.estimateS, 0) };
}

/** "5 d 3 h", "2 h 5 min", "12 min", "40 s": two units at most, as a shifter plans a day. */
export function formatDurationS(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.round(t / 60)} min`;
  if (t < 86400) {
    const h = Math.floor(t / 3600);
    const min = Math.round((t - h * 3600) / 60);
    return min === 60 ? `${h + 1} h` : min ? `${h} h ${min} min` : `${h} h`;
  }
  const d = Math.floor(t / 86400);
  const h = Math.round((t - d * 86400) / 3600);
  return h === 24 ? `${d + 1} d` : h ? `${d} d ${h} h` : `${d} d`;
}
