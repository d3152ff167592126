import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive, readSupervisorStatus } from '../../src/fat/domnet-supervisor.js';
import { labWithHome } from '../helpers/fat-cli.js';
import { TEST_PORTS } from '../helpers/ports.js';

describe('a station configuration under git', () => {
  let env: Awaited<ReturnType<typeof labWithHome>>;
  const git = (...args: string[]) => execFileSync('git', ['-C', env.dir, ...args], { encoding: 'utf8' });

  beforeAll(async () => {
    env = await labWithHome(TEST_PORTS.visibilityGit);
    git('init', '-q');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'add', 'station.toml', 'modules.toml');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'station');
    expect((await env.run(['setup'])).code).toBe(0);
    expect((await env.run(['run', 'new', '--comment', 'git guard'])).code).toBe(0);
  }, 90_000);
  afterAll(async () => env?.close(), 30_000);

  it('fat check visibility refuses uncommitted station changes, measures nothing, and names the file', async () => {
    fs.appendFileSync(path.join(env.dir, 'station.toml'), '\n# moved filter wheel 1 to the other USB port\n');
    const r = await env.run(['check', 'visibility', '--events', '50']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Commit changes to the repository before running a measurement! Or use --force/);
    expect(r.stderr).toMatch(/station configuration .*station\.toml/);
    const db = new Database(path.join(env.dir, 'fat.db'), { readonly: true });
    expect(db.prepare("select count(*) n from check_results where check_name = 'visibility'").get()).toEqual({ n: 0 });
    db.close();
  }, 60_000);

  it('with --force it runs and records the dirty git state with the results', async () => {
    const r = await env.run(['check', 'visibility', '-j', '4', '--events', '100', '--force']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain('running with uncommitted changes (--force)');
    const db = new Database(path.join(env.dir, 'fat.db'), { readonly: true });
    const row = db.prepare("select provenance from check_results where check_name = 'visibility' limit 1").get() as { provenance: string };
    db.close();
    const prov = JSON.parse(row.provenance) as { git: { forced: boolean; station: { dirty: boolean; changes: string[] } } };
    expect(prov.git.forced).toBe(true);
    expect(prov.git.station.dirty).toBe(true);
    expect(prov.git.station.changes).toContain('station.toml');
  }, 120_000);

  it('the DomNet supervisor restarts an instance that dies, and its D-Eggs answer again', async () => {
    const before = readSupervisorStatus(path.join(env.dir, 'domnet-status.json'))!;
    const victim = before.instances[1];
    expect(victim.state).toBe('up');
    process.kill(victim.pid!, 'SIGKILL');
    const until = Date.now() + 30_000;
    let now = readSupervisorStatus(path.join(env.dir, 'domnet-status.json'))!;
    while (!(now.instances[1].restarts === 1 && now.instances[1].state === 'up') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      now = readSupervisorStatus(path.join(env.dir, 'domnet-status.json'))!;
    }
    expect(now.instances[1]).toMatchObject({ state: 'up', restarts: 1 });
    expect(now.instances[1].pid).not.toBe(victim.pid);
    expect(processAlive(now.supervisorPid)).toBe(true);
    const r = await env.run(['run', 'new', '--comment', 'after restart', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { modules: unknown[] }).modules).toHaveLength(16);
  }, 60_000);
});
