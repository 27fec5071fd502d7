import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultServerConditions } from 'vite';
import type { TestProjectInlineConfiguration } from 'vitest/config';

const root = import.meta.dirname;
const groups = ['packages', 'tooling', 'apps'];

/** One vitest project per workspace package, reading sources through the `@plasticity/source` condition. */
export function projectsFor(kind: 'unit' | 'integration'): TestProjectInlineConfiguration[] {
  return groups.flatMap((group) => {
    const dir = join(root, group);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'package.json')))
      .map((d): TestProjectInlineConfiguration => ({
        resolve: { conditions: ['@plasticity/source', ...defaultServerConditions] },
        ssr: { resolve: { conditions: ['@plasticity/source', ...defaultServerConditions] } },
        test: {
          name: `${d.name}${kind === 'integration' ? ':integration' : ''}`,
          root: join(dir, d.name),
          include: kind === 'unit' ? ['src/**/*.test.ts'] : ['src/**/*.integration.test.ts'],
          exclude: kind === 'unit' ? ['src/**/*.integration.test.ts', '**/node_modules/**'] : ['**/node_modules/**'],
          testTimeout: kind === 'unit' ? 30_000 : 300_000,
          hookTimeout: 120_000,
          passWithNoTests: true,
        },
      }));
  });
}
