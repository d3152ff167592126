import type { Goalposts } from '../records/goalposts-file.js';
import { darkRateChartOption, gainChartOption, goalpostChartOption, type BandMarker } from './charts.js';
import { renderSvg } from './svg.js';
import { esc, fmtNumber, page, plot, table, verdictBadge, withUnits } from './html.js';
import type { ModuleData, ResultRecord } from '../records/api-types.js';
import { headline, isHeadline } from '../views/headlines.js';

const DARK_RATE = headline('darkRate');

/**
 * The report of one module in one run, as a self-contained HTML page: identity, verdict and why,
 * every result against its goalpost, the plots (gain scan with its fit, dark rate, results in
 * their bands) and where the results came from.
 */
const pmtOf = (r: ResultRecord) => r.pmt ?? 'module';

function identity(m: ModuleData): string {
  const reg = m.registry;
  const pmt = (k: string) => {
    const p = reg[k] as { serial?: string; hvb?: string } | undefined;
    return p ? `${esc(p.serial)}${p.hvb ? ` (HVB ${esc(p.hvb)})` : ''}` : '–';
  };
  const rows: Array<[string, string]> = [
    ['D-Egg serial', esc(m.serial)],
    ['port / wire pair', `${m.port} / ${m.wirePair}`],
    ['state', esc(m.state === 'active' ? 'active' : `${m.state}${m.stateReason ? `: ${m.stateReason}` : ''}`)],
    ['firmware', `FPGA ${m.fpgaVersion}, Iceboot ${m.softwareVersion}`],
    ['ICM ID / flash ID', `${esc(m.icmId)} / ${esc(m.flashId)}`],
    ['mainboard', esc(m.mainboardId || reg.mainboard)],
    ['lower PMT', pmt('lower_pmt')],
    ['upper PMT', pmt('upper_pmt')],
  ];
  for (const [k, label] of [
    ['lower_glass', 'lower glass'],
    ['upper_glass', 'upper glass'],
    ['icm', 'ICM'],
    ['flasher', 'flasher'],
    ['camera', 'camera'],
    ['penetrator', 'penetrator'],
    ['box', 'box'],
    ['sealing_date', 'sealing date'],
    ['arrival_date', 'arrival date'],
    ['electrical_inspection', 'electrical inspection'],
  ] as const)
    if (reg[k] !== undefined && reg[k] !== '') rows.push([label, esc(reg[k])]);
  rows.push(['D-Egg JSON file', `<code>${esc(m.jsonFile)}</code>`]);
  return table(
    ['', ''],
    rows.map(([k, v]) => [esc(k), v]),
  );
}

function resultsTable(m: ModuleData, gp: Goalposts): string {
  const rows = m.results.map((r) => {
    const g = gp.entries.get(r.name);
    const cells = [
      `${esc(r.name)}${g?.description ? `<br><small>${esc(g.description)}</small>` : ''}`,
      esc(pmtOf(r)),
      esc(withUnits(r.value, r.units)),
      esc(fmtNumber(g?.low)),
      esc(fmtNumber(g?.high)),
      esc(fmtNumber(g?.marginalBand)),
      esc(g?.units ?? r.units),
      `${verdictBadge(r.verdict)}${r.superseded ? ' (superseded)' : ''}`,
      esc(r.reason),
      `${esc(r.kind)}${r.taskId ? ` (task ${r.taskId})` : ''}<br><small>${esc(r.createdAt)}</small>`,
    ];
    return { cells, superseded: r.superseded };
  });
  return table(
    ['quantity', 'PMT', 'value', 'low', 'high', 'marginal band', 'units', 'verdict', 'reason', 'measured by'],
    rows.map((r) => r.cells),
    rows.map((r) => (r.superseded ? 'superseded' : undefined)),
  );
}

