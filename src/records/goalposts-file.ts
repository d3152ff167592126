import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import type { Goalpost } from '../analysis/goalposts.js';
import { REPO_ROOT } from '../util/repo-root.js';

/**
 * The goalposts file: one versioned TOML file of limits (config/goalposts.toml, or the station's
 * own <FAT_HOME>/goalposts.toml when it exists). See the file's header for its format.
 */
export const DEFAULT_GOALPOSTS = path.join(REPO_ROOT, 'config/goalposts.toml');

const entry = z
  .object({
    description: z.string().default(''),
    units: z.string().default(''),
    low: z.number().optional(),
    high: z.number().optional(),
    marginal_band: z.number().nonnegative().optional(),
  })
  .strict()
  .refine((g) => g.low === undefined || g.high === undefined || g.low <= g.high, { message: 'low is above high' });

export interface GoalpostEntry extends Goalpost {
  description: string;
  units: string;
}

export interface Goalposts {
  file: string;
  version: string;
  entries: ReadonlyMap<string, GoalpostEntry>;
}

export function goalpostsFile(homeDir: string): string {
  const own = path.join(homeDir, 'goalposts.toml');
  return fs.existsSync(own) ? own : DEFAULT_GOALPOSTS;
}

/** the files read, each with what its stat said then: a result batch judges against them without reading the file again */
const loaded = new Map<string, { stamp: string; goalposts: Goalposts }>();

/** a file changed less than this long ago is read again: a second change within the file system's clock tick would not show in its stat */
const RACY_MS = 2000;

/**
 * Reads and checks a goalposts file; every problem names the file and the section. A file whose
 * stat (inode, size, change times) is what it was when last read is not read again, unless it
 * changed within the last RACY_MS.
 */
export function loadGoalposts(file: string): Goalposts {
  let stamp: string | undefined;
  try {
    const st = fs.statSync(file, { bigint: true });
    if (Date.now() - Number(st.mtimeMs > st.ctimeMs ? st.mtimeMs : st.ctimeMs) > RACY_MS)
      stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    // read below, which says what is wrong with it
  }
  const seen = loaded.get(file);
  if (seen && stamp && seen.stamp === stamp) return seen.goalposts;
  const goalposts = readGoalposts(file);
  if (stamp) loaded.set(file, { stamp, goalposts });
  else loaded.delete(file);
  return goalposts;
}

function readGoalposts(file: string): Goalposts {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
  const { version, ...rest } = doc;
  if (typeof version !== 'string' || !version.trim()) throw new Error(`${file}: \`version = "..."\` is missing at the top`);
  const entries = new Map<string, GoalpostEntry>();
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(rest)) {
    const r = entry.safeParse(raw);
    if (!r.success) {
      problems.push(`[${name}] ${r.error.issues.map((i) => `${i.path.join('.') || 'section'}: ${i.message}`).join('; ')}`);
      continue;
    }
    entries.set(name, {
      description: r.data.description,
      units: r.data.units,
      low: r.data.low,
      high: r.data.high,
      marginalBand: r.data.marginal_band,
    });
  }
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return { file, version, entries };
}
