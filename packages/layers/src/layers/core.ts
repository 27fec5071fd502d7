/**
 * Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector,
 * Embedding, Masking.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, createRng, describeValue, type ConfigDict } from '@plasticity/core';
import { getActivation, type ActivationFn } from '../activations.js';
import type { InitializerIdentifier } from '../initializers.js';
import {
  assertRank,
  Layer,
  SymbolicTensor,
  Node,
  type CallArgs,
  type LayerConfig,
  type MaskArg,
  type Shape,
} from '../layer.js';
import type { ConstraintIdentifier, RegularizerIdentifier } from '../regularizers.js';

function serializeId(id: unknown): ConfigDict[string] {
  if (id === undefined || id === null) return null;
  if (typeof id === 'string') return id;
  const obj = id as { getConfig?: () => ConfigDict; constructor: { className?: string } };
  if (typeof obj.getConfig === 'function')
    return { className: obj.constructor.className ?? '', config: obj.getConfig() };
  return id as ConfigDict;
}

/** The graph's entry point: holds the input shape; `call` is the identity. */
export class InputLayer extends Layer {
  static override readonly className = 'InputLayer';
  constructor(config: LayerConfig & { batchInputShape: Shape }) {
    super(config);
    this.built = true;
    const shape = this.batchInputShape!;
    const output = new SymbolicTensor(shape, this.dtype, undefined, 0, this.name);
    const node = new Node(this, [], [output], {});
    output.node = node;
    this.inboundNodes.push(node);
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return inputs;
  }
}

/**
 * A symbolic input for the functional API.
 *
 * @param config.shape the shape without the batch dimension, e.g. `[784]`.
 * @example
 * ```ts
 * const x = input({ shape: [784] });
 * const y = new Dense({ units: 10 }).apply(x);
 * const model = new Model({ inputs: x, outputs: y });
 * ```
 */
export function input(config: {
  shape: Shape;
  batchSize?: number;
  name?: string;
  dtype?: tf.DataType;
}): SymbolicTensor {
  if (!Array.isArray(config?.shape)) {
    throw new ValueError(
      `input() needs a shape without the batch dimension, e.g. { shape: [784] }; got ${describeValue(config?.shape)}.`,
      {
        field: 'shape',
        value: config?.shape,
      },
    );
  }
  const layer = new InputLayer({
    batchInputShape: [config.batchSize ?? null, ...config.shape],
    ...(config.name === undefined ? {} : { name: config.name }),
    ...(config.dtype === undefined ? {} : { dtype: config.dtype }),
  });
  return layer.inboundNodes[0]!.outputs[0]!;
}

/** Options of layers with a kernel and a bias (Dense, the convolutions). */
export interface KernelBiasConfig extends LayerConfig {
  /** Activation applied to the output, by name (`'relu'`, `'softmax'`, …). Default `'linear'` (none). */
  activation?: string | null;
  /** Whether to add a bias vector. Default true. */
  useBias?: boolean;
  /** Initializer of the kernel (name, instance or `{ className, config }`). Default `'glorotUniform'`. */
  kernelInitializer?: InitializerIdentifier;
  /** Initializer of the bias. Default `'zeros'`. */
  biasInitializer?: InitializerIdentifier;
  /** Penalty on the kernel added to the loss (e.g. `'l2'` or `new L1L2({ l2: 1e-4 })`). Default none. */
  kernelRegularizer?: RegularizerIdentifier | null;
  /** Penalty on the bias added to the loss. Default none. */
  biasRegularizer?: RegularizerIdentifier | null;
  /** Projection of the kernel after each update (e.g. `'maxNorm'`, `'nonNeg'`). Default none. */
  kernelConstraint?: ConstraintIdentifier | null;
  /** Projection of the bias after each update. Default none. */
  biasConstraint?: ConstraintIdentifier | null;
}