function plots(m: ModuleData, gp: Goalposts): string {
  const out: string[] = [];
  if (m.gain.length) out.push(plot(renderSvg(gainChartOption(`${m.serial}: gain vs HV`, m.gain), { width: 720, height: 420 })));
  const entries = m.gain.filter((c) => c.entry).map((c) => `${c.label}: ${c.entry}`);
  if (entries.length) out.push(`<p>gain scans from the D-Egg JSON file: ${esc(entries.join('; '))}</p>`);
  for (const n of m.gainNotes) out.push(`<p class="note">${esc(n)}</p>`);
  const latest = m.results.filter((r) => !r.superseded);
  const dark = latest.filter((r) => isHeadline(DARK_RATE, r.name) && r.value !== null);
  if (dark.length) {
    const names = [...new Set(dark.map((r) => r.name))];
    const limit = names.length === 1 ? gp.entries.get(names[0])?.high : undefined;
    const bars = dark.map((r) => ({ label: `${pmtOf(r)} ${r.name}`, value: r.value! }));
    out.push(plot(renderSvg(darkRateChartOption(`${m.serial}: dark rate per PMT`, bars, limit), { width: 720, height: 320 })));
  } else out.push('<p class="note">no dark-rate result in this run</p>');
  const markers: BandMarker[] = latest
    .filter((r) => r.verdict !== 'info' && r.value !== null)
    .map((r) => {
      const g = gp.entries.get(r.name);
      return { label: `${r.name} ${pmtOf(r)}`, value: r.value!, low: g?.low, high: g?.high, units: r.units, verdict: r.verdict };
    });
  if (markers.length)
    out.push(
      plot(
        renderSvg(goalpostChartOption(`${m.serial}: results in their goalpost bands`, markers), {
          width: 720,
          height: Math.max(180, 90 + 24 * markers.length),
        }),
      ),
    );
  return out.join('\n');
}

function provenance(m: ModuleData, gp: Goalposts): string {
  const latest = m.results.filter((r) => !r.superseded);
  const distinct = (f: (r: ResultRecord) => string) => [...new Set(latest.map(f))].join(', ') || '–';
  const rows: Array<[string, string]> = [
    ['icefat commit', distinct((r) => `${r.provenance.icefatCommit ?? 'unknown'}${r.provenance.icefatDirty ? ' (dirty)' : ''}`)],
    [
      'dirty working tree',
      distinct((r) =>
        r.provenance.icefatDirty === null || r.provenance.icefatDirty === undefined ? 'unknown' : String(r.provenance.icefatDirty),
      ),
    ],
    ['schedule hash', distinct((r) => r.provenance.scheduleHash ?? 'none (fat measure)')],
    ['operator', distinct((r) => r.provenance.operator || m.run.operator || 'unknown')],
    ['goalposts version of the results', distinct((r) => r.goalpostsVersion)],
    ['goalposts file now', `${gp.file} (version ${gp.version})`],
    [
      'firmware at measurement',
      distinct((r) =>
        r.provenance.firmware ? `FPGA ${r.provenance.firmware.fpga}, Iceboot ${r.provenance.firmware.software}` : 'unknown',
      ),
    ],
    ['station', distinct((r) => r.provenance.station ?? m.run.station)],
  ];
  if (latest.some((r) => r.provenance.importedFrom))
    rows.push(['imported from the original', distinct((r) => r.provenance.importedFrom ?? 'icefat')]);
  return table(
    ['', ''],
    rows.map(([k, v]) => [esc(k), esc(v)]),
  );
}

export function moduleReportHtml(m: ModuleData, gp: Goalposts, generatedAt: string): string {
  const body = `
<h1>D-Egg ${esc(m.serial)}: run ${m.run.runNumber} ${verdictBadge(m.verdict)}</h1>
<div class="sub">station ${esc(m.run.station)}, run ${m.run.runNumber} of ${esc(m.run.date)} (${esc(m.run.comment)}), operator ${esc(m.run.operator)}; report made ${esc(generatedAt)}</div>
<h2>Verdict</h2>
<p>${verdictBadge(m.verdict)} ${m.reasons.length ? '' : 'every judged result is within its goalposts'}</p>
${m.reasons.length ? `<ul>${m.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : ''}
<h2>Identity</h2>
${identity(m)}
<h2>Results (${m.results.length}, oldest first)</h2>
${m.results.length ? resultsTable(m, gp) : '<p class="note">no results for this module in this run</p>'}
<h2>Plots</h2>
${plots(m, gp)}
<h2>Provenance</h2>
${provenance(m, gp)}
`;
  return page(`${m.serial} run ${m.run.runNumber}`, body);
}
