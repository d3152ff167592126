/**
 * The JSON of the HTTP API of `fat serve`, declared once: the read models that make it (src/engine,
 * src/fat, src/report), the handlers that send it (src/web) and the dashboard that reads it
 * (src/web/ui) all import these types, so a change on one side fails the type check of the other.
 *
 * Types only: the dashboard's build and its type check (DOM, no Node types) read this file too, so
 * it imports nothing but types, from store files that import no more than kysely's types
 * (schema.ts, job-row.ts). It sits below every floor that makes these answers (DESIGN.md §3), so a
 * read model imports it without importing upwards.
 */
import type { Selectable } from 'kysely';
import type { JobRow } from '../store/job-row.js';
import type { EventTable } from '../store/schema.js';

// ---- the station now: GET /api/status (and `fat status`) ----------------------------------------

/** A pause by a person (in effect, or waiting for the next task boundary), and requests not yet handled. */
export interface OperatorStatus {
  paused: { by: string; reason: string | null; requestedAt: string; inEffect: boolean; via: string; resumeWith: string } | null;
  pending: Array<{
    id: number;
    action: 'pause' | 'resume' | 'abort' | 'exclude' | 'include';
    /** exclude/include: the module's serial */
    target: string | null;
    reason: string | null;
    by: string;
    via: 'cli' | 'web' | 'api' | 'slack';
    requestedAt: string;
  }>;
}

/** A row of the store's events table (`data` is JSON). */
export type StationEvent = Selectable<EventTable>;

export interface Status {
  station: string;
  master: { holder: string; since: string; alive: boolean } | null;
  run: { number: number; comment: string; date: string } | null;
  schedule: {
    key: string;
    file: string;
    state: string;
    endedAt: string | null;
    endReason: string | null;
    done: number;
    total: number;
    /** lab seconds to go and the lab time of the end, from the station's learned durations */
    remainingS: number;
    eta: string;
    /** what the learned durations rest on: "median of 6 runs", "catalogue estimates: ..." */
    basis: string;
    /** lab seconds to go by the catalogue's fixed estimates */
    catalogueRemainingS: number;
    current: { index: number; section: string; kind: string; progress: number; note: string; startedAt: string | null } | null;
    failed: Array<{ index: number; section: string; error: string | null }>;
    nextPerson: { idx: number; section: string; what: string; atMs: number; at: string } | null;
  } | null;
  modules: Array<{ port: number; degg_serial: string; state: string; state_reason: string | null }>;
  prompt: { id: number; kind: string; message: string; openedAt: string } | null;
  operator: OperatorStatus;
  backupLagS: number;
  /** Slack messages waiting in the outbox */
  slack: { pending: number; oldestAgeS: number; lastError: string | null };
  /** the last five, oldest first, without debug events */
  events: Array<Pick<StationEvent, 'time' | 'level' | 'message'>>;
}

// ---- every station of the store: GET /api/stations ----------------------------------------------

export interface StationView {
  name: string;
  /** the station of this server */
  here: boolean;
  master: Status['master'];
  run: Status['run'];
  schedule: Status['schedule'];
  current: NonNullable<Status['schedule']>['current'];
  prompt: Status['prompt'];
  modules: { total: number; excluded: number };
  /** the last 20 warnings and errors, newest first */
  alerts: Array<Pick<StationEvent, 'time' | 'level' | 'kind' | 'message'>>;
  events: Status['events'];
}

export interface StationsAnswer {
  stations: StationView[];
}

// ---- the analysis jobs: GET /api/jobs -------------------------------------------------------------

/** A job of the analysis queue, as the queue lists it (store/job-row.ts). */
export type JobView = JobRow;

/** A SQLite store has no queue: no jobs, and a message that says so. */
export type JobsAnswer = { queue: 'pg-boss'; jobs: JobView[] } | { queue: null; jobs: JobView[]; message: string };

// ---- results and verdicts -------------------------------------------------------------------------

/** As analysis/goalposts.ts's Verdict (which imports nothing of ours). */
export type Verdict = 'pass' | 'marginal' | 'fail';

/**
 * A module's verdict for a run: the worst of its latest result per (PMT, quantity). A module with
 * nothing judged (no results, or info only) is "not judged", never a failure.
 */
export type ModuleVerdict = Verdict | 'not judged';

