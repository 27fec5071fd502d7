import { projectsFor } from './vitest.shared.ts';
import { defineConfig } from 'vitest/config';

// Slow or environment-dependent tests: `src/**/*.integration.test.ts` (fresh processes, the
// built apps, real optional bindings). Run by `pnpm test:integration`, part of `npm test`.
export default defineConfig({
  test: { projects: projectsFor('integration') },
});
