import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../src/clock/clock.js';
import type { SimContext } from '../../src/sim/context.js';
import { FaultSet } from '../../src/sim/faults.js';
import { LabState } from '../../src/sim/lab-state.js';
import { simPorts } from '../../src/sim/layout.js';
import { buildLabTruth, darkRateHz, type LabTruth } from '../../src/sim/physics.js';
import { MainboardSim, startDevicePort } from '../../src/sim/iceboot/mainboard.js';

/**
 * The simulated mainboard seen from the wire, through a minimal console client written here
 * (not the project's driver), so the test checks the protocol and not our own client code.
 */

const BASE = 21000;
const PROMPT = Buffer.from('\r\n> ');
const SCALE = 1000; // lab seconds per wall second

class Console {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static open(port: number): Promise<Console> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Console(s)));
      s.once('error', reject);
    });
  }

  /** sends one line and returns every byte up to and including the trailing prompt */
  async raw(line: string, minBytes = 0, timeoutMs = 3000): Promise<Buffer> {
    this.buf = Buffer.alloc(0);
    this.socket.write(line + '\r\n');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= minBytes && this.buf.length >= 4 && this.buf.subarray(-4).equals(PROMPT)) {
        const out = this.buf;
        this.buf = Buffer.alloc(0);
        return out;
      }
      if (this.closed) throw new Error(`connection closed waiting for \`${line}\``);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no prompt after \`${line}\`: got ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** echo-on command: the output between the echoed line and the prompt */
  async cmd(line: string, timeoutMs?: number): Promise<string> {
    const r = await this.raw(line, 0, timeoutMs);
    const echo = Buffer.from(line + '\r\n');
    expect(r.subarray(0, echo.length).equals(echo)).toBe(true);
    return r.subarray(echo.length, r.length - 4).toString('latin1');
  }

  /** binary reply of exactly n payload bytes after the echo */
  async payload(line: string, n: number, timeoutMs?: number): Promise<Buffer> {
    const echoLen = line.length + 2;
    const r = await this.raw(line, echoLen + n + 4, timeoutMs);
    expect(r.length).toBe(echoLen + n + 4);
    return r.subarray(echoLen, echoLen + n);
  }

  /** sends a line and collects whatever arrives within `ms` */
  async quiet(line: string, ms: number): Promise<Buffer> {
    this.buf = Buffer.alloc(0);
    this.socket.write(line + '\r\n');
    await new Promise((r) => setTimeout(r, ms));
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

const strip = (s: string) => Number(s.trim().split(/\s+/)[1]);
const sleepWall = (ms: number) => new Promise((r) => setTimeout(r, ms));

let ctx: SimContext;
let truth: LabTruth;
const boards: MainboardSim[] = [];
const closers: Array<() => Promise<void>> = [];

async function board(i: number | 'tabletop'): Promise<MainboardSim> {
  const t = i === 'tabletop' ? truth.tabletop : truth.modules[i];
  const mb = new MainboardSim(ctx, t, { tabletop: i === 'tabletop' });
  const dp = await startDevicePort(ctx, t.port, mb);
  boards.push(mb);
  closers.push(() => dp.close());
  return mb;
}

/** the §2.4 session open; returns a console with echo on */
async function openSession(port: number): Promise<Console> {
  const c = await Console.open(port);
  await c.raw('boot');
  await c.raw('true setecho');
  await c.cmd('disableLogOutput');
  await c.cmd('sdrop');
  return c;
}

beforeAll(async () => {
  const clock = new ScaledClock(SCALE);
  const ports = simPorts(BASE);
  ctx = { clock, seed: 1234, ports, faults: new FaultSet(), lab: new LabState(clock), host: '127.0.0.1', log: () => undefined };
  truth = buildLabTruth(ctx.seed, ports);
  await board(0);
  await board(1);
  await board(2);
  await board('tabletop');
});

afterAll(async () => {
  for (const c of closers) await c();
  for (const b of boards) b.detachAll();
});

describe('iceboot console framing and session', () => {
  it('answers the session-open sequence like a D-Egg', async () => {
    const c = await Console.open(BASE);
    // echo is off after power-up: `boot` and `true setecho` come back as bare prompts
    expect((await c.raw('boot')).equals(PROMPT)).toBe(true);
    expect((await c.raw('true setecho')).equals(PROMPT)).toBe(true);
    expect(['0', '1']).toContain(await c.cmd('disableLogOutput'));
    expect((await c.raw('sdrop')).toString('latin1')).toBe('sdrop\r\n\r\n> ');
    expect(await c.cmd('getBoardType .s drop')).toBe('<1> 113 ');
    expect(await c.cmd('softwareVersion .s drop')).toBe('<1> 62 ');
    expect((await c.cmd('printSoftwareId')).length).toBeGreaterThan(0);
    expect(await c.cmd('fpgaVersion .s drop')).toBe('<1> 272 ');
    expect(await c.cmd('icmID')).toBe(truth.modules[0].icmId);
    expect(await c.cmd('flashID')).toHaveLength(32);
    await c.cmd('printLogOutput');
    expect(await c.cmd('enableLogOutput')).toBe('0');
    c.close();
  });

  it('keeps the stack across lines, reports unknown words and underflow', async () => {
    const c = await openSession(BASE);
    expect(await c.cmd('fpgaVersion')).toBe('');
    expect(await c.cmd('.s')).toBe('<1> 272 ');
    expect(await c.cmd('sdrop')).toBe('');
    expect(await c.cmd('5 7 setDEggTriggerConditionz')).toBe('setDEggTriggerConditionz: unknown word');
    expect(await c.cmd('.s')).toBe('<2> 5 7 ');
    await c.cmd('sdrop');
    const under = await c.cmd('.s drop');
    expect(under.startsWith('<0> ')).toBe(true);
    expect(under).toMatch(/underflow/);
    expect(await c.cmd('.s')).toBe('<0> ');
    const clk = (await c.cmd('domClock .s drop drop')).trim().split(/\s+/);
    expect(clk[0]).toBe('<2>');
    expect(Number.isInteger(Number(clk[1]))).toBe(true);
    c.close();
  });

  it('ramps the HV in lab time and reads it back on the slow ADC', async () => {
    const c = await openSession(BASE);
    expect(await c.cmd('readHVInterlock .s drop')).toBe('<1> 1 ');
    await c.cmd('0 enableHV');
    expect(await c.cmd('0 DEggHVEnabled .s drop')).toBe('<1> 1 ');
    await c.cmd('0 1500 setDEggHV');
    const early = Number((await c.cmd('8 sloAdcReadChannel')).split(/\s+/)[3]);
    expect(early).toBeLessThan(1400);
    await sleepWall(40_000 / SCALE); // 40 s of lab time
    const line = await c.cmd('8 sloAdcReadChannel');
    expect(line).toMatch(/^channel {2}8 SLO_HVS0_VMON +[\d.]+ V$/);
    expect(Number(line.split(/\s+/)[3])).toBeGreaterThan(1495);
    expect(Number(line.split(/\s+/)[3])).toBeLessThan(1505);
    const all = (await c.cmd('sloAdcReadAll')).split('\r\n');
    expect(all).toHaveLength(16);
    expect(all[3]).toMatch(/^channel {2}3 LVS_SLO_IMON_2V5 +\d+ mA$/);
    const tempC = Number(all[7].split(/\s+/)[3]);
    expect(tempC).toBeGreaterThan(15);
    expect(tempC).toBeLessThan(35);
    const p = Number((await c.cmd('getPressure printPressure')).split(/\s+/)[0]);
    expect(p).toBeGreaterThan(300);
    expect(p).toBeLessThan(600);
    await c.cmd('0 0 setDEggHV');
    await c.cmd('0 disableHV');
    c.close();
  });
});

/** waits for the HV of `ch` to reach the truth's 1e7-gain voltage */
async function hvAtGain1e7(c: Console, mb: MainboardSim, ch: 0 | 1): Promise<number> {
  const hv = Math.round(mb.truth.pmts[ch].hv1e7Volts);
  await c.cmd(`${ch} enableHV`);
  await c.cmd(`${ch} ${hv} setDEggHV`);
  await sleepWall(40_000 / SCALE);
  return hv;
}

describe('data taking', () => {
  it('fills a waveform block with exactly n bytes of v0x82 records around the baseline', async () => {
    const mb = boards[1];
    const c = await openSession(BASE + 1);
    await hvAtGain1e7(c, mb, 0);
    await c.cmd('65 30000 setDAC');
    await c.cmd('0 1 128 setDEggConstReadout');
    const baseline = mb.truth.pmts[0].baselineAtDac30000Adc;
    await c.cmd(`0 ${Math.round(baseline) + 25} 0 startDEggWfmStream`);
    const data = await c.payload('66000 readDEggWfmBlock', 66000, 10_000);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let off = 0;
    let n = 0;
    const baselines: number[] = [];
    let lastTs = -1;
    while (off + 5 <= data.length) {
      const words = dv.getUint32(off, true);
      if (words === 0) break;
      const w = (i: number) => dv.getUint16(off + 4 + 2 * i, true);
      expect(w(0) >> 8).toBe(0x82);
      expect(w(0) & 0xff).toBe(0);
      expect(w(1)).toBe(128);
      expect(words).toBe(17 + 128 + 2);
      const ts = ((w(2) >> 6) & 3) + w(5) * 4 + w(4) * 2 ** 18 + w(3) * 2 ** 34;
      expect(ts).toBeGreaterThan(lastTs);
      lastTs = ts;
      const adc = Array.from({ length: 128 }, (_, i) => w(17 + i) >> 2);
      baselines.push(adc.slice(0, 10).reduce((a, b) => a + b, 0) / 10);
      // the triggering pulse peaks near sample 16 (a later pulse in the window may be larger)
      const near = adc.slice(12, 21);
      expect(Math.max(...near)).toBeGreaterThan(Math.round(baseline) + 25);
      expect(Math.abs(12 + near.indexOf(Math.max(...near)) - 16)).toBeLessThanOrEqual(2);
      off += 4 + 2 * words;
      n++;
    }
    expect(n).toBe(221);
    expect(data.subarray(off).every((b) => b === 0)).toBe(true);
    baselines.sort((a, b) => a - b);
    const median = baselines[baselines.length >> 1];
    expect(median).toBeGreaterThan(baseline - 3);
    expect(median).toBeLessThan(baseline + 3);
    expect(Math.abs(median - 8027)).toBeLessThan(25);
    c.close();
  });

  it('returns charge blocks of exactly the asked length with SPE charges near 1.6 pC', async () => {
    const mb = boards[1];
    const c = await openSession(BASE + 1);
    await hvAtGain1e7(c, mb, 0);
    const baseline = Math.round(mb.truth.pmts[0].baselineAtDac30000Adc);
    await c.cmd(`0 ${baseline + 12} 0 startDEggWfmStream`);
    const data = await c.payload('5600 10 15 readDEggChargeBlock', 5600, 10_000);
    const charges: number[] = [];
    for (let o = 0; o < data.length; o += 14) {
      expect(data[o] & 0x10).toBe(0x10);
      expect(data[o + 1] & 0x03).toBe(0);
      charges.push(data.readFloatLE(o + 10) * 1e12);
    }
    expect(charges).toHaveLength(400);
    charges.sort((a, b) => a - b);
    const median = charges[200];
    expect(median).toBeGreaterThan(1.2);
    expect(median).toBeLessThan(1.9);
    c.close();
  });

  it('counts scalers at the truth dark rate for the PMT temperature', async () => {
    const mb = boards[2];
    const c = await openSession(BASE + 2);
    await hvAtGain1e7(c, mb, 1);
    await c.cmd('66 30000 setDAC');
    const pmt = mb.truth.pmts[1];
    const thr = Math.round(pmt.baselineAtDac30000Adc) + 12; // 0.25 PE
    await c.cmd(`1 ${thr} setDEggADCTriggerThreshold`);
    await c.cmd('1 enableDEggADCTrigger');
    await c.cmd('1 100000 24 enableScalers');
    await sleepWall(300); // 300 s of lab time
    const rates: number[] = [];
    for (let i = 0; i < 20; i++) {
      const count = strip(await c.cmd('1 getScalerCount .s drop'));
      rates.push(count / (0.1 - count * 100e-9));
      await sleepWall(1);
    }
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    const expected = darkRateHz(pmt, ctx.lab.freezer.temperatureC());
    expect(mean / expected).toBeGreaterThan(0.9);
    expect(mean / expected).toBeLessThan(1.1);
    c.close();
  });

  it('serves a baseline waveform through the stateful readDEggWfmStream', async () => {
    const c = await openSession(BASE + 2);
    await c.cmd('0 1 1024 setDEggConstReadout');
    await c.cmd('0 10 1 startDEggWfmStream');
    const head = await c.payload('readDEggWfmStream', 4);
    const words = head.readUInt32LE(0);
    expect(words).toBe(17 + 1024 + 2);
    const parts: Buffer[] = [];
    let left = words;
    while (left > 0) {
      const k = Math.min(left, 2048);
      parts.push(await c.payload('readDEggWfmStream', 2 * k));
      left -= k;
    }
    const wf = Buffer.concat(parts);
    expect(wf.readUInt16LE(0)).toBe(0x8200);
    expect(wf.readUInt16LE(2)).toBe(1024);
    c.close();
  });
});

describe('tabletop laser sync', () => {
  async function laserIntervals(c: Console): Promise<number[]> {
    const data = await c.payload('14000 10 15 readDEggChargeBlock', 14000, 10_000);
    const ts: number[] = [];
    for (let o = 0; o < data.length; o += 14) {
      if ((data[o + 1] & 3) !== 0) continue;
      ts.push(data.readUInt32LE(o + 4) + data.readUInt16LE(o + 8) * 2 ** 32 + ((data[o] >> 6) & 3) * 2 ** 48);
    }
    return ts.slice(1).map((t, i) => (t - ts[i]) / 240e6);
  }
  const passing = (dts: number[], hz: number) => dts.filter((d) => Math.abs(d * hz - 1) < 0.01).length;

  it('sees one sync per laser shot, and a late lock only on the first block', async () => {
    ctx.lab.fg.frequencyHz = 100;
    ctx.lab.setGeneratorOutput(true);
    const c = await openSession(ctx.ports.tabletop);
    await c.cmd('65 30000 setDAC');
    await c.cmd('66 30000 setDAC');
    await c.cmd('8900 14000 3 startDEggWfmStream');
    expect(passing(await laserIntervals(c), 100)).toBeGreaterThanOrEqual(999);

    ctx.faults.add({ kind: 'laser-sync-late', target: String(ctx.ports.tabletop) });
    ctx.lab.setGeneratorOutput(false);
    ctx.lab.setGeneratorOutput(true);
    expect(passing(await laserIntervals(c), 100)).toBeLessThan(999);
    expect(passing(await laserIntervals(c), 100)).toBeGreaterThanOrEqual(999);
    ctx.faults.remove('laser-sync-late');

    ctx.faults.add({ kind: 'no-laser-sync', target: String(ctx.ports.tabletop) });
    const got = await c.quiet('14000 10 15 readDEggChargeBlock', 300); // 300 s of lab time
    // the whole reply (echo included) goes out in one write, so a block that never fills sends nothing
    expect(got.length).toBe(0);
    ctx.faults.remove('no-laser-sync');
    ctx.lab.setGeneratorOutput(false);
    c.close();
  });
});

describe('reboot and faults', () => {
  it('reboots into the bootloader and needs a flash configure for the FPGA', async () => {
    const c = await openSession(BASE + 2);
    const r = await c.quiet('reboot', 100);
    expect(r.includes(PROMPT)).toBe(false);
    expect((await c.quiet('fpgaVersion .s drop', 100)).length).toBe(0);
    // echo survives the reboot
    expect((await c.raw('boot')).toString('latin1')).toBe('boot\r\n\r\n> ');
    expect(await c.cmd('fpgaVersion .s drop')).toBe('<1> 65535 ');
    expect(await c.cmd('7 sloAdcReadChannel')).toBe('sloAdcReadChannel: FAIL');
    expect(await c.cmd('sloAdcReadAll')).toBe('sloAdcReadChannel: FAIL');
    expect(await c.cmd('0 DEggHVEnabled .s drop')).toBe('<1> 0 ');
    const ls = (await c.cmd('flashLS')).split('\r\n');
    const header = ls[0].trim().split(/\s+/);
    expect(header).toContain('Name');
    const rows = ls
      .slice(2)
      .map((l) => l.trim().split(/\s+/))
      .filter((t) => t.length === header.length);
    const newest = rows[rows.length - 1][header.indexOf('Name')];
    expect(newest).toBe('degg_fw_v0x110.rbf');
    await c.cmd(`s" ${newest}" flashConfigureFPGA`, 5000);
    expect(await c.cmd('fpgaVersion .s drop')).toBe('<1> 272 ');
    // the sample clock restarted at boot; data flows again at once
    await c.cmd('0 1 128 setDEggConstReadout');
    await c.cmd('0 10 1 startDEggWfmStream');
    expect((await c.payload('readDEggWfmStream', 4, 1000)).readUInt32LE(0)).toBe(147);
    c.close();
  });

  it('fpga-unconfigured: 65535 until the FPGA is configured from flash', async () => {
    ctx.faults.add({ kind: 'fpga-unconfigured', target: String(BASE) });
    const c = await openSession(BASE);
    expect(await c.cmd('fpgaVersion .s drop')).toBe('<1> 65535 ');
    expect(await c.cmd('printFPGAChipID')).toBe('0xffffffffffffffff');
    await c.cmd('s" degg_fw_v0x110.rbf" flashConfigureCycloneFPGA', 5000);
    expect(await c.cmd('fpgaVersion .s drop')).toBe('<1> 272 ');
    ctx.faults.remove('fpga-unconfigured');
    c.close();
  });

  it('dead-module accepts the connection and never answers', async () => {
    ctx.faults.add({ kind: 'dead-module', target: String(BASE + 2) });
    const c = await Console.open(BASE + 2);
    expect((await c.quiet('.s', 300)).length).toBe(0);
    expect(c.closed).toBe(false);
    ctx.faults.remove('dead-module');
    c.close();
  });

  it('hang-module stops answering after a few commands; garbage-module corrupts replies', async () => {
    ctx.faults.add({ kind: 'garbage-module', target: String(BASE) });
    const g = await Console.open(BASE);
    const r = await g.raw('.s');
    expect(r.subarray(-4).equals(PROMPT)).toBe(true);
    expect(r.toString('latin1').startsWith('.s')).toBe(false);
    ctx.faults.remove('garbage-module');
    g.close();

    boards[0].powerOff();
    boards[0].powerOn();
    ctx.faults.add({ kind: 'hang-module', target: String(BASE) });
    const c = await Console.open(BASE);
    await c.raw('boot');
    let answered = 1;
    for (let i = 0; i < 8; i++) if ((await c.quiet('.s', 50)).length > 0) answered++;
    expect(answered).toBeGreaterThanOrEqual(3);
    expect(answered).toBeLessThan(9);
    ctx.faults.remove('hang-module');
    c.close();
  });

  it('drop-module drops the connection after a few commands; slow-module takes about 1.5 s per reply', async () => {
    ctx.faults.add({ kind: 'drop-module', target: String(BASE + 2) });
    const c = await Console.open(BASE + 2);
    for (let i = 0; i < 8 && !c.closed; i++) await c.quiet('.s', 30);
    expect(c.closed).toBe(true);
    ctx.faults.remove('drop-module');

    ctx.faults.add({ kind: 'slow-module', target: String(BASE + 2) });
    const s = await Console.open(BASE + 2);
    const t0 = Date.now();
    await s.raw('.s');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    ctx.faults.remove('slow-module');
    s.close();
  });

  it('a restart cuts short the line the board is working on, and the same client goes on after boot', async () => {
    const mb = boards[1];
    const c = await Console.open(BASE + 1);
    await c.raw('1 setecho');
    const before = mb.rxLines;
    const long = c.raw('2000000000 usleep', 0, 10_000); // 2000 s of lab time, 2 s here
    long.catch(() => undefined);
    while (mb.rxLines === before) await sleepWall(5);
    mb.reboot();
    // the wait never answers (it would, after 2 s, ahead of boot's prompt): the next prompt is
    // boot's (echo survives the reboot)
    expect((await c.raw('boot')).toString('latin1')).toBe('boot\r\n\r\n> ');
    expect(await c.cmd('7 .s drop')).toBe('<1> 7 ');
    c.close();
  });

  it('a new client replaces the previous one on the device port', async () => {
    const a = await Console.open(BASE + 1);
    const b = await Console.open(BASE + 1);
    await sleepWall(50);
    expect(a.closed).toBe(true);
    expect((await b.raw('.s')).subarray(-4).equals(PROMPT)).toBe(true);
    b.close();
  });
});
