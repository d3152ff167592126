import type { SimContext } from '../context.js';
import { Rng } from '../rng.js';
import { listen, wallMs, type RunningServer } from './wire.js';

/**
 * A simulated Lutron TM-947SD 4-channel thermometer with its RS-232 output on, behind a
 * serial-to-Ethernet server. It talks without being asked: one 16-byte data word per channel in
 * turn, each channel about once a lab second, but never slower than one word per 250 ms of wall
 * time so a reader on a slow clock is not starved. The stream is paced in wall time (it runs
 * whether or not anyone reads, so it cannot sleep on a virtual clock without making that clock
 * tick forever): on virtual time every 10 ms tick sends a whole round of four words, so a reader
 * waits one tick for all four channels, not four.
 *
 * Data word (Lutron's "16 digits data stream"):
 *   byte 0      0x02 start
 *   byte 1      '4'
 *   byte 2      channel '1'..'4'
 *   bytes 3-4   annunciator "01" = °C
 *   byte 5      polarity '0' positive, '1' negative
 *   byte 6      decimal point position from the right ('1' = one decimal)
 *   bytes 7-14  eight display digits, most significant first
 *   byte 15     0x0D end
 *
 * A new connection starts in the middle of a word, as a serial line plugged into a streaming
 * device does, so a reader must resynchronise on 0x02.
 *
 * Channels: 1 D-Egg surface, 2 box surface outside, 3 box surface inside, 4 freezer air.
 * Fault `instrument-timeout:thermometer`: the stream stops.
 */
export const TM947_CHANNEL_OFFSETS_C = [1.5, 0.3, 0.9, 0];
const NOISE_C = 0.05;
/** lab ms between data words: four channels in about a second */
const WORD_LAB_MS = 250;
const MIN_WORD_WALL_MS = 10;
const MAX_WORD_WALL_MS = 250;

/** Encodes one data word; `tempC` is rounded to the display's 0.1 °C. */
export function tm947Frame(channel: number, tempC: number): Buffer {
  const tenths = Math.round(Math.abs(tempC) * 10);
  const digits = String(Math.min(tenths, 99_999_999)).padStart(8, '0');
  const negative = tempC < 0 && tenths > 0;
  return Buffer.concat([Buffer.from([0x02]), Buffer.from(`4${channel}01${negative ? '1' : '0'}1${digits}`, 'latin1'), Buffer.from([0x0d])]);
}

export function startThermometer(ctx: SimContext): Promise<RunningServer> {
  const rng = Rng.derive(ctx.seed, 'thermometer');
  const reading = (channel: number) => ctx.lab.freezer.temperatureC() + TM947_CHANNEL_OFFSETS_C[channel - 1] + rng.normal(0, NOISE_C);
  const intervalMs = Math.min(MAX_WORD_WALL_MS, Math.max(MIN_WORD_WALL_MS, wallMs(ctx.clock, WORD_LAB_MS)));
  const wordsPerTick = Number.isFinite(ctx.clock.scale) ? 1 : 4;

  return listen(ctx.host, ctx.ports.thermometer, 'thermometer', (socket) => {
    let channel = rng.int(1, 4);
    // join the stream mid-word
    const first = tm947Frame(channel, reading(channel));
    let pending: Buffer | undefined = first.subarray(rng.int(1, first.length - 1));
    const tick = () => {
      if (socket.destroyed || ctx.faults.has('instrument-timeout', 'thermometer')) return;
      if (pending) {
        socket.write(pending);
        pending = undefined;
      }
      for (let i = 0; i < wordsPerTick; i++) {
        channel = (channel % 4) + 1;
        socket.write(tm947Frame(channel, reading(channel)));
      }
    };
    const timer = setInterval(tick, intervalMs);
    socket.on('close', () => clearInterval(timer));
  });
}
