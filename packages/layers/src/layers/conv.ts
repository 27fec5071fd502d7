/**
 * Convolution and pooling layers (channels-last): Conv1D, Conv2D, Conv2DTranspose,
 * DepthwiseConv2D, SeparableConv2D, MaxPooling1D/2D, AveragePooling1D/2D, GlobalAverage/Max
 * Pooling1D/2D, ZeroPadding2D, UpSampling2D.
 */
import * as tf from '@tensorflow/tfjs-core';
import { maxPool } from '../pooling-argmax.js';
import { ShapeError, ValueError, describeValue, type ConfigDict } from '@plasticity/core';
import { getActivation, type ActivationFn } from '../activations.js';
import type { InitializerIdentifier } from '../initializers.js';
import { assertRank, Layer, sequenceMask, type CallArgs, type LayerConfig, type Shape } from '../layer.js';
import { serializeId, type KernelBiasConfig } from './core.js';

type Padding = 'valid' | 'same';
type Pair = [number, number];

function pair(owner: string, field: string, value: number | number[] | undefined, fallback: number): Pair {
  const v = value ?? fallback;
  const out = (typeof v === 'number' ? [v, v] : v) as number[];
  if (out.length !== 2 || out.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ValueError(
      `${owner}: ${field} must be a positive integer or a pair of them; got ${describeValue(value)}.`,
      { field, value },
    );
  }
  return [out[0]!, out[1]!];
}

function padding(owner: string, value: string | undefined): Padding {
  const p = value ?? 'valid';
  if (p !== 'valid' && p !== 'same')
    throw new ValueError(`${owner}: padding must be 'valid' or 'same'; got ${describeValue(value)}.`, {
      field: 'padding',
      value,
    });
  return p;
}

/** Output length of a convolution along one axis (TensorFlow's rule). */
export function convOutputLength(
  length: number | null,
  filter: number,
  stride: number,
  pad: Padding,
  dilation = 1,
): number | null {
  if (length === null) return null;
  const effective = (filter - 1) * dilation + 1;
  return pad === 'same' ? Math.ceil(length / stride) : Math.ceil((length - effective + 1) / stride);
}

/** Options of the convolution layers (Conv1D, Conv2D, Conv2DTranspose, SeparableConv2D). */
export interface ConvConfig extends KernelBiasConfig {
  /** Number of output channels. Required, a positive integer. */
  filters: number;
  /** Window size: n, or `[height, width]` for 2-D layers. */
  kernelSize: number | number[];
  /** Step between windows: n or `[height, width]`. Default 1. */
  strides?: number | number[];
  /**
   * `'valid'` (default: no padding, the output shrinks) or `'same'` (zero padding, output size = ceil(input / stride)).
   */
  padding?: Padding;
  /** Spacing between kernel taps (atrous convolution): n or `[height, width]`. Default 1. */
  dilationRate?: number | number[];
}

abstract class ConvBase extends Layer {
  /** Number of output channels. */
  readonly filters: number;
  /** Window size `[height, width]` (height 1 for 1-D layers). */
  readonly kernelSize: Pair;
  /** Step between windows `[height, width]`. */
  readonly strides: Pair;
  /** `'valid'` or `'same'`. */
  readonly padding: Padding;
  /** Spacing between kernel taps `[height, width]`. */
  readonly dilationRate: Pair;
  /** Name of the activation applied to the output. */
  readonly activation: string;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** The options the layer was built with. */
  protected readonly config: ConvConfig;
  /** The activation function. */
  protected readonly activationFn: ActivationFn;
  /** The convolution kernel, once built. */
  kernel: tf.Variable | undefined;
  /** The `[filters]` bias, once built (undefined with `useBias: false`). */
  bias: tf.Variable | undefined;

