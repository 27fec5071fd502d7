/**
 * Neural recommenders on `@plasticity/layers` (Embedding, Dense) and `@plasticity/optimizers`
 * (Adam), trainable on any backend:
 *
 * - {@link NeuMF}: neural collaborative filtering (He et al. 2017) — a GMF tower (element-wise
 *   product of embeddings) and an MLP tower over concatenated embeddings, fused by one logit,
 *   trained with binary cross-entropy on each interaction and `negatives` sampled unseen items.
 * - {@link TwoTower}: a retrieval model — a user tower and an item tower into the same space,
 *   trained with in-batch negatives (softmax over the batch's items, temperature τ); scoring is one
 *   matMul of user vectors against every item vector.
 *
 * Scoring all items for a user is one batched forward pass (NeuMF) or one matMul (TwoTower). The
 * models own tfjs variables: call `dispose()` when done with one.
 *
 * @example
 * ```ts
 * const ncf = await new NeuMF({ factors: 16, layers: [64, 32, 16], epochs: 5 }).fit(data);
 * ncf.recommend('ann', 10);
 * ncf.dispose();
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, ValueError, describeValue, type ConfigDict, type Rng } from '@plasticity/core';
import {
  Dense,
  Embedding,
  GlorotUniform,
  RandomNormal,
  computeGradients,
  fitLoop,
  type BatchSource,
  type Layer,
  type StepLogs,
} from '@plasticity/layers';
import {
  optionLabel,
  resolveOptions,
  type OptionAliases,
  type OptionSchema,
  type WithAliases,
} from './internal/options.js';
import { Adam } from '@plasticity/optimizers';
import type { Interactions } from './interactions.js';
import { Recommender, type RecommenderState } from './recommender.js';
import { checkImplicitValues, checkPositive, popularityOf } from './internal/factor-model.js';
import { cosineToAll } from './internal/dense.js';

/** Shared plumbing: layers, their weights as state, popularity fallback, dispose. */
abstract class NeuralRecommender extends Recommender {
  /** The model's layers, built by `buildLayers` when `fit` starts; emptied by `dispose`. */
  protected layerList: Layer[] = [];
  private popularity: Float32Array | undefined;

  constructor(
    /** Passes over the interactions (the `epochs` option). */
    readonly epochs: number,
    /** Interactions per step (the `batchSize` option). */
    readonly batchSize: number,
    /** Adam step size (the `learningRate` option). */
    readonly learningRate: number,
    /** Seed of the initial weights, the sampling and the shuffling (the `seed` option). */
    readonly seed: number,
  ) {
    super();
    checkPositive('epochs', epochs, true);
    checkPositive('batchSize', batchSize, true);
    checkPositive('learningRate', learningRate);
  }

  /** Creates and builds the layers for these data dimensions (weights initialised from the seed). */
  protected abstract buildLayers(numUsers: number, numItems: number): Layer[];

  /** Frees the model's variables. */
  dispose(): void {
    for (const layer of this.layerList) layer.dispose();
    this.layerList = [];
  }

  /** Every trainable variable of the layers: what each Adam step updates. */
  protected trainableWeights(): tf.Variable[] {
    return this.layerList.flatMap((l) => l.trainableWeights);
  }

  /** Checks the data are implicit, frees any earlier layers and builds fresh ones for `data`'s sizes. */
  protected startFit(data: Interactions): void {
    checkImplicitValues(data, (this.constructor as typeof Recommender).className);
    this.dispose();
    this.layerList = this.buildLayers(data.numUsers, data.numItems);
    this.popularity = undefined;
  }

