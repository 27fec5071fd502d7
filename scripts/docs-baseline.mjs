// Rewrites docs/undocumented.json: the exported symbols that `npm run docs:check` currently finds
// without a doc comment. Run it only after documenting symbols (to drop them from the list), never
// to silence a new undocumented export — document that instead.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const typedoc = join(root, 'node_modules/typedoc/bin/typedoc');
const run = spawnSync(process.execPath, [typedoc, '--options', 'typedoc.check.mjs'], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, PLASTICITY_DOCS_NO_BASELINE: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
});
const output = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
const names = [...output.matchAll(/^\[warning\] (\S+) \(\w+\), defined in .* does not have any documentation$/gm)].map(
  (m) => m[1],
);
const unique = [...new Set(names)].sort();
writeFileSync(join(root, 'docs/undocumented.json'), `${JSON.stringify(unique, null, 2)}\n`);
console.log(`docs/undocumented.json: ${unique.length} undocumented symbols`);