  constructor(config: ConvConfig, rank: 1 | 2) {
    super(config);
    const owner = (this.constructor as { className?: string }).className ?? 'Conv';
    if (!Number.isInteger(config?.filters) || config.filters < 1) {
      throw new ValueError(`${owner}: filters must be a positive integer; got ${describeValue(config?.filters)}.`, {
        field: 'filters',
        value: config?.filters,
      });
    }
    this.config = config;
    this.filters = config.filters;
    const one = (v: number | number[] | undefined, f: number, field: string): Pair =>
      rank === 1
        ? [1, pair(owner, field, typeof v === 'number' || v === undefined ? v : v[0], f)[0]]
        : pair(owner, field, v, f);
    this.kernelSize = one(config.kernelSize, 1, 'kernelSize');
    this.strides = one(config.strides, 1, 'strides');
    this.dilationRate = one(config.dilationRate, 1, 'dilationRate');
    this.padding = padding(owner, config.padding);
    this.activation = config.activation ?? 'linear';
    this.activationFn = getActivation(this.activation);
    this.useBias = config.useBias ?? true;
  }

  /** Adds the bias (if any) to `y` on the channel axis. */
  protected addBias(y: tf.Tensor): tf.Tensor {
    return this.bias === undefined ? y : tf.add(y, this.bias);
  }

  /** The convolution options shared by every subclass, for `getConfig`. */
  protected ownConfigBase(rank: 1 | 2): ConfigDict {
    const pick = (p: Pair): number[] => (rank === 1 ? [p[1]] : [...p]);
    return {
      filters: this.filters,
      kernelSize: pick(this.kernelSize),
      strides: pick(this.strides),
      padding: this.padding,
      dilationRate: pick(this.dilationRate),
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

  /** Creates `kernel` of `kernelShape` and, with `useBias`, a bias of `biasSize`. */
  protected addKernelAndBias(kernelShape: number[], biasSize: number): void {
    this.kernel = this.addWeight('kernel', kernelShape, {
      initializer: this.config.kernelInitializer ?? 'glorotUniform',
      regularizer: this.config.kernelRegularizer ?? null,
      constraint: this.config.kernelConstraint ?? null,
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', [biasSize], {
        initializer: this.config.biasInitializer ?? 'zeros',
        regularizer: this.config.biasRegularizer ?? null,
        constraint: this.config.biasConstraint ?? null,
      });
    }
  }

  /** [batch, outHeight, outWidth] of a 2-D convolution with this layer's geometry. */
  protected spatialOutput(inputShape: Shape | Shape[]): [number | null, number | null, number | null] {
    const [b, h, w] = inputShape as Shape;
    return [
      b ?? null,
      convOutputLength(h ?? null, this.kernelSize[0], this.strides[0], this.padding, this.dilationRate[0]),
      convOutputLength(w ?? null, this.kernelSize[1], this.strides[1], this.padding, this.dilationRate[1]),
    ];
  }

  /** The channel dimension of `shape` (its last); a ShapeError when unknown. */
  protected channels(shape: Shape): number {
    const c = shape[shape.length - 1];
    if (typeof c !== 'number')
      throw new ShapeError(`Layer "${this.name}" needs a known channel dimension; got [${shape.join(',')}].`);
    return c;
  }
}

/**
 * 2-D convolution over `[batch, height, width, channels]` (channels last), giving
 * `[batch, outHeight, outWidth, filters]`; the kernel is `[kh, kw, channels, filters]`.
 *
 * Args (config, {@link ConvConfig}): `filters`, `kernelSize` (n or [kh, kw]), `strides` (default 1),
 * `padding` (`'valid'` default, or `'same'`), `dilationRate` (default 1), and the kernel/bias options of
 * {@link KernelBiasConfig} (activation default linear, `useBias` default true).
 *
 * @example
 * ```ts
 * const conv = new Conv2D({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' });
 * conv.apply(tf.zeros([8, 28, 28, 1])); // [8, 28, 28, 16]
 * ```
 */
export class Conv2D extends ConvBase {
  static override readonly className: string = 'Conv2D';
  constructor(config: ConvConfig) {
    super(config, 2);
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [4]);
  }
  override build(inputShape: Shape | Shape[]): void {
    const cin = this.channels(inputShape as Shape);
    this.addKernelAndBias([...this.kernelSize, cin, this.filters], this.filters);
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const y = tf.conv2d(
        inputs as tf.Tensor4D,
        this.kernel as tf.Tensor4D,
        this.strides,
        this.padding,
        'NHWC',
        this.dilationRate,
      );
      return this.activationFn(this.addBias(y));
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...this.spatialOutput(inputShape), this.filters];
  }
  protected override ownConfig(): ConfigDict {
    return this.ownConfigBase(2);
  }
}