export interface Provenance {
  icefatCommit: string | null;
  icefatDirty: boolean | null;
  scheduleHash: string | null;
  station: string;
  operator: string;
  goalpostsVersion: string;
  goalpostsFile: string;
  firmware: { fpga: number; software: number } | null;
  /** results of `fat import`: the original's file they were read from */
  importedFrom?: string;
}

export interface ResultRecord {
  id: number;
  taskId: number | null;
  kind: string;
  port: number;
  serial: string;
  pmt: string | null;
  name: string;
  value: number | null;
  units: string;
  verdict: Verdict | 'info';
  reason: string;
  goalpostsVersion: string;
  folder: string | null;
  detail: Record<string, unknown>;
  provenance: Partial<Provenance>;
  createdAt: string;
  /** a later result of the same (PMT, quantity) replaced this one */
  superseded: boolean;
}

/** A module of a run: where it is, whether it is still tested, and its verdict with why. */
export interface JudgedModule {
  port: number;
  serial: string;
  /** 'active' or 'excluded' (with why) */
  state: string;
  stateReason: string | null;
  verdict: ModuleVerdict;
  reasons: string[];
}

export interface ModuleReport extends JudgedModule {
  /** latest results that were judged, and those recorded as info */
  judged: number;
  info: number;
}

// ---- runs: GET /api/runs, GET /api/runs/:number ---------------------------------------------------

export interface RunSummary {
  number: number;
  /** the station's own, or the one `fat import` filed the original's run under */
  station: string;
  comment: string;
  date: string;
  operator: string;
  modules: number;
  schedules: Array<{ key: string; state: string; total: number; done: number; failed: number }>;
}

export interface RunsAnswer {
  station: string;
  runs: RunSummary[];
}

export interface Task {
  idx: number;
  section: string;
  kind: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  attempts: number;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  progress: number;
  progress_note: string;
}

/** A file of the run; `link` is its URL under /files/, or null when it is not served. */
export interface FileRef {
  path: string;
  link: string | null;
}

export interface RunDetail {
  number: number;
  comment: string;
  date: string;
  operator: string;
  runFile: FileRef;
  schedules: Array<{
    key: string;
    file: string;
    state: string;
    createdAt: string;
    endedAt: string | null;
    endReason: string | null;
    tasks: Task[];
  }>;
  verdicts: ModuleReport[];
  files: Array<FileRef & { what: string }>;
  backups: Array<{
    id: number;
    created_at: string;
    state: 'pending' | 'done' | 'failed';
    attempts: number;
    destination: string;
    snapshot_path: string;
    last_error: string | null;
    done_at: string | null;
  }>;
  /** the run's last 500 events, oldest first */
  log: Array<Pick<StationEvent, 'id' | 'time' | 'level' | 'kind' | 'message'>>;
}

// ---- modules: GET /api/modules, GET /api/modules/:serial, GET /api/modules/:serial/spe ------------

/** A headline quantity of a module (src/views/headlines.ts): its latest value per PMT. */
export interface HeadlineValues {
  key: string;
  title: string;
  units: string;
  /** by PMT name; a PMT never measured is absent, not zero */
  perPmt: Partial<Record<string, number>>;
}

/**
 * A tile of the dashboard's grid of a run's D-Eggs: per module its port, state, verdict, the
 * latest value of each headline quantity (HV at gain 1e7, dark rate, SPE height) per PMT, and
 * the latest mainboard temperature the results recorded.
 */
export interface ModuleTile extends JudgedModule {
  headlines: HeadlineValues[];
  temperatureC: number | null;
  temperatureAt: string | null;
}

/** The tiles of a run (the latest unless ?run=); no run yet: run null and no modules. */
export interface ModulesAnswer {
  run: number | null;
  modules: ModuleTile[];
}

export interface RunInfo {
  id: number;
  runNumber: number;
  comment: string;
  date: string;
  operator: string;
  station: string;
}

export interface GainCurve {
  /** e.g. "LowerPmt SQ0123" */
  label: string;
  /** the D-Egg JSON entry it came from, e.g. GainMeasurement_00 */
  entry?: string;
  points: Array<{ hv: number; gain: number; gainError?: number }>;
  /** G = norm · V^exp (GainFitNorm, GainFitExp), when the scan was fitted */
  fit?: { norm: number; exp: number };
  hv1e7?: number;
}

