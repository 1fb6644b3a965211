import optimizeLocales from '@react-aria/optimize-locales-plugin';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The UI is served by the Coffer server under a strict CSP (no inline script or style): Vite's
// output is external hashed files only. `npm run dev` proxies the API to a local server.
export default defineConfig({
  // React Aria ships its strings for 34 languages; the UI is in English, so only en-US is kept
  plugins: [react(), { ...optimizeLocales.vite({ locales: ['en-US'] }), enforce: 'pre' }],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/ui': 'http://127.0.0.1:7300' },
  },
});