/** 1-D convolution over [batch, steps, channels] (a 2-D convolution of height 1). */
export class Conv1D extends ConvBase {
  static override readonly className = 'Conv1D';
  constructor(config: ConvConfig) {
    super(config, 1);
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [3]);
  }
  override build(inputShape: Shape | Shape[]): void {
    const cin = this.channels(inputShape as Shape);
    this.addKernelAndBias([this.kernelSize[1], cin, this.filters], this.filters);
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.expandDims(inputs as tf.Tensor3D, 1) as tf.Tensor4D;
      const k = tf.expandDims(this.kernel!, 0) as tf.Tensor4D;
      const y = tf.squeeze(tf.conv2d(x, k, this.strides, this.padding, 'NHWC', this.dilationRate), [1]);
      return this.activationFn(this.addBias(y));
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, steps] = inputShape as Shape;
    return [
      b ?? null,
      convOutputLength(steps ?? null, this.kernelSize[1], this.strides[1], this.padding, this.dilationRate[1]),
      this.filters,
    ];
  }
  protected override ownConfig(): ConfigDict {
    return this.ownConfigBase(1);
  }
}

/** Transposed 2-D convolution (kernel [kh, kw, filters, inChannels], as Keras). */
export class Conv2DTranspose extends ConvBase {
  static override readonly className = 'Conv2DTranspose';
  constructor(config: ConvConfig) {
    super(config, 2);
    if (this.dilationRate[0] !== 1 || this.dilationRate[1] !== 1) {
      throw new ValueError('Conv2DTranspose: dilationRate other than 1 is not supported.', {
        field: 'dilationRate',
        value: config.dilationRate,
      });
    }
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [4]);
  }
  override build(inputShape: Shape | Shape[]): void {
    const cin = this.channels(inputShape as Shape);
    this.addKernelAndBias([...this.kernelSize, this.filters, cin], this.filters);
    this.built = true;
  }
  private outLength(length: number, i: 0 | 1): number {
    const k = this.kernelSize[i];
    const s = this.strides[i];
    return this.padding === 'same' ? length * s : length * s + Math.max(k - s, 0);
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor4D;
    return tf.tidy(() => {
      const [b, h, w] = x.shape;
      const y = tf.conv2dTranspose(
        x,
        this.kernel as tf.Tensor4D,
        [b, this.outLength(h, 0), this.outLength(w, 1), this.filters],
        this.strides,
        this.padding,
      );
      return this.activationFn(this.addBias(y));
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w] = inputShape as Shape;
    return [
      b ?? null,
      h === null || h === undefined ? null : this.outLength(h, 0),
      w === null || w === undefined ? null : this.outLength(w, 1),
      this.filters,
    ];
  }
  protected override ownConfig(): ConfigDict {
    return this.ownConfigBase(2);
  }
}

/** Options of {@link DepthwiseConv2D}: those of {@link ConvConfig} without `filters`. */
export interface DepthwiseConfig extends Omit<ConvConfig, 'filters'> {
  /** Output channels per input channel. Default 1. */
  depthMultiplier?: number;
  /**
   * Initializer of the `[kh, kw, channels, depthMultiplier]` kernel. Default `kernelInitializer`, else `'glorotUniform'`.
   */
  depthwiseInitializer?: InitializerIdentifier;
}

/** Depthwise 2-D convolution: each input channel convolved with its own `depthMultiplier` filters. */
export class DepthwiseConv2D extends ConvBase {
  static override readonly className = 'DepthwiseConv2D';
  /** Output channels per input channel. */
  readonly depthMultiplier: number;
  constructor(config: DepthwiseConfig) {
    super(
      {
        ...config,
        filters: 1,
        kernelInitializer: config.depthwiseInitializer ?? config.kernelInitializer ?? 'glorotUniform',
      },
      2,
    );
    this.depthMultiplier = config.depthMultiplier ?? 1;
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [4]);
  }
  override build(inputShape: Shape | Shape[]): void {
    const cin = this.channels(inputShape as Shape);
    this.addKernelAndBias([...this.kernelSize, cin, this.depthMultiplier], cin * this.depthMultiplier);
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const y = tf.depthwiseConv2d(
        inputs as tf.Tensor4D,
        this.kernel as tf.Tensor4D,
        this.strides,
        this.padding,
        'NHWC',
        this.dilationRate,
      );
      return this.activationFn(this.addBias(y));
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const c = (inputShape as Shape)[3];
    return [...this.spatialOutput(inputShape), c === null || c === undefined ? null : c * this.depthMultiplier];
  }
  protected override ownConfig(): ConfigDict {
    const { filters: _f, ...rest } = this.ownConfigBase(2);
    return { ...rest, depthMultiplier: this.depthMultiplier };
  }
}