  /**
   * Trains on the layers loop: `batches(epoch)` gives each epoch's batches (generated afresh, e.g.
   * new negatives), `loss(batch)` the batch's loss; Adam steps on every trainable weight. Progress
   * goes out through the recommender's own emitter (`fit`'s `onProgress`): `begin` with `label`,
   * a `batch` event per step, an `epoch` event with `{ loss }` (the mean over the epoch's
   * batches), `end`.
   */
  protected async trainOnLoop<
    B extends {
      /** Interactions in the batch (the progress events' batch size). */
      size: number;
    },
  >(
    label: string,
    steps: number,
    batches: (epoch: number) => Iterable<B>,
    loss: (batch: B) => tf.Scalar,
  ): Promise<void> {
    const optimizer = new Adam({ learningRate: this.learningRate });
    const vars = this.trainableWeights();
    const host = {
      stopTraining: false,
      trainStep: (batch: B): StepLogs => {
        const { value, grads } = computeGradients(() => loss(batch), vars);
        try {
          optimizer.applyGradients(grads);
        } finally {
          tf.dispose(Object.values(grads));
        }
        return { loss: value };
      },
      testStep: (batch: B): StepLogs => ({ loss: loss(batch) }),
    };
    try {
      await fitLoop(host, batches as BatchSource<B>, {
        epochs: this.epochs,
        steps,
        progress: this.progress,
        label,
        // Every batch counts once in the epoch's mean loss, as before the loop was shared.
        sizeOf: () => 1,
      });
    } finally {
      optimizer.dispose();
    }
  }

  protected override fallback(_u: number | undefined, i: number | undefined): number {
    this.popularity ??= popularityOf(this.data());
    return i === undefined ? 0 : this.popularity[i]!;
  }

  protected getState(): RecommenderState {
    const arrays: RecommenderState['arrays'] = {};
    let k = 0;
    for (const layer of this.layerList) {
      for (const w of layer.weights) arrays[`w${k++}`] = (w.dataSync() as Float32Array).slice();
    }
    return { json: {}, arrays };
  }

  protected setState(state: RecommenderState): void {
    this.dispose();
    const data = this.data();
    this.layerList = this.buildLayers(data.numUsers, data.numItems);
    let k = 0;
    for (const layer of this.layerList) {
      const values = layer.weights.map((w) => {
        const array = state.arrays[`w${k++}`];
        if (!(array instanceof Float32Array) || array.length !== w.size) {
          throw new ValueError(`Saved weight w${k - 1} is missing or has the wrong size for ${layer.name}.`, {
            field: `w${k - 1}`,
            value: array?.length,
          });
        }
        return tf.tensor(array, w.shape);
      });
      layer.setWeights(values);
      tf.dispose(values);
    }
  }
}

/**
 * Rows `ids` of an Embedding layer's table. The gradient is a scatter-add (ScatterNd sums
 * duplicate indices): tfjs's own gather gradient goes through UnsortedSegmentSum, which the cpu
 * backend runs as one masked sum per table row (115 ms for 128 ids into 160 rows; far worse for a
 * catalogue of thousands of items).
 */
function lookup(layer: Layer, ids: tf.Tensor1D): tf.Tensor2D {
  const table = (layer as Embedding).embeddings!;
  const f = tf.customGrad((t) => ({
    value: tf.gather(t as tf.Tensor, ids),
    gradFunc: (dy: tf.Tensor) => tf.scatterND(tf.reshape(ids, [-1, 1]), dy, table.shape),
  }));
  return f(table) as tf.Tensor2D;
}

function embedding(n: number, d: number, seed: number): Embedding {
  const layer = new Embedding({
    inputDim: n,
    outputDim: d,
    embeddingsInitializer: new RandomNormal({ stddev: 0.01, seed }),
  });
  layer.build();
  return layer;
}

function dense(inputDim: number, units: number, activation: string | null, seed: number): Dense {
  const layer = new Dense({ units, activation, kernelInitializer: new GlorotUniform({ seed }) });
  layer.build([null, inputDim]);
  return layer;
}

