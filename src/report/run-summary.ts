import type { Goalposts } from '../records/goalposts-file.js';
import { verdictCounts } from '../records/verdicts.js';
import type { ModuleReport, ResultRecord, RunInfo } from '../records/api-types.js';
import { barChartOption, darkRateChartOption } from './charts.js';
import { renderSvg } from './svg.js';
import { esc, fmtNumber, page, plot, table, verdictBadge } from './html.js';
import { OUTLIER_MADS, findOutliers, type Outlier } from './outliers.js';
import { PMTS } from './report-data.js';
import { HEADLINES, headline, isHeadline } from '../views/headlines.js';

/**
 * The run summary: every module of a run side by side (verdict, HV at 1e7, dark rate and SPE
 * height per PMT), each quantity checked against the batch for outliers, with the reason.
 */
const SHORT = { LowerPmt: 'L', UpperPmt: 'U' } as const;
const HV1E7 = headline('hv1e7');
const DARK_RATE = headline('darkRate');

export interface RunSummaryInput {
  run: RunInfo;
  modules: ModuleReport[];
  /** every result row of the run */
  results: ResultRecord[];
  goalposts: Goalposts;
  generatedAt: string;
}

/** Outliers of every quantity (latest numeric rows, grouped by quantity name) against the batch. */
export function runOutliers(results: readonly ResultRecord[]): Outlier<ResultRecord>[] {
  const latest = results.filter((r) => !r.superseded && r.value !== null && Number.isFinite(r.value));
  const byName = new Map<string, ResultRecord[]>();
  for (const r of latest) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  return [...byName.values()].flatMap((rows) =>
    findOutliers(
      rows,
      (r) => r.value!,
      (r) => `${r.serial}${r.pmt ? ` ${r.pmt}` : ''} ${r.name}`,
      rows[0].units,
    ),
  );
}

function sideBySide(inp: RunSummaryInput, outlierIds: Set<number>): string {
  const latest = inp.results.filter((r) => !r.superseded);
  const head = ['port', 'D-Egg', 'state', 'verdict', ...HEADLINES.flatMap((c) => PMTS.map((p) => `${c.title} ${SHORT[p]}`)), 'why'];
  const cls: string[] = [];
  const rows = inp.modules.map((m) => {
    const mine = latest.filter((r) => r.serial === m.serial);
    const cells = HEADLINES.flatMap((h) =>
      PMTS.map((p) => {
        const r = mine.filter((x) => x.pmt === p && isHeadline(h, x.name)).sort((a, b) => b.id - a.id)[0];
        if (!r) return '–';
        const text = `${esc(fmtNumber(r.value))}${r.units ? ` ${esc(r.units)}` : ''}`;
        return outlierIds.has(r.id) ? `<span class="outlier" title="outlier of the batch">⚑ ${text}</span>` : text;
      }),
    );
    const flagged = mine.some((r) => outlierIds.has(r.id));
    cls.push(flagged ? 'outlier' : '');
    return [
      String(m.port),
      esc(m.serial),
      esc(m.state === 'active' ? 'active' : `${m.state}${m.stateReason ? `: ${m.stateReason}` : ''}`),
      verdictBadge(m.verdict),
      ...cells,
      m.reasons.map(esc).join('<br>'),
    ];
  });
  return table(head, rows, cls);
}

function batchPlots(inp: RunSummaryInput, outlierIds: Set<number>): string {
  const latest = inp.results.filter((r) => !r.superseded && r.value !== null);
  const bars = (h: typeof HV1E7) =>
    latest
      .filter((r) => isHeadline(h, r.name) && r.pmt)
      .sort((a, b) => a.port - b.port || String(a.pmt).localeCompare(String(b.pmt)))
      .map((r) => ({
        label: `${r.serial} ${SHORT[r.pmt as keyof typeof SHORT] ?? r.pmt}`,
        value: r.value!,
        flagged: outlierIds.has(r.id),
      }));
  const out: string[] = [];
  const hv = bars(HV1E7);
  if (hv.length)
    out.push(
      plot(
        renderSvg(barChartOption(`Run ${inp.run.runNumber}: HV at gain 1e7 per PMT`, 'HV at 1e7 [V]', hv, undefined, false), {
          width: 760,
          height: 380,
        }),
      ),
    );
  const dark = bars(DARK_RATE);
  if (dark.length) {
    const names = [...new Set(latest.filter((r) => isHeadline(DARK_RATE, r.name)).map((r) => r.name))];
    const limit = names.length === 1 ? inp.goalposts.entries.get(names[0])?.high : undefined;
    out.push(plot(renderSvg(darkRateChartOption(`Run ${inp.run.runNumber}: dark rate per PMT`, dark, limit), { width: 760, height: 380 })));
  }
  return out.join('\n') || '<p class="note">no HV at 1e7 or dark-rate results in this run</p>';
}

export function runSummaryHtml(inp: RunSummaryInput): string {
  const outliers = runOutliers(inp.results);
  const ids = new Set(outliers.map((o) => o.item.id));
  const counts = verdictCounts(inp.modules);
  const r = inp.run;
  const body = `
<h1>Run ${r.runNumber}: summary of ${inp.modules.length} modules</h1>
<div class="sub">station ${esc(r.station)}, run of ${esc(r.date)} (${esc(r.comment)}), operator ${esc(r.operator)}; goalposts ${esc(inp.goalposts.version)}; report made ${esc(inp.generatedAt)}</div>
<p>${verdictBadge('pass')} ${counts.pass} &nbsp; ${verdictBadge('marginal')} ${counts.marginal} &nbsp; ${verdictBadge('fail')} ${counts.fail} &nbsp; ${verdictBadge('not judged')} ${counts.notJudged}</p>
<h2>Modules</h2>
${sideBySide(inp, ids)}
<h2>Outliers against the batch (${outliers.length})</h2>
<p>A value is flagged when it is more than ${OUTLIER_MADS} median absolute deviations (MAD scaled to one standard deviation) from the median of the same quantity over all modules of the run.</p>
${outliers.length ? `<ul>${outliers.map((o) => `<li class="outlier">${esc(o.reason)}</li>`).join('')}</ul>` : '<p>none</p>'}
<h2>Plots</h2>
${batchPlots(inp, ids)}
`;
  return page(`Run ${r.runNumber} summary`, body);
}