/** Depthwise convolution followed by a 1×1 pointwise convolution to `filters` channels. */
export class SeparableConv2D extends ConvBase {
  static override readonly className = 'SeparableConv2D';
  /** Depthwise output channels per input channel. Default 1. */
  readonly depthMultiplier: number;
  /** The `[kh, kw, channels, depthMultiplier]` depthwise kernel, once built. */
  depthwiseKernel: tf.Variable | undefined;
  /** The `[1, 1, channels · depthMultiplier, filters]` pointwise kernel, once built. */
  pointwiseKernel: tf.Variable | undefined;
  constructor(config: ConvConfig & { depthMultiplier?: number }) {
    super(config, 2);
    this.depthMultiplier = config.depthMultiplier ?? 1;
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [4]);
  }
  override build(inputShape: Shape | Shape[]): void {
    const cin = this.channels(inputShape as Shape);
    this.depthwiseKernel = this.addWeight('depthwiseKernel', [...this.kernelSize, cin, this.depthMultiplier], {
      initializer: this.config.kernelInitializer ?? 'glorotUniform',
    });
    this.pointwiseKernel = this.addWeight('pointwiseKernel', [1, 1, cin * this.depthMultiplier, this.filters], {
      initializer: this.config.kernelInitializer ?? 'glorotUniform',
      regularizer: this.config.kernelRegularizer ?? null,
      constraint: this.config.kernelConstraint ?? null,
    });
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], { initializer: this.config.biasInitializer ?? 'zeros' });
    }
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const y = tf.separableConv2d(
        inputs as tf.Tensor4D,
        this.depthwiseKernel as tf.Tensor4D,
        this.pointwiseKernel as tf.Tensor4D,
        this.strides,
        this.padding,
        this.dilationRate,
        'NHWC',
      );
      return this.activationFn(this.addBias(y));
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...this.spatialOutput(inputShape), this.filters];
  }
  protected override ownConfig(): ConfigDict {
    return { ...this.ownConfigBase(2), depthMultiplier: this.depthMultiplier };
  }
}

/** Options of the pooling layers. */
export interface PoolConfig extends LayerConfig {
  /** Window size: n or `[height, width]`. Default 2. */
  poolSize?: number | number[];
  /** Step between windows. Default `poolSize`. */
  strides?: number | number[];
  /** `'valid'` (default) or `'same'`. */
  padding?: Padding;
}

abstract class Pool2DBase extends Layer {
  /** Window size `[height, width]`. */
  readonly poolSize: Pair;
  /** Step between windows `[height, width]`. */
  readonly strides: Pair;
  /** `'valid'` or `'same'`. */
  readonly padding: Padding;
  constructor(config: PoolConfig = {}) {
    super(config);
    const owner = (this.constructor as { className?: string }).className ?? 'Pooling';
    this.poolSize = pair(owner, 'poolSize', config.poolSize, 2);
    this.strides = config.strides === undefined ? this.poolSize : pair(owner, 'strides', config.strides, 2);
    this.padding = padding(owner, config.padding);
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [4]);
  }
  /** The pooling itself on `[batch, height, width, channels]`. */
  protected abstract pool(x: tf.Tensor4D): tf.Tensor4D;
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.pool(inputs as tf.Tensor4D);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w, c] = inputShape as Shape;
    return [
      b ?? null,
      convOutputLength(h ?? null, this.poolSize[0], this.strides[0], this.padding),
      convOutputLength(w ?? null, this.poolSize[1], this.strides[1], this.padding),
      c ?? null,
    ];
  }
  protected override ownConfig(): ConfigDict {
    return { poolSize: [...this.poolSize], strides: [...this.strides], padding: this.padding };
  }
}

