/**
 * One option vocabulary for every recommender: each class declares its canonical option names and
 * a table of documented aliases (Surprise's `n_factors`, the older camelCase `nFactors`, implicit's
 * `random_state`, …). {@link resolveOptions} maps aliases to canonical names, refuses an option
 * given twice with different values, and refuses an unknown option with the closest names.
 */
import { ValueError, describeValue, type ConfigValue } from '@plasticity/core';

/** Alias → canonical option name. */
export type AliasTable = Readonly<Record<string, string>>;

/**
 * The type of a recommender's static `aliases` table (`SVD.aliases`, `KNNBasic.aliases`, …): the
 * literal alias → canonical-name table `A`, kept exact so the constructor accepts each alias with
 * the type of the canonical option it names. The class's doc comment lists each canonical option
 * with its aliases.
 *
 * @example
 * ```ts
 * SVD.aliases.n_factors; // 'factors'
 * new SVD({ n_factors: 20 }).getConfig().factors; // 20
 * ```
 */
export type OptionAliases<A extends AliasTable> = { readonly [K in keyof A]: A[K] };

/** The alias fields of config `C`: each alias in `A` takes the type of the canonical field it names. */
export type AliasFields<C, A extends AliasTable> = {
  [K in keyof A]?: A[K] extends keyof C ? C[A[K]] : never;
};

/** Config `C` with its documented aliases `A` (what a recommender's constructor accepts). */
export type WithAliases<C, A extends AliasTable> = C & AliasFields<C, A>;

/** The options of one recommender (or of one object-valued option such as KNN's `similarity`). */
export interface OptionSchema {
  /** The canonical names, as `getConfig()` writes them. */
  readonly names: readonly string[];
  /** Accepted other names, mapped to canonical names. */
  readonly aliases?: AliasTable;
  /** Schemas of object-valued options, by canonical name. */
  readonly nested?: Readonly<Record<string, OptionSchema>>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Levenshtein distance between `a` and `b`. */
function levenshtein(s: string, t: string): number {
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length]!;
}

/** Levenshtein distance, case-insensitive and ignoring `_` (so `n_factors` is close to `nFactors`). */
export function editDistance(a: string, b: string): number {
  return levenshtein(a.toLowerCase().replace(/_/g, ''), b.toLowerCase().replace(/_/g, ''));
}

/**
 * The names closest to `name` (canonical first, each alias shown with its canonical name), at most
 * three, within an edit distance of a third of the name's length (at least 2).
 */
export function closeMatches(name: string, schema: OptionSchema): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const aliases = schema.aliases ?? {};
  // Ties (n_factors and nFactors are both 1 from nFactorz) go to the spelling closest as written.
  const scored = new Map<string, { distance: number; via?: string }>();
  const consider = (candidate: string, canonical: string): void => {
    const distance = editDistance(name, candidate) + levenshtein(name, candidate) / 1000;
    if (Math.floor(distance) > limit) return;
    const seen = scored.get(canonical);
    if (seen !== undefined && seen.distance <= distance) return;
    scored.set(canonical, candidate === canonical ? { distance } : { distance, via: candidate });
  };
  for (const canonical of schema.names) consider(canonical, canonical);
  for (const [alias, canonical] of Object.entries(aliases)) consider(alias, canonical);
  return [...scored.entries()]
    .sort((x, y) => x[1].distance - y[1].distance)
    .slice(0, 3)
    .map(([canonical, { via }]) => (via === undefined ? `"${canonical}"` : `"${canonical}" (alias ${via})`));
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Maps `given` onto the canonical names of `schema`.
 *
 * @param owner The class name, first in every message (`'SVD'`).
 * @param given The options as the user (or an older artifact) wrote them.
 * @throws ValueError naming the option, the class and the closest names when an option is unknown,
 *   or both names when an alias and its canonical name (or two aliases) disagree.
 */
export function resolveOptions<C extends object>(owner: string, given: unknown, schema: OptionSchema): C {
  return resolve(owner, given ?? {}, schema, '') as C;
}

function resolve(owner: string, given: unknown, schema: OptionSchema, path: string): Record<string, unknown> {
  if (!isPlainObject(given)) {
    throw new ValueError(
      `${owner}: ${path === '' ? 'the config' : `option "${path}"`} must be an object of options, got ${describeValue(given)}.`,
      { field: path === '' ? 'config' : path, value: given },
    );
  }
  const aliases = schema.aliases ?? {};
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    const canonical = schema.names.includes(key) ? key : Object.hasOwn(aliases, key) ? aliases[key]! : undefined;
    const where = path === '' ? key : `${path}.${key}`;
    if (canonical === undefined) {
      const matches = closeMatches(key, schema);
      const hint =
        matches.length > 0
          ? `did you mean ${matches.join(' or ')}?`
          : schema.names.length === 0
            ? `${path === '' ? owner : `"${path}"`} takes no options.`
            : `the options are ${schema.names.join(', ')}` +
              (Object.keys(aliases).length > 0 ? ` (or their aliases: ${Object.keys(aliases).join(', ')}).` : '.');
      throw new ValueError(`${owner}: unknown option "${where}"; ${hint}`, {
        field: where,
        value: value as ConfigValue,
      });
    }
    if (value === undefined) continue;
    const nested = schema.nested?.[canonical];
    const resolved =
      nested !== undefined ? resolve(owner, value, nested, path === '' ? canonical : `${path}.${canonical}`) : value;
    if (Object.hasOwn(out, canonical) && !same(out[canonical], resolved)) {
      throw new ValueError(
        `${owner}: options "${from[canonical]}" and "${key}" both set "${canonical}" ` +
          `(${describeValue(out[canonical])} and ${describeValue(resolved)}); pass only "${canonical}".`,
        { field: canonical, value: resolved as ConfigValue },
      );
    }
    out[canonical] = resolved;
    from[canonical] = key;
  }
  return out;
}

/**
 * How to name canonical option `path` (dotted for nested options: `'baseline.method'`) in a
 * message about its value: the name the user typed (`'learningRate'`, or `'lrAll'` when they wrote
 * that alias; `'bsl.reg_u'` for a nested one), so the message points at their own code.
 */
export function optionLabel(given: unknown, schema: OptionSchema, path: string): string {
  const typed: string[] = [];
  let level: unknown = given;
  let at: OptionSchema | undefined = schema;
  for (const name of path.split('.')) {
    const aliases: AliasTable = at?.aliases ?? {};
    const key = !isPlainObject(level)
      ? name
      : Object.hasOwn(level, name)
        ? name
        : (Object.keys(level).find((k) => aliases[k] === name) ?? name);
    typed.push(key);
    level = isPlainObject(level) ? level[key] : undefined;
    at = at?.nested?.[name];
  }
  return typed.join('.');
}