/** Fisher–Yates on a copy of `0..n-1`. */
function permutation(n: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** A batch of (user, item) index pairs with what the loss needs: labels (NeuMF) or log q (TwoTower). */
interface PairBatch {
  users: tf.Tensor1D;
  items: tf.Tensor1D;
  labels?: tf.Tensor1D;
  logQ?: tf.Tensor1D;
  size: number;
}

/** Per-row arrays of the training pairs (rows index all of them alike). */
interface PairRows {
  users: Int32Array;
  items: Int32Array;
  labels?: Float32Array;
  logQ?: Float32Array;
}

/**
 * One epoch of `rows` in a seeded shuffle (Fisher–Yates from `rng`), `batchSize` rows a batch,
 * batches smaller than `minSize` skipped. Each batch's tensors are freed when the loop asks for
 * the next one, stops or fails.
 */
function* shuffledPairs(rows: PairRows, batchSize: number, rng: Rng, minSize: number): Generator<PairBatch> {
  const n = rows.users.length;
  const order = permutation(n, rng);
  const ints = (from: Int32Array, idx: Int32Array): Int32Array => Int32Array.from(idx, (r) => from[r]!);
  const floats = (from: Float32Array, idx: Int32Array): Float32Array => Float32Array.from(idx, (r) => from[r]!);
  for (let start = 0; start < n; start += batchSize) {
    const idx = order.subarray(start, Math.min(n, start + batchSize));
    if (idx.length < minSize) continue;
    const batch: PairBatch = {
      users: tf.tensor1d(ints(rows.users, idx), 'int32'),
      items: tf.tensor1d(ints(rows.items, idx), 'int32'),
      ...(rows.labels === undefined ? {} : { labels: tf.tensor1d(floats(rows.labels, idx)) }),
      ...(rows.logQ === undefined ? {} : { logQ: tf.tensor1d(floats(rows.logQ, idx)) }),
      size: idx.length,
    };
    try {
      yield batch;
    } finally {
      tf.dispose([
        batch.users,
        batch.items,
        ...(batch.labels ? [batch.labels] : []),
        ...(batch.logQ ? [batch.logQ] : []),
      ]);
    }
  }
}

function checkLayers(layers: readonly number[]): readonly number[] {
  if (!Array.isArray(layers) || layers.length === 0 || layers.some((n) => !Number.isInteger(n) || n < 2)) {
    throw new ValueError(`layers must be a non-empty list of integers ≥ 2, got ${describeValue(layers)}.`, {
      field: 'layers',
      value: layers,
    });
  }
  return layers;
}

/** NeuMF's hyperparameters by their canonical names (what `getConfig()` returns). */
export interface NeuMFConfig {
  /** GMF embedding size. Default 16. */
  factors?: number;
  /** MLP sizes: `layers[0]` is the concatenated embedding (half user, half item), then hidden layers. Default [64, 32, 16]. */
  layers?: number[];
  /** Sampled unseen items per interaction, per epoch. Default 4. */
  negatives?: number;
  /** Default 10. */
  epochs?: number;
  /** Default 256. */
  batchSize?: number;
  /** Adam step size. Default 0.001. */
  learningRate?: number;
  /** Seed of the initial weights, the negatives and the shuffling. Default 0. */
  seed?: number;
}

const NEUMF_ALIASES = { batch_size: 'batchSize', learning_rate: 'learningRate' } as const;
const NEUMF_SCHEMA: OptionSchema = {
  names: ['factors', 'layers', 'negatives', 'epochs', 'batchSize', 'learningRate', 'seed'],
  aliases: NEUMF_ALIASES,
};

/**
 * NeuMF (He et al. 2017, neural collaborative filtering): `ŷ = σ(hᵀ [p_u ⊙ q_i ; MLP([p'_u ; q'_i])])`,
 * a generalised matrix factorisation branch and an MLP branch over separate user and item
 * embeddings, trained with binary cross-entropy on each interaction against `negatives` sampled
 * unseen items, by Adam.
 *
 * Args (canonical name, then its aliases):
 * - `factors`: GMF embedding size. Default 16.
 * - `layers`: MLP sizes, `layers[0]` the concatenated embedding (half user, half item). Default [64, 32, 16].
 * - `negatives`: sampled unseen items per interaction and epoch. Default 4.
 * - `epochs`: passes over the interactions. Default 10.
 * - `batchSize` (`batch_size`): interactions per step. Default 256.
 * - `learningRate` (`learning_rate`): Adam step size. Default 0.001.
 * - `seed`: initial weights, negatives and shuffling. Default 0.
 *
 * @example
 * ```ts
 * const model = await new NeuMF({ factors: 16, layers: [32, 16, 8], epochs: 6 }).fit(data);
 * model.recommend('ann', 10);
 * model.dispose(); // frees the weights
 * ```
 */
export class NeuMF extends NeuralRecommender {
  static override className = 'NeuMF';
  /** The accepted aliases of NeuMF's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof NEUMF_ALIASES> = NEUMF_ALIASES;
  /** The resolved `factors` option (GMF embedding size). */
  readonly factors: number;
  /** The resolved `layers` option. */
  readonly layers: readonly number[];
  /** The resolved `negatives` option. */
  readonly negatives: number;

  constructor(given: WithAliases<NeuMFConfig, typeof NeuMF.aliases> = {}) {
    const config = resolveOptions<NeuMFConfig>('NeuMF', given, NEUMF_SCHEMA);
    super(config.epochs ?? 10, config.batchSize ?? 256, config.learningRate ?? 0.001, config.seed ?? 0);
    this.factors = checkPositive('factors', config.factors ?? 16, true);
    this.layers = checkLayers(config.layers ?? [64, 32, 16]);
    this.negatives = checkPositive('negatives', config.negatives ?? 4, true);
  }

  /** Every option by its canonical name (what the constructor and `Recommender.load` take back). */
  getConfig(): ConfigDict {
    return {
      factors: this.factors,
      layers: [...this.layers],
      negatives: this.negatives,
      epochs: this.epochs,
      batchSize: this.batchSize,
      learningRate: this.learningRate,
      seed: this.seed,
    };
  }

  protected buildLayers(numUsers: number, numItems: number): Layer[] {
    const half = Math.max(1, Math.floor(this.layers[0]! / 2));
    const s = this.seed * 101;
    const out: Layer[] = [
      embedding(numUsers, this.factors, s + 1),
      embedding(numItems, this.factors, s + 2),
      embedding(numUsers, half, s + 3),
      embedding(numItems, half, s + 4),
    ];
    let width = 2 * half;
    this.layers.slice(1).forEach((units, k) => {
      out.push(dense(width, units, 'relu', s + 5 + k));
      width = units;
    });
    out.push(dense(this.factors + width, 1, null, s + 99));
    return out;
  }

  /** Logits `[n]` for the (user, item) index pairs. */
  private logits(users: tf.Tensor1D, items: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() => {
      const [gu, gi, mu, mi, ...rest] = this.layerList;
      const gmf = tf.mul(lookup(gu!, users), lookup(gi!, items));
      let mlp: tf.Tensor = tf.concat([lookup(mu!, users), lookup(mi!, items)], 1);
      for (const layer of rest.slice(0, -1)) mlp = layer.apply(mlp);
      const out = rest[rest.length - 1]!.apply(tf.concat([gmf, mlp], 1));
      return tf.reshape(out, [-1]) as tf.Tensor1D;
    });
  }

  protected async fitModel(data: Interactions): Promise<void> {
    this.startFit(data);
    const rng = createRng(this.seed);
    const csr = data.byUser();
    const nItems = data.numItems;
    const perPositive = 1 + this.negatives;
    const n = data.size * perPositive;
    const us = new Int32Array(n);
    const is = new Int32Array(n);
    const ys = new Float32Array(n);
    const batchSize = this.batchSize;
    // Each epoch: every interaction with `negatives` fresh unseen items, shuffled, in batches.
    const sample = (): void => {
      let k = 0;
      for (let e = 0; e < data.size; e++) {
        const u = data.users[e]!;
        us[k] = u;
        is[k] = data.items[e]!;
        ys[k++] = 1;
        for (let t = 0; t < this.negatives; t++) {
          let j = rng.int(nItems);
          for (let tries = 0; tries < 50 && sortedHas(csr.indices, csr.indptr[u]!, csr.indptr[u + 1]!, j); tries++) {
            j = rng.int(nItems);
          }
          us[k] = u;
          is[k] = j;
          ys[k++] = 0;
        }
      }
    };
    const batches = (): Generator<PairBatch> => {
      sample();
      return shuffledPairs({ users: us, items: is, labels: ys }, batchSize, rng, 1);
    };
    await this.trainOnLoop('NeuMF', Math.ceil(n / batchSize), batches, (b) =>
      bceWithLogits(this.logits(b.users, b.items), b.labels!),
    );
  }

  protected estimate(u: number, i: number): number {
    const out = tf.tidy(() => tf.sigmoid(this.logits(tf.tensor1d([u], 'int32'), tf.tensor1d([i], 'int32'))));
    const v = out.dataSync()[0]!;
    out.dispose();
    return v;
  }

  /** One batched forward pass over every item. */
  protected override scoreItems(u: number, out: Float32Array): void {
    const n = out.length;
    const scores = tf.tidy(() => tf.sigmoid(this.logits(tf.fill([n], u, 'int32'), tf.range(0, n, 1, 'int32'))));
    out.set(scores.dataSync());
    scores.dispose();
  }

  /** Cosine similarity of the items' GMF embeddings. */
  protected override itemSimilarities(i: number, out: Float32Array): void {
    cosineToAll(this.layerList[1]!.weights[0]!.dataSync() as Float32Array, i, this.factors, out);
  }
}

