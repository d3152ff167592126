import type { ColumnType, Generated } from 'kysely';

/**
 * The tables of the store. Times are ISO-8601 strings in UTC (the same text on SQLite and
 * PostgreSQL); structured values are JSON text, read back through `parseJson`.
 */
type Id = Generated<number>;
type CreatedAt = ColumnType<string, string | undefined, never>;

export interface StationTable {
  name: string;
  created_at: CreatedAt;
}

export interface RunTable {
  id: Id;
  station: string;
  run_number: number;
  comment: string;
  date: string;
  operator: string;
  /** absolute path of the exported run_NNNNN.json */
  run_file: string;
  created_at: CreatedAt;
}

export interface ModuleTable {
  id: Id;
  run_id: number;
  port: number;
  wire_pair: number;
  degg_serial: string;
  icm_id: string;
  fpga_version: number;
  software_version: number;
  flash_id: string;
  mainboard_id: string;
  /** the registry row (serials of PMTs, glass, mainboard, flasher...) as JSON */
  registry: string;
  /** absolute path of the exported D-Egg JSON file */
  json_file: string;
  /** 'active' or 'excluded' */
  state: string;
  state_reason: string | null;
}

export interface InstrumentTable {
  id: Id;
  station: string;
  run_id: number | null;
  kind: string;
  name: string;
  address: string;
  identity: string;
  seen_at: string;
}

export interface CheckResultTable {
  id: Id;
  station: string;
  run_id: number | null;
  check_name: string;
  subject: string;
  reading: string;
  tolerance: string;
  verdict: 'pass' | 'fail' | 'warn' | 'info';
  message: string;
  /** git state of icefat and the station configuration when the check ran, as JSON */
  provenance: string;
  created_at: string;
}

export interface EventTable {
  id: Id;
  station: string;
  run_id: number | null;
  time: string;
  level: 'debug' | 'info' | 'warn' | 'error' | 'critical';
  kind: string;
  message: string;
  data: string;
}

export interface ScheduleTable {
  id: Id;
  run_id: number;
  /** the run JSON's MasterFAT_NN key this schedule writes */
  master_key: string;
  config_path: string;
  /** sha256 of the schedule file */
  config_hash: string;
  archived_path: string;
  /** 'active', 'completed', 'stopped' */
  state: Generated<string>;
  created_at: CreatedAt;
  ended_at: string | null;
  end_reason: string | null;
  /** lab seconds per wall second of the clock it ran on; 0: virtual time; null: not recorded (before 0011) */
  clock_scale: number | null;
}

export type TaskState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface TaskTable {
  id: Id;
  schedule_id: number;
  idx: number;
  section: string;
  kind: string;
  params: string;
  run_backup: Generated<number>;
  state: Generated<TaskState>;
  attempts: Generated<number>;
  estimate_s: Generated<number>;
  started_at: string | null;
  ended_at: string | null;
  progress: Generated<number>;
  progress_note: Generated<string>;
  progress_at: string | null;
  error: string | null;
  trace: string | null;
  result: string | null;
  /** what a person must do for this task, if anything (set when the schedule is planned) */
  person: string | null;
}

export interface TaskAttemptTable {
  id: Id;
  task_id: number;
  attempt: number;
  started_at: string;
  ended_at: string | null;
  /** 'running', 'done', 'failed', 'superseded' (abandoned by a crash, re-run on recovery) */
  outcome: Generated<string>;
  error: string | null;
}

export interface PromptTable {
  id: Id;
  station: string;
  run_id: number | null;
  task_id: number | null;
  kind: string;
  message: string;
  opened_at: string;
  answered_at: string | null;
  answer: 'yes' | 'no' | null;
  reason: string | null;
  answered_by: string | null;
  via: string | null;
}

export interface LeaseTable {
  station: string;
  holder: string;
  pid: number;
  host: string;
  acquired_at: string;
  heartbeat_at: string;
}

