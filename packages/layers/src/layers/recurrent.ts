/**
 * Recurrent layers: SimpleRNN, LSTM and GRU, with Keras / TF.js semantics.
 *
 * Each layer unrolls over time with tfjs-core ops inside autograd: the input projection `x·W + b`
 * is computed for every time step in one matMul, and only the recurrent part `h·U` runs in the
 * per-step loop. Initial states are extra inputs: `layer.apply([x, h0])` (`[x, h0, c0]` for LSTM)
 * or `layer.apply(x, { initialState: [h0, c0] })`; both work on symbolic and concrete tensors.
 *
 * With `stateful: true` the final states of one call are the initial states of the next (same
 * batch size, sample i continues sample i); `resetStates()` zeroes them. States are not weights and
 * are not saved. Not supported (yet): `unroll` / `implementation` (ignored: there is one
 * implementation), `activityRegularizer`.
 *
 * Masking, as Keras and tfjs-layers' `rnn()`: with a mask [batch, time] (from
 * `Embedding({ maskZero: true })` or `Masking` in a model, or `call(x, { mask })`), a masked step
 * leaves the states as they were and its output repeats the previous output (the initial h before
 * the first unmasked step), so padding at either end, or inside, does not change the result. The
 * mask goes through `goBackwards` with the sequence. With `returnSequences` the mask is passed on
 * unchanged (in input order even with `goBackwards`, as Keras); otherwise, and for returned states,
 * there is none. Stateful layers carry the masked final states.
 *
 * ## Mapping for TF.js / Keras `model.json` import
 *
 * Config (Keras snake_case ↔ ours; TF.js model.json already uses Keras' snake_case names):
 * `units`, `activation`, `recurrent_activation` ↔ `recurrentActivation`, `use_bias` ↔ `useBias`,
 * `kernel_initializer` ↔ `kernelInitializer`, `recurrent_initializer` ↔ `recurrentInitializer`,
 * `bias_initializer` ↔ `biasInitializer`, `kernel_regularizer` / `recurrent_regularizer` /
 * `bias_regularizer` ↔ `kernelRegularizer` / `recurrentRegularizer` / `biasRegularizer`, the same for
 * `*_constraint`, `dropout`, `recurrent_dropout` ↔ `recurrentDropout`, `return_sequences` ↔
 * `returnSequences`, `return_state` ↔ `returnState`, `go_backwards` ↔ `goBackwards`, `unit_forget_bias`
 * ↔ `unitForgetBias` (LSTM), `reset_after` ↔ `resetAfter` (GRU). Drop `implementation`, `unroll`,
 * `time_major` (must be false) and a null `activity_regularizer`; `stateful` maps as is (TF.js
 * files of stateful models carry `batch_input_shape` with the batch size it needs).
 * Activations: `hard_sigmoid` here is Keras 2 / TF.js's `clip(0.2·x + 0.5, 0, 1)`; Keras 3 changed
 * its `hard_sigmoid` to `relu6(x + 3) / 6`, so a Keras 3 file needs `recurrentActivation` rewritten.
 *
 * Defaults follow tfjs-layers, which differ from Keras 2+: `recurrentActivation: 'hardSigmoid'`
 * (Keras: `'sigmoid'`), `kernelInitializer: 'glorotNormal'` (Keras: `'glorot_uniform'`), and GRU
 * `resetAfter: false` (Keras 2.3+: `true`; tfjs-layers cannot load `true`). Files always carry these
 * fields explicitly, so imports are unaffected; pass them to get Keras' defaults in code.
 *
 * Weights, in this order and with these shapes (G = 1 SimpleRNN, 4 LSTM, 3 GRU), exactly as
 * tfjs-layers and Keras: `kernel` [inputDim, G·units], `recurrent_kernel` [units, G·units], `bias`
 * [G·units] — GRU with `resetAfter` has `bias` [2, 3·units] (row 0 input bias, row 1 recurrent bias).
 * Gate order along the last axis: LSTM i, f, c, o; GRU z, r, h. In weight files TF.js names them
 * `<layer>/kernel`; Keras 2 on TF2 names them `<layer>/<cell>/kernel` (e.g. `lstm/lstm_cell/kernel`):
 * match on the last path segment within a layer. `Bidirectional` weights are
 * `forward_<inner>/kernel` … then `backward_<inner>/kernel` … (TF.js and Keras prefix the same way);
 * its config is `{ layer: { className, config }, mergeMode }` with Keras' `merge_mode` values
 * (`'concat' | 'sum' | 'mul' | 'ave' | null`). `TimeDistributed` is `{ layer: { className, config } }`
 * and its weights keep the inner layer's names (`time_distributed/kernel`).
 *
 * These converters are registered in `tfjs-format.ts` (`registerRecurrentConverters`); a GRU with
 * `resetAfter: true` imports but is refused on export (tfjs-layers 4.22 cannot load it), and
 * MultiHeadAttention is refused both ways (tfjs-layers 4.22 has none, and Keras files pass its
 * value/key as call keyword arguments).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, createRng, describeValue, type ConfigDict, type Rng } from '@plasticity/core';
import { getActivation, type ActivationFn } from '../activations.js';
import { getInitializer, Initializer, type InitializerIdentifier } from '../initializers.js';
import { Layer, sequenceMask, type SymbolicTensor, toList, type CallArgs, type MaskArg, type Shape } from '../layer.js';
import type { ConstraintIdentifier, RegularizerIdentifier } from '../regularizers.js';
import { serializeId, type KernelBiasConfig } from './core.js';

/** Options shared by SimpleRNN, LSTM and GRU. */
export interface RecurrentConfig extends KernelBiasConfig {
  /** Size of the hidden state. */
  units: number;
  /** Gate activation (LSTM, GRU; default `'hardSigmoid'` as tfjs-layers). */
  recurrentActivation?: string;
  /** Initializer of the `[units, gates·units]` recurrent kernel. Default `'orthogonal'`. */
  recurrentInitializer?: InitializerIdentifier;
  /** Penalty on the recurrent kernel added to the loss. Default none. */
  recurrentRegularizer?: RegularizerIdentifier | null;
  /** Projection of the recurrent kernel after each update. Default none. */
  recurrentConstraint?: ConstraintIdentifier | null;
  /** Fraction of the input features dropped while training (one mask per sequence). */
  dropout?: number;
  /** Fraction of the recurrent state dropped while training (one mask per sequence). */
  recurrentDropout?: number;
  /** Return the output of every step `[batch, time, units]` instead of the last `[batch, units]`. */
  returnSequences?: boolean;
  /** Also return the final states: `[output, h]` (LSTM `[output, h, c]`). */
  returnState?: boolean;
  /** Process the sequence in reverse (and return the sequence in processing order, as Keras). */
  goBackwards?: boolean;
  /**
   * Carry the final states of each call over as the initial states of the next (needs a fixed batch
   * size: `batchInputShape` or `input({ batchSize })`); `resetStates()` zeroes them.
   */
  stateful?: boolean;
  /** Seed of the dropout masks. */
  seed?: number;
}

