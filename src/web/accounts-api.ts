import { Hono } from 'hono';
import type { Workspace } from '../fat/home.js';
import { requireUser, type AuthEnv } from './auth.js';
import { addUser, disableUser } from './users.js';

/**
 * Accounts from the browser, as the seed expects ("if you cannot access the Logbook, simply make
 * a new user for yourself"):
 *   POST /api/signup {name, password}      a new shifter (201); a taken name is 409
 *   POST /api/users/:name/disable          admins only (403 for others)
 * The first user, an admin, is still made on the station with `fat user add NAME --admin`.
 */
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;

export function accountsApi(ws: Workspace) {
  const app = new Hono<AuthEnv>();

  app.post('/api/signup', async (c) => {
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
      const u = await addUser(ws, b.name, b.password, 'shifter');
      return c.json({ user: u.name, role: u.role }, 201);
    } catch (e) {
      // two sign-ups with one name at the same moment: the store's unique name decides
      if (/exists already|unique/i.test((e as Error).message)) return c.json({ error: `the user name ${b.name} is taken` }, 409);
      throw e;
    }
  });

  app.post('/api/users/:name/disable', requireUser(ws), async (c) => {
    if (c.var.user.role !== 'admin')
      return c.json({ error: `only an administrator can disable accounts (${c.var.user.name} is a ${c.var.user.role})` }, 403);
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
