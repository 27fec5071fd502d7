/**
 * Content-based recommendation from item text (titles, genres, descriptions): TF-IDF vectors with
 * scikit-learn's defaults, and a user profile that is the weighted mean of the vectors of the items
 * the user interacted with; items score by cosine similarity to the profile.
 *
 * Items the catalogue has but nobody has used yet are recommendable as soon as they have text:
 * build the interactions with `itemIds: new IdMap(allItemIds)` so the model knows them.
 *
 * @example
 * ```ts
 * const movies = new Map([[1, 'Toy Story Adventure|Animation|Children'], [2, 'Heat Action|Crime']]);
 * const data = Interactions.fromArrays({ users, items, values }, { itemIds: new IdMap(movies.keys()) });
 * const model = await new ContentBased({ itemText: movies }).fit(data);
 * model.similarItems(1, 5);
 * ```
 */
import { ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import type { Id, Interactions } from './interactions.js';
import { Recommender, type RecommenderState } from './recommender.js';
import { popularityOf } from './internal/factor-model.js';
import { resolveOptions, type OptionAliases, type OptionSchema, type WithAliases } from './internal/options.js';

/** TF-IDF settings, as scikit-learn's `TfidfVectorizer` (whose snake_case names ContentBased accepts as aliases). */
export interface TfidfOptions {
  /** Lower-case before tokenising. Default true. */
  lowercase?: boolean;
  /**
   * Splits a document into tokens. Default: runs of 2+ letters, digits or `_` (scikit-learn's
   * `(?u)\b\w\w+\b`).
   */
  tokenizer?: (text: string) => string[];
  /** `idf = ln((1 + n) / (1 + df)) + 1` when true (default), else `ln(n / df) + 1`. */
  smoothIdf?: boolean;
  /** `tf = 1 + ln(count)` instead of the raw count. Default false. */
  sublinearTf?: boolean;
  /** Ignore terms in fewer documents than this. Default 1. */
  minDf?: number;
}

/** A sparse row: term indices (ascending) and weights. */
export interface SparseVector {
  /** Term indices, ascending. */
  indices: Int32Array;
  /** The weight of each term. */
  values: Float32Array;
}

const DEFAULT_TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/** TF-IDF with scikit-learn's `TfidfVectorizer` defaults: raw counts, smoothed idf, l2-normalised rows. */
export class TfidfVectorizer {
  /** The resolved `lowercase` option (see {@link TfidfOptions.lowercase}). */
  readonly lowercase: boolean;
  /** The resolved `smoothIdf` option (see {@link TfidfOptions.smoothIdf}). */
  readonly smoothIdf: boolean;
  /** The resolved `sublinearTf` option (see {@link TfidfOptions.sublinearTf}). */
  readonly sublinearTf: boolean;
  /** The resolved `minDf` option (see {@link TfidfOptions.minDf}). */
  readonly minDf: number;
  private readonly tokenizer: (text: string) => string[];
  /** Term → column, columns in sorted term order. */
  vocabulary = new Map<string, number>();
  /** The inverse document frequency of each vocabulary term, set by `fit`. */
  idf: Float64Array = new Float64Array(0);

  constructor(options: TfidfOptions = {}) {
    this.lowercase = options.lowercase ?? true;
    this.smoothIdf = options.smoothIdf ?? true;
    this.sublinearTf = options.sublinearTf ?? false;
    this.minDf = options.minDf ?? 1;
    if (!Number.isInteger(this.minDf) || this.minDf < 1) {
      throw new ValueError(`minDf must be a positive integer, got ${describeValue(this.minDf)}.`, {
        field: 'minDf',
        value: this.minDf,
      });
    }
    this.tokenizer = options.tokenizer ?? ((text) => text.match(DEFAULT_TOKEN) ?? []);
  }

  /** The tokens of `text` (lower-cased when `lowercase`), as `fit` and `transform` see them. */
  tokens(text: string): string[] {
    return this.tokenizer(this.lowercase ? text.toLowerCase() : text);
  }

  /** Learns the vocabulary and idf of `docs`. */
  fit(docs: readonly string[]): this {
    const df = new Map<string, number>();
    for (const doc of docs) for (const t of new Set(this.tokens(doc))) df.set(t, (df.get(t) ?? 0) + 1);
    const terms = [...df.keys()].filter((t) => df.get(t)! >= this.minDf).sort();
    this.vocabulary = new Map(terms.map((t, k) => [t, k]));
    const n = docs.length;
    this.idf = Float64Array.from(terms, (t) =>
      this.smoothIdf ? Math.log((1 + n) / (1 + df.get(t)!)) + 1 : Math.log(n / df.get(t)!) + 1,
    );
    return this;
  }

  /** The l2-normalised TF-IDF vector of `doc` (terms outside the vocabulary are ignored). */
  transform(doc: string): SparseVector {
    const counts = new Map<number, number>();
    for (const t of this.tokens(doc)) {
      const k = this.vocabulary.get(t);
      if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const indices = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
    const values = Float32Array.from(indices, (k) => {
      const c = counts.get(k)!;
      return (this.sublinearTf ? 1 + Math.log(c) : c) * this.idf[k]!;
    });
    let norm = 0;
    for (const v of values) norm += v * v;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let e = 0; e < values.length; e++) values[e] = values[e]! / norm;
    return { indices, values };
  }
}

/** Item text given as a Map, a plain object or `[id, text]` pairs. */
export type ItemText = ReadonlyMap<Id, string> | Readonly<Record<string, string>> | Iterable<readonly [Id, string]>;

export function toTextMap(text: ItemText | undefined, field: string): Map<Id, string> {
  if (text === undefined || text === null) {
    throw new ValueError(`${field} is required: pass a Map (or object) from item id to its text.`, {
      field,
      value: text,
    });
  }
  if (text instanceof Map) return text as Map<Id, string>;
  if (typeof (text as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return new Map(text as Iterable<readonly [Id, string]>);
  }
  return new Map(Object.entries(text as Record<string, string>));
}

/** ContentBased's options by their canonical names (what `getConfig()` returns, without the text and tokenizer). */
export interface ContentBasedConfig extends Omit<TfidfOptions, 'tokenizer'> {
  /** Item id → text (e.g. title and genres). Items without text get an empty vector. */
  itemText?: ItemText;
  /** Profile weights: `'values'` (default: the interaction values), `'binary'`, or `'centered'` (value − the user's mean, for ratings). */
  profileWeights?: 'values' | 'binary' | 'centered';
  /** A custom tokenizer (not saved with the model: pass it again to the constructor before loading). */
  tokenizer?: (text: string) => string[];
}

const CONTENT_BASED_ALIASES = {
  item_text: 'itemText',
  min_df: 'minDf',
  smooth_idf: 'smoothIdf',
  sublinear_tf: 'sublinearTf',
} as const;
const CONTENT_BASED_SCHEMA: OptionSchema = {
  names: ['itemText', 'profileWeights', 'lowercase', 'smoothIdf', 'sublinearTf', 'minDf', 'tokenizer'],
  aliases: CONTENT_BASED_ALIASES,
};

/**
 * ContentBased: TF-IDF item vectors from each item's text (title, genres, …); a user's profile is
 * the weighted sum of the vectors of the items they used, and an item's score is the cosine of its
 * vector with the profile. Items nobody has used yet are scored too.
 *
 * Args (canonical name, then its aliases, scikit-learn's for the TF-IDF options):
 * - `itemText` (`item_text`): item id → text. Required before `fit`; not saved (the vectors are).
 * - `profileWeights`: `'values'` (default), `'binary'` or `'centered'` (value − the user's mean).
 * - `lowercase`, `smoothIdf` (`smooth_idf`), `sublinearTf` (`sublinear_tf`), `minDf` (`min_df`),
 *   `tokenizer`: the {@link TfidfOptions}.
 *
 * @example
 * ```ts
 * const model = await new ContentBased({ itemText: new Map([['alien', 'Alien (1979) Horror|Sci-Fi']]) }).fit(data);
 * model.recommend('ann', 10);
 * ```
 */
export class ContentBased extends Recommender {
  static override className = 'ContentBased';
  /** The accepted aliases of ContentBased's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof CONTENT_BASED_ALIASES> = CONTENT_BASED_ALIASES;
  /** The resolved `profileWeights` option. */
  readonly profileWeights: 'values' | 'binary' | 'centered';
  private readonly options: TfidfOptions;
  private readonly text: Map<Id, string> | undefined;
  /** Item vectors as CSR over items. */
  private indptr: Int32Array = new Int32Array(1);
  private terms: Int32Array = new Int32Array(0);
  private weights: Float32Array = new Float32Array(0);
  private vocabularySize = 0;
  private popularity: Float32Array | undefined;

  constructor(given: WithAliases<ContentBasedConfig, typeof ContentBased.aliases> = {}) {
    const config = resolveOptions<ContentBasedConfig>('ContentBased', given, CONTENT_BASED_SCHEMA);
    super();
    const { itemText, profileWeights, ...options } = config;
    this.text = itemText === undefined ? undefined : toTextMap(itemText, 'itemText');
    this.options = options;
    this.profileWeights = profileWeights ?? 'values';
    if (!['values', 'binary', 'centered'].includes(this.profileWeights)) {
      throw new ValueError(
        `profileWeights must be 'values', 'binary' or 'centered', got ${describeValue(this.profileWeights)}.`,
        { field: 'profileWeights', value: this.profileWeights },
      );
    }
    new TfidfVectorizer(options); // validates the options now
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    const { tokenizer: _tokenizer, ...options } = this.options;
    return { ...(options as ConfigDict), profileWeights: this.profileWeights };
  }

  /** Items nobody has used yet are scored too (from their features or text). */
  protected override get scoresItemsWithoutInteractions(): boolean {
    return true;
  }

  protected fitModel(data: Interactions): void {
    const text = toTextMap(this.text, 'itemText');
    const docs = data.itemIds.toArray().map((id) => text.get(id) ?? '');
    const vectorizer = new TfidfVectorizer(this.options).fit(docs);
    const rows = docs.map((d) => vectorizer.transform(d));
    this.indptr = new Int32Array(rows.length + 1);
    rows.forEach((r, i) => (this.indptr[i + 1] = this.indptr[i]! + r.indices.length));
    this.terms = new Int32Array(this.indptr[rows.length]!);
    this.weights = new Float32Array(this.indptr[rows.length]!);
    rows.forEach((r, i) => {
      this.terms.set(r.indices, this.indptr[i]!);
      this.weights.set(r.values, this.indptr[i]!);
    });
    this.vocabularySize = vectorizer.vocabulary.size;
    this.popularity = undefined;
  }

  /** The user's profile (dense over the vocabulary), l2-normalised; undefined when it is zero. */
  private profile(u: number): Float64Array | undefined {
    const row = this.data().byUser().row(u);
    const p = new Float64Array(this.vocabularySize);
    let mean = 0;
    if (this.profileWeights === 'centered') {
      for (const v of row.values) mean += v / row.values.length;
    }
    for (let e = 0; e < row.indices.length; e++) {
      const i = row.indices[e]!;
      const w = this.profileWeights === 'binary' ? 1 : row.values[e]! - mean;
      for (let k = this.indptr[i]!; k < this.indptr[i + 1]!; k++) p[this.terms[k]!]! += w * this.weights[k]!;
    }
    let norm = 0;
    for (const v of p) norm += v * v;
    if (norm === 0) return undefined;
    norm = Math.sqrt(norm);
    for (let k = 0; k < p.length; k++) p[k] = p[k]! / norm;
    return p;
  }

  private dotItem(p: Float64Array, i: number): number {
    let s = 0;
    for (let k = this.indptr[i]!; k < this.indptr[i + 1]!; k++) s += p[this.terms[k]!]! * this.weights[k]!;
    return s;
  }

  protected estimate(u: number, i: number): number {
    const p = this.profile(u);
    return p === undefined ? Number.NaN : this.dotItem(p, i);
  }

  protected override fallback(_u: number | undefined, i: number | undefined): number {
    this.popularity ??= popularityOf(this.data());
    return i === undefined ? 0 : this.popularity[i]!;
  }

  protected override scoreItems(u: number, out: Float32Array): void {
    const p = this.profile(u);
    if (p === undefined) {
      for (let i = 0; i < out.length; i++) out[i] = this.fallback(u, i);
      return;
    }
    for (let i = 0; i < out.length; i++) out[i] = this.dotItem(p, i);
  }

  protected override itemSimilarities(i: number, out: Float32Array): void {
    const p = new Float64Array(this.vocabularySize);
    for (let k = this.indptr[i]!; k < this.indptr[i + 1]!; k++) p[this.terms[k]!] = this.weights[k]!;
    for (let j = 0; j < out.length; j++) out[j] = this.dotItem(p, j);
  }

  protected getState(): RecommenderState {
    return {
      json: { vocabularySize: this.vocabularySize },
      arrays: { indptr: this.indptr, terms: this.terms, weights: this.weights },
    };
  }

  protected setState(state: RecommenderState): void {
    this.vocabularySize = state.json['vocabularySize'] as number;
    this.indptr = state.arrays['indptr'] as Int32Array;
    this.terms = state.arrays['terms'] as Int32Array;
    this.weights = state.arrays['weights'] as Float32Array;
    this.popularity = undefined;
  }
}
