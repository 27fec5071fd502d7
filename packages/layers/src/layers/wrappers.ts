/**
 * Wrapper layers: `Bidirectional` (an RNN run forwards and backwards, outputs merged) and
 * `TimeDistributed` (any layer applied to every time step). Config and weight names follow Keras /
 * TF.js (see the mapping at the top of `recurrent.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, deserializePlugin, describeValue, type ConfigDict } from '@plasticity/core';
import {
  Layer,
  type SymbolicTensor,
  toList,
  type CallArgs,
  type LayerConfig,
  type LayerWeight,
  type MaskArg,
  type Shape,
  sequenceMask,
} from '../layer.js';
import { RNN, type RecurrentCallArgs } from './recurrent.js';

/** A layer given as an instance or as `{ className, config }` (as it appears in saved configs). */
export type LayerSpec =
  | Layer
  | {
      /** The registered class name, e.g. `'LSTM'`. */
      className: string;
      /** The layer's `getConfig()`. */
      config: ConfigDict;
    };

function specConfig(layer: Layer): { className: string; config: ConfigDict } {
  const className = (layer.constructor as { className?: string }).className ?? layer.constructor.name;
  return { className, config: layer.getConfig() };
}

function resolveLayer(owner: string, spec: LayerSpec | undefined): Layer {
  if (spec instanceof Layer) return spec;
  if (spec !== null && typeof spec === 'object' && typeof spec.className === 'string') {
    return deserializePlugin<Layer>('layer', spec);
  }
  throw new ValueError(`${owner}: layer must be a Layer or { className, config }; got ${describeValue(spec)}.`, {
    field: 'layer',
    value: spec,
  });
}

/** How {@link Bidirectional} combines its forward and backward outputs; `null` returns both. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

export interface BidirectionalConfig extends LayerConfig {
  /** A SimpleRNN, LSTM or GRU (instance or serialized); it is copied, not used itself. */
  layer: LayerSpec;
  /**
   * How the forward and backward outputs combine: `'concat'` (default, last axis), `'sum'`,
   * `'mul'`, `'ave'`, or `null` for both outputs as a list `[forward, backward]`.
   */
  mergeMode?: MergeMode;
}

/**
 * Runs a recurrent layer over the sequence forwards and a copy of it backwards, and merges the two
 * outputs. With `returnSequences` the backward outputs are re-reversed so that step t of both
 * aligns. With `returnState` the outputs are `[merged, ...forwardStates, ...backwardStates]`;
 * initial states are likewise forward states then backward states.
 *
 * Weights: the forward layer's (`forward_<name>/kernel`, …) then the backward layer's.
 *
 * @example
 * ```ts
 * const bi = new Bidirectional({ layer: new LSTM({ units: 8, returnSequences: true }), mergeMode: 'concat' });
 * const y = bi.apply(tf.randomNormal([2, 5, 3])); // [2, 5, 16]
 * ```
 */
export class Bidirectional extends Layer {
  static override readonly className = 'Bidirectional';
  /** Both directions honour the mask (the backward one reversed with its sequence). */
  override readonly supportsMasking: boolean = true;
  /** The copy of the wrapped layer that reads the sequence forwards. */
  readonly forwardLayer: RNN;
  /** The copy that reads it backwards (`goBackwards` flipped). */
  readonly backwardLayer: RNN;
  /** How the two outputs combine. */
  readonly mergeMode: MergeMode;
  /** The wrapped layer's `returnSequences`. */
  readonly returnSequences: boolean;
  /** The wrapped layer's `returnState`. */
  readonly returnState: boolean;
  private readonly innerSpec: { className: string; config: ConfigDict };

