/**
 * The HTML pieces every report shares: escaping, number formatting and the page around the body
 * (inline CSS with print rules, so the file is self-contained and prints to A4 as it shows).
 */
export function esc(s: unknown): string {
  const text =
    s === null || s === undefined
      ? ''
      : typeof s === 'string'
        ? s
        : typeof s === 'number' || typeof s === 'boolean'
          ? String(s)
          : (JSON.stringify(s) ?? '');
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function fmtNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

export const withUnits = (v: number | null | undefined, units: string) =>
  v === null || v === undefined ? 'not measured' : `${fmtNumber(v)}${units ? ` ${units}` : ''}`;

export function verdictBadge(v: string): string {
  return `<span class="verdict v-${esc(v.replace(/ /g, '-'))}">${esc(v.toUpperCase())}</span>`;
}

/** A table: header cells (all empty: no header row), rows of already-escaped HTML cells and an optional class per row. */
export function table(head: string[], rows: string[][], rowClasses: Array<string | undefined> = []): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows
    .map((r, i) => `<tr${rowClasses[i] ? ` class="${esc(rowClasses[i])}"` : ''}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('\n');
  const thead = head.some((h) => h) ? `<thead><tr>${th}</tr></thead>` : '';
  return `<table>${thead}<tbody>\n${tr}\n</tbody></table>`;
}

const CSS = `
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 11px; color: #222; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 22px 0 6px; border-bottom: 1px solid #ccc; }
.sub { color: #555; margin-bottom: 12px; }
table { border-collapse: collapse; margin: 4px 0 10px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
tr.superseded td { color: #999; }
tr.outlier td, .outlier { background: #fff3cd; }
.verdict { font-weight: bold; padding: 1px 6px; border-radius: 3px; color: #fff; }
.v-pass { background: #2e7d32; } .v-marginal { background: #e69500; } .v-fail { background: #c62828; } .v-info, .v-not-judged { background: #607d8b; }
.plot { margin: 8px 0; page-break-inside: avoid; break-inside: avoid; }
.plot svg { max-width: 100%; height: auto; }
.note { color: #8a4b00; }
code { font-size: 10px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 9.5px; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table { page-break-inside: auto; } tr { page-break-inside: avoid; break-inside: avoid; }
  .verdict, th, tr.outlier td, .outlier { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}`;

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${CSS}</style></head>
<body>
${body}
</body></html>
`;
}

/** An inline SVG plot in its figure. */
export const plot = (svg: string) => `<div class="plot">${svg}</div>`;
