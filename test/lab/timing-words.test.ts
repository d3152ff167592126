import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseRapcal, rapcalPair } from '../../src/analysis/rapcal.js';
import { ScaledClock } from '../../src/clock/clock.js';
import {
  calibrateChannelTiming,
  fpgaDump,
  fpgaRead,
  hitBufferEmpty,
  hitBufferOverflown,
  memtest,
  readDirectWaveform,
  startHitBufferStream,
  stopHitBuffer,
  testCpuTrigger,
} from '../../src/lab/iceboot/diagnostics.js';
import { IcebootError } from '../../src/lab/iceboot/errors.js';
import { readRapcalPacket } from '../../src/lab/iceboot/rapcal-packet.js';
import { IcebootSession } from '../../src/lab/iceboot/session.js';
import { IcmClient, IcmError } from '../../src/lab/icm-client.js';
import type { SimContext } from '../../src/sim/context.js';
import { WirePair } from '../../src/sim/domnet/wire-pair.js';
import { FaultSet } from '../../src/sim/faults.js';
import { MainboardSim } from '../../src/sim/iceboot/mainboard.js';
import { LabState } from '../../src/sim/lab-state.js';
import { simPorts } from '../../src/sim/layout.js';
import { baselineAdc, buildLabTruth, type ModuleTruth } from '../../src/sim/physics.js';
import { TEST_PORTS } from '../helpers/ports.js';

/**
 * The iceboot words and ICM registers that FAT-related scripts may call besides the FAT's own,
 * through the real drivers (src/lab) against one simulated wire pair: replies in the form the
 * public client parses them (degg_scan STM32Tools devices/degg.py and xdom.py for the words,
 * fh_server fh_status.py for PSTAT, rapcal.py for the RapCal packet).
 */
const HOST = '127.0.0.1';