  constructor(config: BidirectionalConfig) {
    super(config);
    const inner = resolveLayer('Bidirectional', config?.layer);
    if (!(inner instanceof RNN)) {
      throw new ValueError(
        `Bidirectional wraps a SimpleRNN, LSTM or GRU; got ${(inner.constructor as { className?: string }).className ?? inner.constructor.name}.`,
        { field: 'layer', value: inner.name },
      );
    }
    const mergeMode = config.mergeMode === undefined ? 'concat' : config.mergeMode;
    if (!MERGE_MODES.includes(mergeMode)) {
      throw new ValueError(
        `Bidirectional: mergeMode must be 'concat', 'sum', 'mul', 'ave' or null; got ${describeValue(mergeMode)}.`,
        { field: 'mergeMode', value: mergeMode },
      );
    }
    this.mergeMode = mergeMode;
    this.innerSpec = specConfig(inner);
    const Ctor = inner.constructor as new (c: ConfigDict) => RNN;
    const base = this.innerSpec.config;
    const strip = ({ batchInputShape: _b, ...rest }: ConfigDict): ConfigDict => rest;
    this.forwardLayer = new Ctor({ ...strip(base), name: `forward_${inner.name}` });
    this.backwardLayer = new Ctor({
      ...strip(base),
      name: `backward_${inner.name}`,
      goBackwards: !inner.goBackwards,
      // A different dropout stream for the backward copy.
      seed: (inner.seed ?? 4099) + 1,
    });
    this.returnSequences = inner.returnSequences;
    this.returnState = inner.returnState;
    if (this.batchInputShape === undefined && inner.batchInputShape !== undefined) {
      (this as { batchInputShape: Shape | undefined }).batchInputShape = [...inner.batchInputShape];
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const [x, states] = this.splitShapes(inputShape);
    const half = states.length / 2;
    this.forwardLayer.build(half === 0 ? x : [x, ...states.slice(0, half)]);
    this.forwardLayer.built = true;
    this.backwardLayer.build(half === 0 ? x : [x, ...states.slice(half)]);
    this.backwardLayer.built = true;
    this.built = true;
  }

  private splitShapes(inputShape: Shape | Shape[]): [Shape, Shape[]] {
    if (Array.isArray(inputShape[0])) {
      const list = inputShape as Shape[];
      return [list[0]!, list.slice(1)];
    }
    return [inputShape as Shape, []];
  }

  protected override checkInputShape(inputShape: Shape | Shape[]): void {
    const [x, states] = this.splitShapes(inputShape);
    const expected = 2 * this.forwardLayer.stateCount;
    if (states.length !== 0 && states.length !== expected) {
      throw new ValueError(
        `Bidirectional "${this.name}" takes ${expected} initial states (forward states then backward states); got ${states.length}.`,
        { field: 'initialState', value: states.length },
      );
    }
    const half = states.length / 2;
    const check = (layer: RNN, own: Shape[]): void =>
      (layer as unknown as { checkInputShape(s: Shape | Shape[]): void }).checkInputShape(
        own.length === 0 ? x : [x, ...own],
      );
    check(this.forwardLayer, states.slice(0, half));
    check(this.backwardLayer, states.slice(half));
  }

  /** Like `RNN.apply`: `args.initialState` is appended to the inputs. */
  override apply(inputs: tf.Tensor, args?: RecurrentCallArgs): tf.Tensor;
  override apply(inputs: tf.Tensor[], args?: RecurrentCallArgs): tf.Tensor | tf.Tensor[];
  override apply(inputs: SymbolicTensor, args?: RecurrentCallArgs): SymbolicTensor;
  override apply(inputs: SymbolicTensor[], args?: RecurrentCallArgs): SymbolicTensor | SymbolicTensor[];
  override apply(
    inputs: tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[],
    args: RecurrentCallArgs = {},
  ): tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const { initialState, ...rest } = args;
    const list =
      initialState === undefined
        ? inputs
        : ([...toList(inputs as (tf.Tensor | SymbolicTensor)[]), ...initialState] as tf.Tensor[]);
    return super.apply(list as tf.Tensor[], rest);
  }

  call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs): tf.Tensor | tf.Tensor[] {
    const list = toList(inputs);
    const x = list[0]!;
    const states = list.slice(1);
    const half = states.length / 2;
    return tf.tidy(() => {
      if (args.mask !== undefined) sequenceMask(this, x, args.mask); // name this layer in a shape error
      const f = toList(this.forwardLayer.call(half === 0 ? x : [x, ...states.slice(0, half)], args));
      const b = toList(this.backwardLayer.call(half === 0 ? x : [x, ...states.slice(half)], args));
      const y = f[0]!;
      const yRev = this.returnSequences ? tf.reverse(b[0]!, 1) : b[0]!;
      let merged: tf.Tensor[];
      switch (this.mergeMode) {
        case 'concat':
          merged = [tf.concat([y, yRev], -1)];
          break;
        case 'sum':
          merged = [tf.add(y, yRev)];
          break;
        case 'mul':
          merged = [tf.mul(y, yRev)];
          break;
        case 'ave':
          merged = [tf.mul(tf.add(y, yRev), 0.5)];
          break;
        default:
          merged = [y, yRev];
      }
      const out = this.returnState ? [...merged, ...f.slice(1), ...b.slice(1)] : merged;
      return out.length === 1 ? out[0]! : out;
    });
  }

  /** The input mask for each sequence output (`returnSequences`); none otherwise and for states. */
  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: MaskArg): MaskArg {
    const m = this.returnSequences ? (Array.isArray(mask) ? mask[0] : mask) : undefined;
    const outputs = this.mergeMode === null ? [m, m] : [m];
    if (!this.returnState) return outputs.length === 1 ? outputs[0] : outputs;
    return [...outputs, ...Array.from({ length: 2 * this.forwardLayer.stateCount }, () => undefined)];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const [x] = this.splitShapes(inputShape);
    const shapes = this.forwardLayer.computeOutputShape(x);
    const list: Shape[] = this.returnState ? (shapes as Shape[]) : [shapes as Shape];
    const output = list[0]!;
    const states = list.slice(1);
    const last = output[output.length - 1]!;
    const merged: Shape[] =
      this.mergeMode === 'concat'
        ? [[...output.slice(0, -1), last === null ? null : 2 * last]]
        : this.mergeMode === null
          ? [output, [...output]]
          : [output];
    const all = this.returnState ? [...merged, ...states, ...states.map((s) => [...s])] : merged;
    return all.length === 1 ? all[0]! : all;
  }

  /** Resets the carried states of both directions (stateful inner layers only). */
  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  override get weightEntries(): LayerWeight[] {
    return [this.forwardLayer, this.backwardLayer].flatMap((layer) =>
      layer.weightEntries.map((w) => ({
        ...w,
        name: `${layer.name}/${w.name}`,
        trainable: w.trainable && layer.trainable,
      })),
    );
  }

  protected override ownConfig(): ConfigDict {
    return { layer: this.innerSpec as unknown as ConfigDict, mergeMode: this.mergeMode };
  }

  override dispose(): void {
    this.forwardLayer.dispose();
    this.backwardLayer.dispose();
    this.built = false;
  }
}

