import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcebootError } from '../../src/lab/iceboot/errors.js';
import { IcebootSession } from '../../src/lab/iceboot/session.js';
import { startSimLab, type SimLab } from '../../src/sim/lab.js';

const HOST = '127.0.0.1';

describe('iceboot session on faulty modules', () => {
  let lab: SimLab;

  beforeAll(async () => {
    lab = await startSimLab({ seed: 12, basePort: 26200, timeScale: 1000, domnet: 'auto' });
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('a dead module gives a timeout that names its address', async () => {
    const port = lab.ports.mainboard(1, 2);
    lab.ctx.faults.add({ kind: 'dead-module', target: String(port) });
    const err = await IcebootSession.open(HOST, port, { bootTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IcebootError);
    expect((err as IcebootError).kind).toBe('timeout');
    expect((err as Error).message).toContain(`D-Egg at tcp://127.0.0.1:${port} did not answer "boot" within 300 ms`);
  });

  it('a module that drops its connection gives an error naming its address and the command', async () => {
    const port = lab.ports.mainboard(1, 3);
    lab.ctx.faults.add({ kind: 'drop-module', target: String(port) });
    await expect(IcebootSession.open(HOST, port)).rejects.toMatchObject({
      kind: 'closed',
      message: expect.stringMatching(
        new RegExp(`D-Egg at tcp://127\\.0\\.0\\.1:${port} closed the connection while answering "`),
      ) as unknown,
    });
  });

  it('nothing listening gives a connect error naming the address', async () => {
    await expect(IcebootSession.open(HOST, 26199)).rejects.toThrow(/D-Egg at tcp:\/\/127\.0\.0\.1:26199 cannot be reached/);
  });

  it('garbage in a reply gives a clear error and the session recovers for the next command', async () => {
    const port = lab.ports.mainboard(2, 0);
    const s = await IcebootSession.open(HOST, port);
    try {
      lab.ctx.faults.add({ kind: 'garbage-module', target: String(port) });
      const err = await s.fpgaVersion().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IcebootError);
      expect((err as Error).message).toMatch(new RegExp(`D-Egg at tcp://127.0.0.1:${port}.*fpgaVersion .s drop`));
      expect((err as Error).message).toMatch(/unexpected bytes before the echo \(expected the echo first\): "\\x[0-9a-f]{2}/);
      lab.ctx.faults.remove('garbage-module');
      expect(await s.fpgaVersion()).toBe(272);
      expect(await s.softwareVersion()).toBe(62);
    } finally {
      await s.close();
    }
  });

  it('after a timeout on a slow module the next command gets its own reply, not the late one', async () => {
    const port = lab.ports.mainboard(3, 1);
    const s = await IcebootSession.open(HOST, port, { resyncMs: 3000 });
    try {
      lab.ctx.faults.add({ kind: 'slow-module', target: String(port) });
      await expect(s.cmd('fpgaVersion .s drop', 300)).rejects.toThrow(/did not answer "fpgaVersion .s drop" within 300 ms/);
      expect(await s.intCmd('softwareVersion .s drop', 4000)).toBe(62);
      lab.ctx.faults.remove('slow-module');
      expect(await s.fpgaVersion()).toBe(272);
    } finally {
      await s.close();
    }
  });
});
