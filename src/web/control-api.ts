import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Workspace } from '../station/workspace.js';
import { OperatorActionError, requestAction, type ActionRequest } from '../engine/operator-actions.js';
import { requireUser, type AuthEnv } from './auth.js';

/**
 * Operator actions over HTTP, the same as `fat pause|resume|abort|exclude|include`:
 *   POST /api/master/pause {reason}     POST /api/master/resume {}     POST /api/master/abort {reason}
 *   POST /api/modules/:serial/exclude {reason}     POST /api/modules/:serial/include {reason?}
 * Each needs a user (401 without, 403 without the CSRF token of a session or without the role:
 * pause and resume a shifter, abort, exclude and include an expert); a bad body is a 400
 * naming the field; a request that does not apply now (no master, not paused, ...) a 409, and
 * nothing changes. The request is recorded with the user's name, via 'web' (session) or 'api' (token).
 */
// each check its own message: a schema-wide `error` would also answer a too-long reason with "must be a string"
const reason = z
  .string({ error: (iss) => (iss.input === undefined ? 'is needed' : 'must be a string') })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(2000, { error: 'must be at most 2000 characters' });
const withReason = z.object({ reason }, { error: 'the body must be a JSON object {reason}' });
const optionalReason = z.object({ reason: reason.optional() }, { error: 'the body must be a JSON object' });

async function body(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return Symbol.for('invalid json');
  }
}

function fieldError(e: z.ZodError): string {
  const i = e.issues[0];
  const field = i?.path.length ? `field "${i.path.join('.')}"` : 'the body';
  return `${field}: ${i?.message ?? 'invalid'}`;
}

export function controlApi(ws: Workspace) {
  const api = new Hono<AuthEnv>();

  const act = (action: ActionRequest['action'], schema: typeof withReason | typeof optionalReason, target?: (c: Context) => string) =>
    api.post(
      action === 'exclude' || action === 'include' ? `/api/modules/:serial/${action}` : `/api/master/${action}`,
      requireUser(ws, action),
      async (c) => {
        const raw = await body(c);
        if (typeof raw === 'symbol') return c.json({ error: 'the body is not valid JSON' }, 400);
        const parsed = schema.safeParse(raw);
        if (!parsed.success) return c.json({ error: fieldError(parsed.error) }, 400);
        try {
          const r = await requestAction(ws, {
            action,
            target: target?.(c),
            reason: parsed.data.reason,
            by: c.var.user.name,
            via: c.req.header('authorization') ? 'api' : 'web',
          });
          return c.json({ request: r.request, message: r.message });
        } catch (e) {
          if (e instanceof OperatorActionError) return c.json({ error: `${e.message}; nothing was changed` }, e.invalid ? 400 : 409);
          throw e;
        }
      },
    );

  act('pause', withReason);
  act('resume', optionalReason);
  act('abort', withReason);
  act('exclude', withReason, (c) => c.req.param('serial') ?? '');
  act('include', optionalReason, (c) => c.req.param('serial') ?? '');
  return api;
}
