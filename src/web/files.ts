import fs from 'node:fs';
import path from 'node:path';
import type { Home } from '../station/workspace.js';

/**
 * GET /files/<json|data|logs>/...: a file under the home's json/, data/ or logs/ folder (the run
 * logs, which carry nothing the dashboard does not show), and nothing else.
 * `..`, absolute paths, NUL bytes, other folders: not found (404); a path whose real location
 * (symlinks followed) is outside its folder: forbidden (403).
 */
export type FileAnswer = { status: 200; file: string; size: number; type: string } | { status: 400 | 403 | 404; error: string };

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.html': 'text/plain; charset=utf-8',
};

function within(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `rawPath`: the URL path after /files/, still percent-encoded. */
export function resolveHomeFile(home: Home, rawPath: string): FileAnswer {
  let rel: string;
  try {
    rel = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, error: `the path "${rawPath}" is not valid percent-encoding` };
  }
  const parts = rel.split(/[/\\]/);
  if (rel.includes('\0') || path.isAbsolute(rel) || parts.some((p) => p === '..' || p === '.'))
    return { status: 404, error: `no file ${rel}` };
  const roots: Record<string, string> = { json: home.jsonDir, data: home.dataDir, logs: home.logsDir };
  const root = roots[parts[0]];
  if (!root || parts.length < 2) return { status: 404, error: `no file ${rel}: only json/..., data/... and logs/... are served` };
  const target = path.join(root, ...parts.slice(1));
  let real: string;
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
    real = fs.realpathSync(target);
  } catch {
    return { status: 404, error: `no file ${rel}` };
  }
  if (!within(realRoot, real)) return { status: 403, error: `${rel} points outside the home's ${parts[0]}/ folder` };
  const st = fs.statSync(real);
  if (!st.isFile()) return { status: 404, error: `${rel} is not a file` };
  return { status: 200, file: real, size: st.size, type: TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream' };
}
