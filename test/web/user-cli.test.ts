import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace } from '../../src/station/workspace.js';
import { tokenUser } from '../../src/web/users.js';
import { fat } from '../helpers/fat-cli.js';

/** `fat user add/token/disable` on the real CLI: the first user is an admin; only hashes are stored. */
describe('fat user', () => {
  let dir: string;
  let pw: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fat-user-'));
    pw = path.join(dir, 'pw');
    fs.writeFileSync(pw, 'correct horse battery\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a first user who is not an admin', async () => {
    const r = await fat(dir, ['user', 'add', 'bob', '--password-file', pw]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the first user must be an admin');
  });

  it('adds an admin', async () => {
    const add = await fat(dir, ['user', 'add', 'alice', '--admin', '--password-file', pw]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('added user alice (admin)');
  });

  it('stores a scrypt hash and prints a token that only its hash is stored of', async () => {
    const t = await fat(dir, ['user', 'token', 'alice']);
    expect(t.code, t.stderr).toBe(0);
    const token = t.stdout.trim();
    const ws = await openWorkspace(dir);
    try {
      const u = await ws.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
      expect(u.password_hash).toMatch(/^scrypt\$/);
      expect(u.password_hash).not.toContain('horse');
      const stored = await ws.db.selectFrom('api_tokens').select('token_hash').execute();
      expect(stored.map((s) => s.token_hash)).not.toContain(token);
      expect((await tokenUser(ws, token))?.name).toBe('alice');
    } finally {
      await ws.close();
    }
  });
});