/** Mean binary cross-entropy of logits `z` against labels `y`, in the stable form. */
function bceWithLogits(z: tf.Tensor1D, y: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))));
}

/** TwoTower's hyperparameters by their canonical names (what `getConfig()` returns). */
export interface TwoTowerConfig {
  /** Output dimension of both towers, the embedding size (alias: `dim`, its name before 0.1). Default 32. */
  factors?: number;
  /** Hidden Dense sizes after each tower's embedding (ReLU), then a linear projection to `factors`. Default none. */
  hidden?: number[];
  /** Softmax temperature τ: logits are `u·v / τ`. Default 0.1 with `normalize`, else 1. */
  temperature?: number;
  /** L2-normalise both towers' outputs (cosine scores). Default true. */
  normalize?: boolean;
  /** Default 10. */
  epochs?: number;
  /** In-batch negatives: each positive competes with the batch's other items. Default 256. */
  batchSize?: number;
  /** Adam step size. Default 0.01. */
  learningRate?: number;
  /** Default 0. */
  seed?: number;
  /**
   * Subtract the log of each item's in-batch sampling probability (its share of the interactions)
   * from its logits while training: the logQ correction of Yi et al. (RecSys 2019), also in
   * TensorFlow Recommenders. In-batch negatives are drawn in proportion to popularity, so without
   * it popular items are pushed down and the model ranks worse than popularity alone. Default true.
   */
  samplingCorrection?: boolean;
}

