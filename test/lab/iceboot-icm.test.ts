import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcebootSession } from '../../src/lab/iceboot/session.js';
import { IcmClient } from '../../src/lab/icm-client.js';
import { startSimLab, type SimLab } from '../../src/sim/lab.js';

const HOST = '127.0.0.1';

describe('ICM command-port client', () => {
  let lab: SimLab;
  let icm: IcmClient;

  beforeAll(async () => {
    lab = await startSimLab({ seed: 13, basePort: 26400, timeScale: 1000, domnet: 'auto' });
    icm = new IcmClient(HOST, lab.ports.icm(0), { timeoutMs: 3000 });
  });
  afterAll(async () => {
    icm?.close();
    await lab?.close();
  });

  it('lists the devices of the wire pair', async () => {
    expect(await icm.devlist()).toEqual([0, 1, 2, 3, 8]);
  });

  it('pmt_hv_enable sets the interlock the mainboard reports', async () => {
    const s = await IcebootSession.open(HOST, lab.ports.mainboard(0, 2));
    try {
      await icm.pmtHvDisable(2);
      expect(await s.hvInterlock()).toBe(false);
      await icm.pmtHvEnable(2);
      expect(await s.hvInterlock()).toBe(true);
      expect(parseInt(await icm.readRegister(2, 'ctrl2'), 16) & 0x0008).toBe(0x0008);
    } finally {
      await s.close();
    }
  });

  it('an unknown device gives an error status, a silent port ?NOREPLY, and the client recovers', async () => {
    const r = await icm.command('pmt_hv_enable', 6);
    expect(r.status).toMatch(/^\?/);
    const silent = new IcmClient(HOST, 26399, { timeoutMs: 200 });
    try {
      expect((await silent.command('devlist')).status).toBe('?NOREPLY');
      expect((await silent.command('devlist')).status).toBe('?NOREPLY');
      await expect(silent.devlist()).rejects.toThrow(/tcp:\/\/127\.0\.0\.1:26399 answered \?NOREPLY to devlist/);
    } finally {
      silent.close();
    }
  });
});
