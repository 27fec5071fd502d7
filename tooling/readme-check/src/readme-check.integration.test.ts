import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReadmes, checkSnippets, extractSnippets, findReadmes, readSnippets, runSnippets } from './index.js';

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
      '```ts no-run',
      'await fetch(url);',
      '```',
    ].join('\n');
    expect(extractSnippets(md, 'R.md')).toEqual([
      { file: 'R.md', line: 3, code: 'const a = 1;' },
      { file: 'R.md', line: 12, code: 'let b;' },
      { file: 'R.md', line: 15, code: 'await fetch(url);', run: false },
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

describe('runSnippets', () => {
  it('runs each block in its own process and reports a throwing one at its README line', async () => {
    const runs = await runSnippets(
      [
        {
          file: 'X.md',
          line: 3,
          code: "import { createRng } from '@plasticity/core';\nconsole.log(createRng(1).int(5));",
        },
        { file: 'X.md', line: 9, code: 'const n: number = 1;\nthrow new Error(`boom ${n}`);' },
        { file: 'X.md', line: 20, code: 'process.exit(3);', run: false },
      ],
      { workDir: work('run-negative'), cwd: root },
    );
    expect(runs.map((r) => [r.line, r.code])).toEqual([
      [3, 0],
      [9, 1],
    ]);
    expect(runs[0]!.output.trim()).toMatch(/^\d$/);
    expect(runs[1]!.output).toContain('Error: boom 1');
  }, 60_000);
});

describe('README code blocks', () => {
  const readmes = findReadmes(root);

  it('type-check in every package, app, example and the root README', () => {
    const errors = checkReadmes(readmes, root, work('readmes'));
    expect(errors.map((e) => `${e.file}:${e.line}: ${e.message}`)).toEqual([]);
  }, 120_000);

  it('run in Node on the default backend, each as its own module (except `no-run` blocks)', async () => {
    // Blocks run in a scratch folder (files they write land there), where `../shared` is the
    // repository's `../shared` (MovieLens), as it is from the repository root.
    const cwd = work('cwd');
    rmSync(work('cwd'), { recursive: true, force: true });
    rmSync(work('shared'), { force: true });
    mkdirSync(cwd, { recursive: true });
    if (existsSync(join(root, '../shared'))) symlinkSync(join(root, '../shared'), work('shared'));
    const runs = await runSnippets(readSnippets(readmes, root), { workDir: work('run'), cwd, concurrency: 2 });
    const failed = runs
      .filter((r) => r.code !== 0)
      .map((r) => `${r.file}:${r.line}: exit ${r.code}\n${r.output.slice(-2000)}`);
    expect(failed).toEqual([]);
  }, 600_000);
});
