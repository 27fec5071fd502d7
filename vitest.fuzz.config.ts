import { projectsFor } from './vitest.shared.ts';
import { defineConfig } from 'vitest/config';

// `pnpm fuzz`: the property-based tests (`src/**/*.property.test.ts`, which `npm test` runs with
// a few hundred cases) with FUZZ_RUNS cases per property, 10,000 unless set.
const runs = process.env['FUZZ_RUNS'] ?? '10000';

export default defineConfig({
  test: {
    projects: projectsFor('unit').map((project) => ({
      ...project,
      test: {
        ...project.test,
        include: ['src/**/*.property.test.ts'],
        env: { FUZZ_RUNS: runs },
        testTimeout: 1_800_000,
      },
    })),
  },
});
