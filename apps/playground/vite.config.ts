import { defaultClientConditions, defineConfig } from 'vite';

// `vite build` reads the workspace packages' built `dist` (what an npm user gets); the dev server
// reads their TypeScript sources through the `@plasticity/source` export condition, so that
// `pnpm dev` needs no build first and picks up edits to the packages.
export default defineConfig(({ command }) => ({
  base: './',
  resolve: command === 'serve' ? { conditions: ['@plasticity/source', ...defaultClientConditions] } : {},
  build: {
    target: 'es2022',
    // tfjs-core and the backends are large; the backends load in their own chunks when chosen.
    chunkSizeWarningLimit: 1500,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
}));
