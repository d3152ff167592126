import fs from 'node:fs';
import { Readable } from 'node:stream';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Workspace } from '../station/workspace.js';
import { attachmentRow, getEntry, LogbookError, postEntry, searchEntries, type NewAttachment } from '../logbook/entries.js';
import { syncAutoEntries } from '../logbook/auto.js';
import { attachmentPath, isInline, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from '../logbook/files.js';
import { newRunForm, submitNewRunForm } from '../views/new-run-form.js';
import { requireUser, type AuthEnv } from './auth.js';
import { limitBody } from './guards.js';
import type { LogbookAnswer, LogbookEntry, NewRunForm } from '../records/api-types.js';

/**
 * The logbook's API. Reading is open (like the rest of the API); posting needs a user (session
 * cookie + X-CSRF-Token, or a bearer token) who becomes the author.
 *   GET  /api/logbook?q=&tag=&run=&author=&kind=&limit=   entries, newest first
 *   GET  /api/logbook/:id
 *   POST /api/logbook                  JSON {text, tags?, run?} or multipart (text, tags, run, files)
 *   GET  /api/logbook/attachments/:id
 *   GET  /api/logbook/new-run-form?run=N      the Start New Run form filled in from the run
 *   POST /api/logbook/new-run-form     JSON {run, laserPowerSupplyOn, remarks?}: the confirmed form
 */
// the whole request is held in memory while it is read: one entry's files together stay below this
const MAX_BODY_BYTES = 100 * 1024 * 1024;
const MAX_TEXT_BYTES = 1024 * 1024;

type Fields = Record<string, unknown>;

/** Brings in the automatic entries of new events; if that fails, the entries already made are still listed. */
async function sync(ws: Workspace): Promise<void> {
  try {
    await syncAutoEntries(ws);
  } catch (e) {
    process.stderr.write(`fat serve: the logbook's automatic entries could not be brought up to date: ${(e as Error).message}\n`);
  }
}

function fail(c: Context, e: unknown) {
  if (e instanceof LogbookError) return c.json({ error: e.message }, e.status);
  throw e;
}

function intParam(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v.trim())) throw new LogbookError(`"${what}": "${v}" is not a whole number`);
  return Number(v);
}

function optRun(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v);
  throw new LogbookError(`"run": ${JSON.stringify(v)} is not a run number`);
}

function tagsOf(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  const list: unknown[] = Array.isArray(v) ? (v as unknown[]) : [v];
  // a form sends "a, b" in one field; anything else is left for checkTags to name
  return list.flatMap((t): unknown[] =>
    typeof t === 'string'
      ? t
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [t],
  ) as string[];
}

async function readBody(c: Context): Promise<{ fields: Fields; files: NewAttachment[] }> {
  const type = c.req.header('content-type') ?? '';
  if (type.startsWith('multipart/form-data')) {
    let body: Record<string, string | File | (string | File)[]>;
    try {
      body = await c.req.parseBody({ all: true });
    } catch (e) {
      throw new LogbookError(`the multipart body could not be read: ${(e as Error).message}`);
    }
    const fields: Fields = {};
    const files: NewAttachment[] = [];
    for (const [k, v] of Object.entries(body)) {
      const vals = Array.isArray(v) ? v : [v];
      const texts: string[] = [];
      for (const x of vals) {
        if (typeof x === 'string') texts.push(x);
        else if (x.size > 0 || x.name) files.push({ filename: x.name, data: new Uint8Array(await x.arrayBuffer()) });
      }
      if (texts.length) fields[k] = k === 'tags' ? texts : texts[texts.length - 1];
    }
    return { fields, files };
  }
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new LogbookError('the body must be JSON {text, tags?, run?} or multipart/form-data with files');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new LogbookError('the body must be a JSON object {text, tags?, run?}');
  return { fields: json as Fields, files: [] };
}

