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
  state: string;
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

export interface Database {
  stations: StationTable;
  runs: RunTable;
  modules: ModuleTable;
  instruments: InstrumentTable;
  check_results: CheckResultTable;
  events: EventTable;
}
