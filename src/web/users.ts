import type { Workspace } from '../station/workspace.js';
import { nowIso } from '../store/open.js';
import { hashPassword, hashToken, newToken, verifyPassword } from './password.js';
import { isRole, ROLES, type Role } from './roles.js';

/** Users of the web API: added, disabled and given tokens with `fat user`; looked up by the server. */
export type { Role } from './roles.js';

export interface User {
  id: number;
  name: string;
  role: Role;
}

export const SESSION_HOURS = 12;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export async function addUser(ws: Workspace, name: string, password: string, role: Role): Promise<User> {
  if (!NAME.test(name)) throw new Error(`user name "${name}" must be 1-64 letters, digits, ".", "_" or "-"`);
  if (!isRole(role)) throw new Error(`role "${String(role)}" is not one of ${ROLES.join(', ')}`);
  if (password.length < 8) throw new Error(`the password of ${name} must have at least 8 characters`);
  const count = await ws.db
    .selectFrom('users')
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(count.n) === 0 && role !== 'admin') throw new Error(`the first user must be an admin: add ${name} with --admin`);
  const exists = await ws.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
  if (exists) throw new Error(`user ${name} exists already`);
  const row = await ws.db
    .insertInto('users')
    .values({ name, password_hash: await hashPassword(password), role, created_at: nowIso() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, name, role };
}

async function activeUser(ws: Workspace, name: string) {
  const u = await ws.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  if (!u) throw new Error(`there is no user ${name}`);
  return u;
}

/** Disables a user: logins, sessions and tokens of theirs stop working at once. */
export async function disableUser(ws: Workspace, name: string): Promise<void> {
  const u = await activeUser(ws, name);
  await ws.db.updateTable('users').set({ disabled: 1 }).where('id', '=', u.id).execute();
  await ws.db.deleteFrom('sessions').where('user_id', '=', u.id).execute();
}

/** A new API token for a user; only its hash is stored, so it is shown once. */
export async function createApiToken(ws: Workspace, name: string): Promise<string> {
  const u = await activeUser(ws, name);
  if (u.disabled) throw new Error(`user ${name} is disabled: no token is given`);
  const token = newToken();
  await ws.db
    .insertInto('api_tokens')
    .values({ user_id: u.id, token_hash: hashToken(token), created_at: nowIso() })
    .execute();
  return token;
}

export interface Session {
  token: string;
  csrf: string;
  user: User;
}

// an unknown name costs a password check too, so the time of the answer does not tell who exists
let decoyHash: Promise<string> | undefined;

/** Checks a name and password and opens a session; undefined when either is wrong or the user is disabled. */
export async function login(ws: Workspace, name: string, password: string): Promise<Session | undefined> {
  const u = await ws.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  const ok = await verifyPassword(password, u ? u.password_hash : await (decoyHash ??= hashPassword(newToken())));
  if (!u || u.disabled || !ok) return undefined;
  const token = newToken();
  const csrf = newToken();
  const now = Date.now();
  await ws.db
    .insertInto('sessions')
    .values({
      user_id: u.id,
      token_hash: hashToken(token),
      csrf_token: csrf,
      created_at: nowIso(now),
      expires_at: nowIso(now + SESSION_HOURS * 3600_000),
    })
    .execute();
  return { token, csrf, user: { id: u.id, name: u.name, role: u.role } };
}

export async function sessionUser(ws: Workspace, token: string): Promise<{ user: User; csrf: string } | undefined> {
  const s = await ws.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.name', 'users.role', 'users.disabled', 'sessions.csrf_token', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!s || s.disabled || Date.parse(s.expires_at) < Date.now()) return undefined;
  return { user: { id: s.id, name: s.name, role: s.role }, csrf: s.csrf_token };
}

/** Gives a user another role (an administrator approving a self-signed viewer, say). */
export async function setRole(ws: Workspace, name: string, role: Role): Promise<void> {
  if (!isRole(role)) throw new Error(`role "${String(role)}" is not one of ${ROLES.join(', ')}`);
  const u = await activeUser(ws, name);
  await ws.db.updateTable('users').set({ role }).where('id', '=', u.id).execute();
}

export async function logout(ws: Workspace, token: string): Promise<void> {
  await ws.db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}

export async function tokenUser(ws: Workspace, token: string): Promise<User | undefined> {
  const t = await ws.db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['users.id', 'users.name', 'users.role', 'users.disabled'])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!t || t.disabled) return undefined;
  return { id: t.id, name: t.name, role: t.role };
}
