import { describe, expect, it } from 'vitest';
import { startSimLab } from '../../src/sim/lab.js';
import { IcmClient, icebootSession, listening } from './domnet-helpers.js';

const get = async (url: string): Promise<unknown> => {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  return r.json();
};

describe('simulated lab assembly', () => {
  it('serves truth, registry and state; wire pairs open only when attached; close() frees every port', async () => {
    const lab = await startSimLab({ basePort: 19000, seed: 7 });
    const p = lab.ports;
    const control = `http://127.0.0.1:${p.control}`;
    try {
      // the tabletop board is always there, with its interlocks enabled
      const tt = await icebootSession(p.tabletop);
      expect(await tt.cmd('readHVInterlock .s drop')).toBe('<1> 1 ');
      tt.close();
      expect(await listening(p.mainboard(0, 0))).toBe(false);

      const truth = (await get(`${control}/truth`)) as { seed: number };
      expect(truth.seed).toBe(7);

      const registry = (await get(`${control}/registry`)) as {
        degg: Array<{ serial: string; icm_id: string; lower_pmt: { serial: string }; upper_pmt: { serial: string }; mainboard: string }>;
        ports: Record<string, string>;
      };
      expect(registry.degg).toHaveLength(16);
      const m5 = lab.truth.modules.find((m) => m.port === p.mainboard(1, 1))!;
      const e5 = registry.degg.find((e) => e.serial === m5.deggSerial)!;
      expect(e5.icm_id).toMatch(/^[0-9a-f]{16}$/);
      expect(e5.lower_pmt.serial).toBe(m5.pmts[0].serial);
      expect(e5.upper_pmt.serial).toBe(m5.pmts[1].serial);
      expect(registry.ports[String(p.mainboard(1, 1))]).toBe(m5.deggSerial);

      const state = (await get(`${control}/state`)) as {
        timeScale: number;
        freezer: { temperatureC: number };
        filterWheels: unknown[];
        laser: { firing: boolean };
      };
      expect(state.timeScale).toBe(1);
      expect(state.filterWheels).toHaveLength(2);
      expect(state.laser.firing).toBe(false);
      expect(typeof state.freezer.temperatureC).toBe('number');

      const bad = await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ add: 'melt-freezer' }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/unknown fault "melt-freezer"/);
      expect((await fetch(`${control}/nowhere`)).status).toBe(404);

      // the lab's own hold opens a wire pair's ports, and the ICM answers on it
      await lab.attachWirePair(3);
      expect(await listening(p.mainboard(3, 3))).toBe(true);
      const icm = new IcmClient(p.icm(3));
      expect(await icm.send({ command: 'devlist' })).toEqual({ status: 'OK', value: [0, 1, 2, 3, 8] });
      icm.close();
      await lab.detachWirePair(3);
      expect(await listening(p.mainboard(3, 3))).toBe(false);
      await lab.attachWirePair(3);
    } finally {
      await lab.close();
    }
    for (const port of [p.control, p.tabletop, p.mainboard(3, 0), p.icm(3), p.scpi, p.freezer, p.filterWheel(0)]) {
      expect(await listening(port), `port ${port} still open after close()`).toBe(false);
    }
    // and the same ports can be taken again at once
    const again = await startSimLab({ basePort: 19000, domnet: 'auto' });
    await again.close();
  });

  it('two labs on different base ports run side by side with their own seeds', async () => {
    const a = await startSimLab({ basePort: 19000, seed: 1, domnet: 'auto' });
    const b = await startSimLab({ basePort: 19500, seed: 2, domnet: 'auto' });
    try {
      const ia = new IcmClient(a.ports.icm(0));
      const ib = new IcmClient(b.ports.icm(0));
      const ra = await ia.send({ command: 'read', device: '0', register: 'icm_id' });
      const rb = await ib.send({ command: 'read', device: '0', register: 'icm_id' });
      ia.close();
      ib.close();
      expect(ra.value).toBe('0x' + a.truth.modules[0].icmId);
      expect(rb.value).toBe('0x' + b.truth.modules[0].icmId);
      expect(ra.value).not.toBe(rb.value);
      await expect(startSimLab({ basePort: 19500 })).rejects.toThrow(/215|in use|EADDRINUSE/);
    } finally {
      await a.close();
      await b.close();
    }
    expect(await listening(a.ports.control)).toBe(false);
    expect(await listening(b.ports.icm(0))).toBe(false);
  });

  it('faults set through the control port reach the instruments', async () => {
    const lab = await startSimLab({ basePort: 19000, domnet: 'auto' });
    try {
      const control = `http://127.0.0.1:${lab.ports.control}`;
      const port = lab.ports.mainboard(0, 2);
      const r = await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ add: `dead-module:${port}` }) });
      expect(r.status).toBe(200);
      const icm = new IcmClient(lab.ports.icm(0));
      expect(await icm.send({ command: 'lid_enable', device: '2' })).toEqual({ status: '?TIMEOUT' });
      await fetch(`${control}/faults`, { method: 'POST', body: JSON.stringify({ remove: `dead-module:${port}` }) });
      expect(await icm.send({ command: 'lid_enable', device: '2' })).toEqual({ status: 'OK' });
      icm.close();
      expect(((await get(`${control}/faults`)) as { faults: unknown[] }).faults).toEqual([]);
    } finally {
      await lab.close();
    }
  });
});