const TWO_TOWER_ALIASES = { dim: 'factors', batch_size: 'batchSize', learning_rate: 'learningRate' } as const;
const TWO_TOWER_SCHEMA: OptionSchema = {
  names: [
    'factors',
    'hidden',
    'temperature',
    'normalize',
    'epochs',
    'batchSize',
    'learningRate',
    'seed',
    'samplingCorrection',
  ],
  aliases: TWO_TOWER_ALIASES,
};

/**
 * TwoTower: a user tower and an item tower (an embedding, optional ReLU Dense layers, a linear
 * projection) whose outputs `u`, `v` score `u·v / τ`, trained by Adam with a softmax over in-batch
 * negatives (each positive competes with the batch's other items), with the logQ sampling
 * correction of Yi et al. (RecSys 2019) as in TensorFlow Recommenders.
 *
 * Args (canonical name, then its aliases):
 * - `factors` (`dim`): output dimension of both towers. Default 32.
 * - `hidden`: hidden Dense sizes per tower. Default none.
 * - `temperature`: τ. Default 0.1 with `normalize`, else 1.
 * - `normalize`: L2-normalise the towers' outputs (cosine scores). Default true.
 * - `epochs`: passes. Default 10.
 * - `batchSize` (`batch_size`): positives per step, which are also the negatives. Default 256.
 * - `learningRate` (`learning_rate`): Adam step size. Default 0.01.
 * - `seed`: initial weights and shuffling. Default 0.
 * - `samplingCorrection`: subtract log(sampling probability) from the logits. Default true.
 *
 * @example
 * ```ts
 * const tower = await new TwoTower({ factors: 32, hidden: [64], epochs: 10, batchSize: 512 }).fit(data);
 * tower.recommend('ann', 10);
 * tower.dispose(); // frees the weights
 * ```
 */
