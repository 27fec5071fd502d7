/**
 * The `Layer` base class and symbolic tensors.
 *
 * A layer builds lazily from the first input shape (`build`), owns named weights (tfjs variables
 * named `<layer>/<weight>`), has a `trainable` switch, receives a `training` flag in `call`, and
 * describes itself with `getConfig()` (registered through core with `registerLayer`, so that user
 * layers save and load like built-ins). Applied to symbolic tensors (from `input()`), a layer records
 * a node in a graph instead of computing; models are built from those graphs.
 *
 * Masks follow Keras: a layer with `supportsMasking` receives the input's mask in `call` (`args.mask`)
 * and gives its output's mask with `computeMask` (by default the input's); a layer without it
 * ignores a mask and ends it. Models carry the masks next to the outputs at run time
 * (`callWithMask`), so no mask costs nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, describeValue, type ConfigDict, type Serializable } from '@plasticity/core';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import {
  getConstraint,
  getRegularizer,
  type Constraint,
  type ConstraintIdentifier,
  type Regularizer,
  type RegularizerIdentifier,
} from './regularizers.js';

/** A shape whose dimensions may be unknown (`null`), usually the batch. */
export type Shape = (number | null)[];

/**
 * A Keras mask: a boolean tensor, usually [batch, time], true at the steps that hold data and false
 * at padding; `undefined` when the tensor has none.
 */
export type Mask = tf.Tensor | undefined;

/** One mask, or one per tensor for layers with several inputs or outputs. */
export type MaskArg = Mask | Mask[];

/** What {@link Layer.callWithMask} returns: a layer's outputs with their mask. */
export interface MaskedOutputs {
  /** What `call` returned. */
  outputs: tf.Tensor | tf.Tensor[];
  /** The outputs' mask, from `computeMask`. */
  mask: MaskArg;
}

/** Options passed to `call`. */
export interface CallArgs {
  /** True while training: dropout drops, batch normalization uses batch statistics. */
  training?: boolean;
  /**
   * The input's mask (one per input for several inputs; concrete tensors only). Inside a `Model` or
   * `Sequential` masks flow by themselves from `Embedding({ maskZero: true })` or `Masking`.
   */
  mask?: MaskArg;
}

/** True when `mask` holds no tensor. */
export function isEmptyMask(mask: MaskArg): boolean {
  return mask === undefined || (Array.isArray(mask) && mask.every((m) => m === undefined));
}

/**
 * The mask of a sequence [batch, time, ...], as a float32 [batch, time] tensor of 0/1, or undefined.
 *
 * @throws ShapeError naming the layer when the mask's shape is not [batch, time].
 */
export function sequenceMask(layer: Layer, x: tf.Tensor, mask: MaskArg): tf.Tensor2D | undefined {
  const m = Array.isArray(mask) ? mask[0] : mask;
  if (m === undefined) return undefined;
  if (m.rank !== 2 || m.shape[0] !== x.shape[0] || m.shape[1] !== x.shape[1]) {
    const cls = (layer.constructor as { className?: string }).className ?? layer.constructor.name;
    throw new ShapeError(
      `Layer "${layer.name}" (${cls}) got a mask of shape [${m.shape.join(',')}] for an input of shape ` +
        `[${x.shape.join(',')}]; the mask must be [batch, time] = [${x.shape.slice(0, 2).join(',')}].`,
      { actual: m.shape, expected: x.shape.slice(0, 2) },
    );
  }
  return (m.dtype === 'float32' ? m : tf.cast(m, 'float32')) as tf.Tensor2D;
}

let nextSymbolicId = 0;

/** A placeholder for a tensor in a model graph: a shape, a dtype and the node that makes it. */
export class SymbolicTensor {
  /** Unique id within the process. */
  readonly id = nextSymbolicId++;
  constructor(
    /** Shape with `null` for unknown sizes, batch first: `[null, features]`. */
    readonly shape: Shape,
    /** Element type of the tensor it stands for. */
    readonly dtype: tf.DataType,
    /** The node that produces it (set right after construction). */
    public node: Node | undefined,
    /** Which output of its node it is (0 for single-output layers). */
    readonly outputIndex: number,
    /** Display name, `<layer>/<outputIndex>`-like. */
    readonly name: string,
  ) {}
  /** Number of dimensions, batch included. */
  get rank(): number {
    return this.shape.length;
  }
}

