import { Hono } from 'hono';
import type PgBoss from 'pg-boss';
import { storeUrl, type Workspace } from '../station/workspace.js';
import { isPostgresUrl, JobRequestError, listJobs, openBoss, retryJob } from '../store/job-queue.js';
import { requireUser, type AuthEnv } from './auth.js';
import type { JobsAnswer } from '../records/api-types.js';

/**
 * The analysis jobs of a PostgreSQL store, as `fat jobs`:
 *   GET /api/jobs[?failed=1][&station=NAME][&limit=N]   newest first, a failed job with its error
 *   POST /api/jobs/:id/retry                             (login) re-queues a failed job
 * On SQLite there is no queue (analyses run inside the master): the list is empty and says so.
 */
export function jobsApi(ws: Workspace) {
  const api = new Hono<AuthEnv>();
  const url = storeUrl(ws.home, ws.station);
  const queue = isPostgresUrl(url);

  // one short connection per request: the queue is looked at seldom, and nothing stays open
  async function withBoss<T>(fn: (boss: PgBoss) => Promise<T>): Promise<T> {
    const boss = await openBoss(url);
    try {
      return await fn(boss);
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  }

  api.get('/api/jobs', async (c) => {
    if (!queue)
      return c.json({
        queue: null,
        jobs: [],
        message: 'this store is SQLite: analyses run inside the master, there is no job queue',
      } satisfies JobsAnswer);
    const limitRaw = c.req.query('limit');
    const limit = limitRaw === undefined ? 100 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return c.json({ error: `query parameter limit: expected a whole number 1..1000, got ${JSON.stringify(limitRaw)}` }, 400);
    const failed = c.req.query('failed');
    const jobs = await withBoss((boss) =>
      listJobs(boss, { failed: failed === '1' || failed === 'true', station: c.req.query('station') || undefined, limit }),
    );
    return c.json({ queue: 'pg-boss', jobs } satisfies JobsAnswer);
  });

  api.post('/api/jobs/:id/retry', requireUser(ws, 'retry-job'), async (c) => {
    if (!queue) return c.json({ error: 'this store is SQLite: there is no job queue, nothing to retry' }, 409);
    try {
      const job = await withBoss((boss) => retryJob(boss, c.req.param('id')));
      return c.json({ job, message: `job ${job.id} is queued again for fat worker`, by: c.var.user.name });
    } catch (e) {
      if (e instanceof JobRequestError)
        return c.json({ error: e.message }, e.reason === 'invalid' ? 400 : e.reason === 'not-found' ? 404 : 409);
      throw e;
    }
  });
  return api;
}
