import { build } from '../scripts/build.js';

/**
 * The end-to-end tests run the compiled `fat` (bin/fat.js). It rebuilds itself when src/ is newer
 * than dist/cli, but many test files start it at once, so the suite builds once before they do.
 */
export default async function setup(): Promise<void> {
  await build();
}
