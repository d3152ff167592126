import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHdf5, writeHdf5 } from '../../src/store/hdf5.js';
import { turnsDuring } from '../helpers/event-loop.js';

/**
 * The raw-data files are HDF5 that other tools read: h5dump (the HDF5 C library, which h5py wraps)
 * must see the same attributes, shapes and values that icefat wrote.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-hdf5-'));
const h5dump = (args: string[]) => execFileSync('h5dump', args, { encoding: 'utf8' });

describe('HDF5 raw data', () => {
  it('h5dump reads what writeHdf5 wrote: attributes, a 2-D dataset, compressed long series, strings', async () => {
    const file = path.join(dir, 'SQ0412_1400V.hdf5');
    const adc = Uint16Array.from({ length: 3 * 4 }, (_, i) => 8000 + i);
    const charges = Float64Array.from({ length: 10000 }, (_, i) => i / 1000);
    await writeHdf5(file, {
      attrs: { degg: 'DEgg2026-1-001', port: 5000, hv_volts: 1400.5 },
      datasets: {
        adc: { data: adc, shape: [3, 4], attrs: { units: 'ADC counts' } },
        charge_pc: { data: charges, attrs: { units: 'pC' } },
        items: { data: ['communication', 'hv_ch0'] },
      },
      groups: { meta: { attrs: { n: 3 } } },
    });
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);

    const header = h5dump(['-H', file]);
    expect(header).toMatch(/DATASET "adc"[\s\S]*H5T_STD_U16LE[\s\S]*SIMPLE \{ \( 3, 4 \) \/ \( 3, 4 \) \}/);
    expect(header).toMatch(/DATASET "charge_pc"[\s\S]*H5T_IEEE_F64LE[\s\S]*\( 10000 \)/);
    expect(header).toContain('GROUP "meta"');
    expect(h5dump(['-a', '/degg', file])).toContain('"DEgg2026-1-001"');
    expect(h5dump(['-a', '/hv_volts', file])).toContain('1400.5');
    const row = h5dump(['-d', '/adc', '-s', '1,0', '-c', '1,4', file]);
    expect(row).toMatch(/8004, 8005, 8006, 8007/);
    expect(h5dump(['-d', '/charge_pc', '-s', '9999', '-c', '1', file])).toMatch(/9\.999/);
    expect(h5dump(['-d', '/items', file])).toMatch(/"communication", "hv_ch0"/);

    const back = await readHdf5(file);
    expect(back.attrs).toEqual({ degg: 'DEgg2026-1-001', port: 5000, hv_volts: 1400.5 });
    expect(Array.from(back.datasets.adc.value as Uint16Array)).toEqual(Array.from(adc));
    expect(back.datasets.adc.shape).toEqual([3, 4]);
    expect((back.datasets.charge_pc.value as Float64Array)[1234]).toBe(1.234);
  });

  it('a shape that does not fit the data is refused and leaves no file', async () => {
    const file = path.join(dir, 'bad.hdf5');
    await expect(writeHdf5(file, { datasets: { adc: { data: new Uint16Array(10), shape: [3, 4] } } })).rejects.toThrow(
      'HDF5 dataset adc: shape 3x4 does not hold 10 values',
    );
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('bad') || f.startsWith('.bad'))).toEqual([]);
  });

  it('writes in a thread of its own: the event loop turns while a large file is compressed', async () => {
    await writeHdf5(path.join(dir, 'warm.hdf5'), { attrs: { n: 1 } }); // the thread and h5wasm started
    // 1 M values gzipped: on the event loop this held every timer and socket until it ended
    const big = Float64Array.from({ length: 1 << 20 }, (_, i) => Math.sin(i) * 1000);
    expect(await turnsDuring(writeHdf5(path.join(dir, 'big.hdf5'), { datasets: { x: { data: big } } }))).toBeGreaterThan(20);
    expect((await readHdf5(path.join(dir, 'big.hdf5'))).datasets.x.shape).toEqual([1 << 20]);
  });

  it('many writes at once each land in their own file; a view of a larger buffer writes only its values', async () => {
    const whole = Float64Array.from({ length: 100 }, (_, i) => i);
    const files = Array.from({ length: 24 }, (_, i) => path.join(dir, `many_${i}.hdf5`));
    await Promise.all(files.map((f, i) => writeHdf5(f, { attrs: { i }, datasets: { v: { data: whole.subarray(i, i + 3) } } })));
    for (const [i, f] of files.entries()) {
      const back = await readHdf5(f);
      expect(back.attrs).toEqual({ i });
      expect(Array.from(back.datasets.v.value as Float64Array)).toEqual([i, i + 1, i + 2]);
    }
  });

  it('a write that fails in the thread names its file, leaves no temporary file, and the next write works', async () => {
    const missing = path.join(dir, 'no-such-folder', 'x.hdf5');
    await expect(writeHdf5(missing, { attrs: { n: 1 } })).rejects.toThrow(missing);
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
    const after = path.join(dir, 'after-failure.hdf5');
    await writeHdf5(after, { attrs: { n: 2 } });
    expect((await readHdf5(after)).attrs).toEqual({ n: 2 });
  });

  it('reading a missing or corrupt file names it', async () => {
    await expect(readHdf5(path.join(dir, 'nope.hdf5'))).rejects.toThrow(`${path.join(dir, 'nope.hdf5')}: no such HDF5 file`);
    const garbage = path.join(dir, 'garbage.hdf5');
    fs.writeFileSync(garbage, 'not an HDF5 file at all');
    await expect(readHdf5(garbage)).rejects.toThrow(`${garbage}: not an HDF5 file (no HDF5 signature at its start)`);
    // the signature, then garbage: read in the HDF5 thread, which names the file and goes on serving
    const torn = path.join(dir, 'torn.hdf5');
    fs.writeFileSync(torn, Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(600, 7)]));
    await expect(readHdf5(torn)).rejects.toThrow(`${torn}: cannot be read as HDF5`);
    await writeHdf5(path.join(dir, 'fine.hdf5'), { attrs: { ok: 1 } });
    expect((await readHdf5(path.join(dir, 'fine.hdf5'))).attrs).toEqual({ ok: 1 });
  });
});