export interface CommandTable {
  id: Id;
  station: string;
  run_id: number | null;
  command: string;
  args: Generated<string>;
  requested_by: string;
  requested_at: string;
  handled_at: string | null;
}

export interface OutboxTable {
  id: Id;
  station: string;
  run_id: number | null;
  /** 'channel', or 'dm:<user id>' */
  target: string;
  text: string;
  created_at: string;
  state: Generated<'pending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: string;
  sent_at: string | null;
  last_error: string | null;
  /** 1: the last attempt may have reached Slack (no answer came); look in the history before sending again */
  maybe_sent: Generated<number>;
  /** a prompt's card with Yes/No buttons ('prompt') or its update once answered ('prompt-answered'); null: plain text */
  card: 'prompt' | 'prompt-answered' | null;
  prompt_id: number | null;
  /** where the message landed in Slack (a card is updated there later) */
  slack_channel: string | null;
  slack_ts: string | null;
}

export interface BackupTable {
  id: Id;
  station: string;
  run_id: number | null;
  task_id: number | null;
  created_at: string;
  state: Generated<'pending' | 'done' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: string;
  snapshot_path: string;
  destination: string;
  last_error: string | null;
  done_at: string | null;
}

/** One measured quantity of one module (or one of its PMTs), judged against its goalpost. */
export interface ResultTable {
  id: Id;
  station: string;
  run_id: number;
  /** the master's task, or null for `fat measure` */
  task_id: number | null;
  /** the task kind that measured it */
  kind: string;
  port: number;
  degg_serial: string;
  /** 'LowerPmt', 'UpperPmt', or null for a module-level quantity */
  pmt: string | null;
  /** the goalpost name, e.g. 'gain.hv1e7' */
  name: string;
  value: number | null;
  units: Generated<string>;
  verdict: 'pass' | 'marginal' | 'fail' | 'info';
  reason: Generated<string>;
  goalposts_version: string;
  /** raw data folder */
  folder: string | null;
  /** JSON: what else a reader needs (fit errors, points, counts) */
  detail: Generated<string>;
  /** JSON: git commit and dirtiness, schedule hash, firmware, station, operator */
  provenance: string;
  created_at: CreatedAt;
}

/**
 * The samples of one module from one commit of a monitoring task (records/samples.ts): each
 * judged like a result, packed in `samples`, read back as results.
 */
export interface MonitoringSampleTable {
  id: Id;
  station: string;
  run_id: number;
  task_id: number | null;
  kind: string;
  port: number;
  degg_serial: string;
  folder: string | null;
  goalposts_version: string;
  /** JSON, as results.provenance */
  provenance: string;
  /** lab time of the judgement, as results.created_at */
  created_at: string;
  /** JSON: [[pmt, name, value, units, verdict, reason, detail], ...] in the order measured */
  samples: string;
  /** the newest results.id when these were committed (null: none yet): their place among the results */
  last_result_id: number | null;
}

/** A person of the web API; the password is kept as a scrypt hash with its salt. */
export interface UserTable {
  id: Id;
  name: string;
  password_hash: string;
  /** web/roles.ts says what each may do */
  role: 'viewer' | 'shifter' | 'expert' | 'admin';
  disabled: Generated<number>;
  created_at: CreatedAt;
}

