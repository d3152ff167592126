import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../src/engine/backup/files.js';
import { MANIFEST, readManifest, writeManifest } from '../../src/engine/backup/manifest.js';

/**
 * A snapshot's manifest (its own files, among them the store's copy, and thousands of raw files)
 * is made in a thread of its own: the event loop (which reads the instruments' replies) stays free
 * meanwhile, and the manifest lists every file with its size and sha256 as before.
 */
describe("a snapshot manifest's thread", () => {
  let dir = '';
  let dataDir = '';
  let files: string[] = [];
  const head = {
    format: 'icefat-snapshot/1' as const,
    station: 'lab-a',
    run: { id: 1, number: 1 },
    label: 'fits',
    created_at: '2026-12-07 10:00:00',
    store: { kind: 'postgres' as const, note: 'elsewhere' },
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-manifest-thread-'));
    dataDir = path.join(dir, 'data');
    for (let f = 0; f < 40; f++) {
      const folder = path.join(dataDir, `task_${String(f).padStart(3, '0')}`);
      fs.mkdirSync(folder, { recursive: true });
      for (let k = 0; k < 100; k++) fs.writeFileSync(path.join(folder, `wf_${k}.dat`), `waveforms ${f} ${k}\n`);
    }
    files = listFiles(dataDir);
    fs.mkdirSync(path.join(dir, 'snap', 'json'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'snap', 'fat.db'), Buffer.alloc(3 * 1048576, 5)); // the store's copy
    fs.writeFileSync(path.join(dir, 'snap', 'json', 'run_00001.json'), '{}\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("lists the snapshot's files and 4000 raw files with their sha256 while the event loop stays mostly idle", async () => {
    const cache = path.join(dir, 'cache.tsv');
    for (const round of ['hashed', 'from the cache'])
      await (async () => {
        const elu0 = performance.eventLoopUtilization();
        const made = await writeManifest(path.join(dir, 'snap'), head, dataDir, files, cache);
        const elu = performance.eventLoopUtilization(elu0);
        expect(made.count, round).toBe(4000);
        // on the event loop this was all stats and hashes: utilisation near 1
        expect(elu.utilization, round).toBeLessThan(0.5);
        const m = readManifest(path.join(dir, 'snap'))!;
        // the snapshot's own files, hashed in the thread too; the manifest not among them
        const own = [
          {
            path: 'fat.db',
            size: 3 * 1048576,
            sha256: createHash('sha256')
              .update(Buffer.alloc(3 * 1048576, 5))
              .digest('hex'),
          },
          { path: 'json/run_00001.json', size: 3, sha256: createHash('sha256').update('{}\n').digest('hex') },
        ];
        expect(made.files, round).toEqual(own);
        expect(m.files, round).toEqual(own);
        expect(Object.keys(m)).toEqual(['format', 'station', 'run', 'label', 'created_at', 'store', 'files', 'raw_data']);
        expect(m.raw_data).toHaveLength(4000);
        expect(m.raw_data.map((r) => r.path)).toEqual(files);
        const text = 'waveforms 7 24\n';
        expect(m.raw_data.find((r) => r.path === 'task_007/wf_24.dat')).toMatchObject({
          size: text.length,
          sha256: createHash('sha256').update(text).digest('hex'),
        });
      })();
    expect(fs.readdirSync(path.join(dir, 'snap')).sort()).toEqual(['fat.db', 'json', MANIFEST]);
  });
});
