import { build } from '../scripts/build.js';
import { buildUi } from '../scripts/build-ui.js';
import { dropRunSchemas } from './helpers/pg-schema.js';

/**
 * The end-to-end tests run the compiled `fat` (bin/fat.js) and the browser tests the built
 * dashboard. Both rebuild themselves when their sources are newer than the build, but many test
 * files start at once, so the suite brings both up to date before they do. It also tags the run's
 * PostgreSQL schemas, and drops them when the run ends.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await build();
  await buildUi();
  // the PostgreSQL schemas of this run are named with its tag and dropped at its end (pg-schema.ts)
  const tag = `r${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  process.env.FAT_TEST_PG_RUN = tag;
  return () => dropRunSchemas(tag);
}
