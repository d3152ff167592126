import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomicAsync } from '../../src/util/atomic-write.js';

/**
 * The camera tasks keep their image files with `writeFileAtomicAsync`, off the event loop: the
 * file is the new bytes or the old ones, never a part; a full disk fails naming the file and
 * leaves the old file and no temporary one behind. The disk is a real 1 MiB tmpfs.
 */
describe('writeFileAtomicAsync', () => {
  let dir = '';
  let small = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-atomic-async-'));
    small = path.join(dir, 'small');
    fs.mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
  });
  afterAll(() => {
    if (small) execFileSync('umount', ['-l', small]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the bytes into a folder it makes, with no temporary file left', async () => {
    const file = path.join(dir, 'DEgg2026-1-001_cam1', 'frame_0.RAW.gz');
    const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff);
    await writeFileAtomicAsync(file, bytes);
    expect(fs.readFileSync(file).equals(Buffer.from(bytes))).toBe(true);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['frame_0.RAW.gz']);
  });

  it('on a full disk it fails naming the file; the old file stays and no temporary file is left', async () => {
    const file = path.join(small, 'frame_1.RAW.gz');
    fs.writeFileSync(file, 'the frame before');
    await expect(writeFileAtomicAsync(file, new Uint8Array(2 * 1048576))).rejects.toThrow(`disk full: ${file}`);
    expect(fs.readFileSync(file, 'utf8')).toBe('the frame before');
    expect(fs.readdirSync(small)).toEqual(['frame_1.RAW.gz']);
  });
});