/** One application of a layer to symbolic inputs. */
export class Node {
  constructor(
    /** The layer that was applied. */
    readonly layer: Layer,
    /** The symbolic inputs it was applied to. */
    readonly inputs: SymbolicTensor[],
    /** The symbolic outputs it produced. */
    readonly outputs: SymbolicTensor[],
    /** Extra call arguments (e.g. `initialState`), replayed when the graph runs. */
    readonly callArgs: Readonly<Record<string, unknown>>,
  ) {}
  /** Index of this node in its layer's `inboundNodes`. */
  get index(): number {
    return this.layer.inboundNodes.indexOf(this);
  }
}

/** Options every layer accepts (the Keras base-layer arguments). */
export interface LayerConfig {
  /** Unique within a model; generated from the class name if omitted (`dense`, `dense_1`, …). */
  name?: string;
  /** Whether training updates its weights. Default true. */
  trainable?: boolean;
  /** Input shape without the batch dimension, for the first layer of a Sequential model. */
  inputShape?: Shape;
  /** Full input shape including the batch dimension. */
  batchInputShape?: Shape;
  /** Element type of its weights and outputs. Default `'float32'`. */
  dtype?: tf.DataType;
}

/** A weight owned by a layer. */
export interface LayerWeight {
  /** Name within the layer (`kernel`, `bias`, `movingMean`). */
  name: string;
  /** The tfjs variable holding the value, named `<layer>/<name>`. */
  variable: tf.Variable;
  /** False for statistics such as BatchNormalization moving averages. */
  trainable: boolean;
  /** Penalty added to the loss in training, if any. */
  regularizer: Regularizer | undefined;
  /** Projection applied after each update, if any. */
  constraint: Constraint | undefined;
}

const nameCounters = new Map<string, number>();

/** `'Conv2DTranspose'` → `'conv2d_transpose'`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** A fresh layer name: `dense`, `dense_1`, … */
export function uniqueLayerName(base: string): string {
  const count = nameCounters.get(base) ?? 0;
  nameCounters.set(base, count + 1);
  return count === 0 ? base : `${base}_${count}`;
}

function uniqueVariableName(name: string): string {
  const registered = tf.engine().registeredVariables as Record<string, unknown>;
  if (registered[name] === undefined) return name;
  let i = 1;
  while (registered[`${name}_${i}`] !== undefined) i++;
  return `${name}_${i}`;
}

/** `x` if it is an array, else `[x]`. */
export function toList<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}

/**
 * Base class of every layer and model. A subclass implements `call` (and `build` to create its
 * weights with `addWeight` from the first input shape), has a `static className` and lists its
 * options in `ownConfig()`; `registerLayer(MyLayer)` makes it save and load like a built-in.
 *
 * Args (config, {@link LayerConfig}): `name`, `trainable`, `inputShape` / `batchInputShape`, `dtype`.
 *
 * @example
 * ```ts
 * class Scale extends Layer {
 *   static override readonly className = 'MyApp>Scale';
 *   private factor?: tf.Variable;
 *   override build(shape: Shape | Shape[]): void {
 *     this.factor = this.addWeight('factor', [(shape as Shape).at(-1)!], { initializer: 'ones' });
 *     this.built = true;
 *   }
 *   call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
 *     return tf.mul(x as tf.Tensor, this.factor!); // [batch, features] × [features]
 *   }
 * }
 * registerLayer(Scale);
 * ```
 */
export abstract class Layer implements Serializable {
  /** The registered name this class saves under (`Dense`, or `MyApp>Scale` for plugins). */
  static readonly className: string;

