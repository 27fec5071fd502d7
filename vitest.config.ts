import { projectsFor } from './vitest.shared.ts';
import { defineConfig } from 'vitest/config';

// Unit and conformance tests: `src/**/*.test.ts` in every workspace package.
export default defineConfig({
  test: { projects: projectsFor('unit') },
});
