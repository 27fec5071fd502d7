/**
 * Low-rank adapters (LoRA, Hu et al. 2021) for Dense and Embedding layers.
 *
 * The base weight W stays frozen; the layer learns a low-rank update ΔW = (α/r)·A·B with
 * A `[in, r]` and B `[r, out]`. One factor starts at zero, so an adapted model starts out computing
 * exactly what the base did. After training, {@link mergeLoRA} folds ΔW into W.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ValueError,
  createRng,
  deserializePlugin,
  describeValue,
  randomTensor,
  registerLayer,
  serializePlugin,
  type ConfigDict,
  type SerializedPlugin,
} from '@plasticity/core';
import {
  Dense,
  Embedding,
  Layer,
  getActivation,
  registerBuiltinLayers,
  type CallArgs,
  type LayerConfig,
  type LayerWeight,
  type Model,
  type Shape,
} from '@plasticity/layers';
import { freeze } from './freeze.js';
import { rebuildModel } from './graph.js';

export interface LoRAConfig extends LayerConfig {
  /** Rank r of the update (a positive integer, usually 4–16). */
  rank: number;
  /** Scale numerator: ΔW = (alpha / rank)·A·B (default alpha = rank, i.e. scale 1). */
  alpha?: number;
  /** Seed of the random factor's initialisation (default 0). */
  seed?: number;
}

function checkRank(owner: string, rank: unknown, alpha: unknown): void {
  if (!Number.isInteger(rank) || (rank as number) < 1) {
    throw new ValueError(`${owner}: rank must be a positive integer; got ${describeValue(rank)}.`, {
      field: 'rank',
      value: rank,
    });
  }
  if (alpha !== undefined && !(typeof alpha === 'number' && Number.isFinite(alpha))) {
    throw new ValueError(`${owner}: alpha must be a finite number; got ${describeValue(alpha)}.`, {
      field: 'alpha',
      value: alpha,
    });
  }
}

function baseLayer<T extends Layer>(
  owner: string,
  base: T | SerializedPlugin,
  cls: abstract new (...a: never[]) => T,
): T {
  let layer: unknown = base;
  if (!(base instanceof Layer) && base !== null && typeof base === 'object' && 'className' in base) {
    registerBuiltinLayers();
    layer = deserializePlugin<Layer>('layer', base);
  }
  if (!(layer instanceof cls)) {
    throw new ValueError(`${owner} wraps a ${cls.name} layer; got ${describeValue(base)}.`, {
      field: 'base',
      value: base,
    });
  }
  return layer;
}

/** Shared plumbing of the two adapters: frozen base weights first, then the factors. */
abstract class LoRABase<T extends Dense | Embedding> extends Layer {
  /** The wrapped layer, frozen; its weights are never changed by training. */
  readonly base: T;
  /** Rank r of the update ΔW = (alpha / r)·A·B. */
  readonly rank: number;
  /** Scale numerator of the update (default `rank`). */
  readonly alpha: number;
  /** Seed of the random factor's initialisation. */
  readonly seed: number;
  /** The `[in, rank]` factor (Dense) or `[inputDim, rank]` (Embedding), once built. */
  loraA: tf.Variable | undefined;
  /** The `[rank, out]` factor, zero at the start so the adapted layer first equals the base. */
  loraB: tf.Variable | undefined;

  constructor(
    config: LoRAConfig & { base: T | SerializedPlugin },
    cls: abstract new (...a: never[]) => T,
    owner: string,
  ) {
    const base = baseLayer(owner, config?.base, cls);
    super({ ...config, name: config.name ?? `${base.name}_lora` });
    checkRank(owner, config.rank, config.alpha);
    this.base = base;
    this.rank = config.rank;
    this.alpha = config.alpha ?? config.rank;
    this.seed = config.seed ?? 0;
  }

  /** α / r. */
  get scale(): number {
    return this.alpha / this.rank;
  }

  /** The base's weights (never trainable here) followed by A and B. */
  override get weightEntries(): LayerWeight[] {
    return [...this.base.weightEntries.map((w) => ({ ...w, trainable: false })), ...super.weightEntries];
  }

