import fs from 'node:fs';
import path from 'node:path';
import type { Hono } from 'hono';
import type { AuthEnv } from './auth.js';
import { REPO_ROOT } from '../util/repo-root.js';

/**
 * The dashboard's built files (src/web/ui/dist, made by `npm run build:ui`, which `npm ci` runs)
 * for every GET that is not /api/, /files/ or /metrics; a page path (no file extension) gets
 * index.html so that a reload of any page works, a missing file a 404. Without a build, a page that says how to make one.
 */
export const UI_DIST = path.join(REPO_ROOT, 'src/web/ui/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>icefat: dashboard not built</title>
<h1>The dashboard is not built</h1>
<p>The API works (<a href="/api/status">/api/status</a>), but the dashboard's files are missing in
<code>${UI_DIST}</code>. Build them in the icefat folder with <code>npm run build:ui</code>
(<code>npm ci</code> does it too), then reload this page.</p>`;

function fileUnder(root: string, urlPath: string): string | null {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const target = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  if (target !== root && !target.startsWith(root + path.sep)) return null;
  try {
    return fs.statSync(target).isFile() ? target : null;
  } catch {
    return null;
  }
}

export function dashboardBuilt(dist = UI_DIST): boolean {
  return fs.existsSync(path.join(dist, 'index.html'));
}

export function mountDashboard(app: Hono<AuthEnv>, dist = UI_DIST): void {
  app.get('*', async (c, next) => {
    if (/^\/(api|files|metrics)(\/|$)/.test(c.req.path)) return next();
    if (!dashboardBuilt(dist)) return c.html(NOT_BUILT, 503);
    const hit = fileUnder(dist, c.req.path);
    // a missing file (a script of an old build, /fat.db, ...) is a 404, not the page, which a browser
    // would run as JS; only page paths (no extension) get index.html
    if (!hit && (c.req.path.startsWith('/assets/') || path.extname(c.req.path) !== ''))
      return c.text(`no file ${c.req.path} in the dashboard's build`, 404);
    const file = hit ?? path.join(dist, 'index.html');
    const ext = path.extname(file).toLowerCase();
    const body = await fs.promises.readFile(file);
    // hashed asset names may be cached for good; index.html must be fetched again after a rebuild
    const cache = file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
    return c.body(body, 200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': cache });
  });
}