/** Options of {@link Dense}. */
export interface DenseConfig extends KernelBiasConfig {
  /** Output size: the last dimension of the output. Required, a positive integer. */
  units: number;
}

/**
 * A densely connected layer: `activation(x·W + b)` on the last axis; inputs of rank > 2 are
 * applied per position. Input `[batch, inputDim]` (or `[batch, …, inputDim]`), output
 * `[batch, units]` (or `[batch, …, units]`); the kernel is `[inputDim, units]`, the bias `[units]`.
 *
 * Args (config, {@link DenseConfig}): `units`, `activation` (default linear), `useBias` (default
 * true), `kernelInitializer` (default `'glorotUniform'`), `biasInitializer` (default `'zeros'`),
 * regularizers and constraints for each, and the {@link LayerConfig} options.
 *
 * @example
 * ```ts
 * const model = new Sequential({
 *   layers: [new Dense({ units: 16, activation: 'relu', inputShape: [4] }), new Dense({ units: 1 })],
 * });
 * model.predict(tf.zeros([2, 4])); // [2, 1]
 * ```
 */
export class Dense extends Layer {
  static override readonly className = 'Dense';
  /** Per-position on [batch, time, features]: the sequence mask passes through. */
  override readonly supportsMasking: boolean = true;
  /** Output size. */
  readonly units: number;
  /** Name of the activation applied to the output. */
  readonly activation: string;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  private readonly config: DenseConfig;
  private activationFn: ActivationFn;
  /** The `[inputDim, units]` weight matrix, once built. */
  kernel: tf.Variable | undefined;
  /** The `[units]` bias, once built (undefined with `useBias: false`). */
  bias: tf.Variable | undefined;

  constructor(config: DenseConfig) {
    super(config);
    if (!Number.isInteger(config?.units) || config.units < 1) {
      throw new ValueError(`Dense: units must be a positive integer; got ${describeValue(config?.units)}.`, {
        field: 'units',
        value: config?.units,
      });
    }
    this.config = config;
    this.units = config.units;
    this.activation = config.activation ?? 'linear';
    this.activationFn = getActivation(this.activation);
    this.useBias = config.useBias ?? true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const inputDim = shape[shape.length - 1];
    if (typeof inputDim !== 'number') {
      throw new ShapeError(`Dense "${this.name}" needs a known last input dimension; got [${shape.join(',')}].`);
    }
    this.kernel = this.addWeight('kernel', [inputDim, this.units], {
      initializer: this.config.kernelInitializer ?? 'glorotUniform',
      regularizer: this.config.kernelRegularizer ?? null,
      constraint: this.config.kernelConstraint ?? null,
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.units], {
        initializer: this.config.biasInitializer ?? 'zeros',
        regularizer: this.config.biasRegularizer ?? null,
        constraint: this.config.biasConstraint ?? null,
      });
    }
    this.built = true;
  }

  protected override checkInputShape(shape: Shape | Shape[]): void {
    const s = shape as Shape;
    if (s.length < 2) {
      throw new ShapeError(
        `Dense "${this.name}" expects input of rank >= 2 ([batch, features]); got [${s.join(',')}].`,
      );
    }
    if (this.kernel !== undefined && s[s.length - 1] !== this.kernel.shape[0]) {
      throw new ShapeError(
        `Dense "${this.name}" was built for ${this.kernel.shape[0]} input features; got [${s.join(',')}].`,
        { actual: s.map((d) => d ?? -1), expected: [-1, this.kernel.shape[0]!] },
      );
    }
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor;
    return tf.tidy(() => {
      const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, x.shape[x.rank - 1]!]);
      const fusable = ['linear', 'relu', 'relu6', 'elu', 'sigmoid'].includes(this.activation);
      let y: tf.Tensor;
      if (fusable) {
        y = tf.fused.matMul({
          a: x2 as tf.Tensor2D,
          b: this.kernel! as tf.Tensor2D,
          ...(this.bias === undefined ? {} : { bias: this.bias }),
          activation: this.activation as tf.fused.Activation,
        });
      } else {
        y = tf.matMul(x2 as tf.Tensor2D, this.kernel! as tf.Tensor2D);
        if (this.bias !== undefined) y = tf.add(y, this.bias);
        y = this.activationFn(y);
      }
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.units]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    return [...s.slice(0, -1), this.units];
  }

  protected override ownConfig(): ConfigDict {
    return {
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeId(this.config.kernelInitializer ?? 'glorotUniform'),
      biasInitializer: serializeId(this.config.biasInitializer ?? 'zeros'),
      kernelRegularizer: serializeId(this.config.kernelRegularizer),
      biasRegularizer: serializeId(this.config.biasRegularizer),
      kernelConstraint: serializeId(this.config.kernelConstraint),
      biasConstraint: serializeId(this.config.biasConstraint),
    };
  }
}

