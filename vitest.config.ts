import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // one more file than cores: the end-to-end files spend most of their time waiting for a
    // simulated lab and the `fat` processes they start, so a file per core would leave cores idle
    maxWorkers: os.availableParallelism() + 1,
  },
});
