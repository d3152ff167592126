import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStandinDomnet } from '../../src/sim/domnet/standin.js';
import { startSimLab, type SimLab } from '../../src/sim/lab.js';
import { IcmClient, icebootSession, listening, waitFor } from './domnet-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('ICM command port (wire pairs opened by the lab)', () => {
  let lab: SimLab;
  let icm: IcmClient;
  beforeAll(async () => {
    lab = await startSimLab({ basePort: 21400, domnet: 'auto' });
    icm = new IcmClient(lab.ports.icm(1));
  });
  afterAll(async () => {
    icm.close();
    await lab.close();
  });

  it('lists the four in-ice ICMs and the field hub ICM', async () => {
    expect(await icm.send({ command: 'devlist' })).toEqual({ status: 'OK', value: [0, 1, 2, 3, 8] });
    expect((await icm.send({ command: 'version' })).status).toBe('OK');
  });

  it('reads the ICM ID of each module as 0x and 16 hex digits, matching the truth', async () => {
    const m = lab.truth.modules.find((x) => x.wirePair === 1 && x.address === 2)!;
    const r = await icm.send({ command: 'read', device: '2', register: 'icm_id' });
    expect(r.status).toBe('OK');
    expect(r.value).toMatch(/^0x[0-9a-f]{16}$/);
    expect(String(r.value).slice(2)).toBe(m.icmId.replace(/^0x/i, '').toLowerCase().padStart(16, '0'));
    expect(await icm.send({ command: 'read', device: '2', register: 'mb_pwr' })).toEqual({ status: 'OK', value: '0x454e' });
    expect((await icm.send({ command: 'read', device: '2', register: '0xFF' })).value).toMatch(/^0x[0-9a-f]{4}$/);
  });

  it('answers unknown commands, absent devices and text-form requests', async () => {
    expect(await icm.send({ command: 'make_coffee' })).toEqual({ status: '?UNKNOWN_COMMAND' });
    expect(await icm.send({ command: 'mb_on', device: '5' })).toEqual({ status: '?NOCONN' });
    expect(await icm.send('read 0 wp_addr')).toEqual({ status: 'OK', value: '0x0000' });
  });

  it('pmt_hv_enable sets the HV interlock that iceboot reports', async () => {
    const port = lab.ports.mainboard(1, 0);
    const c = await icebootSession(port);
    try {
      expect((await icm.send({ command: 'pmt_hv_disable', device: '0' })).status).toBe('OK');
      expect(await c.cmd('readHVInterlock .s drop')).toBe('<1> 0 ');
      expect((await icm.send({ command: 'pmt_hv_enable', device: '0' })).status).toBe('OK');
      expect(await c.cmd('readHVInterlock .s drop')).toBe('<1> 1 ');
      expect(await icm.send({ command: 'read', device: '0', register: 'ctrl2' })).toMatchObject({ status: 'OK' });
      expect(Number((await icm.send({ command: 'read', device: '0', register: 'ctrl2' })).value) & 0x0008).toBe(0x0008);
    } finally {
      c.close();
    }
  });

  it('mb_off silences the mainboard; mb_on brings it back in the bootloader', async () => {
    const port = lab.ports.mainboard(1, 1);
    let c = await icebootSession(port);
    try {
      expect(await c.cmd('getBoardType .s drop')).toBe('<1> 113 ');
      expect((await icm.send({ command: 'mb_off', device: '1' })).status).toBe('OK');
      expect(await icm.send({ command: 'read', device: '1', register: 'mb_pwr' })).toEqual({ status: 'OK', value: '0x6469' });
      expect(await c.cmd('.s', 800)).toBeUndefined();
      expect((await icm.send({ command: 'mb_on', device: '1' })).status).toBe('OK');
      if (c.closed) {
        c.close();
        c = await icebootSession(port);
      } else {
        if ((await c.cmd('boot', 3000)) === undefined) await c.cmd('boot', 3000);
        await c.cmd('true setecho');
        await c.cmd('sdrop');
      }
      expect(await c.cmd('fpgaVersion .s drop')).toBe('<1> 65535 ');
    } finally {
      c.close();
    }
  });

  it('a dead module times out at the ICM; disconnect closes the device connection', async () => {
    lab.ctx.faults.add({ kind: 'dead-module', target: String(lab.ports.mainboard(1, 3)) });
    try {
      expect(await icm.send({ command: 'pmt_hv_enable', device: '3' })).toEqual({ status: '?TIMEOUT' });
    } finally {
      lab.ctx.faults.remove('dead-module');
    }
    const c = await icebootSession(lab.ports.mainboard(1, 2));
    expect((await icm.send({ command: 'disconnect', device: '2' })).status).toBe('OK');
    expect(await waitFor(async () => c.closed, 2000)).toBe(true);
    expect((await icm.send({ command: 'disconnect', device: '2' })).status).toBe('OK');
  });

  it('wp_off drops the in-ice devices; wp_on brings them back with the interlocks reset', async () => {
    const other = new IcmClient(lab.ports.icm(2));
    try {
      expect((await other.send({ command: 'wp_off', device: '8' })).status).toBe('OK');
      expect(await other.send({ command: 'devlist' })).toEqual({ status: 'OK', value: [8] });
      expect(await other.send({ command: 'pmt_hv_enable', device: '0' })).toEqual({ status: '?NOCONN' });
      expect(await other.send({ command: 'read', device: '8', register: 'wp_pwr' })).toEqual({ status: 'OK', value: '0x6469' });
      expect((await other.send({ command: 'wp_on', device: '8' })).status).toBe('OK');
      expect(await other.send({ command: 'devlist' })).toEqual({ status: 'OK', value: [0, 1, 2, 3, 8] });
      expect(await other.send({ command: 'read', device: '0', register: 'ctrl2' })).toEqual({ status: 'OK', value: '0x0012' });
    } finally {
      other.close();
    }
  });
});