/** Options of {@link LSTM}. */
export interface LSTMConfig extends RecurrentConfig {
  /** Initialize the forget-gate bias to 1 (default true, as Keras and tfjs-layers). */
  unitForgetBias?: boolean;
}

/** Options of {@link GRU}. */
export interface GRUConfig extends RecurrentConfig {
  /**
   * Apply the reset gate after the recurrent matMul (Keras 2.3+ default, cuDNN-compatible; bias
   * [2, 3·units]) instead of before it (tfjs-layers, and our default; bias [3·units]).
   */
  resetAfter?: boolean;
}

/** `CallArgs` plus initial states for recurrent layers and `Bidirectional`. */
export interface RecurrentCallArgs extends CallArgs {
  /** Initial states, each [batch, units]: `[h0]`, or `[h0, c0]` for LSTM. */
  initialState?: tf.Tensor[] | SymbolicTensor[];
}

function checkRate(cls: string, field: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ValueError(`${cls}: ${field} must be a number in [0, 1); got ${describeValue(value)}.`, {
      field,
      value,
    });
  }
  return value;
}

/** A per-sequence inverted-dropout mask [batch, size] from a seeded generator. */
function dropoutMask(rng: Rng, batch: number, size: number, rate: number): tf.Tensor2D {
  const keep = 1 - rate;
  const values = new Float32Array(batch * size);
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform() < keep ? 1 / keep : 0;
  return tf.tensor2d(values, [batch, size]);
}

