import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stationStatus } from '../../src/engine/status.js';
import { fat } from '../helpers/fat-cli.js';
import { openTestPrompt, servedHome, type ServedHome } from './server-home.js';

/** GET /api/status, /api/results, /metrics and /files of a real server on a temp home. */
describe('fat serve: read-only API', () => {
  let h: ServedHome;
  beforeAll(async () => {
    h = await servedHome();
  });
  afterAll(async () => h?.close());

  it('GET /api/status is what stationStatus (fat status --json) gives', async () => {
    await openTestPrompt(h.ws, 'Close the freezer door');
    const r = await fetch(`${h.server.url}/api/status`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { prompt: { message: string } };
    expect(body).toEqual(JSON.parse(JSON.stringify(await stationStatus(h.ws))));
    expect(body.prompt.message).toBe('Close the freezer door');
  });

  it('GET /api/results answers as fat results --json does (no run yet: 404 with the same message)', async () => {
    const r = await fetch(`${h.server.url}/api/results`);
    expect(r.status).toBe(404);
    const cli = await fat(h.dir, ['results', '--json']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(((await r.json()) as { error: string }).error);
  });

  it('GET /metrics is the Prometheus text format with tasks, prompts and backup lag', async () => {
    const r = await fetch(`${h.server.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    const samples = new Map<string, number>();
    for (const line of text.trimEnd().split('\n')) {
      if (line.startsWith('#')) {
        expect(line).toMatch(/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/);
        continue;
      }
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN)$/.exec(line);
      expect(m, `not a sample line: ${line}`).not.toBeNull();
      samples.set(m![1] + (m![2] ?? ''), Number(m![4]));
    }
    const station = h.ws.station.name;
    expect(samples.get(`fat_open_prompts{station="${station}"}`)).toBe(1);
    expect(samples.get(`fat_backup_lag_seconds{station="${station}"}`)).toBe(0);
    expect(samples.get(`fat_tasks{station="${station}",state="pending"}`)).toBe(0);
  });

  it('GET /files serves json/, data/ and logs/ only: no traversal, no absolute path, no symlink out', async () => {
    fs.mkdirSync(path.join(h.dir, 'json', 'run'), { recursive: true });
    fs.writeFileSync(path.join(h.dir, 'json', 'run', 'run_00001.json'), '{"RunNumber":1}');
    fs.mkdirSync(path.join(h.dir, 'data', 'gain'), { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(h.dir, 'data', 'gain', 'passwd'));
    fs.symlinkSync(path.join(h.dir, 'fat.db'), path.join(h.dir, 'json', 'store.db'));
    const get = (p: string) => fetch(`${h.server.url}${p}`);

    fs.mkdirSync(path.join(h.dir, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(h.dir, 'logs', 'run_00001.log'), '{"msg":"Schedule Completed"}\n');
    const log = await get('/files/logs/run_00001.log');
    expect(log.status).toBe(200);
    expect(await log.text()).toContain('Schedule Completed');

    const ok = await get('/files/json/run/run_00001.json');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(await ok.json()).toEqual({ RunNumber: 1 });

    expect(fs.existsSync(path.join(h.dir, 'fat.db'))).toBe(true);
    for (const p of [
      '/files/json/%2e%2e/fat.db',
      '/files/json/..%2ffat.db',
      '/files/data/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/files/%2Fetc%2Fpasswd',
      '/files/json/run/..%5c..%5cfat.db',
      '/files/fat.db',
      '/files/logs',
      '/files/json/run',
      '/files/../fat.db',
    ]) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      const text = await r.text();
      expect(text, p).not.toContain('root:');
      expect(text, p).not.toContain('SQLite format');
    }
    for (const p of ['/files/data/gain/passwd', '/files/json/store.db']) {
      const r = await get(p);
      expect(r.status, p).toBe(403);
      const text = await r.text();
      expect(text).not.toContain('root:');
      expect(text).not.toContain('SQLite format');
    }
  });
});