/** Max over `poolSize` windows of `[batch, height, width, channels]`. Config: {@link PoolConfig}. */
export class MaxPooling2D extends Pool2DBase {
  static override readonly className = 'MaxPooling2D';
  protected pool(x: tf.Tensor4D): tf.Tensor4D {
    return maxPool(x, this.poolSize, this.strides, this.padding);
  }
}

/** Mean over `poolSize` windows of `[batch, height, width, channels]`. Config: {@link PoolConfig}. */
export class AveragePooling2D extends Pool2DBase {
  static override readonly className = 'AveragePooling2D';
  protected pool(x: tf.Tensor4D): tf.Tensor4D {
    return tf.avgPool(x, this.poolSize, this.strides, this.padding);
  }
}

abstract class Pool1DBase extends Layer {
  /** Window length. */
  readonly poolSize: number;
  /** Step between windows. */
  readonly strides: number;
  /** `'valid'` or `'same'`. */
  readonly padding: Padding;
  constructor(config: LayerConfig & { poolSize?: number; strides?: number; padding?: Padding } = {}) {
    super(config);
    const owner = (this.constructor as { className?: string }).className ?? 'Pooling';
    this.poolSize = pair(owner, 'poolSize', config.poolSize, 2)[0];
    this.strides = config.strides === undefined ? this.poolSize : pair(owner, 'strides', config.strides, 2)[0];
    this.padding = padding(owner, config.padding);
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [3]);
  }
  /** The pooling itself, on the input seen as `[batch, 1, steps, channels]`. */
  protected abstract pool(x: tf.Tensor4D): tf.Tensor4D;
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.squeeze(this.pool(tf.expandDims(inputs as tf.Tensor3D, 1) as tf.Tensor4D), [1]));
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, steps, c] = inputShape as Shape;
    return [b ?? null, convOutputLength(steps ?? null, this.poolSize, this.strides, this.padding), c ?? null];
  }
  protected override ownConfig(): ConfigDict {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/** Max over windows of `poolSize` steps of `[batch, steps, channels]`. Config: {@link PoolConfig}. */
export class MaxPooling1D extends Pool1DBase {
  static override readonly className = 'MaxPooling1D';
  protected pool(x: tf.Tensor4D): tf.Tensor4D {
    return maxPool(x, [1, this.poolSize], [1, this.strides], this.padding);
  }
}

/** Mean over windows of `poolSize` steps of `[batch, steps, channels]`. Config: {@link PoolConfig}. */
export class AveragePooling1D extends Pool1DBase {
  static override readonly className = 'AveragePooling1D';
  protected pool(x: tf.Tensor4D): tf.Tensor4D {
    return tf.avgPool(x, [1, this.poolSize], [1, this.strides], this.padding);
  }
}

/** A built global pooling class: a layer constructor with its registered `className`. */
type GlobalPoolClass = (new (config?: LayerConfig) => Layer) & { readonly className: string };

function globalPool(rank: 3 | 4, kind: 'mean' | 'max', className: string): GlobalPoolClass {
  const cls = class extends Layer {
    static override readonly className = className;
    // The 1-D poolings read a sequence mask (and end it); the 2-D ones take none.
    override readonly supportsMasking: boolean = rank === 3;
    protected override checkInputShape(shape: Shape | Shape[]): void {
      assertRank(this, shape as Shape, [rank]);
    }
    call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs = {}): tf.Tensor {
      const x = inputs as tf.Tensor;
      const axes = rank === 4 ? [1, 2] : [1];
      if (rank === 4 || args.mask === undefined) return kind === 'mean' ? tf.mean(x, axes) : tf.max(x, axes);
      const given = args.mask;
      return tf.tidy(() => {
        const mask = sequenceMask(this, x, given);
        if (mask === undefined) return kind === 'mean' ? tf.mean(x, axes) : tf.max(x, axes);
        const m = tf.expandDims(mask, 2);
        // Keras: the mean over the unmasked steps, sum(x·m) / sum(m) (NaN for a sample with none).
        if (kind === 'mean') return tf.div(tf.sum(tf.mul(x, m), 1), tf.sum(m, 1));
        // The max over the unmasked steps (-Infinity for a sample with none).
        return tf.max(tf.where(tf.cast(tf.broadcastTo(m, x.shape), 'bool'), x, tf.fill(x.shape, -Infinity)), 1);
      });
    }
    /** Pooling over time ends the sequence, and with it the mask. */
    override computeMask(): undefined {
      return undefined;
    }
    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const s = inputShape as Shape;
      return [s[0] ?? null, s[s.length - 1] ?? null];
    }
  };
  Object.defineProperty(cls, 'name', { value: className });
  return cls;
}

