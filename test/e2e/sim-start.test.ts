import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fat } from '../helpers/fat-cli.js';
import { TEST_PORTS } from '../helpers/ports.js';

const BASE = TEST_PORTS.simStart;

const BIN = path.resolve(import.meta.dirname, '../../bin/fat.js');

/** Two terminals: `fat sim start` in one, the checklist in the other. */
describe('fat sim start in its own process', () => {
  it('serves a lab that fat setup and fat sim truth reach, and stops on Ctrl+C', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-simstart-'));
    const sim = spawn(
      process.execPath,
      [BIN, '--home', home, 'sim', 'start', '--base-port', String(BASE), '--seed', '11', '--time-scale', '50'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    sim.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sim.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`sim did not start: ${out}`)), 30_000);
        const check = setInterval(() => {
          if (out.includes('Press Ctrl+C')) {
            clearInterval(check);
            clearTimeout(t);
            resolve();
          }
        }, 50);
      });
      expect(out).toContain(`DomNet 1: D-Eggs on ${BASE + 4}-${BASE + 7}, ICM ${BASE + 1004}`);
      expect(fs.existsSync(path.join(home, 'modules.toml'))).toBe(true);

      const truth = await fat(home, ['sim', 'truth', '--json']);
      expect(truth.code).toBe(0);
      const t = JSON.parse(truth.stdout) as {
        seed: number;
        modules: Array<{ port: number; pmts: Array<{ k: number; hvAt1e7Volts: number }> }>;
      };
      expect(t.seed).toBe(11);
      expect(t.modules).toHaveLength(16);
      for (const m of t.modules)
        for (const p of m.pmts) {
          expect(p.k).toBeGreaterThanOrEqual(6.5);
          expect(p.k).toBeLessThanOrEqual(8.5);
          expect(p.hvAt1e7Volts).toBeGreaterThanOrEqual(1250);
          expect(p.hvAt1e7Volts).toBeLessThanOrEqual(1550);
        }

      const setup = await fat(home, ['setup']);
      expect(setup.stdout).toContain('DomNet 4/4 OK, D-Eggs 16/16 answering');
      expect(setup.code).toBe(0);
      await fat(home, ['setup', '--stop']);
    } finally {
      sim.kill('SIGINT');
      await new Promise((r) => sim.once('exit', r));
    }
    expect(out).toContain('simulated lab stopped');
  }, 90_000);

  it('a wrong flag is refused with a message naming it', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-simstart-'));
    const r = await fat(home, ['sim', 'start', '--time-scale', 'fast']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--time-scale needs a number, got "fast"');
    const f = await fat(home, ['sim', 'start', '--fault', 'melted-module:5000']);
    expect(f.code).not.toBe(0);
    expect(f.stderr).toMatch(/unknown fault "melted-module"/);
  }, 30_000);
});
