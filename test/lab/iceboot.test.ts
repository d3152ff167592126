import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAdc } from '../../src/lab/iceboot/decode.js';
import { IcebootSession } from '../../src/lab/iceboot/session.js';
import { IcmClient } from '../../src/lab/icm-client.js';
import { startSimLab, type SimLab } from '../../src/sim/lab.js';
import { gainAt, speChargeC } from '../../src/sim/physics.js';

const HOST = '127.0.0.1';

function moduleAt(lab: SimLab, port: number) {
  const m = lab.truth.modules.find((x) => x.port === port);
  if (!m) throw new Error(`no simulated module on port ${port}`);
  return m;
}

describe('iceboot session on a simulated D-Egg', () => {
  let lab: SimLab;
  let s: IcebootSession;
  let icm: IcmClient;
  const wp = 0;
  const dev = 1;
  let port: number;

  beforeAll(async () => {
    lab = await startSimLab({ seed: 11, basePort: 26000, timeScale: 1000, domnet: 'auto' });
    port = lab.ports.mainboard(wp, dev);
    icm = new IcmClient(HOST, lab.ports.icm(wp), { timeoutMs: 3000 });
    s = await IcebootSession.open(HOST, port);
  });

  afterAll(async () => {
    await s?.close();
    icm?.close();
    await lab?.close();
  });

  it('opens like the real client and reads the identity the module really has', async () => {
    expect(s.info.boardType).toBe(113);
    expect(s.info.boardName).toBe('DEgg');
    expect(s.info.softwareVersion).toBe(62);
    expect(s.info.fpgaVersion).toBe(272);
    const truth = moduleAt(lab, port);
    expect(await s.icmId()).toBe(truth.icmId);
    expect(await s.flashId()).toBe(truth.flashId);
    expect(await s.mainboardId()).toBe(truth.mainboardId);
    expect(await s.ping()).toBe(true);
  });

  it('strips echo and prompt: a silent word gives an empty string', async () => {
    expect(await s.cmd('sdrop')).toBe('');
    expect(await s.cmd('7 .s drop')).toBe('<1> 7 ');
  });

  it('reads the slow ADC, temperature and pressure', async () => {
    const all = await s.readAllSloAdc();
    expect(all).toHaveLength(16);
    expect(all.map((r) => r.channel)).toEqual([...Array(16).keys()]);
    const t = await s.temperatureC();
    expect(t).toBeGreaterThan(-60);
    expect(t).toBeLessThan(50);
    expect(await s.pressure()).toBeGreaterThan(0);
  });

  it('refuses HV without the ICM interlock, then ramps to the set voltage once enabled', async () => {
    await icm.pmtHvDisable(dev);
    await expect(s.enableHV(0)).rejects.toMatchObject({ kind: 'interlock' });
    await icm.pmtHvEnable(dev);
    expect(await s.hvInterlock()).toBe(true);
    await expect(s.setHV(0, 1500)).rejects.toThrow(/not enabled.*enableHV\(0\)/);
    await s.enableHV(0);
    await s.setHV(0, 1500);
    await lab.ctx.clock.sleep(40_000);
    const rb = await s.hvReadback(0);
    expect(rb.hvVolts).toBeGreaterThan(1480);
    expect(rb.hvVolts).toBeLessThan(1520);
  });

  it('reads a waveform block whose baseline sits where the DAC puts it', async () => {
    await s.setDAC('A', 30000);
    await s.setConstReadout(0, 128);
    await s.startSwTrigStream(0, 10);
    const b = await s.readWaveformBlock(66000, { expectChannel: 0, expectSamples: 128 });
    expect(b.count).toBeGreaterThan(100);
    expect(b.samplesPerRecord).toBe(128);
    const adc = recordAdc(b, 0);
    const mean = adc.reduce((x, y) => x + y, 0) / adc.length;
    expect(mean).toBeGreaterThan(8027 - 150);
    expect(mean).toBeLessThan(8027 + 150);
    expect(Math.abs(mean - moduleAt(lab, port).pmts[0].baselineAtDac30000Adc)).toBeLessThan(5);
    for (let i = 1; i < b.count; i++) expect(b.timestamp[i]).toBeGreaterThan(b.timestamp[i - 1]);
  });

  it('reads one baseline waveform through the stateful stream word', async () => {
    await s.setConstReadout(0, 1024);
    await s.startSwTrigStream(0, 10);
    const w = await s.readWaveformFromStream();
    expect(w.count).toBe(1);
    expect(w.sampleCount[0]).toBe(1024);
    const mean = w.adc.reduce((x, y) => x + y, 0) / w.adc.length;
    expect(Math.abs(mean - moduleAt(lab, port).pmts[0].baselineAtDac30000Adc)).toBeLessThan(5);
    await s.setConstReadout(0, 128);
  });

  it('reads a charge block of dark pulses on the triggered channel', async () => {
    await s.setAdcTriggerThreshold(0, 8027 + 25);
    await s.enableAdcTrigger(0);
    await s.startThresholdTrigStream(0, 8027 + 25);
    const st = await s.readChargeBlock(14 * 50, 10, 15, 20_000);
    expect(st.count).toBe(50);
    expect(Array.from(st.channel).every((c) => c === 0)).toBe(true);
    const good = Array.from(st.chargePc).filter((_, i) => st.flags[i] === 0);
    const median = good.sort((a, b) => a - b)[Math.floor(good.length / 2)];
    // dark pulses are mostly single photoelectrons: the median sits near the SPE charge of this gain
    const spePc = speChargeC(gainAt(moduleAt(lab, port).pmts[0], 1500)) * 1e12;
    expect(median).toBeGreaterThan(0.5 * spePc);
    expect(median).toBeLessThan(1.5 * spePc);
  });

  it('runs the FAT flasher sequence and the FIR trigger words', async () => {
    await s.setConstReadout(0, 256);
    await s.setExtTrigSource('ICM');
    await s.startExternalTrigStream(0);
    await s.enableCalibrationPower();
    await s.setCalibrationSlavePowerMask(2);
    await s.setFlasherBias(0x3fff);
    await s.setFlasherMask(0x0001);
    expect(Number.isInteger(await s.icmStartCalTrig(0, 10))).toBe(true);
    const st = await s.readChargeBlockFixed(7000, 135, 160, 10_000);
    await s.icmStopCalTrig();
    await s.disableCalibrationPower();
    expect(st.count).toBe(500);
    await s.setConstReadout(0, 128);
    await s.setFirCoefficients(0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]);
    await s.setFirTriggerThreshold(0, 50 * 16);
    await s.enableFirTrigger(0);
    await s.startFirTrigStream(0, 50 * 16);
    await s.disableTriggers(0);
    await s.setExtTrigSource('SMA');
  });

  it('counts dark pulses with the scalers', async () => {
    await s.setAdcTriggerThreshold(0, 8027 + 25);
    await s.enableAdcTrigger(0);
    await s.enableScalers(0, 100_000, 24);
    await lab.ctx.clock.sleep(300);
    const count = await s.getScalerCount(0);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(5000);
    await s.setHV(0, 0);
    await s.disableHV(0);
  });

  it('after a reboot the FPGA is unconfigured until flashConfigureFPGA loads the last flash image', async () => {
    await s.reboot(300);
    await s.boot();
    expect(await s.fpgaVersion()).toBe(65535);
    await expect(s.readSloAdc(7)).rejects.toThrow(/FPGA is not configured/);
    // a data word that fails answers text instead of data: a clear error at once, not a long wait
    const t0 = Date.now();
    await expect(s.readChargeBlock(14 * 10, 10, 15, 20_000)).rejects.toMatchObject({ kind: 'failed' });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await s.fpgaVersion()).toBe(65535);
    const files = await s.flashLS();
    expect(files.length).toBeGreaterThan(0);
    const used = await s.flashConfigureFPGA();
    expect(used).toBe(files[files.length - 1].Name);
    expect(await s.fpgaVersion()).toBe(272);
  });

  it('restores the log output state it found at open', async () => {
    const logPort = lab.ports.mainboard(1, 0);
    const first = await IcebootSession.open(HOST, logPort);
    expect(first.info.logState).toBe(1);
    await first.close();
    expect(first.closed).toBe(true);
    const second = await IcebootSession.open(HOST, logPort);
    expect(second.info.logState).toBe(1);
    await second.close();
  });

  it('a module powered up by its ICM sits in the bootloader until the session boots it', async () => {
    const icm2 = new IcmClient(HOST, lab.ports.icm(2), { timeoutMs: 3000 });
    try {
      await icm2.mbOff(3);
      await icm2.mbOn(3);
      const cold = await IcebootSession.open(HOST, lab.ports.mainboard(2, 3), { bootTimeoutMs: 1000 });
      expect(cold.info.fpgaVersion).toBe(65535);
      expect(await cold.flashConfigureFPGA()).toMatch(/\.rbf$/);
      expect(await cold.fpgaVersion()).toBe(272);
      await cold.close();
    } finally {
      icm2.close();
    }
  });
});