/**
 * The shared machinery of SimpleRNN, LSTM and GRU: weights, the time loop, initial states, output
 * shapes and config. Subclasses give the number of gates, the number of states and one step.
 */
export abstract class RNN extends Layer {
  override readonly supportsMasking: boolean = true;
  /** Size of the hidden state. */
  readonly units: number;
  /** Output/candidate activation. Default `'tanh'`. */
  readonly activation: string;
  /** Gate activation. Default `'hardSigmoid'`. */
  readonly recurrentActivation: string;
  /** Whether the gates have a bias. */
  readonly useBias: boolean;
  /** Fraction of the input features dropped while training. */
  readonly dropout: number;
  /** Fraction of the recurrent state dropped while training. */
  readonly recurrentDropout: number;
  /** Whether every step is returned (`[batch, time, units]`) rather than the last. */
  readonly returnSequences: boolean;
  /** Whether the final states are returned after the output. */
  readonly returnState: boolean;
  /** Whether the sequence is processed in reverse. */
  readonly goBackwards: boolean;
  /** Seed of the dropout masks. */
  readonly seed: number | undefined;
  /** Whether final states carry over to the next call. */
  readonly stateful: boolean;
  /** The `[inputDim, gates·units]` input kernel, once built. */
  kernel: tf.Variable | undefined;
  /** The `[units, gates·units]` recurrent kernel, once built. */
  recurrentKernel: tf.Variable | undefined;
  /** The gate bias, once built (`[gates·units]`; GRU with `resetAfter`: `[2, 3·units]`). */
  bias: tf.Variable | undefined;
  /** The options the layer was built with. */
  protected readonly config: RecurrentConfig;
  /** The output/candidate activation function. */
  protected readonly activationFn: ActivationFn;
  /** The gate activation function. */
  protected readonly recurrentActivationFn: ActivationFn;
  private readonly rng: Rng;
  /** The carried states of a stateful layer, [batch, units] each (not weights: never trained or saved). */
  private stateVariables: tf.Variable[] | undefined;

  /** Gates stacked along the kernels' last axis (1, 4 or 3). */
  protected abstract readonly gates: number;
  /** Number of state tensors (2 for LSTM: h and c). */
  abstract readonly stateCount: number;

  constructor(config: RecurrentConfig) {
    super(config);
    const cls = (this.constructor as { className?: string }).className ?? 'RNN';
    if (!Number.isInteger(config?.units) || config.units < 1) {
      throw new ValueError(`${cls}: units must be a positive integer; got ${describeValue(config?.units)}.`, {
        field: 'units',
        value: config?.units,
      });
    }
    this.config = config;
    this.units = config.units;
    this.activation = config.activation ?? 'tanh';
    this.recurrentActivation = config.recurrentActivation ?? 'hardSigmoid';
    this.activationFn = getActivation(this.activation);
    this.recurrentActivationFn = getActivation(this.recurrentActivation);
    this.useBias = config.useBias ?? true;
    this.dropout = checkRate(cls, 'dropout', config.dropout);
    this.recurrentDropout = checkRate(cls, 'recurrentDropout', config.recurrentDropout);
    this.returnSequences = config.returnSequences ?? false;
    this.returnState = config.returnState ?? false;
    this.goBackwards = config.goBackwards ?? false;
    this.seed = config.seed;
    this.rng = createRng(config.seed ?? 4099);
    this.stateful = config.stateful ?? false;
  }

  /** Bias initializer (LSTM overrides it for unitForgetBias). */
  protected biasInitializer(): InitializerIdentifier {
    return this.config.biasInitializer ?? 'zeros';
  }

