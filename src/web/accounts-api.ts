import { Hono } from 'hono';
import type { Workspace } from '../station/workspace.js';
import { requireUser, type AuthEnv } from './auth.js';
import { clientAddress, tooMany } from './guards.js';
import { isRole, ROLES } from './roles.js';
import { Throttle } from './throttle.js';
import { addUser, disableUser, setRole } from './users.js';

/**
 * Accounts from the browser, as the seed expects ("if you cannot access the Logbook, simply make
 * a new user for yourself"):
 *   POST /api/signup {name, password}      a new account (201); a taken name is 409
 *   POST /api/users/:name/role {role}      admins only: approve a viewer, make an expert, ...
 *   POST /api/users/:name/disable          admins only (403 for others)
 * The first user, an admin, is still made on the station with `fat user add NAME --admin`.
 * Who may sign up depends on where the server listens (`SignupPolicy`): on loopback only people
 * on the station can reach it, so a sign-up is a shifter; on a lab network self sign-up is off
 * unless `fat serve --signup`, and then new accounts are viewers until an admin approves them.
 */
export type SignupPolicy = 'open' | 'viewer' | 'off';

/** The default policy for a server listening on `host`. */
export function signupPolicyFor(host: string, allowSignup: boolean): SignupPolicy {
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return loopback ? 'open' : allowSignup ? 'viewer' : 'off';
}

/** Sign-ups per address: 10 an hour, whether they succeed or not. */
const SIGNUPS_PER_HOUR = 10;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;

export function accountsApi(ws: Workspace, opts: { policy: SignupPolicy; trustProxy: boolean }) {
  const app = new Hono<AuthEnv>();
  const signups = new Throttle(SIGNUPS_PER_HOUR, 3600_000);

  app.post('/api/signup', async (c) => {
    if (opts.policy === 'off')
      return c.json(
        {
          error:
            'self sign-up is off on this server (it listens beyond this machine): ask an administrator for an account (`fat user add NAME`), or start `fat serve --signup` to allow read-only sign-ups',
        },
        403,
      );
    const address = clientAddress(c, opts.trustProxy);
    const wait = signups.retryAfterS(address);
    if (wait) return tooMany(c, wait, 'sign-ups');
    signups.fail(address);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'the body must be JSON {name, password}' }, 400);
    }
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof b.name !== 'string' || !NAME.test(b.name))
      return c.json({ error: 'field "name": 1-64 letters, digits, ".", "_" or "-" are needed' }, 400);
    if (typeof b.password !== 'string' || b.password.length < MIN_PASSWORD || b.password.length > MAX_PASSWORD)
      return c.json({ error: `field "password": ${MIN_PASSWORD} to ${MAX_PASSWORD} characters are needed` }, 400);
    const anyone = await ws.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (!anyone)
      return c.json(
        { error: 'there is no administrator yet: the first user is added on the station with `fat user add NAME --admin`' },
        403,
      );
    const taken = await ws.db.selectFrom('users').select('id').where('name', '=', b.name).executeTakeFirst();
    if (taken) return c.json({ error: `the user name ${b.name} is taken: choose another or log in` }, 409);
    try {
      const u = await addUser(ws, b.name, b.password, opts.policy === 'open' ? 'shifter' : 'viewer');
      return c.json({ user: u.name, role: u.role }, 201);
    } catch (e) {
      // two sign-ups with one name at the same moment: the store's unique name decides
      if (/exists already|unique/i.test((e as Error).message)) return c.json({ error: `the user name ${b.name} is taken` }, 409);
      throw e;
    }
  });

  app.post('/api/users/:name/role', requireUser(ws, 'manage-users'), async (c) => {
    const name = c.req.param('name');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: `the body must be JSON {role: ${ROLES.map((r) => `"${r}"`).join(' | ')}}` }, 400);
    }
    const role = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).role : undefined;
    if (typeof role !== 'string' || !isRole(role)) return c.json({ error: `field "role": one of ${ROLES.join(', ')}` }, 400);
    if (name === c.var.user.name)
      return c.json({ error: 'you cannot change your own role (ask another administrator, or `fat user role`)' }, 409);
    const u = await ws.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
    if (!u) return c.json({ error: `there is no user ${name}` }, 404);
    await setRole(ws, name, role);
    return c.json({ user: name, role, by: c.var.user.name });
  });

  app.post('/api/users/:name/disable', requireUser(ws, 'manage-users'), async (c) => {
    const name = c.req.param('name');
    if (name === c.var.user.name)
      return c.json({ error: 'you cannot disable your own account (ask another administrator, or `fat user disable`)' }, 409);
    const u = await ws.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
    if (!u) return c.json({ error: `there is no user ${name}` }, 404);
    await disableUser(ws, name);
    return c.json({ disabled: name, by: c.var.user.name });
  });

  return app;
}
