import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/clock.js';
import { LabClock, serveClock } from '../../src/clock/clock-link.js';

// port 0: the kernel picks a free port for each lab clock
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function labAndMaster(start = Date.UTC(2026, 0, 1)) {
  const lab = new VirtualClock(start, true);
  const served = await serveClock(lab, 0);
  closers.push(() => served.close());
  const master = await LabClock.connect(served.port);
  closers.push(() => master.close());
  return { lab, served, master };
}

describe('virtual time shared between the simulated lab and a master in another process', () => {
  it('a master follows the lab: its waits wake in lab-time order with the lab’s own, no wall time passing', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const { lab, master } = await labAndMaster(t0);
    expect(master.now()).toBe(t0);
    const order: string[] = [];
    const wall0 = performance.now();
    await Promise.all([
      master.sleep(3_600_000).then(() => order.push(`master 1 h at ${(master.now() - t0) / 1000} s`)),
      lab.sleep(60_000).then(() => order.push(`lab 1 min at ${(lab.now() - t0) / 1000} s`)),
      master.sleep(600_000).then(() => order.push(`master 10 min at ${(master.now() - t0) / 1000} s`)),
    ]);
    expect(order).toEqual(['lab 1 min at 60 s', 'master 10 min at 600 s', 'master 1 h at 3600 s']);
    expect(lab.now()).toBe(t0 + 3_600_000);
    // a week of waits in a row takes no wall time worth the name
    for (let i = 0; i < 7 * 24; i++) await master.sleep(3_600_000);
    expect(master.now()).toBe(t0 + 3_600_000 + 7 * 86_400_000);
    expect(performance.now() - wall0).toBeLessThan(5_000);
  });

  it('an aborted wait is taken off the lab’s clock, so lab time does not jump to it', async () => {
    const { lab, master } = await labAndMaster();
    const t = lab.now();
    const ctl = new AbortController();
    const long = master.sleep(86_400_000, ctl.signal);
    // aborted before the lab could let the day pass: the cancel follows the wait on the same line
    ctl.abort(new Error('task aborted'));
    await expect(long).rejects.toThrow('task aborted');
    await master.sleep(1000);
    expect(lab.now()).toBe(t + 1000);
    expect(lab.pending).toBe(0);
  });

  it('when the lab goes away, waiting and new waits fail naming its clock port', async () => {
    const { served, master } = await labAndMaster();
    const pending = master.sleep(60_000);
    // the lab's clock stops serving before the wait falls due: close the server side
    await served.close();
    await expect(pending).rejects.toThrow(`127.0.0.1:${served.port} went away`);
    await expect(master.sleep(1)).rejects.toThrow('lab time cannot move');
  });

  it('no lab on the port: connecting says so and how to start one', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await expect(LabClock.connect(port)).rejects.toThrow(/clock at 127\.0\.0\.1:\d+ cannot be reached .*fat sim start --virtual-time/);
  });

  it('garbage on the clock port drops that connection and leaves lab time alone', async () => {
    const { lab, served, master } = await labAndMaster();
    const bad = net.connect(served.port, '127.0.0.1');
    const closed = new Promise<void>((r) => bad.on('close', () => r()));
    bad.on('error', () => undefined);
    bad.resume();
    bad.write('{"sleep": "soon", "ms": -1}\n');
    await closed;
    const t = lab.now();
    await master.sleep(5000);
    expect(master.now()).toBe(t + 5000);
  });
});
