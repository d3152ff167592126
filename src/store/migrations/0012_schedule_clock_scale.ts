import type { Kysely } from 'kysely';

/**
 * The clock a schedule ran on, in lab seconds per wall second (1 on a real lab, the time scale of
 * a simulated one, 0 for virtual time). Task times are lab times, and what a task spends talking
 * to instruments takes wall time, so the lab duration of the same task differs between clocks:
 * learned durations (src/views/task-durations.ts) come only from schedules of the same clock.
 * NULL for schedules written before it was kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('schedules').addColumn('clock_scale', 'double precision').execute();
}