/** polls `check` (which talks to the module) until it holds */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('test words, RapCal and PSTAT through the drivers', () => {
  let wp: WirePair;
  let truth: ModuleTruth[];
  let s: IcebootSession;
  let icm: IcmClient;

  beforeAll(async () => {
    const clock = new ScaledClock(1000);
    const ports = simPorts(TEST_PORTS.timingWords);
    const ctx: SimContext = { clock, seed: 5, ports, faults: new FaultSet(), lab: new LabState(clock), host: HOST, log: () => undefined };
    truth = buildLabTruth(5, ports).modules.filter((m) => m.wirePair === 0);
    wp = new WirePair(
      ctx,
      0,
      truth.map((t) => ({ truth: t, mb: new MainboardSim(ctx, t) })),
    );
    await wp.hold('test');
    s = await IcebootSession.open(HOST, ports.mainboard(0, 0));
    icm = new IcmClient(HOST, ports.icm(0), { timeoutMs: 3000 });
  });
  afterAll(async () => {
    icm?.close();
    await s?.close();
    await wp?.shutdown();
  });

  /** waits until the module's clock (domClock, 60 MHz) has run `seconds` of lab time */
  const labSeconds = async (seconds: number) => {
    const from = await s.domClock();
    await until(`${seconds} s of lab time`, async () => (await s.domClock()) - from >= seconds * 60e6);
  };

  it('memtest passes both DDR3 lanes, and fails them without an FPGA configuration', async () => {
    expect(await memtest(s, 1024)).toBe(true);
    await s.exec('unconfigureFPGA');
    expect(await memtest(s, 1024)).toBe(false);
    await s.flashConfigureFPGA();
    expect(await memtest(s)).toBe(true);
  });

  it('a CPU trigger fills the direct buffer: printFPGA and dumpFPGA read the same words, 4096 samples come in three pages', async () => {
    await s.setConstReadout(1, 4096);
    await testCpuTrigger(s, 1);
    // register 0xDFE: a full first page ready; the first words are the 0x82 header of channel 1
    expect(await fpgaRead(s, 0xdfe, 1)).toEqual([2048]);
    const printed = await fpgaRead(s, 0, 20);
    expect(Array.from(await fpgaDump(s, 0, 20))).toEqual(printed);
    expect(printed[0]).toBe(0x8201);
    expect(printed[1]).toBe(4096);

    const w = await readDirectWaveform(s);
    expect(w?.count).toBe(1);
    expect(w!.channel[0]).toBe(1);
    expect(w!.sampleCount[0]).toBe(4096);
    // a forced window at a random moment is the baseline at DAC 30000 and its noise
    const pmt = truth[0].pmts[1];
    const mean = w!.adc.reduce((a, b) => a + b, 0) / 4096;
    const sd = Math.sqrt(w!.adc.reduce((a, b) => a + (b - mean) ** 2, 0) / 4095);
    expect(Math.abs(mean - baselineAdc(pmt, 30000))).toBeLessThan(1);
    expect(Math.abs(sd / pmt.baselineNoiseAdc - 1)).toBeLessThan(0.15);
    // every page released: nothing left to read
    expect(await fpgaRead(s, 0xdfe, 1)).toEqual([0]);
    expect(await readDirectWaveform(s)).toBeNull();
  });

  it('the hit buffer stays empty above the pulses, fills with dark pulses, overflows with noise triggers, and stops', async () => {
    const pmt = truth[0].pmts[0];
    const base = baselineAdc(pmt, 30000);
    await s.enableHV(0);
    await s.setHV(0, Math.round(pmt.hv1e7Volts));
    const arm = async (overBaseline: number, samples: number) => {
      await s.setConstReadout(0, samples);
      await s.setAdcTriggerThreshold(0, Math.round(base + overBaseline));
      await s.enableAdcTrigger(0);
      await startHitBufferStream(s, 'adc', 0);
    };
    // 8000 ADC is some 170 photoelectrons: nothing in two seconds
    await arm(8000, 128);
    await labSeconds(2);
    expect(await hitBufferEmpty(s)).toBe(true);
    expect(await hitBufferOverflown(s)).toBe(false);
    // half a photoelectron: the dark pulses fill it, well below its 128 MiB
    await arm(25, 128);
    await until('a dark pulse in the hit buffer', async () => !(await hitBufferEmpty(s)));
    expect(await hitBufferOverflown(s)).toBe(false);
    // 3.5 sigma of the baseline noise with 4096-sample records: over 10 kHz of 8 kB records
    await arm(8, 4096);
    await until('the hit buffer to overflow', () => hitBufferOverflown(s), 20_000);
    await stopHitBuffer(s);
    expect(await hitBufferEmpty(s)).toBe(false);
    expect(await hitBufferOverflown(s)).toBe(true);
  }, 30_000);

  it('calibrateDEggCh0Timing and Ch1 answer JSON, and fail without an FPGA configuration', async () => {
    const c0 = await calibrateChannelTiming(s, 0);
    expect(c0).toMatchObject({ channel: 0, isValid: true });
    const { tapLow, tap, tapHigh } = c0 as { tapLow: number; tap: number; tapHigh: number };
    expect(tapLow).toBeLessThan(tap);
    expect(tap).toBeLessThan(tapHigh);
    expect(tapHigh).toBeLessThanOrEqual(31);
    expect(await calibrateChannelTiming(s, 0)).toEqual(c0);
    expect((await calibrateChannelTiming(s, 1)).channel).toBe(1);
    await s.exec('unconfigureFPGA');
    await expect(calibrateChannelTiming(s, 0)).rejects.toSatisfy((e: unknown) => e instanceof IcebootError && e.kind === 'failed');
    await s.flashConfigureFPGA();
  });

  it("RapCal: two packets through the device port give the wire pair's cable delay and the ICM's clock drift", async () => {
    const m = truth[2];
    const s2 = await IcebootSession.open(HOST, m.port);
    try {
      const exchange = async () => {
        await icm.rapcal(2);
        return analyseRapcal(await readRapcalPacket(s2));
      };
      const first = await exchange();
      await labSeconds(1);
      const pair = rapcalPair(first, await exchange());
      for (const d of pair.cableDelaysS) expect(Math.abs(d * 1e9 - m.icmClock.cableDelayNs)).toBeLessThan(0.5);
      expect(Math.abs((1 / (1 + pair.epsilon) - 1) * 1e6 - m.icmClock.driftPpm)).toBeLessThan(1e-3);
      // the session goes on as before: the packet did not get in the way of the console
      expect(await s2.fpgaVersion()).toBe(272);
    } finally {
      await s2.close();
    }
  });

  it('PSTAT of the field hub follows the wire-pair power; the in-ice ICMs have none', async () => {
    expect(await icm.pstat()).toBe(0x0001);
    await icm.wpOff();
    expect(await icm.pstat()).toBe(0x0000);
    await icm.wpOn();
    expect(await icm.pstat()).toBe(0x0001);
    await expect(icm.readRegister(1, 'pstat')).rejects.toSatisfy((e: unknown) => e instanceof IcmError && e.status === '?BAD_REGISTER');
  });
});
