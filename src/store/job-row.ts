/**
 * A job of the analysis queue as `listJobs` (job-queue.ts) reads it and GET /api/jobs sends it.
 * Types only, and no imports: records/api-types.ts, which the dashboard's type check reads, uses
 * them too.
 */
export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

/** What a job names: everything else (modules, files, goalposts) is read from the store and the station's home. */
export interface AnalysisJobData {
  station: string;
  /** the station's home folder: workers read its station file, module files and raw data there */
  home: string;
  runId: number;
  taskId: number;
  analysis: string;
  number: string;
}

export interface JobRow {
  id: string;
  state: JobState;
  data: AnalysisJobData;
  /** the result of a completed job, or the error of a failed one */
  output: unknown;
  /** the error of a failed job (or of the last try of one waiting to be retried) */
  error: string | null;
  retryCount: number;
  retryLimit: number;
  createdOn: string;
  startedOn: string | null;
  completedOn: string | null;
  archived: boolean;
}