/**
 * Mean over time: `[batch, steps, features]` → `[batch, features]`; with a mask, over the unmasked steps only.
 */
export const GlobalAveragePooling1D = globalPool(3, 'mean', 'GlobalAveragePooling1D');
/**
 * Max over time: `[batch, steps, features]` → `[batch, features]`; with a mask, over the unmasked steps only.
 */
export const GlobalMaxPooling1D = globalPool(3, 'max', 'GlobalMaxPooling1D');
/** Mean over space: `[batch, height, width, channels]` → `[batch, channels]`. */
export const GlobalAveragePooling2D = globalPool(4, 'mean', 'GlobalAveragePooling2D');
/** Max over space: `[batch, height, width, channels]` → `[batch, channels]`. */
export const GlobalMaxPooling2D = globalPool(4, 'max', 'GlobalMaxPooling2D');

/** Zero rows/columns around an image: `padding` = n, [h, w] or [[top, bottom], [left, right]]. */
export class ZeroPadding2D extends Layer {
  static override readonly className = 'ZeroPadding2D';
  /** Rows and columns added: `[[top, bottom], [left, right]]`. */
  readonly padding: [[number, number], [number, number]];
  constructor(
    config: LayerConfig & { padding?: number | [number, number] | [[number, number], [number, number]] } = {},
  ) {
    super(config);
    const p = config.padding ?? 1;
    if (typeof p === 'number')
      this.padding = [
        [p, p],
        [p, p],
      ];
    else if (typeof p[0] === 'number')
      this.padding = [
        [p[0], p[0]],
        [p[1] as number, p[1] as number],
      ];
    else this.padding = p as [[number, number], [number, number]];
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [4]);
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.pad(inputs as tf.Tensor4D, [[0, 0], this.padding[0], this.padding[1], [0, 0]]);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w, c] = inputShape as Shape;
    const grow = (d: number | null | undefined, p: [number, number]): number | null =>
      d === null || d === undefined ? null : d + p[0] + p[1];
    return [b ?? null, grow(h, this.padding[0]), grow(w, this.padding[1]), c ?? null];
  }
  protected override ownConfig(): ConfigDict {
    return { padding: this.padding.map((p) => [...p]) };
  }
}

/** Repeats rows and columns (`size` = [rows, cols]), nearest neighbour. */
export class UpSampling2D extends Layer {
  static override readonly className = 'UpSampling2D';
  /** Repeat factors `[rows, columns]`. Default `[2, 2]`. */
  readonly size: Pair;
  constructor(config: LayerConfig & { size?: number | number[] } = {}) {
    super(config);
    this.size = pair('UpSampling2D', 'size', config.size, 2);
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    assertRank(this, shape as Shape, [4]);
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = inputs as tf.Tensor4D;
    return tf.tidy(() => {
      const [b, h, w, c] = x.shape;
      const rows = tf.reshape(tf.tile(tf.reshape(x, [b, h, 1, w, 1, c]), [1, 1, this.size[0], 1, this.size[1], 1]), [
        b,
        h * this.size[0],
        w * this.size[1],
        c,
      ]);
      return rows;
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, h, w, c] = inputShape as Shape;
    return [
      b ?? null,
      h === null || h === undefined ? null : h * this.size[0],
      w === null || w === undefined ? null : w * this.size[1],
      c ?? null,
    ];
  }
  protected override ownConfig(): ConfigDict {
    return { size: [...this.size] };
  }
}
