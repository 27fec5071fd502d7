import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultServerConditions } from 'vite';
import type { TestProjectInlineConfiguration } from 'vitest/config';

const root = import.meta.dirname;
const groups = ['packages', 'tooling', 'apps'];
/** Workspace packages that sit directly at the root. */
const singles = ['examples'];

/** One vitest project per workspace package, reading sources through the `@plasticity/source` condition. */
export function projectsFor(kind: 'unit' | 'integration'): TestProjectInlineConfiguration[] {
  const grouped = groups.flatMap((group) => {
    const dir = join(root, group);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'package.json')))
      .map((d) => ({ name: d.name, path: join(dir, d.name) }));
  });
  const single = singles.filter((name) => existsSync(join(root, name, 'package.json')));
  return [...grouped, ...single.map((name) => ({ name, path: join(root, name) }))].map(
    (d): TestProjectInlineConfiguration => ({
      resolve: { conditions: ['@plasticity/source', ...defaultServerConditions] },
      ssr: { resolve: { conditions: ['@plasticity/source', ...defaultServerConditions] } },
      test: {
        name: `${d.name}${kind === 'integration' ? ':integration' : ''}`,
        root: d.path,
        include: kind === 'unit' ? ['src/**/*.test.ts'] : ['src/**/*.integration.test.ts'],
        exclude: kind === 'unit' ? ['src/**/*.integration.test.ts', '**/node_modules/**'] : ['**/node_modules/**'],
        testTimeout: kind === 'unit' ? 30_000 : 300_000,
        hookTimeout: 120_000,
        passWithNoTests: true,
      },
    }),
  );
}
