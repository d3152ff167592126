import { build } from '../scripts/build.js';
import { buildUi } from '../scripts/build-ui.js';

/**
 * The end-to-end tests run the compiled `fat` (bin/fat.js) and the browser tests the built
 * dashboard. Both rebuild themselves when their sources are newer than the build, but many test
 * files start at once, so the suite brings both up to date before they do.
 */
export default async function setup(): Promise<void> {
  await build();
  await buildUi();
}
