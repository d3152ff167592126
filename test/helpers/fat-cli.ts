import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODE_HEAP_ARGS } from '../../src/util/node-heap.js';
import { registryToml } from '../../src/station/registry.js';
import { ensureHome } from '../../src/station/workspace.js';
import { simRegistry } from '../../src/fat/sim-registry.js';
import { startSimLab } from '../../src/sim/lab.js';
import type { Fault } from '../../src/sim/faults.js';
import Database from 'better-sqlite3';
import { allowSlowDomnet } from './patient-domnet.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/fat.js');

export interface FatResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The suite runs `fat master` from a working tree that may have uncommitted changes; the master's
 * guard against them is tested on its own (test/e2e/original-schedule.test.ts passes '' here).
 */
export const TEST_ENV = { FAT_ALLOW_DIRTY: '1' };

/** Runs the real `fat` binary against a home folder, as a shifter's terminal would. */
export function fat(home: string, args: string[], env: Record<string, string> = {}, timeoutMs = 150_000): Promise<FatResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_HEAP_ARGS, BIN, '--home', home, ...args], {
      env: { ...process.env, ...TEST_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fat ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/**
 * A simulated lab in this process and a fresh home whose station file points at it. The DomNet
 * stand-ins get 60 s to report: e2e files run in parallel and a loaded machine starts processes slowly.
 */
export async function labWithHome(basePort: number, opts: { faults?: Fault[]; timeScale?: number; seed?: number } = {}) {
  const seed = opts.seed ?? 7;
  const timeScale = opts.timeScale ?? 50;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-e2e-'));
  const home = ensureHome(dir, { seed, basePort, timeScale });
  allowSlowDomnet(dir);
  const lab = await startSimLab({ seed, basePort, timeScale, faults: opts.faults });
  fs.writeFileSync(home.registryFile, registryToml(simRegistry(lab.truth)));
  return {
    dir,
    lab,
    run: (args: string[], env?: Record<string, string>) => fat(dir, args, env),
    close: async () => {
      await fat(dir, ['setup', '--stop']);
      await lab.close();
      failOnUndeclaredResults(dir);
    },
  };
}

/**
 * Every e2e home is checked as it closes: a kind that recorded a quantity it does not declare
 * (`TaskKind.quantities`) fails the test file that ran it.
 */
function failOnUndeclaredResults(dir: string): void {
  const file = path.join(dir, 'fat.db');
  if (!fs.existsSync(file)) return;
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare("select message from events where kind = 'result.undeclared'").all() as Array<{ message: string }>;
    if (rows.length) throw new Error(`undeclared quantities recorded in ${dir}:\n${rows.map((r) => r.message).join('\n')}`);
  } finally {
    db.close();
  }
}
