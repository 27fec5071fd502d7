// @ts-check
/**
 * TypeDoc plugin: names each entry-point module after the import a user writes
 * (`@plasticity/layers`, `@plasticity/layers/node`, …) instead of its source path, by matching
 * the module's file against the `exports` of the package.json beside it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/** The package.json that owns `file`, with its folder. */
function packageOf(file) {
  let dir = dirname(file);
  for (;;) {
    try {
      return { dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
    } catch {
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  }
}

/** `@plasticity/x` or `@plasticity/x/subpath` for an entry file, or undefined. */
export function importNameOf(file) {
  const owner = packageOf(file);
  if (owner === undefined) return undefined;
  for (const [key, target] of Object.entries(owner.pkg.exports ?? {})) {
    const src = typeof target === 'string' ? target : target?.['@plasticity/source'];
    if (typeof src !== 'string' || resolve(owner.dir, src) !== resolve(file)) continue;
    return key === '.' ? owner.pkg.name : `${owner.pkg.name}/${relative('.', key)}`;
  }
  return undefined;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const file = module.sources?.[0]?.fullFileName;
      const name = file === undefined ? undefined : importNameOf(file);
      if (name !== undefined) module.name = name;
    }
  });
}
