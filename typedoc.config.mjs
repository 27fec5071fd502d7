// @ts-check
/**
 * API reference for every public entry point of every public package: each `exports` entry of
 * packages/<name>/package.json except `./package.json` and `./internal/*`, read from its source
 * (the `@plasticity/source` condition). `npm run docs` writes HTML to `docs/api/` (gitignored);
 * `npm run docs:check` (typedoc.check.mjs) fails on an exported symbol without a doc comment.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = import.meta.dirname;

/** Source files of the public entry points of `packages/<dir>`. */
export function entryPointsOf(dir) {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  if (pkg.private === true) return [];
  return Object.entries(pkg.exports ?? {})
    .filter(([key, target]) => key !== './package.json' && !key.includes('*') && target !== null)
    .map(([, target]) => (typeof target === 'string' ? target : target['@plasticity/source']))
    .filter((src) => typeof src === 'string' && src.endsWith('.ts'))
    .map((src) => join('packages', dir, src));
}

/** Every public package folder under packages/. */
export const packageDirs = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'packages', d.name, 'package.json')))
  .map((d) => d.name)
  .sort();

/** npm names of the public packages (TypeDoc only checks documentation inside these). */
export const packageNames = packageDirs
  .map((dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')))
  .filter((pkg) => pkg.private !== true)
  .map((pkg) => pkg.name);

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'Plasticity API reference',
  entryPoints: packageDirs.flatMap(entryPointsOf),
  tsconfig: 'tsconfig.typedoc.json',
  plugin: ['./scripts/typedoc-module-names.mjs'],
  out: 'docs/api',
  excludePrivate: true,
  excludeProtected: false,
  excludeInternal: true,
  excludeExternals: true,
  readme: 'none',
  sort: ['kind', 'instance-first', 'alphabetical-ignoring-documents'],
  validation: {
    notExported: false,
    invalidLink: true,
    rewrittenLink: true,
    notDocumented: false,
    unusedMergeModuleWith: true,
  },
  packagesRequiringDocumentation: packageNames,
  skipErrorChecking: true,
  logLevel: 'Warn',
};