describe('DomNet attach (stand-in domnet)', () => {
  let lab: SimLab;
  beforeAll(async () => {
    lab = await startSimLab({ basePort: 21600 });
  });
  afterAll(async () => {
    await lab.close();
  });
  const control = () => `http://127.0.0.1:${lab.ports.control}`;

  it('opens a wire pair only while the attach stream is held, and reports the ICMs', async () => {
    const base = lab.ports.wirePairBase(2);
    expect(await listening(base)).toBe(false);
    const abort = new AbortController();
    const res = await fetch(`${control()}/domnet/attach?wp=2`, { method: 'POST', signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (text.split('\n').length <= 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const lines = text.split('\n').slice(0, 3);
    expect(lines).toContain('ICMs detected at address: 0 1 2 3 8 ');
    for (let d = 0; d < 4; d++) expect(await listening(base + d)).toBe(true);
    const icm = new IcmClient(lab.ports.icm(2));
    expect(await icm.send({ command: 'devlist' })).toEqual({ status: 'OK', value: [0, 1, 2, 3, 8] });
    icm.close();
    abort.abort();
    expect(await waitFor(async () => !(await listening(base)) && !(await listening(lab.ports.icm(2))))).toBe(true);
  });

  it('the stand-in program holds its wire pair until SIGTERM, and a killed one takes its ports with it', async () => {
    const script = path.join(here, 'domnet-standin-main.ts');
    const tty = `sim://127.0.0.1:${lab.ports.control}/wp1`;
    const base = lab.ports.wirePairBase(1);
    const run = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, tty, '-c', 'domnet.ini', '-p', String(base), '-n', '4'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const lines: string[] = [];
      readline.createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
      const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)));
      return { child, lines, exited };
    };

    const a = run();
    expect(await waitFor(async () => a.lines.length >= 3, 15000)).toBe(true);
    expect(a.lines.slice(0, 3)).toContain('ICMs detected at address: 0 1 2 3 8 ');
    expect(await listening(base + 3)).toBe(true);
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await waitFor(async () => !(await listening(base)))).toBe(true);

    const b = run();
    expect(await waitFor(async () => b.lines.length >= 3, 15000)).toBe(true);
    expect(await listening(base)).toBe(true);
    b.child.kill('SIGKILL');
    await b.exited;
    expect(await waitFor(async () => !(await listening(base)))).toBe(true);
  });

  it('in-process: refuses a -p that is not the wire pair base, and a second domnet on a held pair', async () => {
    const err = new PassThrough();
    let out = '';
    err.on('data', (d: Buffer) => (out += d.toString()));
    const tty = `sim://127.0.0.1:${lab.ports.control}/wp3`;
    expect(await runStandinDomnet([tty, '-c', 'x.ini', '-p', '5000', '-n', '4'], { stderr: err })).not.toBe(0);
    expect(out).toMatch(/-p 5000 does not match wire pair 3 .*-p 21612/);

    const stop = new AbortController();
    const first = runStandinDomnet([tty, '-p', '21612', '-n', '4'], { signal: stop.signal, stderr: new PassThrough() });
    expect(await waitFor(() => listening(21612))).toBe(true);
    out = '';
    expect(await runStandinDomnet([tty, '-p', '21612', '-n', '4'], { stderr: err })).toBe(1);
    expect(out).toMatch(/busy/);
    stop.abort();
    expect(await first).toBe(0);
    expect(await waitFor(async () => !(await listening(21612)))).toBe(true);
    expect(await runStandinDomnet(['/dev/ttyUSB0', '-p', '5000'], { stderr: err })).toBe(2);
  });

  it('domnet-fail: the report lacks the in-ice ICMs, the stand-in exits non-zero and no port opens', async () => {
    lab.ctx.faults.add({ kind: 'domnet-fail', target: '0' });
    try {
      const err = new PassThrough();
      let out = '';
      err.on('data', (d: Buffer) => (out += d.toString()));
      const tty = `sim://127.0.0.1:${lab.ports.control}/wp0`;
      expect(await runStandinDomnet([tty, '-p', String(lab.ports.wirePairBase(0)), '-n', '4'], { stderr: err })).toBe(1);
      expect(out).toMatch(/Failed to open \/dev\/ttyUSB0: ICM not responding/);
      expect(out.split('\n')).toContain('ICMs detected at address: 8 ');
      expect(await listening(lab.ports.wirePairBase(0))).toBe(false);
    } finally {
      lab.ctx.faults.remove('domnet-fail');
    }
    const res = await fetch(`${control()}/faults`, {
      method: 'POST',
      body: JSON.stringify({ add: `domnet-fail:${lab.ports.wirePairBase(0)}` }),
    });
    expect(res.status).toBe(200);
    const r2 = await fetch(`${control()}/domnet/attach?wp=0`, { method: 'POST' });
    expect(r2.status).toBe(503);
    expect(await r2.text()).toContain('ICMs detected at address: 8 ');
    await fetch(`${control()}/faults`, { method: 'POST', body: JSON.stringify({ remove: 'domnet-fail' }) });
    expect(lab.ctx.faults.list()).toEqual([]);
  });

  it('the stand-in exits non-zero when the simulated lab goes away', async () => {
    const other = await startSimLab({ basePort: 21650 });
    const tty = `sim://127.0.0.1:${other.ports.control}/wp0`;
    const err = new PassThrough();
    let out = '';
    err.on('data', (d: Buffer) => (out += d.toString()));
    const running = runStandinDomnet([tty, '-p', '21650', '-n', '4'], { stderr: err });
    expect(await waitFor(() => listening(21650))).toBe(true);
    await other.close();
    expect(await running).toBe(1);
    expect(out).toMatch(/closed wire pair 0/);
    expect(await runStandinDomnet([tty, '-p', '21650'], { stderr: err })).toBe(1);
    expect(out).toMatch(/cannot reach the simulated lab/);
  });
});
