/**
 * The one interface every recommender implements — built-in or a user's own plugin.
 *
 * An algorithm subclasses {@link Recommender}, gives itself a static `className`, implements
 * `fitModel`, `estimate`, `getConfig` and the state pair `getState`/`setState`, and registers with
 * `registerRecommender`. Scoring all items, top-N with exclusions, batch recommendation, cold-start
 * fallbacks, progress events and save/load come from the base class.
 *
 * @example
 * ```ts
 * class MeanRating extends Recommender {
 *   static className = 'MeanRating';
 *   private mean = 0;
 *   getConfig() { return {}; }
 *   protected fitModel(data: Interactions) { this.mean = data.globalMean; }
 *   protected estimate() { return this.mean; }
 *   protected getState() { return { json: { mean: this.mean }, arrays: {} }; }
 *   protected setState(state: RecommenderState) { this.mean = state.json.mean as number; }
 * }
 * registerRecommender(MeanRating);
 * ```
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  ArtifactError,
  ProgressEmitter,
  UnknownPluginError,
  ValueError,
  deserializePlugin,
  describeValue,
  hasPlugin,
  listPlugins,
  resolveIOHandler,
  serializePlugin,
  type ConfigDict,
  type ConfigValue,
  type TrainingEvent,
  type SerializedPlugin,
  type TrainingListener,
} from '@plasticity/core';
import { IdMap, Interactions, type Id } from './interactions.js';
import { topK } from './topk.js';

/** One predicted score. `wasImpossible` marks a fallback (unknown user or item, or too little data). */
export interface Prediction {
  /** The user id asked for. */
  user: Id;
  /** The item id asked for. */
  item: Id;
  /** The estimated rating (explicit) or score (implicit), clipped to the rating scale when known. */
  estimate: number;
  /** True when the model could not score the pair and `estimate` is the fallback. */
  wasImpossible: boolean;
  /** Why the model could not predict, when `wasImpossible`. */
  reason?: string;
}

/** One recommended item. */
export interface Recommendation {
  /** The item id. */
  item: Id;
  /** The model's score (higher is better; not a rating unless the model predicts ratings). */
  score: number;
}

/** What `recommend` and `recommendBatch` may return: exclusions and a filter. */
export interface RecommendOptions {
  /**
   * Items not to recommend: `'seen'` (default: the user's training interactions), `'none'`, or
   * these ids (in addition to nothing else).
   */
  exclude?: 'seen' | 'none' | Iterable<Id>;
  /** Keep only items for which this returns true. */
  filter?: (item: Id) => boolean;
}

/** Options of {@link Recommender.fit}. */
export interface RecommenderFitOptions {
  /** Receives `begin`/`epoch`/`end` progress events while the model trains. */
  onProgress?: TrainingListener;
}

/** A model's learnt state: JSON values plus named typed arrays (stored as binary weights). */
export interface RecommenderState {
  /** JSON-compatible values (scalars, small lists). */
  json: { [key: string]: ConfigValue | undefined };
  /** Named typed arrays, saved as binary weights. */
  arrays: Record<string, Float32Array | Int32Array>;
}

const FORMAT = 'plasticity-recommender';
const FORMAT_VERSION = 1;
/** Users scored together by `recommendBatch`. */
const BATCH_BLOCK = 256;

/** The base class of every recommender. */
export abstract class Recommender {
  /** The registered name; every subclass sets its own. */
  static className: string;

  /** The training interactions (id maps, seen items). Set by `fit` and `load`. */
  protected train?: Interactions;
  /** Progress events while fitting; subclasses emit through {@link Recommender.emit}. */
  protected readonly progress = new ProgressEmitter();

  /** The options, by their canonical names, that rebuild an unfitted copy (what `save` writes). */
  abstract getConfig(): ConfigDict;

