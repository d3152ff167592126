import { ICM_HZ, type IcmClock } from '../icm-clock.js';
import type { Rng } from '../rng.js';

/**
 * RapCal between a field hub and an in-ice ICM, as the public RapCal client (rapcal.py of
 * degg_scan's fh_server tools) reads it. The hub sends a pulse down the wire pair at T_tx_dor (hub
 * count); the ICM records its arrival (T_rx_dom in its own count, and 64 samples of the pulse at
 * 30 MHz), answers after a fixed turnaround at T_tx_dom, and the hub records that pulse's arrival
 * (T_rx_dor and its samples). The packet then comes out of the device port unasked: a 4-byte
 * big-endian header (magic "RC", status with the version in bits 9-15 and the device in bits
 * 0-3), then for version 0 the four counts (48-bit big-endian) and the two waveforms, 280 bytes.
 *
 * Each waveform is a bipolar pulse whose falling zero crossing is the arrival. The receiver's
 * trigger goes high where the pulse falls below half its depth, and the count is latched one
 * sample after that: what the client's arithmetic implies (it corrects T_rx by twice the distance
 * from the trigger sample to the fitted crossing, whose indices are one sample apart). A waveform
 * sample is 15 bits, high byte first, the samples in reverse order; the top bit of a sample's high
 * byte carries the trigger of the sample after it (the client reads it so).
 */
const RAPCAL_MAGIC = 0x5243;
const RAPCAL_HEADER_BYTES = 4;
const RAPCAL_V0_BODY_BYTES = 280;

const SAMPLES = 64;
/** where the crossing lands in the 64 samples */
const CROSS_AT = 40;
const BASELINE_ADC = 8192;
const DEPTH_ADC = 2000;
/** samples from the crossing to either peak (straight), then back to the baseline */
const RAMP = 4;
const TAIL = 4;
const NOISE_ADC = 2;
/** ICM counts between the arrival of the hub's pulse and the ICM's answer */
const TURNAROUND = 120;

function pulse(x: number): number {
  const ax = Math.abs(x);
  if (ax <= RAMP) return (-DEPTH_ADC * x) / RAMP;
  if (ax <= RAMP + TAIL) return -Math.sign(x) * DEPTH_ADC * (1 - (ax - RAMP) / TAIL);
  return 0;
}

/** The receiver's samples of a pulse arriving at count `arrival`, encoded, and the count it latched. */
function receive(rng: Rng, arrival: number): { wave: Buffer; latched: number } {
  // the 30 MHz samples fall on even counts
  const first = 2 * Math.floor(arrival / 2) - 2 * CROSS_AT;
  const p = (arrival - first) / 2;
  const adc = new Array<number>(SAMPLES);
  const trig = new Array<boolean>(SAMPLES);
  for (let n = 0; n < SAMPLES; n++) {
    adc[n] = Math.round(BASELINE_ADC + pulse(n - p) + rng.normal(0, NOISE_ADC));
    trig[n] = adc[n] - BASELINE_ADC < -DEPTH_ADC / 2;
  }
  let s = 3;
  while (!trig[s]) s++;
  const wave = Buffer.alloc(2 * SAMPLES);
  for (let j = 0; j < SAMPLES; j++) {
    wave[126 - 2 * j] = ((adc[j] >> 8) & 0x7f) | (trig[(j + 1) % SAMPLES] ? 0x80 : 0);
    wave[127 - 2 * j] = adc[j] & 0xff;
  }
  return { wave, latched: first + 2 * (s + 1) };
}

/**
 * One RapCal exchange started now (`hubNow`, hub counts) with the ICM of `device`, whose clock is
 * `icm` behind `cableDelayNs` of wire pair: the whole packet, header included.
 */
export function rapcalPacket(rng: Rng, o: { hubNow: number; icm: IcmClock; cableDelayNs: number; device: number }): Buffer {
  const delay = o.cableDelayNs * 1e-9 * ICM_HZ;
  const txDor = Math.ceil(o.hubNow);
  const atDom = o.icm.at(txDor + delay);
  const dom = receive(rng, atDom);
  const txDom = Math.ceil(atDom) + TURNAROUND;
  const dor = receive(rng, o.icm.hubAt(txDom) + delay);
  const out = Buffer.alloc(RAPCAL_HEADER_BYTES + RAPCAL_V0_BODY_BYTES);
  out.writeUInt16BE(RAPCAL_MAGIC, 0);
  out.writeUInt16BE(o.device & 0x0f, 2);
  [txDor, dom.latched, txDom, dor.latched].forEach((count, i) => out.writeUIntBE(count, 4 + 6 * i, 6));
  dom.wave.copy(out, 28);
  dor.wave.copy(out, 28 + 2 * SAMPLES);
  return out;
}