/** A browser login: the cookie's token is stored hashed, with the CSRF token it must send back. */
export interface SessionTable {
  id: Id;
  user_id: number;
  token_hash: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/** A bearer token for scripts, stored hashed. */
export interface ApiTokenTable {
  id: Id;
  user_id: number;
  token_hash: string;
  created_at: string;
}

export type OperatorAction = 'pause' | 'resume' | 'abort' | 'exclude' | 'include';

/** A pause, resume, abort, exclusion or inclusion asked for by a person; the master handles it. */
export interface OperatorRequestTable {
  id: Id;
  station: string;
  run_id: number | null;
  action: OperatorAction;
  /** exclude/include: the module's serial */
  target: string | null;
  reason: string | null;
  requested_by: string;
  via: 'cli' | 'web' | 'api' | 'slack';
  requested_at: string;
  /** null while pending */
  handled_at: string | null;
  outcome: string | null;
}

/** A logbook entry: written by a person ('user') or derived from one event of the run ('auto'). */
export interface LogbookEntryTable {
  id: Id;
  station: string;
  run_id: number | null;
  author: string;
  created_at: string;
  /** Markdown */
  text: string;
  /** JSON array of strings */
  tags: Generated<string>;
  source: 'user' | 'auto';
  /** 'note', 'run-start', 'operator-action', 'pause', 'exclusion', 'run-end', 'new-run-form' */
  kind: string;
  /** the event an automatic entry was made from (unique: one entry per event) */
  event_id: number | null;
}

/** A file attached to a logbook entry; `path` is relative to <home>/logbook/attachments. */
export interface LogbookAttachmentTable {
  id: Id;
  entry_id: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  path: string;
}

/** How far the events have been turned into automatic logbook entries. */
export interface LogbookSyncTable {
  name: string;
  last_event_id: number;
}

/** `fat store copy`: which row of which source store became which row here (ids as text). */
export interface CopyLedgerTable {
  source: string;
  table_name: string;
  source_id: string;
  target_id: string;
  copied_at: string;
}

/** `fat import`: a run file, a D-Egg file or one measurement entry of the original system, verbatim. */
export interface ImportedEntryTable {
  id: Id;
  station: string;
  run_id: number | null;
  degg_serial: string | null;
  /** 'LowerPmt', 'UpperPmt', or '' */
  pmt: Generated<string>;
  /** 'analysis': one of the original's analysis result files (database_jsons) */
  level: 'run' | 'module' | 'entry' | 'analysis';
  /** e.g. 'GainMeasurement_03'; '' for a whole file */
  entry_key: string;
  source_file: string;
  /** the JSON as it was in the file */
  raw: string;
  imported_at: string;
}

/** A run or D-Egg JSON document of the original layout; the file at `path` is its export. */
export interface JsonDocTable {
  station: string;
  path: string;
  run_id: number | null;
  body: string;
  version: number;
  exported: Generated<number>;
}

/** One walk of `fat preflight` through the seed's Quick Check list. */
export interface PreflightTable {
  id: Id;
  station: string;
  /** the run its `run new` step made (NULL before that step passed) */
  run_id: number | null;
  operator: string;
  started_at: string;
  state: 'walking' | 'failed' | 'done';
  ended_at: string | null;
}

/** The result of one step of a walk; a retried step has one row per try. */
export interface PreflightStepTable {
  id: Id;
  preflight_id: number;
  /** the step's key (src/fat/preflight/steps.ts) */
  step: string;
  state: 'pass' | 'warn' | 'fail';
  message: string;
  /** what the step found or decided, as JSON */
  data: string;
  at: string;
}

export interface Database {
  preflights: PreflightTable;
  preflight_steps: PreflightStepTable;
  json_docs: JsonDocTable;
  copy_ledger: CopyLedgerTable;
  imported_entries: ImportedEntryTable;
  logbook_entries: LogbookEntryTable;
  logbook_attachments: LogbookAttachmentTable;
  logbook_sync: LogbookSyncTable;
  operator_requests: OperatorRequestTable;
  users: UserTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  results: ResultTable;
  monitoring_samples: MonitoringSampleTable;
  schedules: ScheduleTable;
  tasks: TaskTable;
  task_attempts: TaskAttemptTable;
  prompts: PromptTable;
  leases: LeaseTable;
  commands: CommandTable;
  outbox: OutboxTable;
  backups: BackupTable;
  stations: StationTable;
  runs: RunTable;
  modules: ModuleTable;
  instruments: InstrumentTable;
  check_results: CheckResultTable;
  events: EventTable;
}
