import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Builds the dashboard (src/web/ui) into src/web/ui/dist, which `fat serve` serves. Vitest has its
 * own vitest.config.ts, so this root does not hide the tests under test/.
 */
const root = fileURLToPath(new URL('./src/web/ui', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // ECharts is big; one chunk is fine on a lab network
    chunkSizeWarningLimit: 2500,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/files': 'http://127.0.0.1:8080' } },
});