/** Applies an activation function. */
export class Activation extends Layer {
  static override readonly className = 'Activation';
  override readonly supportsMasking: boolean = true;
  /** Name of the activation function. */
  readonly activation: string;
  private readonly fn: ActivationFn;
  constructor(config: LayerConfig & { activation: string }) {
    super(config);
    this.activation = config.activation;
    this.fn = getActivation(config.activation);
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.fn(inputs as tf.Tensor);
  }
  protected override ownConfig(): ConfigDict {
    return { activation: this.activation };
  }
}

/**
 * Inverted dropout: while training, zeroes each element with probability `rate` and scales the
 * rest by 1/(1−rate); the identity otherwise. Masks come from a seeded generator.
 */
export class Dropout extends Layer {
  static override readonly className = 'Dropout';
  override readonly supportsMasking: boolean = true;
  /** Probability of zeroing each element while training, in [0, 1). */
  readonly rate: number;
  /** Seed of the dropout masks' generator; undefined: a random seed. */
  readonly seed: number | undefined;
  private readonly rng;
  constructor(config: LayerConfig & { rate: number; seed?: number }) {
    super(config);
    if (typeof config?.rate !== 'number' || !(config.rate >= 0 && config.rate < 1)) {
      throw new ValueError(`Dropout: rate must be in [0, 1); got ${describeValue(config?.rate)}.`, {
        field: 'rate',
        value: config?.rate,
      });
    }
    this.rate = config.rate;
    this.seed = config.seed;
    this.rng = createRng(config.seed ?? 1729);
  }
  call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs): tf.Tensor {
    const x = inputs as tf.Tensor;
    if (args.training !== true || this.rate === 0) return x;
    const keep = 1 - this.rate;
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.uniform() < keep ? 1 / keep : 0;
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape)));
  }
  protected override ownConfig(): ConfigDict {
    return { rate: this.rate, ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}

/** Flattens every axis after the batch. */
export class Flatten extends Layer {
  static override readonly className = 'Flatten';
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor;
    return tf.reshape(x, [x.shape[0]!, -1]);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    const rest = s.slice(1);
    return [s[0] ?? null, rest.some((d) => d === null) ? null : (rest as number[]).reduce((a, b) => a * b, 1)];
  }
}

/** Reshapes every sample to `targetShape` (one dimension may be -1). */
export class Reshape extends Layer {
  static override readonly className = 'Reshape';
  /** Shape of each sample without the batch dimension; one entry may be -1. */
  readonly targetShape: number[];
  constructor(config: LayerConfig & { targetShape: number[] }) {
    super(config);
    this.targetShape = [...config.targetShape];
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor;
    return tf.reshape(x, [x.shape[0]!, ...this.targetShape]);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    const known = s.slice(1);
    const unknown = this.targetShape.indexOf(-1);
    if (unknown === -1 || known.some((d) => d === null))
      return [s[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? null : d))];
    const total = (known as number[]).reduce((a, b) => a * b, 1);
    const rest = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (total % rest !== 0) {
      throw new ShapeError(
        `Reshape "${this.name}": cannot reshape [${known.join(',')}] to [${this.targetShape.join(',')}].`,
      );
    }
    return [s[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? total / rest : d))];
  }
  protected override ownConfig(): ConfigDict {
    return { targetShape: [...this.targetShape] };
  }
}

