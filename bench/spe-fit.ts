/**
 * SPE fit benchmark: icefat's histogram + Levenberg-Marquardt Gaussian fit (`fitSpe`) against the
 * original analysis's method (shared/reference/bench/spe_fit_reference.py: numpy histogram and
 * scipy's curve_fit) on the same charges, histogram by histogram.
 *
 *   tsx bench/spe-fit.ts [--histograms N] [--per-hist M] [--seed S] [--rounds R]
 *
 * Charges: per histogram a Gaussian SPE peak (0.8-3 pC, width 30% of the peak) plus an
 * exponential tail of sub-threshold pedestal pulses, seeded. Prints one JSON object; exits
 * non-zero when a fitted peak or width differs by more than 1e-5 (relative).
 *
 * Both sides time the same work, median + histogram + fit from the raw charges of every
 * histogram, at their steady pace and without their start-up: the reference times its own loop
 * (after its imports and the file read), icefat its loop after one untimed round over all the
 * histograms (V8 compiles the hot functions in the background over the first few hundred fits,
 * the way a long-running FAT engine has them). The two take turns for R rounds (default 5), so
 * that the load of a shared machine falls on both alike; in each round icefat fits the
 * histograms again and again for as long as the reference's loop took, and each side's best
 * round counts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { fitSpe } from '../src/analysis/gaussian-fit.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const referenceScript = path.resolve(repoRoot, '../shared/reference/bench/spe_fit_reference.py');
const TOLERANCE = 1e-5;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

/** mulberry32: small, seeded, good enough for test data */
function rng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(histograms: number, perHist: number, seed: number): Float32Array {
  const u = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const out = new Float32Array(histograms * perHist);
  for (let h = 0; h < histograms; h++) {
    const peak = 0.8 + 2.2 * u();
    const width = 0.3 * peak;
    const pedestalFraction = 0.05 + 0.1 * u();
    const pedestalMean = 0.15 * peak;
    for (let i = 0; i < perHist; i++) {
      const q = u() < pedestalFraction ? -pedestalMean * Math.log(1 - u()) : peak + width * normal();
      out[h * perHist + i] = q;
    }
  }
  return out;
}

interface Reference {
  histograms: number;
  fitSeconds: number;
  fitsPerSecond: number;
  fits: ([number, number, number] | null)[];
}

function main(): void {
  const histograms = arg('histograms', 200);
  const perHist = arg('per-hist', 10000);
  const seed = arg('seed', 4242);
  const rounds = arg('rounds', 5);
  const charges = generate(histograms, perHist, seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-spe-bench-'));
  const file = path.join(dir, 'charges.f32');
  try {
    fs.writeFileSync(file, Buffer.from(charges.buffer, charges.byteOffset, charges.byteLength));

    // both sides fit the float32 values that are in the file
    const asF64 = Float64Array.from(charges);
    const scratch = new Float64Array(perHist);
    const fitOne = (h: number) => fitSpe(asF64.subarray(h * perHist, (h + 1) * perHist), { scratch });
    for (let h = 0; h < histograms; h++) fitOne(h); // warm-up, untimed
    let ours: { mu: number; sigma: number; converged: boolean }[] = [];
    let iterations = 0;
    let icefatFitsPerSecond = 0;
    let ref: Reference | null = null;
    for (let round = 0; round < rounds; round++) {
      const out = execFileSync('python3', [referenceScript, file, '--per-hist', String(perHist)], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
      const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Reference;
      if (r.histograms !== histograms) throw new Error(`reference fitted ${r.histograms} histograms, expected ${histograms}`);
      if (!ref || r.fitSeconds < ref.fitSeconds) ref = r;

      // icefat fits the histograms over and over for as long as the reference's loop took, so
      // that both paces are taken over windows of the same length (a short one may miss the load)
      let fitted = 0;
      const t0 = performance.now();
      let elapsedS = 0;
      do {
        const fits: typeof ours = [];
        iterations = 0;
        for (let h = 0; h < histograms; h++) {
          const f = fitOne(h);
          fits.push({ mu: f.fit.mu, sigma: f.fit.sigma, converged: f.fit.converged });
          iterations += f.fit.iterations;
        }
        ours = fits;
        fitted += histograms;
        elapsedS = (performance.now() - t0) / 1000;
      } while (elapsedS < r.fitSeconds);
      icefatFitsPerSecond = Math.max(icefatFitsPerSecond, fitted / elapsedS);
    }
    if (!ref) throw new Error('no round ran');

    let maxAbsDiffMu = 0;
    let maxRelDiffMu = 0;
    let maxRelDiffSigma = 0;
    let failed = 0;
    let worst = -1;
    for (let h = 0; h < histograms; h++) {
      const r = ref.fits[h];
      const o = ours[h];
      if (!r || !o.converged) {
        failed++;
        continue;
      }
      const dMu = Math.abs(o.mu - r[1]);
      const relMu = dMu / Math.abs(r[1]);
      const relSigma = Math.abs(o.sigma - Math.abs(r[2])) / Math.abs(r[2]);
      if (relMu > maxRelDiffMu || relSigma > maxRelDiffSigma) worst = h;
      maxAbsDiffMu = Math.max(maxAbsDiffMu, dMu);
      maxRelDiffMu = Math.max(maxRelDiffMu, relMu);
      maxRelDiffSigma = Math.max(maxRelDiffSigma, relSigma);
    }
    const agree = failed === 0 && maxRelDiffMu <= TOLERANCE && maxRelDiffSigma <= TOLERANCE;
    console.log(
      JSON.stringify({
        benchmark: 'spe-fit',
        histograms,
        chargesPerHistogram: perHist,
        icefatFitsPerSecond: Number(icefatFitsPerSecond.toFixed(1)),
        referenceFitsPerSecond: Number((histograms / ref.fitSeconds).toFixed(1)),
        ratio: Number((icefatFitsPerSecond / (histograms / ref.fitSeconds)).toFixed(2)),
        rounds,
        maxAbsDiffMu: Number(maxAbsDiffMu.toPrecision(3)),
        maxRelDiffMu: Number(maxRelDiffMu.toPrecision(3)),
        maxRelDiffSigma: Number(maxRelDiffSigma.toPrecision(3)),
        failedFits: failed,
        meanIterations: iterations / histograms,
        agree,
        ...(agree ? {} : { worstHistogram: worst, ours: ours[worst], reference: ref.fits[worst] }),
      }),
    );
    if (!agree) process.exitCode = 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