  /** ΔW = (α/r)·A·B, shaped like the base weight. The caller owns it. */
  delta(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(this.loraA! as tf.Tensor2D, this.loraB! as tf.Tensor2D), this.scale));
  }

  /** The base layer's weight that the update adds to (Dense kernel or Embedding table). */
  protected abstract baseWeight(): tf.Variable;

  /**
   * Adds ΔW into the base weight and resets the adapter to zero (B ← 0 for Dense, A ← 0 for
   * Embedding), so this layer and the bare base layer now compute the same function.
   */
  merge(): T {
    const w = this.baseWeight();
    const merged = tf.tidy(() => tf.add(w, this.delta()));
    w.assign(merged);
    merged.dispose();
    const zero = this instanceof LoRADense ? this.loraB! : this.loraA!;
    const z = tf.zerosLike(zero);
    zero.assign(z);
    z.dispose();
    return this.base;
  }

  protected override ownConfig(): ConfigDict {
    return {
      rank: this.rank,
      alpha: this.alpha,
      seed: this.seed,
      base: serializePlugin('layer', this.base) as unknown as ConfigDict,
    };
  }

  override dispose(): void {
    super.dispose();
    this.base.dispose();
  }
}

/**
 * A Dense layer with a low-rank adapter: `activation(x·W + b + (α/r)·(x·A)·B)`. W and b are the
 * wrapped layer's, frozen; A starts uniform in ±1/√in (seeded), B at zero.
 *
 * @example
 * ```ts
 * const adapted = new LoRADense({ base: denseLayer, rank: 4, alpha: 8 });
 * ```
 */
export class LoRADense extends LoRABase<Dense> {
  static override readonly className = 'LoRADense';
  private readonly activationFn;

  constructor(config: LoRAConfig & { base: Dense | SerializedPlugin }) {
    super(config, Dense, 'LoRADense');
    this.activationFn = getActivation(this.base.activation);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    if (!this.base.built) {
      this.base.build(shape);
      this.base.built = true;
    }
    const inputDim = this.base.kernel!.shape[0]!;
    this.loraA = this.addWeight('loraA', [inputDim, this.rank], { initializer: 'zeros' });
    this.loraB = this.addWeight('loraB', [this.rank, this.base.units], { initializer: 'zeros' });
    const bound = 1 / Math.sqrt(inputDim);
    const init = randomTensor([inputDim, this.rank], createRng(this.seed), { min: -bound, max: bound });
    this.loraA.assign(init);
    init.dispose();
    this.built = true;
  }

  protected baseWeight(): tf.Variable {
    return this.base.kernel!;
  }

  call(inputs: tf.Tensor | tf.Tensor[], _args: CallArgs): tf.Tensor {
    const x = inputs as tf.Tensor;
    return tf.tidy(() => {
      const x2 = (x.rank === 2 ? x : tf.reshape(x, [-1, x.shape[x.rank - 1]!])) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(x2, this.base.kernel! as tf.Tensor2D);
      if (this.base.bias !== undefined) y = tf.add(y, this.base.bias);
      const low = tf.matMul(tf.matMul(x2, this.loraA! as tf.Tensor2D), this.loraB! as tf.Tensor2D);
      y = this.activationFn(tf.add(y, tf.mul(low, this.scale)));
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.base.units]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.base.computeOutputShape(inputShape) as Shape;
  }
}

/**
 * An Embedding layer with a low-rank adapter: row `i` is `E[i] + (α/r)·A[i]·B`. E is the wrapped
 * layer's table, frozen; A starts at zero, B normal with standard deviation 1 (seeded), as PEFT.
 */
export class LoRAEmbedding extends LoRABase<Embedding> {
  static override readonly className = 'LoRAEmbedding';

  constructor(config: LoRAConfig & { base: Embedding | SerializedPlugin }) {
    super(config, Embedding, 'LoRAEmbedding');
  }

  override build(): void {
    if (!this.base.built) {
      this.base.build();
      this.base.built = true;
    }
    this.loraA = this.addWeight('loraA', [this.base.inputDim, this.rank], { initializer: 'zeros' });
    this.loraB = this.addWeight('loraB', [this.rank, this.base.outputDim], { initializer: 'zeros' });
    const init = randomTensor([this.rank, this.base.outputDim], createRng(this.seed), { distribution: 'normal' });
    this.loraB.assign(init);
    init.dispose();
    this.built = true;
  }

  protected baseWeight(): tf.Variable {
    return this.base.embeddings!;
  }