/** Permutes the non-batch axes; `dims` counts from 1 (Keras). */
export class Permute extends Layer {
  static override readonly className = 'Permute';
  /** The new order of the non-batch axes, counted from 1 (`[2, 1]` swaps two axes). */
  readonly dims: number[];
  constructor(config: LayerConfig & { dims: number[] }) {
    super(config);
    this.dims = [...config.dims];
    const sorted = [...this.dims].sort((a, b) => a - b);
    if (!sorted.every((d, i) => d === i + 1)) {
      throw new ValueError(
        `Permute: dims must be a permutation of 1..${this.dims.length}; got ${describeValue(this.dims)}.`,
        {
          field: 'dims',
          value: this.dims,
        },
      );
    }
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.transpose(inputs as tf.Tensor, [0, ...this.dims]);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    return [s[0] ?? null, ...this.dims.map((d) => s[d] ?? null)];
  }
  protected override ownConfig(): ConfigDict {
    return { dims: [...this.dims] };
  }
}

/** Repeats a [batch, features] input `n` times: [batch, n, features]. */
export class RepeatVector extends Layer {
  static override readonly className = 'RepeatVector';
  /** How many times the input is repeated. */
  readonly n: number;
  constructor(config: LayerConfig & { n: number }) {
    super(config);
    this.n = config.n;
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [2]);
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor2D;
    return tf.tile(tf.expandDims(x, 1), [1, this.n, 1]);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    return [s[0] ?? null, this.n, s[1] ?? null];
  }
  protected override ownConfig(): ConfigDict {
    return { n: this.n };
  }
}

/** Options of {@link Embedding}. */
export interface EmbeddingConfig extends LayerConfig {
  /** Vocabulary size: ids are in [0, inputDim). */
  inputDim: number;
  /** Size of each embedding vector. */
  outputDim: number;
  /** Initializer of the table. Default `'randomUniform'` (±0.05). */
  embeddingsInitializer?: InitializerIdentifier;
  /** Penalty on the table added to the loss. Default none. */
  embeddingsRegularizer?: RegularizerIdentifier | null;
  /** Projection of the table after each update. Default none. */
  embeddingsConstraint?: ConstraintIdentifier | null;
  /**
   * Treat id 0 as padding: the output carries the mask `ids != 0` [batch, time], which recurrent
   * layers, pooling and merges after it honour (Keras' `mask_zero`). Id 0 then means padding only,
   * so the vocabulary needs `inputDim` = largest id + 1 as before.
   */
  maskZero?: boolean;
}

/**
 * Maps integer ids in [0, inputDim) to rows of a trainable [inputDim, outputDim] table.
 *
 * @example
 * ```ts
 * const embed = new Embedding({ inputDim: 100, outputDim: 8, maskZero: true });
 * const ids = tf.tensor2d([[0, 0, 5, 7]]);
 * const vectors = embed.apply(ids); // [1, 4, 8]
 * const mask = embed.computeMask(ids); // [[false, false, true, true]]
 * ```
 */