export class TwoTower extends NeuralRecommender {
  static override className = 'TwoTower';
  /** The accepted aliases of TwoTower's options: alias → canonical name. */
  static readonly aliases: OptionAliases<typeof TWO_TOWER_ALIASES> = TWO_TOWER_ALIASES;
  /** Output dimension of both towers. */
  readonly factors: number;
  /** The resolved `hidden` option. */
  readonly hidden: readonly number[];
  /** The resolved `normalize` option. */
  readonly normalize: boolean;
  /** The resolved `temperature` option (τ). */
  readonly temperature: number;
  /** The resolved `samplingCorrection` option. */
  readonly samplingCorrection: boolean;

  constructor(given: WithAliases<TwoTowerConfig, typeof TwoTower.aliases> = {}) {
    const config = resolveOptions<TwoTowerConfig>('TwoTower', given, TWO_TOWER_SCHEMA);
    super(config.epochs ?? 10, config.batchSize ?? 256, config.learningRate ?? 0.01, config.seed ?? 0);
    this.factors = checkPositive(optionLabel(given, TWO_TOWER_SCHEMA, 'factors'), config.factors ?? 32, true);
    // `[]` (what getConfig writes for no hidden layers) is the default, so such a model loads back.
    this.hidden = config.hidden === undefined || config.hidden.length === 0 ? [] : checkLayers(config.hidden);
    this.normalize = config.normalize ?? true;
    this.temperature = checkPositive('temperature', config.temperature ?? (this.normalize ? 0.1 : 1));
    this.samplingCorrection = config.samplingCorrection ?? true;
  }

  /** @deprecated The same as {@link TwoTower.factors} (its name before 0.1). */
  get dim(): number {
    return this.factors;
  }

  /** Every option by its canonical name. */
  getConfig(): ConfigDict {
    return {
      factors: this.factors,
      hidden: [...this.hidden],
      temperature: this.temperature,
      normalize: this.normalize,
      samplingCorrection: this.samplingCorrection,
      epochs: this.epochs,
      batchSize: this.batchSize,
      learningRate: this.learningRate,
      seed: this.seed,
    };
  }

  protected buildLayers(numUsers: number, numItems: number): Layer[] {
    const s = this.seed * 101;
    const tower = (n: number, offset: number): Layer[] => {
      const width0 = this.hidden.length === 0 ? this.dim : this.hidden[0]!;
      const layers: Layer[] = [embedding(n, width0, s + offset)];
      let width = width0;
      this.hidden.slice(1).forEach((units, k) => {
        layers.push(dense(width, units, 'relu', s + offset + 1 + k));
        width = units;
      });
      if (this.hidden.length > 0) layers.push(dense(width, this.dim, null, s + offset + 50));
      return layers;
    };
    const user = tower(numUsers, 1);
    const item = tower(numItems, 100);
    this.towerSize = user.length;
    return [...user, ...item];
  }

  private towerSize = 1;

