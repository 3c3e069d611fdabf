// The dashboard's build: Preact through Vite into ui/dist, which the Worker serves as static assets.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Pages are lazy chunks; the entry holds the shell, the router and the API client.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  // `vite` in ui/ for working on the UI against `make run` on :8080.
  server: { port: 3000, proxy: { '/api': 'http://127.0.0.1:8080' } },
});