export class Embedding extends Layer {
  static override readonly className = 'Embedding';
  /** Vocabulary size. */
  readonly inputDim: number;
  /** Size of each embedding vector. */
  readonly outputDim: number;
  /** Whether id 0 is padding and starts a mask. */
  readonly maskZero: boolean;
  private readonly config: EmbeddingConfig;
  /** The `[inputDim, outputDim]` table, once built. */
  embeddings: tf.Variable | undefined;
  constructor(config: EmbeddingConfig) {
    super(config);
    for (const field of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(config?.[field]) || config[field] < 1) {
        throw new ValueError(`Embedding: ${field} must be a positive integer; got ${describeValue(config?.[field])}.`, {
          field,
          value: config?.[field],
        });
      }
    }
    this.config = config;
    this.inputDim = config.inputDim;
    this.outputDim = config.outputDim;
    if (config.maskZero !== undefined && typeof config.maskZero !== 'boolean') {
      throw new ValueError(`Embedding: maskZero must be true or false; got ${describeValue(config.maskZero)}.`, {
        field: 'maskZero',
        value: config.maskZero,
      });
    }
    this.maskZero = config.maskZero ?? false;
  }
  /** `ids != 0` [batch, …] with `maskZero`; otherwise none (an Embedding starts masks, it takes none). */
  override computeMask(inputs: tf.Tensor | tf.Tensor[]): MaskArg {
    if (!this.maskZero) return undefined;
    return tf.notEqual(inputs as tf.Tensor, 0);
  }
  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], {
      initializer: this.config.embeddingsInitializer ?? 'randomUniform',
      regularizer: this.config.embeddingsRegularizer ?? null,
      constraint: this.config.embeddingsConstraint ?? null,
    });
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const ids = inputs as tf.Tensor;
    return tf.tidy(() => {
      const flat = tf.cast(tf.reshape(ids, [-1]), 'int32');
      const rows = tf.gather(this.embeddings!, flat);
      return tf.reshape(rows, [...ids.shape, this.outputDim]);
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(inputShape as Shape), this.outputDim];
  }
  protected override outputDtype(): tf.DataType {
    return 'float32';
  }
  protected override ownConfig(): ConfigDict {
    return {
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeId(this.config.embeddingsInitializer ?? 'randomUniform'),
      embeddingsRegularizer: serializeId(this.config.embeddingsRegularizer),
      embeddingsConstraint: serializeId(this.config.embeddingsConstraint),
      maskZero: this.maskZero,
    };
  }
}

/**
 * Masks the time steps whose features all equal `maskValue` (default 0): it zeroes them and gives
 * the mask [batch, time] (`any(x != maskValue)` over features) to the layers after it, as Keras'
 * `Masking`. Use it before a recurrent layer to skip padded steps of float sequences.
 *
 * @example
 * ```ts
 * const masking = new Masking({ maskValue: 0 });
 * const x = tf.tensor3d([[[0, 0], [1, 2]]]); // [batch 1, time 2, features 2]
 * const mask = masking.computeMask(x); // [[false, true]]
 * ```
 */
export class Masking extends Layer {
  static override readonly className = 'Masking';
  override readonly supportsMasking: boolean = true;
  /** Feature value that marks a padded step. */
  readonly maskValue: number;
  constructor(config: LayerConfig & { maskValue?: number } = {}) {
    super(config);
    if (config.maskValue !== undefined && (typeof config.maskValue !== 'number' || Number.isNaN(config.maskValue))) {
      throw new ValueError(`Masking: maskValue must be a number; got ${describeValue(config.maskValue)}.`, {
        field: 'maskValue',
        value: config.maskValue,
      });
    }
    this.maskValue = config.maskValue ?? 0;
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    if (Array.isArray(shape[0])) {
      throw new ValueError(`Masking "${this.name}" takes one input; got a list.`, {
        field: 'inputs',
        value: this.name,
      });
    }
    assertRank(this, shape as Shape, [3, 4, 5], 'input [batch, time, ...features]');
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor;
    return tf.tidy(() => tf.mul(x, tf.cast(tf.any(tf.notEqual(x, this.maskValue), -1, true), x.dtype)));
  }
  /** `any(x != maskValue)` over the last axis: [batch, time] for [batch, time, features]. */
  override computeMask(inputs: tf.Tensor | tf.Tensor[]): MaskArg {
    return tf.any(tf.notEqual(inputs as tf.Tensor, this.maskValue), -1);
  }
  protected override ownConfig(): ConfigDict {
    return { maskValue: this.maskValue };
  }
}

export { serializeId };