  call(inputs: tf.Tensor | tf.Tensor[], _args: CallArgs): tf.Tensor {
    const ids = inputs as tf.Tensor;
    return tf.tidy(() => {
      const flat = tf.cast(tf.reshape(ids, [-1]), 'int32');
      const rows = tf.gather(this.base.embeddings!, flat);
      const low = tf.matMul(tf.gather(this.loraA!, flat) as tf.Tensor2D, this.loraB! as tf.Tensor2D);
      const y = tf.add(rows, tf.mul(low, this.scale));
      return tf.reshape(y, [...ids.shape, this.base.outputDim]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return this.base.computeOutputShape(inputShape) as Shape;
  }

  protected override outputDtype(): tf.DataType {
    return 'float32';
  }
}

/** Registers LoRADense and LoRAEmbedding so that adapted models save and load (idempotent). */
export function registerTransferLayers(): void {
  registerLayer(LoRADense);
  registerLayer(LoRAEmbedding);
}

/** Options of {@link applyLoRA}. */
export interface ApplyLoRAOptions {
  /** Rank r of each adapter (a positive integer, usually 4–16). */
  rank: number;
  /** Scale numerator: ΔW = (alpha / rank)·A·B. Default `rank` (scale 1). */
  alpha?: number;
  /**
   * Which layers get adapters (at any depth): a name, glob, RegExp, a list of them, or a
   * predicate. Default: every Dense and Embedding layer.
   */
  targets?: string | RegExp | readonly (string | RegExp)[] | ((layer: Layer) => boolean);
  /** Freeze every other layer (default true), so only the adapters train. */
  freezeOthers?: boolean;
  /** Seed of the first adapter's initialisation; the next ones use seed + 1, … (default 0). */
  seed?: number;
}

function targetTest(targets: ApplyLoRAOptions['targets']): (layer: Layer) => boolean {
  if (targets === undefined) return (l) => l instanceof Dense || l instanceof Embedding;
  if (typeof targets === 'function') return targets;
  const list = (Array.isArray(targets) ? targets : [targets]) as (string | RegExp)[];
  const res = list.map((p) =>
    p instanceof RegExp ? p : new RegExp(`^${p.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`),
  );
  return (l) => res.some((re) => re.test(l.name));
}

/**
 * A new model in which the chosen Dense and Embedding layers are wrapped in LoRA adapters (the base
 * layers and their weights are shared, not copied). Unless `freezeOthers: false`, only the
 * adapters train.
 *
 * @example
 * ```ts
 * const adapted = applyLoRA(model, { rank: 4, alpha: 8, targets: ['dense*'] });
 * adapted.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
 * await adapted.fit(x, y, { epochs: 10 });
 * const merged = mergeLoRA(adapted); // plain Dense layers again, ΔW folded in
 * ```
 */
export function applyLoRA(model: Model, options: ApplyLoRAOptions): Model {
  checkRank('applyLoRA', options?.rank, options?.alpha);
  const test = targetTest(options.targets);
  let seed = options.seed ?? 0;
  let count = 0;
  const freezeOthers = options.freezeOthers ?? true;
  if (freezeOthers) freeze(model);
  const adapted = rebuildModel(model, (layer) => {
    if (!test(layer)) return layer;
    if (!(layer instanceof Dense) && !(layer instanceof Embedding)) {
      throw new ValueError(
        `applyLoRA: layer "${layer.name}" is a ${(layer.constructor as { className?: string }).className}; LoRA adapts Dense and Embedding layers only.`,
        { field: 'targets', value: layer.name },
      );
    }
    count++;
    const config = {
      rank: options.rank,
      seed: seed++,
      ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
    };
    return layer instanceof Dense
      ? new LoRADense({ ...config, base: layer })
      : new LoRAEmbedding({ ...config, base: layer });
  });
  if (count === 0) {
    throw new ValueError(
      `applyLoRA: no Dense or Embedding layer of model "${model.name}" matches ${describeValue(options.targets)}.`,
      {
        field: 'targets',
        value: options.targets,
      },
    );
  }
  return adapted;
}

/**
 * Folds every adapter's ΔW into its base layer's weights and returns the model with plain Dense /
 * Embedding layers again: same outputs, no adapter cost at inference. The adapted model keeps
 * working (its adapters are reset to zero) and shares the base layers with the result.
 */
export function mergeLoRA(model: Model): Model {
  return rebuildModel(model, (layer) =>
    layer instanceof LoRADense || layer instanceof LoRAEmbedding ? layer.merge() : layer,
  );
}
