/** Small formatting helpers shared by the pages. */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min`;
}

export function fmtTime(t: string | null | undefined): string {
  if (!t) return '';
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : t.replace(' ', 'T') + 'Z');
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : t;
}

/** CSS class of a verdict ("not judged" -> "not-judged"). */
export const verdictClass = (v: string) => v.replace(/ /g, '-');

export function fmtNum(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : String(Number(v.toPrecision(digits)));
}