export interface TimeDistributedConfig extends LayerConfig {
  /** The layer applied to every time step (instance or serialized); used as is, weights shared. */
  layer: LayerSpec;
}

/**
 * Applies a layer to every time step: input [batch, time, ...rest] is reshaped to
 * [batch·time, ...rest], passed through the layer, and reshaped back to [batch, time, ...out].
 * The weights are the inner layer's (one set shared by all steps), under its weight names.
 *
 * @example
 * ```ts
 * const td = new TimeDistributed({ layer: new Dense({ units: 4 }) });
 * const y = td.apply(tf.randomNormal([2, 5, 3])); // [2, 5, 4]
 * ```
 */
export class TimeDistributed extends Layer {
  static override readonly className = 'TimeDistributed';
  /** The sequence mask passes through; the inner layer sees single steps and no mask. */
  override readonly supportsMasking: boolean = true;
  /** The layer applied to every time step. */
  readonly layer: Layer;

  constructor(config: TimeDistributedConfig) {
    super(config);
    this.layer = resolveLayer('TimeDistributed', config?.layer);
  }

  private innerShape(shape: Shape): Shape {
    const [b, t] = shape;
    return [b === null || t === null || b === undefined || t === undefined ? null : b * t, ...shape.slice(2)];
  }

  /** The one input's shape (a one-element list is accepted, as `apply([x])`). */
  private single(inputShape: Shape | Shape[]): Shape {
    if (Array.isArray(inputShape[0])) {
      const list = inputShape as Shape[];
      if (list.length !== 1) {
        throw new ValueError(`TimeDistributed "${this.name}" takes one input; got ${list.length}.`, {
          field: 'inputs',
          value: list.length,
        });
      }
      return list[0]!;
    }
    return inputShape as Shape;
  }

  protected override checkInputShape(inputShape: Shape | Shape[]): void {
    const s = this.single(inputShape);
    if (s.length < 3) {
      throw new ShapeError(
        `TimeDistributed "${this.name}" expects input of shape [batch, time, ...]; got [${s.map((d) => d ?? 'null').join(',')}].`,
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    if (!this.layer.built) {
      this.layer.build(this.innerShape(this.single(inputShape)));
      this.layer.built = true;
    }
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs): tf.Tensor {
    const x = toList(inputs)[0]!;
    const [batch, time] = x.shape as [number, number];
    const { mask, ...innerArgs } = args;
    return tf.tidy(() => {
      if (mask !== undefined) sequenceMask(this, x, mask); // a wrong shape is an error here too
      const flat = tf.reshape(x, [batch * time, ...x.shape.slice(2)]);
      const y = this.layer.apply(flat, innerArgs);
      if (Array.isArray(y)) {
        throw new ValueError(`TimeDistributed "${this.name}": the inner layer must have one output.`, {
          field: 'layer',
          value: this.layer.name,
        });
      }
      return tf.reshape(y, [batch, time, ...y.shape.slice(1)]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = this.single(inputShape);
    const inner = this.layer.computeOutputShape([null, ...s.slice(2)]) as Shape;
    return [s[0] ?? null, s[1] ?? null, ...inner.slice(1)];
  }

  override get weightEntries(): LayerWeight[] {
    // A frozen inner layer's weights are not trainable from the outside (as in Model).
    return this.layer.weightEntries.map((w) => (this.layer.trainable ? w : { ...w, trainable: false }));
  }

  protected override ownConfig(): ConfigDict {
    return { layer: specConfig(this.layer) as unknown as ConfigDict };
  }

  override dispose(): void {
    this.layer.dispose();
    this.built = false;
  }
}
