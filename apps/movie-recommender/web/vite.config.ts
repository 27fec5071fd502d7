import { defineConfig } from 'vite';

// `vite build web` → dist/web, served by `movie-recommender serve`. Relative asset URLs so the
// page works under any mount path.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: { outDir: '../dist/web', emptyOutDir: true },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