export function logbookApi(ws: Workspace) {
  const app = new Hono<AuthEnv>();
  const limit = postLimit();

  app.get('/api/logbook', async (c) => {
    try {
      await sync(ws);
      const q = c.req.query();
      const entries = await searchEntries(ws, {
        text: q.q || undefined,
        tag: q.tag || undefined,
        author: q.author || undefined,
        kind: q.kind || undefined,
        run: intParam(q.run, 'run'),
        limit: intParam(q.limit, 'limit'),
      });
      return c.json({ station: ws.station.name, entries } satisfies LogbookAnswer);
    } catch (e) {
      return fail(c, e);
    }
  });

  app.get('/api/logbook/:id{[0-9]+}', async (c) => {
    await sync(ws);
    const e = await getEntry(ws, Number(c.req.param('id')));
    return e ? c.json(e satisfies LogbookEntry) : c.json({ error: `there is no logbook entry ${c.req.param('id')}` }, 404);
  });

  app.post('/api/logbook', requireUser(ws, 'logbook'), limit, async (c) => {
    try {
      const { fields, files } = await readBody(c);
      if (typeof fields.text !== 'string') throw new LogbookError('"text": the entry\'s text (Markdown) is needed');
      if (fields.tags !== undefined && !Array.isArray(fields.tags) && typeof fields.tags !== 'string')
        throw new LogbookError('"tags": a list of tags is expected');
      const entry = await postEntry(ws, {
        text: fields.text,
        tags: tagsOf(fields.tags),
        run: optRun(fields.run),
        author: c.var.user.name,
        files,
      });
      return c.json(entry satisfies LogbookEntry, 201);
    } catch (e) {
      return fail(c, e);
    }
  });

  app.get('/api/logbook/attachments/:id', (c) => serveAttachment(ws, c));

  app.get('/api/logbook/new-run-form', async (c) => {
    try {
      return c.json((await newRunForm(ws, c.req.query('run'))) satisfies NewRunForm);
    } catch (e) {
      return fail(c, e);
    }
  });

  app.post('/api/logbook/new-run-form', requireUser(ws, 'logbook'), (c) => postNewRunForm(ws, c));

  return app;
}

/** Files only in multipart posts, and only after authentication (the route checks the user first). */
function postLimit(): MiddlewareHandler {
  const withFiles = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      c.json(
        {
          error: `the request is larger than ${MAX_BODY_BYTES / 1048576} MiB: attach at most ${MAX_ATTACHMENTS} files of ${MAX_ATTACHMENT_BYTES / 1048576} MiB, ${MAX_BODY_BYTES / 1048576} MiB together`,
        },
        413,
      ),
  });
  const textOnly = limitBody(MAX_TEXT_BYTES, 'a logbook entry without files');
  return (c, next) => ((c.req.header('content-type') ?? '').startsWith('multipart/form-data') ? withFiles(c, next) : textOnly(c, next));
}

async function serveAttachment(ws: Workspace, c: Context<AuthEnv, '/api/logbook/attachments/:id'>) {
  const raw = c.req.param('id');
  const row = /^\d+$/.test(raw) ? await attachmentRow(ws, Number(raw)) : undefined;
  const file = row ? attachmentPath(ws.home, row.path) : undefined;
  if (!row || !file) return c.json({ error: `there is no logbook attachment ${raw}` }, 404);
  const body = Readable.toWeb(fs.createReadStream(file)) as ReadableStream;
  const disposition = isInline(row.content_type) ? 'inline' : 'attachment';
  return c.body(body, 200, {
    'content-type': row.content_type,
    'content-length': String(fs.statSync(file).size),
    'content-disposition': `${disposition}; filename*=UTF-8''${encodeURIComponent(row.filename)}`,
    'x-content-type-options': 'nosniff',
    // an SVG or a PDF from someone's laptop must not run script in the dashboard's origin
    'content-security-policy': "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    'cache-control': 'private, max-age=31536000, immutable',
  });
}

async function postNewRunForm(ws: Workspace, c: Context<AuthEnv>) {
  try {
    const { fields } = await readBody(c);
    const run = optRun(fields.run);
    if (run === null) throw new LogbookError('"run": the run number of the form is needed');
    if (typeof fields.laserPowerSupplyOn !== 'boolean')
      throw new LogbookError('"laserPowerSupplyOn": true or false is needed (is the laser power supply on?)');
    if (fields.remarks !== undefined && typeof fields.remarks !== 'string') throw new LogbookError('"remarks": must be text');
    const entry = await submitNewRunForm(ws, {
      run,
      author: c.var.user.name,
      laserPowerSupplyOn: fields.laserPowerSupplyOn,
      remarks: typeof fields.remarks === 'string' ? fields.remarks : '',
      tags: tagsOf(fields.tags),
    });
    return c.json(entry satisfies LogbookEntry, 201);
  } catch (e) {
    return fail(c, e);
  }
}
