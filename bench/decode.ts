/**
 * Decode benchmark: icefat's typed-array decoders against the original client's way of decoding
 * (shared/reference/bench/decode_reference.py, numpy + per-record dicts), on the same bytes.
 *
 * The bytes come from the simulated mainboard through the real iceboot client (`readDEggWfmBlock`
 * and `readDEggChargeBlock` over a socket); if the simulated lab cannot be started, a small
 * generator in this file encodes equivalent records instead, and the output says so.
 *
 *   tsx bench/decode.ts [--blocks N] [--stamps N] [--reps N]
 *
 * Prints one JSON object; exits non-zero when the two decoders disagree on what they read.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { decodeChargeStamps, decodeWaveformBlock } from '../src/lab/iceboot/decode.js';
import { IcebootSession } from '../src/lab/iceboot/session.js';
import { IcmClient } from '../src/lab/icm-client.js';

const BLOCK_BYTES = 66000;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const referenceScript = path.resolve(repoRoot, '../shared/reference/bench/decode_reference.py');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

interface Data {
  source: 'simulator' | 'generator';
  note?: string;
  waveforms: Buffer;
  stamps: Buffer;
}

// ---- data from the simulated lab ---------------------------------------------------------------

async function fromSimulator(nBlocks: number, nStamps: number): Promise<Data> {
  // bench code may start the simulator; src/lab never imports it
  const { startSimLab } = await import('../src/sim/lab.js');
  const basePort = Number(process.env.BENCH_BASE_PORT ?? 28600);
  const lab = await startSimLab({ seed: 7, basePort, timeScale: 1000, domnet: 'auto' });
  const icm = new IcmClient('127.0.0.1', lab.ports.icm(0), { timeoutMs: 5000 });
  let s: IcebootSession | undefined;
  try {
    s = await IcebootSession.open('127.0.0.1', lab.ports.mainboard(0, 0));
    await icm.pmtHvEnable(0);
    await s.setDAC('A', 30000);
    await s.setConstReadout(0, 128);
    await s.enableHV(0);
    await s.setHV(0, 1500);
    await lab.ctx.clock.sleep(40_000);
    const baseline = 8027;
    await s.setAdcTriggerThreshold(0, baseline + 25);
    await s.enableAdcTrigger(0);
    await s.startThresholdTrigStream(0, baseline + 25);
    const blocks: Buffer[] = [];
    for (let i = 0; i < nBlocks; i++) blocks.push(await s.readWaveformBlockRaw(BLOCK_BYTES, 30_000));
    const chunks: Buffer[] = [];
    for (let left = nStamps; left > 0;) {
      const n = Math.min(left, 5000);
      chunks.push(await s.rawCmd(`${14 * n} 10 15 readDEggChargeBlock`, 14 * n, 60_000));
      left -= n;
    }
    await s.setHV(0, 0);
    await s.disableHV(0);
    return { source: 'simulator', waveforms: Buffer.concat(blocks), stamps: Buffer.concat(chunks) };
  } finally {
    await s?.close();
    icm.close();
    await lab.close();
  }
}

// ---- fallback generator (the same formats, §3.8-3.9) ------------------------------------------

function generate(nBlocks: number, nStamps: number, why: string): Data {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const nSamples = 128;
  const recBytes = 4 + 2 * (17 + nSamples + 2);
  const perBlock = Math.floor(BLOCK_BYTES / recBytes);
  const wf = Buffer.alloc(nBlocks * BLOCK_BYTES);
  let ts = 2 ** 45;
  for (let b = 0; b < nBlocks; b++) {
    let o = b * BLOCK_BYTES;
    for (let r = 0; r < perBlock; r++) {
      ts += Math.floor(rand() * 1e6);
      wf.writeUInt32LE(17 + nSamples + 2, o);
      o += 4;
      const words = [
        0x8200,
        nSamples,
        0x100 | ((ts % 4) << 6),
        Math.floor(ts / 2 ** 34) % 65536,
        Math.floor(ts / 2 ** 18) % 65536,
        Math.floor(ts / 4) % 65536,
      ];
      for (let i = 0; i < 17; i++, o += 2) wf.writeUInt16LE(words[i] ?? 0, o);
      for (let i = 0; i < nSamples; i++, o += 2)
        wf.writeUInt16LE(((8027 + Math.round((rand() - 0.5) * 8)) << 2) | (i > 40 && i < 50 ? 2 : 0), o);
      o += 4;
    }
  }
  const st = Buffer.alloc(14 * nStamps);
  for (let i = 0; i < nStamps; i++) {
    const p = 14 * i;
    ts += 2_400_000;
    st[p] = 0x10 | ((Math.floor(ts / 2 ** 48) & 3) << 6);
    st[p + 1] = i & 1;
    st.writeUIntLE(ts % 2 ** 48, p + 4, 6);
    st.writeFloatLE(1.6e-12 * (0.5 + rand()), p + 10);
  }
  return {
    source: 'generator',
    note: `simulated lab not available (${why}); data encoded by the bench's own generator`,
    waveforms: wf,
    stamps: st,
  };
}

// ---- timing -----------------------------------------------------------------------------------

function timeBest(reps: number, fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

interface RefResult {
  records: number;
  decodeSeconds: number;
  adcSum?: number;
  timestampSum?: string;
  chargeSumPc?: number;
}

function reference(kind: 'waveforms' | 'stamps', file: string, reps: number): RefResult {
  let best: RefResult | undefined;
  for (let i = 0; i < reps; i++) {
    // timestampSum can exceed 2^53: keep it as text so no digit is lost
    const out = execFileSync('python3', [referenceScript, `--${kind}`, file], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const text = out.trim().replace(/"timestampSum":\s*(\d+)/, '"timestampSum":"$1"');
    const r = JSON.parse(text) as RefResult;
    if (!best || r.decodeSeconds < best.decodeSeconds) best = r;
  }
  return best!;
}

const sumMod64 = (a: Float64Array) => {
  let s = 0n;
  for (let i = 0; i < a.length; i++) s += BigInt(a[i]);
  return (s % (1n << 64n)).toString();
};

async function main(): Promise<number> {
  const nBlocks = arg('blocks', 40);
  const nStamps = arg('stamps', 20000);
  const reps = arg('reps', 20);
  let data: Data;
  try {
    data = await fromSimulator(nBlocks, nStamps);
  } catch (e) {
    data = generate(nBlocks, nStamps, (e as Error).message.split('\n')[0]);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-bench-'));
  try {
    const wfFile = path.join(dir, 'waveforms.bin');
    const stFile = path.join(dir, 'stamps.bin');
    fs.writeFileSync(wfFile, data.waveforms);
    fs.writeFileSync(stFile, data.stamps);

    // decode from what was read back from the file, as the reference does
    const wfBytes = fs.readFileSync(wfFile);
    const stBytes = fs.readFileSync(stFile);
    let wb = decodeWaveformBlock(wfBytes, BLOCK_BYTES);
    const wfSeconds = timeBest(reps, () => (wb = decodeWaveformBlock(wfBytes, BLOCK_BYTES)));
    let sb = decodeChargeStamps(stBytes);
    const stSeconds = timeBest(reps, () => (sb = decodeChargeStamps(stBytes)));

    let adcSum = 0;
    for (let i = 0; i < wb.adc.length; i++) adcSum += wb.adc[i];
    let chargeSumPc = 0;
    for (let i = 0; i < sb.count; i++) chargeSumPc += sb.chargePc[i];
    const ours = {
      waveforms: { records: wb.count, adcSum, timestampSum: sumMod64(wb.timestamp) },
      stamps: { records: sb.count, timestampSum: sumMod64(sb.timestamp), chargeSumPc },
    };

    const refReps = Math.min(reps, 3);
    const refW = reference('waveforms', wfFile, refReps);
    const refS = reference('stamps', stFile, refReps);
    const wAgree =
      refW.records === ours.waveforms.records && refW.adcSum === ours.waveforms.adcSum && refW.timestampSum === ours.waveforms.timestampSum;
    const sAgree =
      refS.records === ours.stamps.records &&
      refS.timestampSum === ours.stamps.timestampSum &&
      Math.abs((refS.chargeSumPc ?? NaN) - chargeSumPc) <= 1e-6 * Math.max(1, Math.abs(chargeSumPc));

    const rate = (n: number, s: number) => (s > 0 ? Math.round(n / s) : null);
    const section = (n: number, sec: number, ref: RefResult, agree: boolean, ourSums: object, bytes: number) => {
      const icefatRecordsPerSecond = rate(n, sec);
      const referenceRecordsPerSecond = rate(ref.records, ref.decodeSeconds);
      return {
        records: n,
        bytes,
        icefatRecordsPerSecond,
        referenceRecordsPerSecond,
        ratio:
          icefatRecordsPerSecond && referenceRecordsPerSecond
            ? Number((icefatRecordsPerSecond / referenceRecordsPerSecond).toFixed(1))
            : null,
        checksumsAgree: agree,
        icefat: ourSums,
        reference: { records: ref.records, adcSum: ref.adcSum, timestampSum: ref.timestampSum, chargeSumPc: ref.chargeSumPc },
      };
    };
    const result = {
      benchmark: 'decode',
      source: data.source,
      ...(data.note ? { note: data.note } : {}),
      timing: `best of ${reps} runs (icefat) and of ${refReps} runs (reference, its own decodeSeconds)`,
      waveforms: section(wb.count, wfSeconds, refW, wAgree, ours.waveforms, wfBytes.length),
      stamps: section(sb.count, stSeconds, refS, sAgree, ours.stamps, stBytes.length),
    };
    console.log(JSON.stringify(result));
    if (wb.count === 0 || sb.count === 0) {
      console.error('decode bench: no records were decoded; the data source produced nothing to compare');
      return 1;
    }
    return wAgree && sAgree ? 0 : 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`decode bench failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
