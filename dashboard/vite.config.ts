import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard, built into dashboard/dist and served by the service at /dashboard/
 * (src/monitoring/dashboard.static.ts). It calls the API through the generated client in
 * openapi/client, outside this folder.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    fs: { allow: ['..'] },
    // `npm run dashboard:dev`: the page on Vite's dev server, the API on the running service.
    proxy: { '/api': 'http://127.0.0.1:5000' },
  },
});