  /** Unique within a model; prefixes its weight names (`<name>/kernel`). */
  readonly name: string;
  /** Whether `build` has created the weights. */
  built = false;
  /** Nodes where this layer was applied to symbolic inputs. */
  readonly inboundNodes: Node[] = [];
  /** Declared input shape with the batch dimension (`[null, ...inputShape]`), if one was given. */
  readonly batchInputShape: Shape | undefined;
  /** Element type of the weights and outputs. */
  readonly dtype: tf.DataType;
  /** The weights this layer created with `addWeight`, in creation order. */
  protected readonly layerWeights: LayerWeight[] = [];
  private trainableValue: boolean;
  /**
   * Whether the layer accepts a mask and passes it on (Keras' `supports_masking`). A layer without it
   * ignores an incoming mask and emits none, as Keras does; layers with it override `computeMask`
   * when they change the mask.
   */
  readonly supportsMasking: boolean = false;

  constructor(config: LayerConfig = {}) {
    const className = (this.constructor as { className?: string }).className ?? this.constructor.name;
    this.name = config.name ?? uniqueLayerName(snakeCase(className));
    if (typeof this.name !== 'string' || this.name === '' || this.name.includes('/')) {
      throw new ValueError(`Layer name must be a non-empty string without "/"; got ${describeValue(this.name)}.`, {
        field: 'name',
        value: this.name,
      });
    }
    this.trainableValue = config.trainable ?? true;
    this.dtype = config.dtype ?? 'float32';
    if (config.batchInputShape !== undefined) this.batchInputShape = [...config.batchInputShape];
    else if (config.inputShape !== undefined) this.batchInputShape = [null, ...config.inputShape];
  }

  /** Whether the layer's weights are updated by training (frozen when false). */
  get trainable(): boolean {
    return this.trainableValue;
  }
  /** Freezes (false) or unfreezes (true) the layer. */
  set trainable(value: boolean) {
    this.trainableValue = value;
  }

  /** Creates the weights for an input shape; called once, before the first `call`. */
  build(_inputShape: Shape | Shape[]): void {
    this.built = true;
  }