  private tower(ids: tf.Tensor1D, which: 'user' | 'item'): tf.Tensor2D {
    return tf.tidy(() => {
      const layers = which === 'user' ? this.layerList.slice(0, this.towerSize) : this.layerList.slice(this.towerSize);
      let x: tf.Tensor = lookup(layers[0]!, ids);
      for (const layer of layers.slice(1)) x = layer.apply(x);
      if (this.normalize) x = tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12));
      return x as tf.Tensor2D;
    });
  }

  protected async fitModel(data: Interactions): Promise<void> {
    this.startFit(data);
    const rng = createRng(this.seed);
    const n = data.size;
    const batchSize = this.batchSize;
    const correct = this.samplingCorrection;
    // log q_j: the chance that a batch slot holds item j.
    const counts = new Float32Array(data.numItems);
    for (let e = 0; e < n; e++) counts[data.items[e]!]! += 1;
    const logQ = Float32Array.from(counts, (c) => Math.log(Math.max(c, 1) / n));
    const rowLogQ = Float32Array.from(data.items, (i) => logQ[i]!);
    // A batch of one has no negatives: skipped.
    const rows = { users: data.users, items: data.items, ...(correct ? { logQ: rowLogQ } : {}) };
    const batches = (): Generator<PairBatch> => shuffledPairs(rows, batchSize, rng, 2);
    await this.trainOnLoop('TwoTower', Math.ceil(n / batchSize), batches, (b) =>
      this.inBatchLoss(b.users, b.items, b.logQ),
    );
  }

  /**
   * Softmax cross-entropy of each user against the batch's items, its own item the target. Other
   * rows with the same item are masked out (they are not negatives). With `logQ` (the log sampling
   * probability of each row's item) the logits of column j are `u·v_j / τ - logQ_j`.
   */
  inBatchLoss(users: tf.Tensor1D, items: tf.Tensor1D, logQ?: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => {
      const b = users.shape[0];
      const u = this.tower(users, 'user');
      const v = this.tower(items, 'item');
      const scaled = tf.div(tf.matMul(u, tf.transpose(v)), this.temperature);
      const logits = logQ === undefined ? scaled : tf.sub(scaled, tf.reshape(logQ, [1, b]));
      const same = tf.equal(tf.reshape(items, [b, 1]), tf.reshape(items, [1, b]));
      const eye = tf.cast(tf.eye(b), 'bool');
      const mask = tf.logicalAnd(same, tf.logicalNot(eye));
      const masked = tf.where(mask, tf.fill([b, b], -1e9), logits);
      const diag = tf.sum(tf.mul(masked, tf.eye(b)), 1);
      return tf.mean(tf.sub(tf.logSumExp(masked, 1), diag));
    });
  }

  protected estimate(u: number, i: number): number {
    const out = tf.tidy(() =>
      tf.sum(tf.mul(this.tower(tf.tensor1d([u], 'int32'), 'user'), this.tower(tf.tensor1d([i], 'int32'), 'item'))),
    );
    const v = out.dataSync()[0]!;
    out.dispose();
    return v;
  }

  protected override scoreItems(u: number, out: Float32Array): void {
    this.scoreUserBlock(Int32Array.of(u), out);
  }

  /** One matMul: `[users, dim] × [dim, items]`. */
  protected override scoreUserBlock(users: Int32Array, out: Float32Array): void {
    const n = this.data().numItems;
    const scores = tf.tidy(() =>
      tf.matMul(
        this.tower(tf.tensor1d(users, 'int32'), 'user'),
        tf.transpose(this.tower(tf.range(0, n, 1, 'int32') as tf.Tensor1D, 'item')),
      ),
    );
    out.set(scores.dataSync());
    scores.dispose();
  }

  /** Cosine similarity of the item tower's outputs. */
  protected override itemSimilarities(i: number, out: Float32Array): void {
    const n = out.length;
    const v = tf.tidy(() => this.tower(tf.range(0, n, 1, 'int32') as tf.Tensor1D, 'item'));
    const values = v.dataSync() as Float32Array;
    v.dispose();
    cosineToAll(values, i, this.dim, out);
  }
}

function sortedHas(sorted: Int32Array, lo: number, hi: number, value: number): boolean {
  hi--;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
