import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fat } from '../helpers/fat-cli.js';

/**
 * `fat` never runs code older than src/: bin/fat.js compares the sources with the stamp of the
 * build in dist/cli and rebuilds first when they differ. Checked on a scratch checkout (bin/,
 * scripts/ and a one-line src/cli/main.ts, with icefat's node_modules) so the test can edit its
 * sources while the rest of the suite runs the real ones.
 */
const REPO = path.resolve(import.meta.dirname, '../..');

function run(root: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/fat.js'), ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('the compiled fat is never stale', () => {
  let root: string;
  const main = () => path.join(root, 'src/cli/main.ts');
  const writeMain = (body: string) => fs.writeFileSync(main(), body);

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-build-'));
    for (const f of [
      'bin/fat.js',
      'scripts/build.js',
      'scripts/build-lock.js',
      'scripts/fingerprint.js',
      'package.json',
      'package-lock.json',
    ]) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.copyFileSync(path.join(REPO, f), path.join(root, f));
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
    fs.mkdirSync(path.dirname(main()), { recursive: true });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds on first use and again after every edit of src/', async () => {
    writeMain('const n: number = 1;\nconsole.log(`version ${n}`);\n');
    const first = await run(root);
    expect(first.stdout + first.stderr).toBe('version 1\n');
    expect(fs.existsSync(path.join(root, 'dist/build-stamp.json'))).toBe(true);

    writeMain("console.log('version two, edited');\n");
    const second = await run(root);
    expect(second.stdout).toBe('version two, edited\n');

    // a new file under src/ counts too
    fs.writeFileSync(path.join(root, 'src/cli/extra.ts'), "export const word = 'three';\n");
    writeMain("import { word } from './extra.js';\nconsole.log(`version ${word}`);\n");
    const third = await run(root);
    expect(third.stdout).toBe('version three\n');
  });

  it('runs the new code in every fat started together after an edit', async () => {
    writeMain("console.log('version four');\n");
    const outs = await Promise.all([1, 2, 3, 4].map(() => run(root)));
    for (const o of outs) expect(o.stdout, o.stderr).toBe('version four\n');
    expect(fs.existsSync(path.join(root, 'dist/.build-lock')), 'the build lock is released').toBe(false);
  });

  it('rebuilds a stale dashboard before `fat serve` serves it', async () => {
    fs.copyFileSync(path.join(REPO, 'vite.config.ts'), path.join(root, 'vite.config.ts'));
    fs.copyFileSync(path.join(REPO, 'scripts/build-ui.js'), path.join(root, 'scripts/build-ui.js'));
    fs.mkdirSync(path.join(root, 'src/web/ui/src'), { recursive: true });
    const page = (title: string) =>
      fs.writeFileSync(
        path.join(root, 'src/web/ui/index.html'),
        `<!doctype html><title>${title}</title><script type="module" src="/src/main.ts"></script>\n`,
      );
    fs.writeFileSync(path.join(root, 'src/web/ui/src/main.ts'), "document.title += '!';\n");
    writeMain("console.log('serving');\n");
    const built = () => fs.readFileSync(path.join(root, 'src/web/ui/dist/index.html'), 'utf8');

    page('dashboard one');
    expect((await run(root, ['serve'])).stdout).toBe('serving\n');
    expect(built()).toContain('dashboard one');
    page('dashboard two');
    expect((await run(root, ['status'])).stdout, 'other commands leave the dashboard alone').toBe('serving\n');
    expect(built()).toContain('dashboard one');
    expect((await run(root, ['serve'])).stdout).toBe('serving\n');
    expect(built()).toContain('dashboard two');
  });

  it('refuses to run the old build when the new sources do not compile', async () => {
    writeMain("console.log('version five');\n");
    expect((await run(root)).stdout).toBe('version five\n');
    writeMain("console.log('version six'\n");
    const broken = await run(root);
    expect(broken.code).toBe(1);
    expect(broken.stdout).not.toContain('version five');
    expect(broken.stderr).toContain('src/cli/main.ts');
    expect(broken.stderr).toContain('npm run build');
  });
});

describe('stack traces of the compiled fat', () => {
  it('name the TypeScript file and line', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'icefat-trace-'));
    try {
      const r = await fat(home, ['schedule', 'check', path.join(home, 'missing.ini')], { FAT_DEBUG: '1' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/src\/cli\/schedule\.ts:\d+/);
      expect(r.stderr).not.toMatch(/dist\/cli\/.*\.js:\d+/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
