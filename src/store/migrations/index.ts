import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_init.js';
import * as m0002 from './0002_master.js';
import * as m0003 from './0003_results.js';
import * as m0004 from './0004_users.js';
import * as m0005 from './0005_logbook.js';
import * as m0006 from './0006_operator_actions.js';
import * as m0007 from './0007_postgres_and_import.js';
import * as m0008 from './0008_task_person.js';
import * as m0009 from './0009_outbox_maybe_sent.js';
import * as m0010 from './0010_json_docs.js';
import * as m0011 from './0011_slack_prompt_cards.js';
import * as m0012 from './0012_schedule_clock_scale.js';
import * as m0013 from './0013_preflight.js';
import * as m0014 from './0014_results_run_index.js';
import * as m0015 from './0015_monitoring_samples.js';
import * as m0016 from './0016_task_attempts_task.js';
import * as m0017 from './0017_json_docs_version.js';
import * as m0018 from './0018_running_attempt.js';
import * as m0019 from './0019_lz4_text.js';

/** Every migration, in order; the same list runs on SQLite and PostgreSQL. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async (): Promise<Record<string, Migration>> => ({
    '0001_init': m0001,
    '0002_master': m0002,
    '0003_results': m0003,
    '0004_users': m0004,
    '0005_logbook': m0005,
    '0006_operator_actions': m0006,
    '0007_postgres_and_import': m0007,
    '0008_task_person': m0008,
    '0009_outbox_maybe_sent': m0009,
    '0010_json_docs': m0010,
    '0011_slack_prompt_cards': m0011,
    '0012_schedule_clock_scale': m0012,
    '0013_preflight': m0013,
    '0014_results_run_index': m0014,
    '0015_monitoring_samples': m0015,
    '0016_task_attempts_task': m0016,
    '0017_json_docs_version': m0017,
    '0018_running_attempt': m0018,
    '0019_lz4_text': m0019,
  }),
};
