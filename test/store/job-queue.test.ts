import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobPolicy, listJobs, openBoss, retryJob, sendAnalysisJob, type AnalysisJobData } from '../../src/store/job-queue.js';
import { PG_URL, pgDatabaseUrl } from '../helpers/pg-schema.js';

/**
 * The analysis queue on a real PostgreSQL (a database of this file's own, dropped at the end): an
 * analysis of a task is queued once however often the master sends it, a failed job is listed with
 * its error and can be retried, and bad requests name what is wrong.
 */
const ADMIN = PG_URL;
const DB = `icefat_jobq_${process.pid}_${Date.now().toString(36)}`;
const URL = pgDatabaseUrl(DB);

const job = (taskId: number): AnalysisJobData => ({
  station: 'freezer-a',
  home: '/nowhere',
  runId: 1,
  taskId,
  analysis: 'darkrate',
  number: 'latest',
});

describe('analysis job queue (pg-boss)', () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client(ADMIN);
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB}`);
  });
  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch(() => undefined);
    await admin?.end();
  });

  it('queues an analysis of a task once; another task is another job', async () => {
    const a = await sendAnalysisJob(URL, job(7));
    const again = await sendAnalysisJob(URL, job(7));
    const other = await sendAnalysisJob(URL, job(8));
    expect(a.queued).toBe(true);
    expect(again).toEqual({ id: a.id, queued: false });
    expect(other.queued).toBe(true);
    expect(other.id).not.toBe(a.id);
    const boss = await openBoss(URL);
    try {
      const rows = await listJobs(boss, { station: 'freezer-a' });
      expect(rows.map((r) => r.data.taskId).sort()).toEqual([7, 8]);
      expect(rows.every((r) => r.state === 'created' && r.error === null)).toBe(true);
      expect(await listJobs(boss, { station: 'freezer-b' })).toEqual([]);
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });

  it('a failed job shows its error and goes back to the queue on retry; other retries are refused with the reason', async () => {
    const sent = await sendAnalysisJob(URL, job(9), { retryLimit: 0, retryDelayS: 0, expireInS: 60 });
    const boss = await openBoss(URL);
    try {
      await boss.fail('fat-analysis', sent.id, new Error('run 1 of station freezer-a has no task with id 9'));
      const [failed] = await listJobs(boss, { failed: true });
      expect(failed).toMatchObject({ id: sent.id, state: 'failed', error: 'run 1 of station freezer-a has no task with id 9' });
      const back = await retryJob(boss, sent.id);
      expect(back.state).toBe('retry');
      expect(await listJobs(boss, { failed: true })).toEqual([]);
      await expect(retryJob(boss, sent.id)).rejects.toThrow(`job ${sent.id} is retry, not failed`);
      await expect(retryJob(boss, 'banana')).rejects.toThrow('"banana" is not a job id');
      await expect(retryJob(boss, '00000000-0000-4000-8000-000000000000')).rejects.toThrow('no analysis job 00000000');
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
  });

  it('the job policy comes from the environment, and a bad value names the variable', () => {
    expect(jobPolicy({})).toEqual({ retryLimit: 3, retryDelayS: 30, expireInS: 900 });
    expect(jobPolicy({ FAT_JOB_EXPIRE_S: '12', FAT_JOB_RETRY_LIMIT: '0' })).toMatchObject({ expireInS: 12, retryLimit: 0 });
    expect(() => jobPolicy({ FAT_JOB_EXPIRE_S: '0' })).toThrow('FAT_JOB_EXPIRE_S="0": expected a whole number >= 1');
    expect(() => jobPolicy({ FAT_JOB_RETRY_DELAY_S: 'soon' })).toThrow('FAT_JOB_RETRY_DELAY_S="soon"');
  });
});
