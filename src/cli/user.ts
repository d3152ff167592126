import fs from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import type { Workspace } from '../station/workspace.js';
import type * as Users from '../web/users.js';
import { CliError, withWorkspace } from './common.js';

/** `fat user add|disable|token`: the people of the web API (fat serve). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readPassword(file: string | undefined): Promise<string> {
  let text: string;
  if (file !== undefined) {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read the password file ${file}: ${(e as Error).message}`);
    }
  } else {
    if (process.stdin.isTTY) process.stderr.write('password (then Enter and Ctrl-D): ');
    text = await readStdin();
  }
  const pw = text.replace(/\r?\n$/, '');
  if (!pw) throw new CliError(`no password given ${file !== undefined ? `in ${file}` : 'on standard input'}`);
  return pw;
}

async function asCli<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message);
  }
}

export function registerUser(program: Command<[], { home?: string }>): void {
  const user = program.command('user').description('users of the HTTP API (fat serve): add, disable, API tokens');
  user
    .command('add')
    .description('add a user; the password comes from standard input or --password-file (the first user must be --admin)')
    .argument('<name>', 'user name')
    .option('--admin', 'an admin (the same as --role admin)')
    .option('--role <role>', 'viewer, shifter, expert or admin (default shifter)')
    .option('--password-file <file>', 'read the password from this file instead of standard input')
    .action(async (name, opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { addUser } = await import('../web/users.js');
        const pw = await readPassword(opts.passwordFile);
        const role = opts.admin ? 'admin' : (opts.role ?? 'shifter');
        const { isRole, ROLES } = await import('../web/roles.js');
        if (!isRole(role)) throw new CliError(`--role ${role}: one of ${ROLES.join(', ')}`);
        const u = await asCli(() => addUser(ws, name, pw, role));
        process.stdout.write(`added user ${u.name} (${u.role})\n`);
      }),
    );
  user
    .command('role')
    .description('give a user another role: viewer (reading only), shifter, expert (abort, exclude) or admin')
    .argument('<name>', 'user name')
    .argument('<role>', 'viewer, shifter, expert or admin')
    .action(async (name, role, _opts, cmd) =>
      withWorkspace(cmd, async (ws) => {
        const { isRole, ROLES } = await import('../web/roles.js');
        if (!isRole(role)) throw new CliError(`role ${role}: one of ${ROLES.join(', ')}`);
        const { setRole } = await import('../web/users.js');
        await asCli(() => setRole(ws, name, role));
        process.stdout.write(`${name} is now a${role === 'admin' || role === 'expert' ? 'n' : ''} ${role}\n`);
      }),
    );
  // `fat user VERB <name>`: one call of web/users.js; what it returns is printed
  const byName = (verb: string, description: string, run: (users: typeof Users, ws: Workspace, name: string) => Promise<string>) =>
    user
      .command(verb)
      .description(description)
      .argument('<name>', 'user name')
      .action(async (name, _opts, cmd) =>
        withWorkspace(cmd, async (ws) => {
          const users = await import('../web/users.js');
          const out = await asCli(() => run(users, ws, name));
          process.stdout.write(`${out}\n`);
        }),
      );
  byName('disable', 'disable a user: logins, sessions and tokens stop working', async (users, ws, name) => {
    await users.disableUser(ws, name);
    return `disabled user ${name}`;
  });
  byName('token', 'print a new API token of a user (Authorization: Bearer TOKEN); it is stored hashed and shown once', (users, ws, name) =>
    users.createApiToken(ws, name),
  );
}