  /** The computation. `inputs` is one tensor or, for multi-input layers, a list. */
  abstract call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs): tf.Tensor | tf.Tensor[];

  /** Output shape for an input shape (default: unchanged). */
  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  /**
   * The mask of the output(s) for the input(s) and their mask(s) (Keras' `compute_mask`). The default
   * passes the mask on when `supportsMasking`, and gives none otherwise.
   */
  computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: MaskArg): MaskArg {
    return this.supportsMasking ? mask : undefined;
  }

  /**
   * Runs `call` with the input mask and returns the outputs with their mask; used by models to carry
   * masks next to the outputs. With no mask it adds nothing but the `computeMask` call.
   */
  callWithMask(inputs: tf.Tensor | tf.Tensor[], args: CallArgs, mask: MaskArg): MaskedOutputs {
    const empty = isEmptyMask(mask);
    // Only layers that support masking see the mask in `call`; the others ignore it anyway.
    const outputs = this.call(inputs, empty || !this.supportsMasking ? args : { ...args, mask });
    return { outputs, mask: this.computeMask(inputs, empty ? undefined : mask) };
  }

  /** The dtype of the output (default: the layer's dtype). */
  protected outputDtype(_inputs: SymbolicTensor[]): tf.DataType {
    return this.dtype;
  }

  /** Hook for input validation before build and call. */
  protected checkInputShape(_shape: Shape | Shape[]): void {}

  /**
   * Applies the layer. On tensors it computes (building first if needed); on symbolic tensors it
   * records a node and returns symbolic outputs.
   */
  apply(inputs: tf.Tensor, args?: CallArgs): tf.Tensor;
  apply(inputs: tf.Tensor[], args?: CallArgs): tf.Tensor | tf.Tensor[];
  apply(inputs: SymbolicTensor, args?: CallArgs): SymbolicTensor;
  apply(inputs: SymbolicTensor[], args?: CallArgs): SymbolicTensor | SymbolicTensor[];
  apply(
    inputs: tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[],
    args: CallArgs = {},
  ): tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const list = toList(inputs as (tf.Tensor | SymbolicTensor)[] | tf.Tensor | SymbolicTensor);
    const symbolic = list.every((x) => x instanceof SymbolicTensor);
    if (!symbolic && list.some((x) => x instanceof SymbolicTensor)) {
      throw new ValueError(`Layer "${this.name}" got a mix of symbolic and concrete tensors.`, {
        field: 'inputs',
        value: this.name,
      });
    }
    const shapes = list.map((x) => [...x.shape] as Shape);
    const shapeArg: Shape | Shape[] = Array.isArray(inputs) ? shapes : shapes[0]!;
    this.checkInputShape(shapeArg);
    if (!this.built) {
      this.build(shapeArg);
      this.built = true;
    }
    if (symbolic) {
      if (args.mask !== undefined) {
        throw new ValueError(
          `Layer "${this.name}": pass no mask when applying to symbolic tensors; in a model masks flow from ` +
            'Embedding({ maskZero: true }) or Masking by themselves.',
          { field: 'mask', value: this.name },
        );
      }
      const syms = list as SymbolicTensor[];
      const outShape = this.computeOutputShape(shapeArg);
      const multi = this.hasMultipleOutputs(outShape);
      const shapesOut = multi ? (outShape as Shape[]) : [outShape as Shape];
      const dtype = this.outputDtype(syms);
      const outputs = shapesOut.map((s, i) => new SymbolicTensor(s, dtype, undefined, i, `${this.name}/out${i}`));
      const node = new Node(this, syms, outputs, { ...args });
      for (const o of outputs) o.node = node;
      this.inboundNodes.push(node);
      return multi ? outputs : outputs[0]!;
    }
    return this.call(inputs as tf.Tensor | tf.Tensor[], args);
  }

  /** Whether `computeOutputShape` returned a list of shapes (several outputs). */
  protected hasMultipleOutputs(outShape: Shape | Shape[]): boolean {
    return outShape.length > 0 && Array.isArray(outShape[0]);
  }

  /** The symbolic output of the layer's first application (what transfer learning cuts at). */
  get output(): SymbolicTensor | SymbolicTensor[] {
    const node = this.inboundNodes[0];
    if (node === undefined) {
      throw new ValueError(`Layer "${this.name}" has not been applied to symbolic inputs, so it has no output yet.`, {
        field: 'output',
        value: this.name,
      });
    }
    return node.outputs.length === 1 ? node.outputs[0]! : node.outputs;
  }

  /** The symbolic input of the layer's first application. */
  get input(): SymbolicTensor | SymbolicTensor[] {
    const node = this.inboundNodes[0];
    if (node === undefined) {
      throw new ValueError(`Layer "${this.name}" has not been applied to symbolic inputs, so it has no input yet.`, {
        field: 'input',
        value: this.name,
      });
    }
    return node.inputs.length === 1 ? node.inputs[0]! : node.inputs;
  }

  /** Creates a weight: a tfjs variable named `<layer>/<name>` (made unique in the engine). */
  protected addWeight(
    name: string,
    shape: number[],
    options: {
      initializer?: InitializerIdentifier;
      trainable?: boolean;
      regularizer?: RegularizerIdentifier | null;
      constraint?: ConstraintIdentifier | null;
      dtype?: tf.DataType;
    } = {},
  ): tf.Variable {
    if (this.layerWeights.some((w) => w.name === name)) {
      throw new ValueError(`Layer "${this.name}" already has a weight named "${name}".`, {
        field: 'name',
        value: name,
      });
    }
    const initializer: Initializer = getInitializer(options.initializer ?? 'glorotUniform');
    const trainable = options.trainable ?? true;
    const variable = tf.tidy(() =>
      tf.variable(
        initializer.apply(shape, options.dtype ?? 'float32'),
        trainable,
        uniqueVariableName(`${this.name}/${name}`),
      ),
    );
    this.layerWeights.push({
      name,
      variable,
      trainable,
      regularizer: getRegularizer(options.regularizer),
      constraint: getConstraint(options.constraint),
    });
    return variable;
  }

  /** Every weight of the layer (and of sub-layers, for models), in creation order. */
  get weightEntries(): LayerWeight[] {
    return [...this.layerWeights];
  }

  /** All weights as variables. */
  get weights(): tf.Variable[] {
    return this.weightEntries.map((w) => w.variable);
  }

  /** Weights updated by training: trainable weights of a trainable layer. */
  get trainableWeights(): tf.Variable[] {
    return this.trainable ? this.weightEntries.filter((w) => w.trainable).map((w) => w.variable) : [];
  }

  /** Weights training does not update: non-trainable ones, and all of a frozen layer. */
  get nonTrainableWeights(): tf.Variable[] {
    return this.trainable ? this.weightEntries.filter((w) => !w.trainable).map((w) => w.variable) : this.weights;
  }

  /** Copies of the current weight values, in `weights` order. */
  getWeights(): tf.Tensor[] {
    return this.weights.map((v) => v.clone());
  }

  /**
   * Sets the weight values, in `weights` order.
   *
   * @throws ShapeError naming the layer and weight on a count or shape mismatch.
   */
  setWeights(values: tf.Tensor[]): void {
    const entries = this.weightEntries;
    if (values.length !== entries.length) {
      throw new ShapeError(`Layer "${this.name}" has ${entries.length} weights; got ${values.length} values.`);
    }
    entries.forEach((entry, i) => {
      const value = values[i]!;
      if (!tf.util.arraysEqual(value.shape, entry.variable.shape)) {
        throw new ShapeError(
          `Weight "${entry.variable.name}" of layer "${this.name}" has shape [${entry.variable.shape.join(',')}]; ` +
            `got [${value.shape.join(',')}].`,
          { actual: value.shape, expected: entry.variable.shape },
        );
      }
      entry.variable.assign(value);
    });
  }

  /** Number of scalars in the weights. */
  countParams(): number {
    return this.weights.reduce((n, v) => n + v.size, 0);
  }

  /** The sum of the weights' regularization penalties (a scalar), or undefined if none. */
  regularizationLoss(): tf.Scalar | undefined {
    const terms = this.weightEntries.filter((w) => w.regularizer !== undefined && (this.trainable || !w.trainable));
    if (terms.length === 0) return undefined;
    return tf.tidy(() => tf.addN(terms.map((w) => w.regularizer!.apply(w.variable))) as tf.Scalar);
  }

  /** Applies weight constraints after an update. */
  applyConstraints(): void {
    for (const w of this.weightEntries) {
      if (w.constraint === undefined) continue;
      const value = tf.tidy(() => w.constraint!.apply(w.variable));
      w.variable.assign(value);
      value.dispose();
    }
  }

  /** Layer-specific configuration; the base adds name, trainable, dtype and input shape. */
  protected ownConfig(): ConfigDict {
    return {};
  }

  /**
   * The options that rebuild this layer (`name`, `trainable`, `dtype`, input shape and `ownConfig()`); saved in `model.json`.
   */
  getConfig(): ConfigDict {
    const config: ConfigDict = { name: this.name, trainable: this.trainable, dtype: this.dtype, ...this.ownConfig() };
    if (this.batchInputShape !== undefined) config['batchInputShape'] = [...this.batchInputShape];
    return config;
  }

  /** Frees the layer's weights. */
  dispose(): void {
    for (const w of this.layerWeights) w.variable.dispose();
    this.layerWeights.length = 0;
    this.built = false;
  }
}

/** Throws a ShapeError unless `shape` has the given rank. */
export function assertRank(layer: Layer, shape: Shape, ranks: number[], what = 'input'): void {
  if (!ranks.includes(shape.length)) {
    throw new ShapeError(
      `Layer "${layer.name}" (${(layer.constructor as { className?: string }).className}) expects ${what} of rank ` +
        `${ranks.join(' or ')}; got shape [${shape.map((d) => (d === null ? 'null' : d)).join(',')}].`,
      { actual: shape.map((d) => d ?? -1) },
    );
  }
}