/**
 * What a report shows of one module, read from the store (modules and results tables), the
 * goalposts file and the module's D-Egg JSON file (the gain scan points).
 */
export interface ModuleData extends JudgedModule {
  run: RunInfo;
  wirePair: number;
  icmId: string;
  fpgaVersion: number;
  softwareVersion: number;
  flashId: string;
  mainboardId: string;
  registry: Record<string, unknown>;
  jsonFile: string;
  /** every result row, oldest first, `superseded` set */
  results: ResultRecord[];
  /** the latest gain scan of each PMT found in the D-Egg JSON file */
  gain: GainCurve[];
  /** why there is no gain plot for a PMT (no scan, unreadable file) */
  gainNotes: string[];
}

/**
 * One D-Egg across every run of the station and the runs imported from the original system: per
 * run what a report shows, and the series its plots need.
 */
export interface ModuleHistory {
  serial: string;
  /** which runs this answer holds: `limit` (null: all) from the `offset`-th newest of `total` */
  page: { offset: number; limit: number | null; total: number };
  runs: ModuleData[];
  darkVsTemperature: Array<{ run: number; pmt: string; temperatureC: number; rateHz: number; at: string }>;
  linearity: Array<{ run: number; pmt: string; at: string; points: Array<{ expectedPe: number; observedPe: number }> }>;
  sensors: Array<{ run: number; at: string; temperatureC?: number; pressureHpa?: number }>;
}

/** The SPE charge histogram of a PMT's latest gain scan, at its last HV point. */
export interface SpeHistogram {
  pmt: string;
  entry: string;
  hvVolts: number;
  file: string;
  entries: number;
  centresPc: number[];
  counts: number[];
}

/** The histograms of the module's latest run; a PMT without one gets a note instead. */
export interface SpeAnswer {
  serial: string;
  run: number;
  histograms: SpeHistogram[];
  notes: string[];
}

// ---- the freezer and the air: GET /api/environment ------------------------------------------------

export interface Environment {
  station: string;
  bands: { humidityMaxPct: number; freezerBandC: number; resumeAfterS: number };
  thermometer: Array<{ at: string; channel: string; name: string; temperatureC: number }>;
  humidity: Array<{ at: string; sensor: string; relativeHumidityPct: number; temperatureC?: number }>;
  setPoints: Array<{ at: string; setPointC: number }>;
  mainboard: Array<{ at: string; serial: string; temperatureC: number }>;
  conditions: Array<{ at: string; kind: string; message: string }>;
}

// ---- the logbook: GET/POST /api/logbook, GET/POST /api/logbook/new-run-form -----------------------

export interface LogbookAttachment {
  id: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface LogbookEntry {
  id: number;
  station: string;
  /** the run's number, or null */
  run: number | null;
  author: string;
  createdAt: string;
  text: string;
  tags: string[];
  source: 'user' | 'auto';
  kind: string;
  attachments: LogbookAttachment[];
}

/** Entries, newest first. */
export interface LogbookAnswer {
  station: string;
  entries: LogbookEntry[];
}

/**
 * The seed's "Start New Run" logbook form, filled in from the store; the shifter confirms that the
 * laser power supply is on and adds remarks.
 */
export interface NewRunForm {
  station: string;
  run: number;
  date: string;
  comment: string;
  runFile: string;
  modules: Array<{ port: number; serial: string; wirePair: number; state: string }>;
  checks: Array<{ check: string; subject: string; verdict: string; message: string; at: string }>;
  schedule: { file: string; archived: string; sha256: string; masterKey: string; state: string } | null;
  shifters: string[];
  /** the run's `fat preflight` walk: every step of the Quick Check list with its latest result (none: not reached) */
  preflight: {
    state: 'walking' | 'failed' | 'done';
    operator: string;
    startedAt: string;
    endedAt: string | null;
    steps: Array<{ step: string; title: string; state: 'pass' | 'warn' | 'fail' | null; message: string | null; at: string | null }>;
  } | null;
}

// ---- logging in: POST /api/login, GET /api/me -----------------------------------------------------

export interface Session {
  user: string;
  role: string;
}

/** The CSRF token is sent back as X-CSRF-Token on every POST of the session. */
export interface LoginAnswer extends Session {
  csrfToken: string;
}
