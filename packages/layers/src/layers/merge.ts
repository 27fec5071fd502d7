/**
 * Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, type ConfigDict } from '@plasticity/core';
import { Layer, isEmptyMask, type LayerConfig, type Mask, type MaskArg, type Shape } from '../layer.js';

function broadcastShapes(layer: Layer, shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: number | null = 1;
    for (const s of shapes) {
      const d = s[i - (rank - s.length)];
      if (d === undefined || d === 1) continue;
      if (d === null) {
        dim = dim === 1 ? null : dim;
        continue;
      }
      if (dim !== 1 && dim !== null && dim !== d) {
        throw new ShapeError(
          `Layer "${layer.name}" cannot combine shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')}.`,
        );
      }
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

/** Keras' merge mask: the logical and of the inputs' masks (an input with none counts as all true). */
function andMasks(mask: MaskArg): MaskArg {
  if (mask === undefined || !Array.isArray(mask) || isEmptyMask(mask)) return undefined;
  const present = mask.filter((m): m is tf.Tensor => m !== undefined);
  if (present.length === 1) return present[0];
  return tf.tidy(() => present.map((m) => tf.cast(m, 'bool')).reduce((a, b) => tf.logicalAnd(a, b)));
}

abstract class Merge extends Layer {
  override readonly supportsMasking: boolean = true;
  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: MaskArg): MaskArg {
    return andMasks(mask);
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    if (!Array.isArray(shape[0]) || (shape as Shape[]).length < 2) {
      throw new ValueError(`Layer "${this.name}" merges a list of at least two inputs.`, {
        field: 'inputs',
        value: this.name,
      });
    }
    broadcastShapes(this, shape as Shape[]);
  }
  /** Combines the inputs, already checked to broadcast together. */
  protected abstract merge(xs: tf.Tensor[]): tf.Tensor;
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.merge(inputs as tf.Tensor[]));
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return broadcastShapes(this, inputShape as Shape[]);
  }
}

/**
 * Element-wise sum of a list of inputs of broadcastable shapes (e.g. a residual connection).
 *
 * @example
 * ```ts
 * const x = input({ shape: [8] });
 * const y = new Add().apply([x, new Dense({ units: 8 }).apply(x) as SymbolicTensor]);
 * ```
 */
export class Add extends Merge {
  static override readonly className = 'Add';
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return xs.reduce((a, b) => tf.add(a, b));
  }
}

/** The first of two inputs minus the second. */
export class Subtract extends Merge {
  static override readonly className = 'Subtract';
  /** Requires exactly two inputs. */
  protected override checkInputShape(shape: Shape | Shape[]): void {
    super.checkInputShape(shape);
    if ((shape as Shape[]).length !== 2)
      throw new ValueError(`Subtract "${this.name}" takes exactly two inputs.`, {
        field: 'inputs',
        value: (shape as Shape[]).length,
      });
  }
  protected merge([a, b]: tf.Tensor[]): tf.Tensor {
    return tf.sub(a!, b!);
  }
}

/** Element-wise product of a list of inputs. */
export class Multiply extends Merge {
  static override readonly className = 'Multiply';
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return xs.reduce((a, b) => tf.mul(a, b));
  }
}

/** Element-wise mean of a list of inputs. */
export class Average extends Merge {
  static override readonly className = 'Average';
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return tf.div(
      xs.reduce((a, b) => tf.add(a, b)),
      xs.length,
    );
  }
}

/** Element-wise maximum of a list of inputs. */
export class Maximum extends Merge {
  static override readonly className = 'Maximum';
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return xs.reduce((a, b) => tf.maximum(a, b));
  }
}

/** Element-wise minimum of a list of inputs. */
export class Minimum extends Merge {
  static override readonly className = 'Minimum';
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return xs.reduce((a, b) => tf.minimum(a, b));
  }
}

/** Concatenates along `axis` (default the last). */
export class Concatenate extends Layer {
  static override readonly className = 'Concatenate';
  /** The axis along which inputs are joined. Default -1. */
  readonly axis: number;
  constructor(config: LayerConfig & { axis?: number } = {}) {
    super(config);
    this.axis = config.axis ?? -1;
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    const shapes = shape as Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length < 2)
      throw new ValueError(`Concatenate "${this.name}" needs a list of at least two inputs.`, {
        field: 'inputs',
        value: this.name,
      });
    const rank = shapes[0]!.length;
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    for (const s of shapes) {
      if (
        s.length !== rank ||
        s.some((d, i) => i !== axis && d !== null && shapes[0]![i] !== null && d !== shapes[0]![i])
      ) {
        throw new ShapeError(
          `Concatenate "${this.name}" on axis ${this.axis}: shapes ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')} differ off that axis.`,
        );
      }
    }
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.concat(inputs as tf.Tensor[], this.axis);
  }
  override readonly supportsMasking: boolean = true;
  /**
   * Keras' concatenated mask: each input's mask widened to the input's shape (all true where an input
   * has none), concatenated along `axis`, then reduced with a logical and over the last axis.
   */
  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: MaskArg): MaskArg {
    if (mask === undefined || !Array.isArray(mask) || isEmptyMask(mask)) return undefined;
    const xs = inputs as tf.Tensor[];
    return tf.tidy(() => {
      const full = xs.map((x, i) => {
        const m: Mask = mask[i];
        if (m === undefined) return tf.cast(tf.onesLike(x), 'bool');
        let e = tf.cast(m, 'bool');
        while (e.rank < x.rank) e = tf.expandDims(e, -1);
        return tf.cast(tf.broadcastTo(tf.cast(e, 'int32'), x.shape), 'bool');
      });
      return tf.all(tf.concat(full, this.axis), -1);
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = inputShape as Shape[];
    const rank = shapes[0]!.length;
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    const out = [...shapes[0]!];
    out[axis] = shapes.some((s) => s[axis] === null) ? null : shapes.reduce((n, s) => n + (s[axis] as number), 0);
    return out;
  }
  protected override ownConfig(): ConfigDict {
    return { axis: this.axis };
  }
}

/** Dot product of two [batch, n] inputs along `axes` (optionally of L2-normalized inputs: cosine). */
export class Dot extends Layer {
  static override readonly className = 'Dot';
  /** The axis of the dot product. Default -1. */
  readonly axes: number;
  /** Whether the inputs are L2-normalized first (cosine similarity). Default false. */
  readonly normalize: boolean;
  constructor(config: LayerConfig & { axes?: number; normalize?: boolean } = {}) {
    super(config);
    this.axes = config.axes ?? -1;
    this.normalize = config.normalize ?? false;
  }
  protected override checkInputShape(shape: Shape | Shape[]): void {
    const shapes = shape as Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2)
      throw new ValueError(`Dot "${this.name}" takes exactly two inputs.`, { field: 'inputs', value: this.name });
    if (shapes.some((s) => s.length !== 2))
      throw new ShapeError(
        `Dot "${this.name}" supports [batch, n] inputs; got ${shapes.map((x) => `[${x.join(',')}]`).join(' and ')}.`,
      );
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [a, b] = inputs as tf.Tensor[];
    return tf.tidy(() => {
      const n = (t: tf.Tensor): tf.Tensor =>
        this.normalize ? tf.div(t, tf.maximum(tf.sqrt(tf.sum(tf.square(t), -1, true)), 1e-12)) : t;
      return tf.sum(tf.mul(n(a!), n(b!)), -1, true);
    });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [(inputShape as Shape[])[0]![0] ?? null, 1];
  }
  protected override ownConfig(): ConfigDict {
    return { axes: this.axes, normalize: this.normalize };
  }
}
