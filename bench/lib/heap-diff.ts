/**
 * Compares two V8 heap snapshots (from bench/lib/dry-run-memory.ts): objects counted and summed
 * (self size) by type and constructor name, the groups that grew most first.
 *
 *   node --max-old-space-size=8000 --import tsx bench/lib/heap-diff.ts EARLY.heapsnapshot LATE.heapsnapshot [TOP]
 *   node ... bench/lib/heap-diff.ts - ONE.heapsnapshot [TOP]   the biggest groups of one snapshot
 *   node ... bench/lib/heap-diff.ts LATE.heapsnapshot --retainers NAME [DEPTH]   who holds objects named NAME
 */
import fs from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function load(file: string): Snapshot {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
}

function groups(s: Snapshot): Map<string, { n: number; size: number }> {
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const w = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const out = new Map<string, { n: number; size: number }>();
  for (let i = 0; i < s.nodes.length; i += w) {
    const type = types[s.nodes[i + iType]];
    let name = s.strings[s.nodes[i + iName]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '';
    else if (name.length > 60) name = name.slice(0, 60) + '...';
    const k = `${type}:${name}`;
    const g = out.get(k) ?? { n: 0, size: 0 };
    g.n++;
    g.size += s.nodes[i + iSize];
    out.set(k, g);
  }
  return out;
}

function diff(a: string, b: string, top: number) {
  const ga = a === '-' ? new Map<string, { n: number; size: number }>() : groups(load(a));
  const gb = groups(load(b));
  const rows = [...gb].map(([k, v]) => {
    const o = ga.get(k) ?? { n: 0, size: 0 };
    return { k, dn: v.n - o.n, dsize: v.size - o.size, n: v.n, size: v.size };
  });
  rows.sort((x, y) => y.dsize - x.dsize);
  const tot = (g: Map<string, { size: number }>) => [...g.values()].reduce((s, v) => s + v.size, 0);
  console.log(`total self size: ${(tot(ga) / 1e6).toFixed(1)} MB -> ${(tot(gb) / 1e6).toFixed(1)} MB`);
  for (const r of rows.slice(0, top))
    console.log(
      `${(r.dsize / 1e6).toFixed(2).padStart(8)} MB ${String(r.dn).padStart(8)} objs   (now ${r.n}, ${(r.size / 1e6).toFixed(2)} MB)  ${r.k}`,
    );
  rows.sort((x, y) => y.dn - x.dn);
  console.log('--- by count');
  for (const r of rows.slice(0, top))
    console.log(
      `${(r.dsize / 1e6).toFixed(2).padStart(8)} MB ${String(r.dn).padStart(8)} objs   (now ${r.n}, ${(r.size / 1e6).toFixed(2)} MB)  ${r.k}`,
    );
}

/** For a few objects named `name`, the chain of retainers up to `depth` steps. */
function retainers(file: string, name: string, depth: number) {
  const s = load(file);
  const f = s.snapshot.meta.node_fields;
  const w = f.length;
  const types = s.snapshot.meta.node_types[0];
  const etypes = s.snapshot.meta.edge_types[0];
  const ef = s.snapshot.meta.edge_fields;
  const ew = ef.length;
  const iName = f.indexOf('name');
  const iType = f.indexOf('type');
  const iEdges = f.indexOf('edge_count');
  const iSize = f.indexOf('self_size');
  const n = s.nodes.length / w;
  const firstEdge = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) firstEdge[i + 1] = firstEdge[i] + s.nodes[i * w + iEdges] * ew;
  const byNode = new Map<number, { from: number; edge: string }[]>();
  for (let i = 0; i < n; i++) {
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += ew) {
      const t = etypes[s.edges[e]];
      if (t === 'weak') continue;
      const to = s.edges[e + 2] / w;
      const nameOrIndex = s.edges[e + 1];
      const label = t === 'element' || t === 'hidden' ? `[${nameOrIndex}]` : s.strings[nameOrIndex];
      const l = byNode.get(to) ?? [];
      if (l.length < 8) l.push({ from: i, edge: `${t}:${label}` });
      byNode.set(to, l);
    }
  }
  const desc = (i: number) =>
    `${types[s.nodes[i * w + iType]]} ${s.strings[s.nodes[i * w + iName]].slice(0, 80)} (${s.nodes[i * w + iSize]} B)`;
  const hits: number[] = [];
  // NAME* matches names that start with NAME
  const match = name.endsWith('*') ? (x: string) => x.startsWith(name.slice(0, -1)) : (x: string) => x === name;
  for (let i = 0; i < n && hits.length < 3000; i++) if (match(s.strings[s.nodes[i * w + iName]])) hits.push(i);
  console.log(`${hits.length} objects named ${name}`);
  // summarise the retainer chains of all hits, then print a few in full
  const chains = new Map<string, number>();
  for (const h of hits) {
    let cur = h;
    const parts: string[] = [];
    for (let d = 0; d < depth; d++) {
      const r = byNode.get(cur)?.[0];
      if (!r) break;
      parts.push(`${r.edge} <- ${types[s.nodes[r.from * w + iType]]} ${s.strings[s.nodes[r.from * w + iName]].slice(0, 50)}`);
      cur = r.from;
    }
    const k = parts.join('\n    ');
    chains.set(k, (chains.get(k) ?? 0) + 1);
  }
  for (const [k, c] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`x${c}\n    ${k}`);
  for (const h of hits.slice(0, 2)) {
    console.log('---', desc(h));
    for (const r of byNode.get(h) ?? []) console.log('   ', r.edge, '<-', desc(r.from));
  }
}

const [a, b, c, d] = process.argv.slice(2);
if (b === '--retainers') retainers(a, c, Number(d ?? 12));
else diff(a, b, Number(c ?? 40));