  /** Learns from `data`. Subclasses implement {@link Recommender.fitModel}. */
  async fit(data: Interactions, options: RecommenderFitOptions = {}): Promise<this> {
    if (!(data instanceof Interactions)) {
      throw new ValueError(
        `fit expects an Interactions object, got ${describeValue(data)}; build one with Interactions.fromArrays(...).`,
        { field: 'data', value: data },
      );
    }
    if (data.size === 0) {
      throw new ValueError('fit got empty interactions; pass at least one (user, item) pair.', {
        field: 'data',
        value: 0,
      });
    }
    const remove = options.onProgress === undefined ? undefined : this.progress.on(options.onProgress);
    // Models trained on the layers loop report their own `end` (with the error): send one only.
    let ended = false;
    const watch = remove === undefined ? undefined : this.progress.on((e) => void (ended ||= e.type === 'end'));
    try {
      this.train = data;
      await this.fitModel(data);
    } catch (error) {
      if (!ended) this.emit({ type: 'end', error: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      watch?.();
      remove?.();
    }
    return this;
  }

  /** Trains on `data`; `data` is also available as `this.train`. */
  protected abstract fitModel(data: Interactions): void | Promise<void>;

  /**
   * The score of user index `u` for item index `i`, both known to the training data. Return NaN
   * when the model cannot tell (e.g. a k-NN with too few neighbours): `predict` then falls back.
   */
  protected abstract estimate(u: number, i: number): number;

  /**
   * The fitted model's learnt state, for {@link Recommender.toArtifacts}: scalars and small lists in
   * `json`, learnt arrays (factor matrices `[numUsers, factors]` row-major, biases, …) in `arrays`.
   * Called only on a fitted model; the arrays may be the model's own (they are copied when saved).
   */
  protected abstract getState(): RecommenderState;
  /**
   * Restores the learnt state that {@link Recommender.getState} wrote, when a model is loaded
   * (the interaction data and config are restored before). Takes ownership of `state.arrays`.
   */
  protected abstract setState(state: RecommenderState): void;

  /**
   * The score when `estimate` cannot be used: `u` or `i` is undefined for an unknown id. Default:
   * the training mean (the Surprise convention for explicit ratings); implicit models override.
   */
  protected fallback(_u: number | undefined, _i: number | undefined): number {
    return this.data().globalMean;
  }

  /**
   * Writes the scores of every item for known user `u` into `out` (length `numItems`). The default
   * calls `estimate` per item; factor and neighbour models override it with a faster kernel.
   */
  protected scoreItems(u: number, out: Float32Array): void {
    for (let i = 0; i < out.length; i++) {
      const s = this.estimate(u, i);
      out[i] = Number.isNaN(s) ? this.fallback(u, i) : s;
    }
  }

  /**
   * Writes the scores of every item for each known user index in `users` into `out`
   * (`[users.length, numItems]`, row-major). The default calls `scoreItems` per user; factor
   * models override it with one matrix product per block.
   */
  protected scoreUserBlock(users: Int32Array, out: Float32Array): void {
    const n = this.data().numItems;
    for (let b = 0; b < users.length; b++) this.scoreItems(users[b]!, out.subarray(b * n, (b + 1) * n));
  }

  /**
   * Writes the similarity of item `i` to every item into `out`. Models with item vectors or item
   * neighbourhoods override it; the default says the model has none.
   */
  protected itemSimilarities(_i: number, _out: Float32Array): void {
    const name = (this.constructor as typeof Recommender).className;
    throw new ValueError(
      `${name} has no item similarities; use a factor, neighbour or content model for similarItems.`,
      {
        field: 'similarItems',
        value: name,
      },
    );
  }

  /** Emits a progress event to `fit`'s listener. */
  protected emit(event: TrainingEvent): void {
    if (this.progress.size > 0) this.progress.emit(event);
  }

  /** The training data; throws a clear error before `fit`. */
  protected data(): Interactions {
    if (this.train === undefined) {
      const name = (this.constructor as typeof Recommender).className;
      throw new ValueError(`${name} is not fitted; call fit(data) or load a saved model first.`, {
        field: 'fit',
        value: name,
      });
    }
    return this.train;
  }

  /** Whether `fit` (or `load`) has run. */
  get fitted(): boolean {
    return this.train !== undefined;
  }

  /** Clips to the training data's rating scale when it has one. */
  protected clip(score: number): number {
    const scale = this.train?.ratingScale;
    if (scale === undefined) return score;
    return Math.min(scale[1], Math.max(scale[0], score));
  }

  /**
   * Predicts the score of `user` for `item`. Unknown ids never throw: the result is the fallback
   * with `wasImpossible: true` and the reason.
   */
  predict(user: Id, item: Id): Prediction {
    const data = this.data();
    const u = this.knownUser(data, user);
    const i = this.knownItem(data, item);
    let reason: string | undefined;
    if (u === undefined && i === undefined) reason = 'user and item are unknown';
    else if (u === undefined) reason = 'user is unknown';
    else if (i === undefined) reason = 'item is unknown';
    if (reason === undefined) {
      const s = this.estimate(u!, i!);
      if (!Number.isNaN(s)) return { user, item, estimate: this.clip(s), wasImpossible: false };
      reason = 'not enough data for this pair';
    }
    return { user, item, estimate: this.clip(this.fallback(u, i)), wasImpossible: true, reason };
  }

  /**
   * The training index of `user`, or undefined when it is not in the id map or has no training
   * interactions (a split's parts share id maps; a user seen only in the test part is unknown, as
   * in Surprise).
   */
  protected knownUser(data: Interactions, user: Id): number | undefined {
    const u = data.userIndex(user);
    return u === undefined || data.byUser().rowLength(u) === 0 ? undefined : u;
  }

  /** The training index of `item`, or undefined when unknown or without training interactions. */
  protected knownItem(data: Interactions, item: Id): number | undefined {
    const i = data.itemIndex(item);
    if (i !== undefined && this.scoresItemsWithoutInteractions) return i;
    return i === undefined || data.byItem().rowLength(i) === 0 ? undefined : i;
  }

  /**
   * Whether the model can score catalogue items that have no training interactions (content and
   * feature models can: that is their point). When false (default), such items score as unknown
   * items (the fallback).
   */
  protected get scoresItemsWithoutInteractions(): boolean {
    return false;
  }

  /** Predictions for many (user, item) pairs. */
  predictMany(pairs: Iterable<readonly [Id, Id]>): Prediction[] {
    return Array.from(pairs, ([user, item]) => this.predict(user, item));
  }

  /** The scores of every item for `user` (fallback scores for an unknown user), in item-index order. */
  scoreAll(user: Id): Float32Array {
    const data = this.data();
    const out = new Float32Array(data.numItems);
    const u = this.knownUser(data, user);
    if (u === undefined) for (let i = 0; i < out.length; i++) out[i] = this.fallback(undefined, i);
    else this.scoreItems(u, out);
    this.maskItemsWithoutInteractions(data, u, out);
    return out;
  }

  /** Items without training interactions score as unknown items, unless the model can score them. */
  private maskItemsWithoutInteractions(data: Interactions, u: number | undefined, out: Float32Array): void {
    if (this.scoresItemsWithoutInteractions) return;
    const byItem = data.byItem();
    for (let i = 0; i < out.length; i++) if (byItem.rowLength(i) === 0) out[i] = this.fallback(u, undefined);
  }

  /**
   * The `k` best items for `user`, best first, excluding what the user has seen (by default) and
   * what `filter` rejects. An unknown user gets the fallback ranking (cold start).
   */
  recommend(user: Id, k: number, options: RecommendOptions = {}): Recommendation[] {
    checkK(k);
    const data = this.data();
    const scores = this.scoreAll(user);
    const banned = this.bannedItems(data, data.userIndex(user), options);
    return topK(scores, k, banned).map(([i, score]) => ({ item: data.itemIds.id(i), score }));
  }

  /**
   * `recommend` for each of `users`, with the same results. Known users are scored in blocks
   * through {@link Recommender.scoreUserBlock}, which factor models implement as one matrix product
   * per block.
   */
  recommendBatch(users: Iterable<Id>, k: number, options: RecommendOptions = {}): Recommendation[][] {
    checkK(k);
    const data = this.data();
    const list = Array.from(users);
    const out: Recommendation[][] = new Array<Recommendation[]>(list.length);
    const known: number[] = [];
    list.forEach((user, at) => {
      if (this.knownUser(data, user) === undefined) out[at] = this.recommend(user, k, options);
      else known.push(at);
    });
    const n = data.numItems;
    const block = Math.max(1, Math.min(BATCH_BLOCK, known.length));
    const scores = new Float32Array(block * n);
    for (let start = 0; start < known.length; start += block) {
      const ats = known.slice(start, start + block);
      const us = Int32Array.from(ats, (at) => this.knownUser(data, list[at]!)!);
      this.scoreUserBlock(us, scores.subarray(0, us.length * n));
      ats.forEach((at, b) => {
        this.maskItemsWithoutInteractions(data, us[b], scores.subarray(b * n, (b + 1) * n));
        const banned = this.bannedItems(data, us[b], options);
        out[at] = topK(scores.subarray(b * n, (b + 1) * n), k, banned).map(([i, score]) => ({
          item: data.itemIds.id(i),
          score,
        }));
      });
    }
    return out;
  }

  /** The `k` items most similar to `item` (itself excluded). */
  similarItems(item: Id, k: number): Recommendation[] {
    checkK(k);
    const data = this.data();
    const i = data.itemIndex(item);
    if (i === undefined) {
      throw new ValueError(`Unknown item ${describeValue(item)}: it is not in the training data.`, {
        field: 'item',
        value: item,
      });
    }
    const out = new Float32Array(data.numItems);
    this.itemSimilarities(i, out);
    const banned = new Uint8Array(data.numItems);
    banned[i] = 1;
    return topK(out, k, banned).map(([j, score]) => ({ item: data.itemIds.id(j), score }));
  }

  private bannedItems(data: Interactions, u: number | undefined, options: RecommendOptions): Uint8Array | undefined {
    const exclude = options.exclude ?? 'seen';
    if (exclude === 'none' && options.filter === undefined) return undefined;
    const banned = new Uint8Array(data.numItems);
    if (exclude === 'seen') {
      if (u !== undefined) for (const i of data.byUser().row(u).indices) banned[i] = 1;
    } else if (exclude !== 'none') {
      for (const id of exclude) {
        const i = data.itemIndex(id);
        if (i !== undefined) banned[i] = 1;
      }
    }
    if (options.filter !== undefined) {
      for (let i = 0; i < banned.length; i++) if (!banned[i] && !options.filter(data.itemIds.id(i))) banned[i] = 1;
    }
    return banned;
  }

  /**
   * The model as artifacts: config, learnt state and the training interactions (id maps and seen
   * items), in the same container tfjs uses for weights.
   */
  toArtifacts(): tf.io.ModelArtifacts {
    const data = this.data();
    const state = this.getState();
    const arrays: Record<string, Float32Array | Int32Array> = {
      ...prefixed('state/', state.arrays),
      'train/users': data.users,
      'train/items': data.items,
      'train/values': data.values,
    };
    const weightSpecs: tf.io.WeightsManifestEntry[] = [];
    const buffers: Uint8Array[] = [];
    let length = 0;
    for (const [name, array] of Object.entries(arrays)) {
      weightSpecs.push({ name, shape: [array.length], dtype: array instanceof Int32Array ? 'int32' : 'float32' });
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      buffers.push(bytes);
      length += bytes.byteLength;
    }
    const weightData = new Uint8Array(length);
    let offset = 0;
    for (const bytes of buffers) {
      weightData.set(bytes, offset);
      offset += bytes.byteLength;
    }
    return {
      modelTopology: {
        format: FORMAT,
        formatVersion: FORMAT_VERSION,
        recommender: describeRecommender(this) as unknown as ConfigValue,
        state: state.json,
        userIds: data.userIds.toArray(),
        itemIds: data.itemIds.toArray(),
        ratingScale: data.ratingScale === undefined ? null : [...data.ratingScale],
      } as unknown as tf.io.ModelArtifacts['modelTopology'],
      format: FORMAT,
      generatedBy: '@plasticity/recommenders',
      weightSpecs,
      weightData: weightData.buffer,
    };
  }

  /** Saves to a URL (`file://…` after `registerFileRouter()`, `memory://…`) or an IO handler. */
  async save(destination: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
    const handler = resolveIOHandler(destination, 'save');
    if (handler.save === undefined) {
      throw new ArtifactError(String(destination), 'this handler cannot save; pass a URL or handler that saves.');
    }
    return handler.save(this.toArtifacts());
  }

  /**
   * Rebuilds a saved recommender of any registered class. Register the built-ins first with
   * `registerBuiltinRecommenders()` (or load through `loadRecommender`, which does), and your own
   * classes with `registerRecommender(MyModel)`. Artifacts saved with the option names of earlier
   * releases (`nFactors`, `sim`, `bsl`, …) load: the names are aliases.
   *
   * @throws UnknownPluginError naming the class and the call that registers it.
   */
  static async load<T extends Recommender = Recommender>(source: string | tf.io.IOHandler): Promise<T> {
    const handler = resolveIOHandler(source, 'load');
    if (handler.load === undefined) {
      throw new ArtifactError(String(source), 'this handler cannot load; pass a URL or handler that loads.');
    }
    return Recommender.fromArtifacts<T>(await handler.load(), String(source));
  }

  /** Rebuilds a recommender from {@link Recommender.toArtifacts}'s output. */
  static fromArtifacts<T extends Recommender = Recommender>(artifacts: tf.io.ModelArtifacts, where = 'artifacts'): T {
    const topology = artifacts.modelTopology as Record<string, unknown> | undefined;
    if (topology?.format !== FORMAT) {
      throw new ArtifactError(
        where,
        `not a saved recommender (format ${describeValue(topology?.format)}, expected "${FORMAT}").`,
      );
    }
    if (topology.formatVersion !== FORMAT_VERSION) {
      throw new ArtifactError(where, `format version ${describeValue(topology.formatVersion)} is not supported.`);
    }
    const arrays = readArrays(artifacts, where);
    const take = <A extends Float32Array | Int32Array>(name: string, type: new (n: number) => A): A => {
      const array = arrays[name];
      if (!(array instanceof type))
        throw new ArtifactError(where, `weight "${name}" is missing or has the wrong dtype.`);
      return array;
    };
    const model = buildRecommender<T>(topology.recommender as SerializedPlugin, `Recommender.load(${where})`);
    const ids = (key: string): Id[] => {
      const value = topology[key];
      if (!Array.isArray(value)) throw new ArtifactError(where, `"${key}" is missing.`);
      return value as Id[];
    };
    const userIds = new IdMap(ids('userIds'));
    const itemIds = new IdMap(ids('itemIds'));
    const users = take('train/users', Int32Array);
    const items = take('train/items', Int32Array);
    const values = take('train/values', Float32Array);
    const scale = topology.ratingScale as [number, number] | null | undefined;
    model.train = Interactions.fromArrays(
      { users: Array.from(users, (u) => userIds.id(u)), items: Array.from(items, (i) => itemIds.id(i)), values },
      { userIds, itemIds, ...(scale ? { ratingScale: scale } : {}) },
    );
    const stateArrays: Record<string, Float32Array | Int32Array> = {};
    for (const [name, array] of Object.entries(arrays)) {
      if (name.startsWith('state/')) stateArrays[name.slice(6)] = array;
    }
    model.setState({ json: (topology.state ?? {}) as RecommenderState['json'], arrays: stateArrays });
    return model;
  }
}

/**
 * `{ className, config }` of `model`. Saving needs no registry; when the name is registered it must
 * be registered to this class (so the artifact loads back as the same class).
 */
export function describeRecommender(model: Recommender): SerializedPlugin {
  const cls = model.constructor as typeof Recommender;
  if (hasPlugin('recommender', cls.className)) return serializePlugin('recommender', model);
  return { className: cls.className, config: structuredClone(model.getConfig()) };
}

/**
 * Builds a recommender from `{ className, config }` through the registry; `call` names what the
 * user called, for the message when the class is not registered.
 *
 * @throws UnknownPluginError naming the class, `call`, and `registerBuiltinRecommenders()` /
 *   `registerRecommender(...)`.
 */
export function buildRecommender<T extends Recommender = Recommender>(serialized: SerializedPlugin, call: string): T {
  try {
    return deserializePlugin<Recommender>('recommender', serialized) as T;
  } catch (error) {
    if (!(error instanceof UnknownPluginError)) throw error;
    const name = error.pluginName;
    const known = listPlugins('recommender');
    throw new UnknownPluginError(
      'recommender',
      name,
      `${call}: recommender "${name}" is not registered (registered: ${known.length === 0 ? 'none' : known.join(', ')}). ` +
        `If it is a built-in, call registerBuiltinRecommenders() from @plasticity/recommenders before ${call}; ` +
        `if it is your own class, call registerRecommender(${name.replace(/[^A-Za-z0-9_$]/g, '_')}).`,
    );
  }
}

function prefixed(prefix: string, arrays: Record<string, Float32Array | Int32Array>): typeof arrays {
  return Object.fromEntries(Object.entries(arrays).map(([k, v]) => [prefix + k, v]));
}

function readArrays(artifacts: tf.io.ModelArtifacts, where: string): Record<string, Float32Array | Int32Array> {
  const specs = artifacts.weightSpecs ?? [];
  const data = artifacts.weightData;
  const buffer = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? concat(data) : data;
  const out: Record<string, Float32Array | Int32Array> = {};
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32') {
      throw new ArtifactError(where, `weight "${spec.name}" has dtype ${spec.dtype}; expected float32 or int32.`);
    }
    if (offset + n * 4 > buffer.byteLength) {
      throw new ArtifactError(
        where,
        `weight data is truncated: "${spec.name}" needs bytes ${offset}–${offset + n * 4} but there are ${buffer.byteLength}.`,
      );
    }
    const copy = buffer.slice(offset, offset + n * 4);
    out[spec.name] = spec.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    offset += n * 4;
  }
  if (offset !== buffer.byteLength) {
    throw new ArtifactError(where, `weight data has ${buffer.byteLength} bytes but the manifest describes ${offset}.`);
  }
  return out;
}

function concat(parts: ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out.buffer;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new ValueError(`k must be a positive integer, got ${describeValue(k)}.`, { field: 'k', value: k });
  }
}
