import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReadmes, checkSnippets, extractSnippets } from './index.js';

const root = join(import.meta.dirname, '../../..');
const work = (name: string): string => join(import.meta.dirname, '..', '.snippets', name);

describe('extractSnippets', () => {
  it('finds ts blocks with their README line and skips other languages and no-check blocks', () => {
    const md = [
      '# T',
      '```ts',
      'const a = 1;',
      '```',
      '```sh',
      'ls',
      '```',
      '```ts no-check',
      'nope(',
      '```',
      '```typescript',
      'let b;',
      '```',
    ].join('\n');
    expect(extractSnippets(md, 'R.md')).toEqual([
      { file: 'R.md', line: 3, code: 'const a = 1;' },
      { file: 'R.md', line: 12, code: 'let b;' },
    ]);
  });
});

describe('checkSnippets', () => {
  it('reports a type error at the README line it comes from', () => {
    const errors = checkSnippets(
      [
        {
          file: 'X.md',
          line: 10,
          code: "import { createRng } from '@plasticity/core';\nconst n: string = createRng(1).int(5);",
        },
      ],
      work('negative'),
      join(root, 'tsconfig.base.json'),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'X.md', line: 11 });
    expect(errors[0]!.message).toMatch(/number.*not assignable.*string/);
  });
});

describe('README code blocks', () => {
  it('type-check in every package, app, example and the root README', () => {
    const readmes = [join(root, 'README.md')];
    for (const group of ['packages', 'apps', 'tooling']) {
      for (const d of readdirSync(join(root, group), { withFileTypes: true })) {
        const path = join(root, group, d.name, 'README.md');
        if (d.isDirectory() && existsSync(path)) readmes.push(path);
      }
    }
    if (existsSync(join(root, 'examples/README.md'))) readmes.push(join(root, 'examples/README.md'));
    const errors = checkReadmes(readmes, root, work('readmes'));
    expect(errors.map((e) => `${e.file}:${e.line}: ${e.message}`)).toEqual([]);
  }, 120_000);
});
