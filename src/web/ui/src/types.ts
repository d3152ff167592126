/**
 * The shapes of the API answers the pages read (the server's own types live in Node code the
 * browser build cannot import; these mirror the fields used here).
 */
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
    remainingS: number;
    eta: string;
    current: { index: number; section: string; kind: string; progress: number; note: string; startedAt: string | null } | null;
    failed: Array<{ index: number; section: string; error: string | null }>;
    nextPerson: { idx: number; what: string; at: string } | null;
  } | null;
  modules: Array<{ port: number; degg_serial: string; state: string; state_reason: string | null }>;
  prompt: { id: number; kind: string; message: string; openedAt: string } | null;
  operator?: {
    paused: { by: string; reason: string | null; inEffect: boolean; requestedAt: string } | null;
    pending: Array<{
      id: number;
      action: string;
      target: string | null;
      reason: string | null;
      by: string;
      via: string;
      requestedAt: string;
    }>;
  };
  backupLagS: number;
  slack?: { pending: number; oldestAgeS: number; lastError: string | null };
  events: Array<{ time: string; level: string; message: string }>;
}

export interface Task {
  idx: number;
  section: string;
  kind: string;
  state: string;
  attempts: number;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  progress: number;
  progress_note: string;
}

export interface RunDetail {
  number: number;
  comment: string;
  date: string;
  operator: string;
  runFile: { path: string; link: string | null };
  schedules: Array<{
    key: string;
    file: string;
    state: string;
    createdAt: string;
    endedAt: string | null;
    endReason: string | null;
    tasks: Task[];
  }>;
  verdicts: Array<{
    port: number;
    serial: string;
    state: string;
    stateReason: string | null;
    verdict: string;
    reasons: string[];
    judged: number;
    info: number;
  }>;
  files: Array<{ what: string; path: string; link: string | null }>;
  backups: Array<{
    id: number;
    created_at: string;
    state: string;
    attempts: number;
    destination: string;
    snapshot_path: string;
    last_error: string | null;
    done_at: string | null;
  }>;
  log: Array<{ id: number; time: string; level: string; kind: string; message: string }>;
}

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

export interface ModuleTile {
  port: number;
  serial: string;
  state: string;
  stateReason: string | null;
  verdict: string;
  reasons: string[];
  hv1e7Volts: Partial<Record<string, number>>;
  darkRateHz: Partial<Record<string, number>>;
  temperatureC: number | null;
  temperatureAt: string | null;
}

export interface ResultRow {
  id: number;
  kind: string;
  pmt: string | null;
  name: string;
  value: number | null;
  units: string;
  verdict: string;
  reason: string;
  createdAt: string;
  superseded: boolean;
}

export interface GainCurve {
  label: string;
  entry?: string;
  points: Array<{ hv: number; gain: number; gainError?: number }>;
  fit?: { norm: number; exp: number };
  hv1e7?: number;
}

export interface ModuleHistory {
  serial: string;
  runs: Array<{
    run: { runNumber: number; station: string; comment: string; date: string };
    port: number;
    state: string;
    stateReason: string | null;
    verdict: string;
    reasons: string[];
    icmId: string;
    fpgaVersion: number;
    mainboardId: string;
    results: ResultRow[];
    gain: GainCurve[];
    gainNotes: string[];
  }>;
  darkVsTemperature: Array<{ run: number; pmt: string; temperatureC: number; rateHz: number; at: string }>;
  linearity: Array<{ run: number; pmt: string; at: string; points: Array<{ expectedPe: number; observedPe: number }> }>;
  sensors: Array<{ run: number; at: string; temperatureC?: number; pressureHpa?: number }>;
}

export interface Environment {
  station: string;
  bands: { humidityMaxPct: number; freezerBandC: number; resumeAfterS: number };
  thermometer: Array<{ at: string; channel: string; name: string; temperatureC: number }>;
  humidity: Array<{ at: string; sensor: string; relativeHumidityPct: number; temperatureC?: number }>;
  setPoints: Array<{ at: string; setPointC: number }>;
  mainboard: Array<{ at: string; serial: string; temperatureC: number }>;
  conditions: Array<{ at: string; kind: string; message: string }>;
}