  /** Shape of the bias weight. */
  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = this.sequenceShape(inputShape);
    const inputDim = shape[2];
    if (typeof inputDim !== 'number') {
      throw new ShapeError(`${this.describe()} needs a known last input dimension; got [${shape.join(',')}].`);
    }
    this.kernel = this.addWeight('kernel', [inputDim, this.gates * this.units], {
      initializer: this.config.kernelInitializer ?? 'glorotNormal',
      regularizer: this.config.kernelRegularizer ?? null,
      constraint: this.config.kernelConstraint ?? null,
    });
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, this.gates * this.units], {
      initializer: this.config.recurrentInitializer ?? 'orthogonal',
      regularizer: this.config.recurrentRegularizer ?? null,
      constraint: this.config.recurrentConstraint ?? null,
    });
    if (this.stateful) {
      const batch = shape[0];
      if (typeof batch !== 'number') {
        throw new ValueError(
          `${this.describe()} is stateful and needs a fixed batch size; give it batchInputShape [batch, time, features] ` +
            `(or build the model from input({ shape, batchSize })).`,
          { field: 'batchInputShape', value: shape },
        );
      }
      this.stateVariables = Array.from({ length: this.stateCount }, () =>
        tf.tidy(() => tf.variable(tf.zeros([batch, this.units]), false)),
      );
    }
    if (this.useBias) {
      this.bias = this.addWeight('bias', this.biasShape(), {
        initializer: this.biasInitializer(),
        regularizer: this.config.biasRegularizer ?? null,
        constraint: this.config.biasConstraint ?? null,
      });
    }
    this.built = true;
  }

  /**
   * Sets the carried states of a stateful layer to zeros, or to `states` ([batch, units] each).
   *
   * @throws ValueError if the layer is not stateful or not built; ShapeError on a wrong state shape.
   */
  resetStates(states?: tf.Tensor[]): void {
    const carried = this.stateVariables;
    if (carried === undefined) {
      throw new ValueError(
        `${this.describe()} has no states to reset: it is ${this.stateful ? 'not built yet' : 'not stateful (stateful: false)'}.`,
        { field: 'stateful', value: this.stateful },
      );
    }
    if (states !== undefined && states.length !== carried.length) {
      throw new ValueError(`${this.describe()} has ${carried.length} state(s); got ${states.length}.`, {
        field: 'states',
        value: states.length,
      });
    }
    carried.forEach((v, i) => {
      const value = states?.[i];
      if (value !== undefined && !tf.util.arraysEqual(value.shape, v.shape)) {
        throw new ShapeError(
          `${this.describe()}: state ${i} must have shape [${v.shape.join(',')}]; got [${value.shape.join(',')}].`,
          {
            actual: value.shape,
            expected: v.shape,
          },
        );
      }
      tf.tidy(() => v.assign(value ?? tf.zerosLike(v)));
    });
  }

  /** The carried states of a stateful layer (copies), or undefined. */
  getStates(): tf.Tensor[] | undefined {
    return this.stateVariables?.map((v) => v.clone());
  }

  override dispose(): void {
    this.stateVariables?.forEach((v) => v.dispose());
    this.stateVariables = undefined;
    super.dispose();
  }

  private describe(): string {
    return `${(this.constructor as { className?: string }).className} "${this.name}"`;
  }

  private sequenceShape(inputShape: Shape | Shape[]): Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  }

  protected override checkInputShape(inputShape: Shape | Shape[]): void {
    const list: Shape[] = Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
    const x = list[0]!;
    const fmt = (s: Shape): string => `[${s.map((d) => (d === null ? 'null' : d)).join(',')}]`;
    if (x.length !== 3) {
      throw new ShapeError(`${this.describe()} expects input of shape [batch, time, features]; got ${fmt(x)}.`, {
        actual: x.map((d) => d ?? -1),
      });
    }
    if (this.kernel !== undefined && x[2] !== this.kernel.shape[0]) {
      throw new ShapeError(`${this.describe()} was built for ${this.kernel.shape[0]} input features; got ${fmt(x)}.`, {
        actual: x.map((d) => d ?? -1),
        expected: [-1, -1, this.kernel.shape[0]!],
      });
    }
    const states = list.slice(1);
    if (states.length !== 0 && states.length !== this.stateCount) {
      throw new ValueError(
        `${this.describe()} takes ${this.stateCount} initial state tensor(s) after the input; got ${states.length}.`,
        { field: 'initialState', value: states.length },
      );
    }
    for (const s of states) {
      if (
        s.length !== 2 ||
        (s[1] !== null && s[1] !== this.units) ||
        (s[0] !== x[0] && s[0] !== null && x[0] !== null)
      ) {
        throw new ShapeError(
          `${this.describe()}: each initial state must have shape [batch, ${this.units}] = [${x[0] ?? 'null'},${this.units}]; got ${fmt(s)}.`,
          { actual: s.map((d) => d ?? -1), expected: [x[0] ?? -1, this.units] },
        );
      }
    }
  }

  /**
   * Applies the layer; `args.initialState` is appended to the inputs, so `apply(x, { initialState:
   * [h0] })` equals `apply([x, h0])`.
   */
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

  /**
   * One time step: the input projection `xw` [batch, G·units], the states (h first) and `hIn`, the
   * h that enters the recurrent matMul (h itself, or h with recurrent dropout) → the new states.
   */
  protected abstract step(
    xw: tf.Tensor2D,
    states: tf.Tensor2D[],
    hIn: tf.Tensor2D,
    recurrent: tf.Tensor2D[],
  ): tf.Tensor2D[];

  /** Per-call views of the recurrent kernel (GRU splits it once rather than every step). */
  protected recurrentParts(): tf.Tensor2D[] {
    return [this.recurrentKernel! as tf.Tensor2D];
  }

  /** The bias added to the input projection. */
  protected inputBias(): tf.Tensor | undefined {
    return this.bias;
  }

  call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs): tf.Tensor | tf.Tensor[] {
    const list = toList(inputs);
    const x = list[0]! as tf.Tensor3D;
    const [batch, time, features] = x.shape;
    if (time === 0) {
      throw new ShapeError(`${this.describe()} got a sequence of length 0; give at least one time step.`);
    }
    const training = args.training === true;
    const carried = this.stateVariables;
    if (carried !== undefined && carried[0]!.shape[0] !== batch) {
      throw new ShapeError(
        `${this.describe()} is stateful with batch size ${carried[0]!.shape[0]}; got a batch of ${batch}. ` +
          'Feed batches of exactly that size (predict/fit with that batchSize).',
        { actual: x.shape, expected: [carried[0]!.shape[0]!, -1, -1] },
      );
    }
    return tf.tidy(() => {
      const mask = args.mask === undefined ? undefined : sequenceMask(this, x, args.mask);
      let states: tf.Tensor2D[] =
        list.length > 1
          ? (list.slice(1) as tf.Tensor2D[])
          : carried !== undefined
            ? (carried as tf.Tensor[] as tf.Tensor2D[])
            : Array.from({ length: this.stateCount }, () => tf.zeros([batch, this.units]) as tf.Tensor2D);
      let xs: tf.Tensor = x;
      if (training && this.dropout > 0) {
        xs = tf.mul(xs, tf.expandDims(dropoutMask(this.rng, batch, features, this.dropout), 1));
      }
      const recurrentMask =
        training && this.recurrentDropout > 0
          ? dropoutMask(this.rng, batch, this.units, this.recurrentDropout)
          : undefined;
      // [batch, time, features] → time-major [time·batch, features], one matMul for every step.
      const timeMajor = tf.reshape(tf.transpose(xs, [1, 0, 2]), [time * batch, features]);
      let projected: tf.Tensor = tf.matMul(timeMajor, this.kernel! as tf.Tensor2D);
      const bias = this.inputBias();
      if (bias !== undefined) projected = tf.add(projected, bias);
      // Copy before reversing: the array tf.split returns is the one its gradient reads.
      const steps = [...(tf.split(projected, time, 0) as tf.Tensor2D[])];
      // Per-step masks [batch, 1] (1 = data, 0 = padding), in the same order as the steps.
      const stepMasks = mask === undefined ? undefined : [...(tf.split(mask, time, 1) as tf.Tensor2D[])];
      if (this.goBackwards) {
        steps.reverse();
        stepMasks?.reverse();
      }
      const recurrent = this.recurrentParts();
      const outputs: tf.Tensor2D[] = [];
      steps.forEach((xw, t) => {
        // Recurrent dropout touches only what enters the recurrent matMul, as Keras.
        const hIn = recurrentMask === undefined ? states[0]! : (tf.mul(states[0]!, recurrentMask) as tf.Tensor2D);
        const next = this.step(xw, states, hIn, recurrent);
        const m = stepMasks?.[t];
        // A masked step keeps every state (and so repeats the output, which is h): s + m·(s' − s).
        states =
          m === undefined
            ? next
            : next.map((s, i) => tf.add(states[i]!, tf.mul(m, tf.sub(s, states[i]!))) as tf.Tensor2D);
        outputs.push(states[0]!);
      });
      const output = this.returnSequences ? tf.stack(outputs, 1) : outputs[outputs.length - 1]!;
      // The tape saved its own references to the old state values, so assigning is safe under autograd.
      if (carried !== undefined) carried.forEach((v, i) => v.assign(states[i]!));
      return this.returnState ? [output, ...states] : output;
    });
  }

  /** The input mask with `returnSequences` (and none for returned states); none otherwise. */
  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: MaskArg): MaskArg {
    const m = Array.isArray(mask) ? mask[0] : mask;
    const output = this.returnSequences ? m : undefined;
    return this.returnState ? [output, ...Array.from({ length: this.stateCount }, () => undefined)] : output;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const x = this.sequenceShape(inputShape);
    const batch = x[0] ?? null;
    const output: Shape = this.returnSequences ? [batch, x[1] ?? null, this.units] : [batch, this.units];
    if (!this.returnState) return output;
    return [output, ...Array.from({ length: this.stateCount }, (): Shape => [batch, this.units])];
  }

  protected override ownConfig(): ConfigDict {
    const c = this.config;
    return {
      units: this.units,
      activation: this.activation,
      ...(this.gates === 1 ? {} : { recurrentActivation: this.recurrentActivation }),
      useBias: this.useBias,
      kernelInitializer: serializeId(c.kernelInitializer ?? 'glorotNormal'),
      recurrentInitializer: serializeId(c.recurrentInitializer ?? 'orthogonal'),
      biasInitializer: serializeId(c.biasInitializer ?? 'zeros'),
      kernelRegularizer: serializeId(c.kernelRegularizer),
      recurrentRegularizer: serializeId(c.recurrentRegularizer),
      biasRegularizer: serializeId(c.biasRegularizer),
      kernelConstraint: serializeId(c.kernelConstraint),
      recurrentConstraint: serializeId(c.recurrentConstraint),
      biasConstraint: serializeId(c.biasConstraint),
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

/**
 * Fully-connected RNN: `h_t = activation(x_t·W + h_{t−1}·U + b)`.
 *
 * @example
 * ```ts
 * const rnn = new SimpleRNN({ units: 8, returnSequences: true });
 * const y = rnn.apply(tf.randomNormal([2, 5, 3])); // [2, 5, 8]
 * ```
 */
export class SimpleRNN extends RNN {
  static override readonly className = 'SimpleRNN';
  protected readonly gates = 1;
  readonly stateCount = 1;
  protected step(xw: tf.Tensor2D, _states: tf.Tensor2D[], hIn: tf.Tensor2D, [u]: tf.Tensor2D[]): tf.Tensor2D[] {
    return [this.activationFn(tf.add(xw, tf.matMul(hIn, u!))) as tf.Tensor2D];
  }
}

class UnitForgetBias extends Initializer {
  static override readonly className = 'UnitForgetBias';
  constructor(
    private readonly base: Initializer,
    private readonly units: number,
  ) {
    super();
  }
  apply(): tf.Tensor {
    return tf.tidy(() =>
      tf.concat([this.base.apply([this.units]), tf.ones([this.units]), this.base.apply([2 * this.units])]),
    );
  }
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997), gates i, f, c, o:
 * `c_t = f ⊙ c_{t−1} + i ⊙ activation(z_c)`, `h_t = o ⊙ activation(c_t)`.
 *
 * @example
 * ```ts
 * const lstm = new LSTM({ units: 16, returnState: true });
 * const [last, h, c] = lstm.apply([tf.randomNormal([4, 10, 3])]) as tf.Tensor[]; // [4, 16] each
 * ```
 */
export class LSTM extends RNN {
  static override readonly className = 'LSTM';
  protected readonly gates = 4;
  readonly stateCount = 2;
  /** Whether the forget-gate bias starts at 1. */
  readonly unitForgetBias: boolean;
  constructor(config: LSTMConfig) {
    super(config);
    this.unitForgetBias = config.unitForgetBias ?? true;
  }
  protected override biasInitializer(): InitializerIdentifier {
    const base = super.biasInitializer();
    return this.unitForgetBias ? new UnitForgetBias(getInitializer(base), this.units) : base;
  }
  protected step(xw: tf.Tensor2D, [, c]: tf.Tensor2D[], hIn: tf.Tensor2D, [u]: tf.Tensor2D[]): tf.Tensor2D[] {
    const z = tf.add(xw, tf.matMul(hIn, u!));
    const [zi, zf, zc, zo] = tf.split(z, 4, 1);
    const i = this.recurrentActivationFn(zi!);
    const f = this.recurrentActivationFn(zf!);
    const cNext = tf.add(tf.mul(f, c!), tf.mul(i, this.activationFn(zc!))) as tf.Tensor2D;
    const hNext = tf.mul(this.recurrentActivationFn(zo!), this.activationFn(cNext)) as tf.Tensor2D;
    return [hNext, cNext];
  }
  protected override ownConfig(): ConfigDict {
    return { ...super.ownConfig(), unitForgetBias: this.unitForgetBias };
  }
}

/**
 * Gated recurrent unit (Cho et al. 2014), gates z, r, h: `h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ`. With
 * `resetAfter: false` (default, as tfjs-layers) `ĥ = activation(x·W_h + (r ⊙ h)·U_h + b_h)`; with
 * `resetAfter: true` (Keras 2.3+ default) `ĥ = activation(x·W_h + b_h + r ⊙ (h·U_h + b'_h))`.
 *
 * @example
 * ```ts
 * const gru = new GRU({ units: 8, resetAfter: true, recurrentActivation: 'sigmoid' });
 * const last = gru.apply(tf.randomNormal([2, 6, 3])); // [2, 8]
 * ```
 */
export class GRU extends RNN {
  static override readonly className = 'GRU';
  protected readonly gates = 3;
  readonly stateCount = 1;
  /**
   * Whether the reset gate applies after the recurrent matMul (Keras 2.3+) rather than before (tfjs-layers).
   */
  readonly resetAfter: boolean;
  constructor(config: GRUConfig) {
    super(config);
    this.resetAfter = config.resetAfter ?? false;
  }
  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }
  protected override inputBias(): tf.Tensor | undefined {
    if (this.bias === undefined || !this.resetAfter) return this.bias;
    return tf.reshape(tf.slice(this.bias, [0, 0], [1, 3 * this.units]), [3 * this.units]);
  }
  protected override recurrentParts(): tf.Tensor2D[] {
    const u = this.recurrentKernel! as tf.Tensor2D;
    if (this.resetAfter) {
      const recurrentBias =
        this.bias === undefined ? tf.zeros([3 * this.units]) : tf.reshape(tf.slice(this.bias, [1, 0], [1, -1]), [-1]);
      return [u, recurrentBias as tf.Tensor2D];
    }
    const [zr, h] = tf.split(u, [2 * this.units, this.units], 1);
    return [zr! as tf.Tensor2D, h! as tf.Tensor2D];
  }
  protected step(xw: tf.Tensor2D, [h]: tf.Tensor2D[], hIn: tf.Tensor2D, parts: tf.Tensor2D[]): tf.Tensor2D[] {
    const [xz, xr, xh] = tf.split(xw, 3, 1);
    if (this.resetAfter) {
      const hu = tf.add(tf.matMul(hIn, parts[0]!), parts[1]!);
      const [hz, hr, hh] = tf.split(hu, 3, 1);
      const z = this.recurrentActivationFn(tf.add(xz!, hz!));
      const r = this.recurrentActivationFn(tf.add(xr!, hr!));
      const candidate = this.activationFn(tf.add(xh!, tf.mul(r, hh!)));
      return [this.mix(z, h!, candidate)];
    }
    const [hz, hr] = tf.split(tf.matMul(hIn, parts[0]!), 2, 1);
    const z = this.recurrentActivationFn(tf.add(xz!, hz!));
    const r = this.recurrentActivationFn(tf.add(xr!, hr!));
    const candidate = this.activationFn(tf.add(xh!, tf.matMul(tf.mul(r, hIn) as tf.Tensor2D, parts[1]!)));
    return [this.mix(z, h!, candidate)];
  }
  /** `z ⊙ h + (1 − z) ⊙ ĥ`, with the undropped h. */
  private mix(z: tf.Tensor, h: tf.Tensor2D, candidate: tf.Tensor): tf.Tensor2D {
    return tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate)) as tf.Tensor2D;
  }
  protected override ownConfig(): ConfigDict {
    return { ...super.ownConfig(), resetAfter: this.resetAfter };
  }
}
