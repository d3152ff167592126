import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/clock.js';
import type { SimContext } from '../../src/sim/context.js';
import { FaultSet } from '../../src/sim/faults.js';
import { LabState } from '../../src/sim/lab-state.js';
import { simPorts } from '../../src/sim/layout.js';
import { startPeripherals } from '../../src/sim/peripherals/index.js';

/**
 * The simulated peripherals against literal protocol transcripts (as the instruments' manuals
 * write them), through raw sockets: no icefat driver is involved here.
 */
const BASE = 23000;

class RawClient {
  private buf = '';
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => (this.buf += c.toString('latin1')));
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits until the received text satisfies `done`, returns it all and empties the buffer. */
  async until(done: (s: string) => boolean, ms = 2000): Promise<string> {
    const t0 = Date.now();
    while (!done(this.buf)) {
      if (Date.now() - t0 > ms) throw new Error(`timed out; got ${JSON.stringify(this.buf)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const out = this.buf;
    this.buf = '';
    return out;
  }

  async ask(text: string, term: string): Promise<string> {
    this.send(text);
    return this.until((s) => s.endsWith(term));
  }

  /** What arrives within `ms` (for "no answer" checks). */
  async quiet(ms: number): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.buf;
    this.buf = '';
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

function makeCtx(base: number): SimContext & { clock: VirtualClock } {
  const clock = new VirtualClock();
  return { clock, seed: 1, ports: simPorts(base), faults: new FaultSet(), lab: new LabState(clock), host: '127.0.0.1', log: () => {} };
}

describe('simulated peripherals (raw protocol)', () => {
  const ctx = makeCtx(BASE);
  let lab: { close(): Promise<void> };
  beforeAll(async () => {
    lab = await startPeripherals(ctx);
  });
  afterAll(async () => {
    await lab.close();
  });

  it('the function generator speaks SCPI on its socket, in short and long forms', async () => {
    const c = await RawClient.open(ctx.ports.scpi);
    expect(await c.ask('*IDN?\n', '\n')).toMatch(/^TEKTRONIX,AFG3021B,/);
    expect(await c.ask('SOUR1:FREQ 250;:source1:FREQuency?\n', '\n')).toBe('2.500000000E+2\n');
    expect(await c.ask('freq 1.5 kHz;freq?\n', '\n')).toBe('1.500000000E+3\n');
    expect(ctx.lab.fg.frequencyHz).toBe(1500);
    c.send('source1:function:shape PULSe\nsource1:voltage:unit VPP\nsource1:voltage:amplitude 3\n');
    expect(await c.ask('FUNC?;VOLT?;VOLT:UNIT?\n', '\n')).toBe('PULS;3.000000000E+0;VPP\n');
    c.send('source1:BURSt:STATe ON\nsource1:BURSt:NCYCles 5\n');
    expect(await c.ask('BURS:STAT?;BURS:NCYC?\n', '\n')).toBe('1;5.000000000E+0\n');
    expect(ctx.lab.laserFiring).toBe(false);
    expect(await c.ask('output1:state on;OUTPut1?\n', '\n')).toBe('1\n');
    expect(ctx.lab.laserFiring).toBe(true);
    c.send('*RST\n');
    expect(await c.ask('OUTP1:STAT?\n', '\n')).toBe('0\n');
    expect(ctx.lab.laserFiring).toBe(false);
    c.close();
  });

  it('the generator keeps an error queue: undefined headers, out-of-range data, *CLS', async () => {
    const c = await RawClient.open(ctx.ports.scpi);
    c.send('source1:frobnicate 3\nsource1:frequency 1e9\n');
    expect(await c.ask('SYST:ERR?\n', '\n')).toBe('-113,"Undefined header"\n');
    expect(await c.ask('SYSTem:ERRor:NEXT?\n', '\n')).toBe('-222,"Data out of range"\n');
    expect(await c.ask('SYST:ERR?\n', '\n')).toBe('0,"No error"\n');
    c.send('nonsense\n*CLS\n');
    expect(await c.ask('SYST:ERR?\n', '\n')).toBe('0,"No error"\n');
    c.close();
  });

  it('the scpi-error fault rejects the next setting once, with -222 in the queue', async () => {
    const c = await RawClient.open(ctx.ports.scpi);
    ctx.faults.add({ kind: 'scpi-error' });
    c.send('source1:frequency 100\nsource1:frequency 200\n');
    expect(await c.ask('SYST:ERR?\n', '\n')).toBe('-222,"Data out of range"\n');
    expect(await c.ask('SYST:ERR?\n', '\n')).toBe('0,"No error"\n');
    expect(ctx.lab.fg.frequencyHz).toBe(200);
    ctx.faults.remove('scpi-error');
    c.close();
  });

  it('the Prologix adapter forwards to GPIB address 10 and answers on ++read', async () => {
    const c = await RawClient.open(ctx.ports.prologix);
    expect(await c.ask('++ver\r\n', '\n')).toMatch(/^Prologix GPIB-ETHERNET/);
    c.send('++mode 1\n++addr 10\n++auto 0\n++eoi 1\n++eos 2\n*IDN?\n');
    expect(await c.quiet(100)).toBe(''); // auto 0: the answer waits in the generator
    expect(await c.ask('++read eoi\n', '\n')).toMatch(/^TEKTRONIX,AFG3021B/);
    expect(await c.ask('++addr\n', '\n')).toBe('10\n');
    expect(await c.ask('++auto 1\nsource1:frequency?\n', '\n')).toMatch(/E\+/);
    c.send('++auto 0\n++addr 5\n*IDN?\n++read eoi\n');
    expect(await c.quiet(200)).toBe(''); // nobody listens at address 5
    expect(await c.ask('++bogus\n', '\n')).toBe('Unrecognized command\n');
    c.send('++addr 10\n');
    c.close();
  });

  it('the FW102C wheels echo, answer, prompt, and turn', async () => {
    const c = await RawClient.open(ctx.ports.filterWheel(1));
    expect(await c.ask('*idn?\r', '> ')).toMatch(/^\*idn\?\rTHORLABS FW102C.*\r> $/);
    expect(await c.ask('pos?\r', '> ')).toBe('pos?\r1\r> ');
    expect(await c.ask('pcount?\r', '> ')).toBe('pcount?\r6\r> ');
    expect(await c.ask('pos=3\r', '> ')).toBe('pos=3\r> ');
    expect(ctx.lab.filterWheels[1].position).toBe(3);
    expect(ctx.lab.filterTransmission()).toBeCloseTo(0.32);
    expect(await c.ask('pos?\r', '> ')).toBe('pos?\r3\r> ');
    expect(await c.ask('pos=7\r', '> ')).toBe('pos=7\rCommand error CMD_ARG_INVALID\r> ');
    expect(await c.ask('wobble?\r', '> ')).toBe('wobble?\rCommand error CMD_NOT_DEFINED\r> ');
    expect(await c.ask('pos=1\r', '> ')).toBe('pos=1\r> ');
    c.close();
  });

  it('the TM-947SD streams well-formed 16-byte data words for all four channels', async () => {
    const c = await RawClient.open(ctx.ports.thermometer);
    const text = await c.until((s) => s.split('\x02').length > 10);
    // eslint-disable-next-line no-control-regex -- the data word is framed by STX (0x02) and CR
    const words = [...text.matchAll(/\x024([1-4])01([01])1(\d{8})\r/g)];
    expect(words.length).toBeGreaterThanOrEqual(8);
    const channels = new Set(words.map((w) => w[1]));
    expect([...channels].sort()).toEqual(['1', '2', '3', '4']);
    for (const w of words) {
      const c0 = (w[2] === '1' ? -1 : 1) * (Number(w[3]) / 10);
      expect(c0).toBeGreaterThan(15);
      expect(c0).toBeLessThan(30);
    }
    c.close();
  });

  it('the humidity probes and the freezer controller answer their ASCII protocols', async () => {
    const h = await RawClient.open(ctx.ports.humidity(0));
    expect(await h.ask('*IDN?\r\n', '\r\n')).toMatch(/^SIMLAB,RHT-100,H1/);
    expect(await h.ask('READ?\r\n', '\r\n')).toMatch(/^RH=\d+\.\d T=-?\d+\.\d\r\n$/);
    expect(await h.ask('WHAT\r\n', '\r\n')).toMatch(/^ERR unknown command/);
    h.close();
    const f = await RawClient.open(ctx.ports.freezer);
    expect(await f.ask('SP?\r\n', '\r\n')).toBe('SP 21.0\r\n');
    expect(await f.ask('SP -40\r\n', '\r\n')).toBe('OK\r\n');
    expect(await f.ask('sp?\r\n', '\r\n')).toBe('SP -40.0\r\n');
    expect(await f.ask('SP -60\r\n', '\r\n')).toBe('ERR set point -60.0 C outside -50.0..+30.0 C\r\n');
    expect(await f.ask('STATE?\r\n', '\r\n')).toBe('COOLING\r\n');
    await ctx.clock.advance(24 * 3600_000);
    expect(await f.ask('PV?\r\n', '\r\n')).toBe('PV -40.0\r\n');
    f.close();
  });

  it('an instrument-timeout fault silences only its target', async () => {
    ctx.faults.add({ kind: 'instrument-timeout', target: 'fw0' });
    const w0 = await RawClient.open(ctx.ports.filterWheel(0));
    const w1 = await RawClient.open(ctx.ports.filterWheel(1));
    w0.send('pos?\r');
    expect(await w1.ask('pos?\r', '> ')).toBe('pos?\r1\r> ');
    expect(await w0.quiet(150)).toBe('');
    ctx.faults.remove('instrument-timeout');
    expect(await w0.ask('pos?\r', '> ')).toBe('pos?\r1\r> ');
    w0.close();
    w1.close();
  });
});

describe('starting and stopping the peripherals', () => {
  it('close() frees every port', async () => {
    const ctx = makeCtx(BASE + 100);
    const p = ctx.ports;
    const ports = [p.scpi, p.prologix, p.filterWheel(0), p.filterWheel(1), p.thermometer, p.humidity(0), p.humidity(1), p.freezer];
    const lab = await startPeripherals(ctx);
    const client = await RawClient.open(p.thermometer); // an open connection must not keep the port
    await lab.close();
    client.close();
    for (const port of ports) {
      await new Promise<void>((resolve, reject) => {
        const s = net.createServer().once('error', reject);
        s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
      });
    }
  });

  it('a port already in use gives a clear error and leaves nothing running', async () => {
    const ctx = makeCtx(BASE + 150);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(ctx.ports.thermometer, '127.0.0.1', () => r()));
    await expect(startPeripherals(ctx)).rejects.toThrow(
      `simulated thermometer cannot listen on 127.0.0.1:${ctx.ports.thermometer}: the port is in use`,
    );
    await new Promise<void>((r) => blocker.close(() => r()));
    const again = await startPeripherals(ctx); // nothing from the failed start holds a port
    await again.close();
  });
});
