import { afterEach, describe, expect, it } from 'vitest';
import { labWithHome } from '../helpers/fat-cli.js';
import { TEST_PORTS } from '../helpers/ports.js';

const { deadModule, domnetFail, noSync, lateSync, brokenFibre } = TEST_PORTS;

/** With a fault injected, the right checklist command exits non-zero and names the module and port. */
describe('pre-run checklist with faults', () => {
  let env: Awaited<ReturnType<typeof labWithHome>> | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  }, 30_000);

  it('a dead module: fat setup fails naming its port, and fat run new refuses without --allow-missing', async () => {
    env = await labWithHome(deadModule, { faults: [{ kind: 'dead-module', target: String(deadModule + 6) }] });
    const setup = await env.run(['setup']);
    expect(setup.code).not.toBe(0);
    expect(setup.stdout).toContain('D-Eggs 15/16 answering');
    expect(setup.stdout).toContain(`port ${deadModule + 6}: NOT ANSWERING`);

    const refused = await env.run(['run', 'new', '--comment', 'x']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`port ${deadModule + 6}`);
    const made = await env.run(['run', 'new', '--comment', 'x', '--allow-missing']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(`${deadModule + 6}: MISSING`);
  }, 120_000);

  it('a DomNet instance that fails to start is named with its ports', async () => {
    env = await labWithHome(domnetFail, { faults: [{ kind: 'domnet-fail', target: '2' }] });
    const setup = await env.run(['setup']);
    expect(setup.code).not.toBe(0);
    expect(setup.stdout).toContain('DomNet 3/4 OK, D-Eggs 12/16 answering');
    expect(setup.stdout).toMatch(new RegExp(`DomNet 2 .*FAILED.*ports ${domnetFail + 8}-${domnetFail + 11}`));
  }, 120_000);

  it('no laser sync at all: fat check laser-freq retries once, then fails saying what to check', async () => {
    env = await labWithHome(noSync, { faults: [{ kind: 'no-laser-sync' }] });
    const r = await env.run(['check', 'laser-freq']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/retrying once/);
    expect(r.stdout).toMatch(/No sync signal found.*laser power supply/s);
  }, 120_000);

  it('a laser without sync on the first try passes on the automatic retry', async () => {
    env = await labWithHome(lateSync, { faults: [{ kind: 'laser-sync-late' }] });
    const r = await env.run(['check', 'laser-freq']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Passed.*\(on the retry\)/);
  }, 120_000);

  it('a broken fibre: fat check visibility fails naming the module, port and channel', async () => {
    env = await labWithHome(brokenFibre, { faults: [{ kind: 'broken-fibre', target: `${brokenFibre + 9}/1` }] });
    expect((await env.run(['setup'])).code).toBe(0);
    expect((await env.run(['run', 'new', '--comment', 'fibre'])).code).toBe(0);
    const r = await env.run(['check', 'visibility', '-j', '4', '--events', '100', '--force']);
    expect(r.code).not.toBe(0);
    const port = brokenFibre + 9;
    const serial = env.lab.truth.modules.find((m) => m.port === port)!.deggSerial;
    expect(r.stdout).toContain(`Port ${port}, Channel 1 can not see the laser`);
    expect(r.stderr).toContain(serial);
    expect(r.stdout).toContain(`Port ${port}, Channel 0 can see the laser`);
  }, 180_000);
});
