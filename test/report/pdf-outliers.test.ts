import { describe, expect, it } from 'vitest';
import { ChromiumMissingError, htmlToPdf } from '../../src/report/pdf.js';
import { OUTLIER_MADS, batchStats, findOutliers, madScore, median } from '../../src/report/outliers.js';

describe('PDF without Chromium', () => {
  it('names the package to install and the path it looked at', async () => {
    const err = await htmlToPdf('<p>x</p>', { executablePath: '/nonexistent/chromium' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChromiumMissingError);
    expect((err as Error).message).toContain('/nonexistent/chromium');
    expect((err as Error).message).toContain('install chromium: apt-get install chromium');
  });
});

describe('outliers against the batch', () => {
  const batch = [1400, 1410, 1395, 1405, 1420, 1390, 1402, 1398, 1415, 1408];

  it('median and the scaled MAD', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const s = batchStats(batch);
    expect(s.median).toBe(1403.5);
    expect(s.mad).toBeCloseTo(1.4826 * 6, 6);
  });

  it('flags only the value beyond the threshold, with a reason naming the numbers', () => {
    const items = [...batch, 1990].map((v, i) => ({ name: `D${i}`, v }));
    const out = findOutliers(
      items,
      (x) => x.v,
      (x) => x.name,
      'V',
    );
    expect(out.map((o) => o.item.name)).toEqual(['D10']);
    expect(out[0].score).toBeGreaterThan(OUTLIER_MADS);
    expect(out[0].reason).toMatch(/^D10 = 1990 V is \d+\.\d MADs above the batch median 1405 V \(MAD [\d.]+ V, 11 values\)$/);
  });

  it('no verdict on a batch too small or without spread', () => {
    expect(madScore(5, batchStats([1, 1, 1, 1, 1, 1]))).toBeNull();
    expect(madScore(5, batchStats([1, 2, 3]))).toBeNull();
    expect(findOutliers([1, 1, 1, 1, 1, 9], (x) => x, String)).toEqual([]);
  });
});
