/**
 * `MultiHeadAttention` with Keras semantics (Vaswani et al. 2017).
 *
 * Keras config ↔ ours: `num_heads` ↔ `numHeads`, `key_dim` ↔ `keyDim`, `value_dim` ↔ `valueDim`,
 * `dropout`, `use_bias` ↔ `useBias`, `output_shape` ↔ `outputShape` (a number or a one-element
 * list), `kernel_*` / `bias_*` initializer, regularizer, constraint as in Dense. `attention_axes`
 * must be null (attention over the one sequence axis). The call arguments `use_causal_mask` and
 * `return_attention_scores` are config fields here (`useCausalMask`, `returnAttentionScores`) so
 * that they survive in a saved graph. Input masks (from `Embedding({ maskZero })` or `Masking`) are
 * turned into an attention mask as Keras does (query step i attends to key step j when both are
 * unmasked, and'ed with `attentionMask` and the causal mask); the output keeps the query's mask.
 *
 * Weights, in Keras order: `query/kernel` [queryDim, heads, keyDim], `query/bias` [heads, keyDim],
 * `key/kernel` [keyInputDim, heads, keyDim], `key/bias`, `value/kernel` [valueInputDim, heads,
 * valueDim], `value/bias` [heads, valueDim], `attention_output/kernel` [heads, valueDim, outDim],
 * `attention_output/bias` [outDim].
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, createRng, describeValue, type ConfigDict, type Rng } from '@plasticity/core';
import type { InitializerIdentifier } from '../initializers.js';
import {
  Layer,
  isEmptyMask,
  sequenceMask,
  type SymbolicTensor,
  toList,
  type CallArgs,
  type LayerConfig,
  type MaskArg,
  type Shape,
} from '../layer.js';
import type { ConstraintIdentifier, RegularizerIdentifier } from '../regularizers.js';
import { serializeId } from './core.js';

export interface MultiHeadAttentionConfig extends LayerConfig {
  /** Number of attention heads. */
  numHeads: number;
  /** Size of each head for query and key. */
  keyDim: number;
  /** Size of each head for value (default keyDim). */
  valueDim?: number;
  /** Dropout on the attention probabilities while training (default 0). */
  dropout?: number;
  /** Whether the query, key, value and output projections have biases. Default true. */
  useBias?: boolean;
  /** Size of the last output axis (default: the query's last dimension). */
  outputShape?: number | [number] | null;
  /** Keras' attention_axes: only null (the sequence axis) is supported. */
  attentionAxes?: null;
  /** Mask future positions: query step i attends to key steps ≤ i. */
  useCausalMask?: boolean;
  /** Also return the attention probabilities [batch, heads, queryTime, keyTime]. */
  returnAttentionScores?: boolean;
  /** Initializer of the projection kernels. Default `'glorotUniform'`. */
  kernelInitializer?: InitializerIdentifier;
  /** Initializer of the projection biases. Default `'zeros'`. */
  biasInitializer?: InitializerIdentifier;
  /** Penalty on the projection kernels. Default none. */
  kernelRegularizer?: RegularizerIdentifier | null;
  /** Penalty on the projection biases. Default none. */
  biasRegularizer?: RegularizerIdentifier | null;
  /** Projection of the kernels after each update. Default none. */
  kernelConstraint?: ConstraintIdentifier | null;
  /** Projection of the biases after each update. Default none. */
  biasConstraint?: ConstraintIdentifier | null;
  /** Seed of the dropout masks. */
  seed?: number;
}

/** `CallArgs` plus the attention mask. */
export interface AttentionCallArgs extends CallArgs {
  /**
   * [batch, queryTime, keyTime], 1 (or true) where a query step may attend to a key step. Appended
   * to the inputs, so `apply([q, v], { attentionMask: m })` equals `apply([q, v, v, m])`.
   */
  attentionMask?: tf.Tensor | SymbolicTensor;
}

/** Large negative number added to masked scores (as Keras' masked softmax for float32). */
const MASKED = -1e9;

/**
 * Multi-head attention. Inputs: `[query, value]`, `[query, value, key]` or `[query, value, key,
 * attentionMask]`, each [batch, time, features] (key defaults to value). Output: [batch,
 * queryTime, outputShape], and with `returnAttentionScores` also the probabilities [batch, heads,
 * queryTime, keyTime].
 *
 * @example
 * ```ts
 * const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 8 });
 * const x = tf.randomNormal([4, 10, 16]);
 * const y = mha.apply([x, x]) as tf.Tensor; // self-attention, [4, 10, 16]
 * ```
 */
export class MultiHeadAttention extends Layer {
  static override readonly className = 'MultiHeadAttention';
  /** Input masks become an attention mask (query × value/key steps); the query's mask goes on. */
  override readonly supportsMasking: boolean = true;
  /** Number of attention heads. */
  readonly numHeads: number;
  /** Size of each head for query and key. */
  readonly keyDim: number;
  /** Size of each head for value (default `keyDim`). */
  readonly valueDim: number;
  /** Dropout rate on the attention weights while training. */
  readonly dropout: number;
  /** Whether the projections have biases. */
  readonly useBias: boolean;
  /** Whether query step i may only attend to key steps ≤ i. */
  readonly useCausalMask: boolean;
  /** Whether `call` also returns the `[batch, heads, query, key]` attention scores. */
  readonly returnAttentionScores: boolean;
  /** Seed of the dropout masks. */
  readonly seed: number | undefined;
  private readonly outputDimConfig: number | undefined;
  private outputDim: number | undefined;
  private readonly config: MultiHeadAttentionConfig;
  private readonly rng: Rng;
  private readonly parts: Record<'query' | 'key' | 'value' | 'output', { kernel?: tf.Variable; bias?: tf.Variable }> = {
    query: {},
    key: {},
    value: {},
    output: {},
  };

  constructor(config: MultiHeadAttentionConfig) {
    super(config);
    for (const field of ['numHeads', 'keyDim'] as const) {
      if (!Number.isInteger(config?.[field]) || config[field] < 1) {
        throw new ValueError(
          `MultiHeadAttention: ${field} must be a positive integer; got ${describeValue(config?.[field])}.`,
          { field, value: config?.[field] },
        );
      }
    }
    const valueDim = config.valueDim ?? config.keyDim;
    if (!Number.isInteger(valueDim) || valueDim < 1) {
      throw new ValueError(`MultiHeadAttention: valueDim must be a positive integer; got ${describeValue(valueDim)}.`, {
        field: 'valueDim',
        value: valueDim,
      });
    }
    const dropout = config.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
      throw new ValueError(`MultiHeadAttention: dropout must be in [0, 1); got ${describeValue(dropout)}.`, {
        field: 'dropout',
        value: dropout,
      });
    }
    if (config.attentionAxes !== undefined && config.attentionAxes !== null) {
      throw new ValueError(
        `MultiHeadAttention: only attentionAxes null (attention over the sequence axis) is supported; got ${describeValue(config.attentionAxes)}.`,
        { field: 'attentionAxes', value: config.attentionAxes },
      );
    }
    const out = Array.isArray(config.outputShape) ? config.outputShape : config.outputShape;
    if (Array.isArray(out) && out.length !== 1) {
      throw new ValueError(
        `MultiHeadAttention: outputShape must be a number or a one-element list; got ${describeValue(out)}.`,
        { field: 'outputShape', value: out },
      );
    }
    const outputDim = Array.isArray(out) ? out[0] : (out ?? undefined);
    if (outputDim !== undefined && (!Number.isInteger(outputDim) || outputDim < 1)) {
      throw new ValueError(
        `MultiHeadAttention: outputShape must be a positive integer; got ${describeValue(outputDim)}.`,
        { field: 'outputShape', value: outputDim },
      );
    }
    this.config = config;
    this.numHeads = config.numHeads;
    this.keyDim = config.keyDim;
    this.valueDim = valueDim;
    this.dropout = dropout;
    this.useBias = config.useBias ?? true;
    this.useCausalMask = config.useCausalMask ?? false;
    this.returnAttentionScores = config.returnAttentionScores ?? false;
    this.outputDimConfig = outputDim;
    this.seed = config.seed;
    this.rng = createRng(config.seed ?? 7919);
  }

  /** Normalizes `[q, v]`, `[q, v, k]`, `[q, v, k, mask]` to `[q, v, k, mask?]` shapes. */
  private shapes(inputShape: Shape | Shape[]): { q: Shape; v: Shape; k: Shape; mask: Shape | undefined } {
    if (!Array.isArray(inputShape[0]) || inputShape.length < 2 || inputShape.length > 4) {
      throw new ValueError(
        `MultiHeadAttention "${this.name}" takes [query, value], [query, value, key] or [query, value, key, attentionMask]; got ${JSON.stringify(inputShape)}.`,
        { field: 'inputs', value: this.name },
      );
    }
    const list = inputShape as Shape[];
    return { q: list[0]!, v: list[1]!, k: list[2] ?? list[1]!, mask: list[3] };
  }

  protected override checkInputShape(inputShape: Shape | Shape[]): void {
    const { q, v, k, mask } = this.shapes(inputShape);
    const fmt = (s: Shape): string => `[${s.map((d) => (d === null ? 'null' : d)).join(',')}]`;
    for (const [what, s] of [
      ['query', q],
      ['value', v],
      ['key', k],
    ] as const) {
      if (s.length !== 3) {
        throw new ShapeError(
          `MultiHeadAttention "${this.name}": ${what} must have shape [batch, time, features]; got ${fmt(s)}.`,
          { actual: s.map((d) => d ?? -1) },
        );
      }
    }
    if (k[1] !== null && v[1] !== null && k[1] !== v[1]) {
      throw new ShapeError(
        `MultiHeadAttention "${this.name}": key and value need the same number of time steps; got key ${fmt(k)}, value ${fmt(v)}.`,
      );
    }
    if (mask !== undefined) {
      const ok =
        mask.length === 3 &&
        (mask[1] === null || q[1] === null || mask[1] === q[1]) &&
        (mask[2] === null || v[1] === null || mask[2] === v[1]);
      if (!ok) {
        throw new ShapeError(
          `MultiHeadAttention "${this.name}": attentionMask must have shape [batch, queryTime, keyTime] = [${q[0] ?? 'null'},${q[1] ?? 'null'},${v[1] ?? 'null'}]; got ${fmt(mask)}.`,
          { actual: mask.map((d) => d ?? -1) },
        );
      }
    }
    const built = this.parts.query.kernel;
    if (built !== undefined) {
      const expect: [string, Shape, tf.Variable][] = [
        ['query', q, built],
        ['key', k, this.parts.key.kernel!],
        ['value', v, this.parts.value.kernel!],
      ];
      for (const [what, s, kernel] of expect) {
        if (s[2] !== kernel.shape[0]) {
          throw new ShapeError(
            `MultiHeadAttention "${this.name}" was built for ${what} features ${kernel.shape[0]}; got ${fmt(s)}.`,
          );
        }
      }
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const { q, v, k } = this.shapes(inputShape);
    const dims = { query: q[2], key: k[2], value: v[2] };
    for (const [what, d] of Object.entries(dims)) {
      if (typeof d !== 'number') {
        throw new ShapeError(`MultiHeadAttention "${this.name}" needs a known ${what} feature size; got null.`);
      }
    }
    this.outputDim = this.outputDimConfig ?? (dims.query as number);
    const weight = (name: string, shape: number[], bias: boolean): tf.Variable =>
      this.addWeight(name, shape, {
        initializer: bias
          ? (this.config.biasInitializer ?? 'zeros')
          : (this.config.kernelInitializer ?? 'glorotUniform'),
        regularizer: (bias ? this.config.biasRegularizer : this.config.kernelRegularizer) ?? null,
        constraint: (bias ? this.config.biasConstraint : this.config.kernelConstraint) ?? null,
      });
    const projections: ['query' | 'key' | 'value', number, number][] = [
      ['query', dims.query as number, this.keyDim],
      ['key', dims.key as number, this.keyDim],
      ['value', dims.value as number, this.valueDim],
    ];
    for (const [name, inDim, headDim] of projections) {
      this.parts[name].kernel = weight(`${name}/kernel`, [inDim, this.numHeads, headDim], false);
      if (this.useBias) this.parts[name].bias = weight(`${name}/bias`, [this.numHeads, headDim], true);
    }
    this.parts.output.kernel = weight('attention_output/kernel', [this.numHeads, this.valueDim, this.outputDim], false);
    if (this.useBias) this.parts.output.bias = weight('attention_output/bias', [this.outputDim], true);
    this.built = true;
  }

  /** Like the base `apply`; `args.attentionMask` is appended to the inputs (key defaults to value). */
  override apply(inputs: tf.Tensor, args?: AttentionCallArgs): tf.Tensor;
  override apply(inputs: tf.Tensor[], args?: AttentionCallArgs): tf.Tensor | tf.Tensor[];
  override apply(inputs: SymbolicTensor, args?: AttentionCallArgs): SymbolicTensor;
  override apply(inputs: SymbolicTensor[], args?: AttentionCallArgs): SymbolicTensor | SymbolicTensor[];
  override apply(
    inputs: tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[],
    args: AttentionCallArgs = {},
  ): tf.Tensor | tf.Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const { attentionMask, ...rest } = args;
    if (attentionMask === undefined) return super.apply(inputs as tf.Tensor[], rest);
    const list = toList(inputs as (tf.Tensor | SymbolicTensor)[]);
    if (list.length < 2 || list.length > 3) {
      throw new ValueError(
        `MultiHeadAttention "${this.name}": with attentionMask pass [query, value] or [query, value, key]; got ${list.length} inputs.`,
        { field: 'inputs', value: list.length },
      );
    }
    return super.apply([list[0]!, list[1]!, list[2] ?? list[1]!, attentionMask] as tf.Tensor[], rest);
  }

  /** [batch, time, features] → [batch, heads, time, headDim] through kernel [features, heads, headDim]. */
  private project(x: tf.Tensor, part: 'query' | 'key' | 'value'): tf.Tensor4D {
    const { kernel, bias } = this.parts[part];
    const [batch, time, features] = x.shape as [number, number, number];
    const headDim = kernel!.shape[2]!;
    let y: tf.Tensor = tf.matMul(
      tf.reshape(x, [batch * time, features]),
      tf.reshape(kernel!, [features, this.numHeads * headDim]),
    );
    if (bias !== undefined) y = tf.add(y, tf.reshape(bias, [this.numHeads * headDim]));
    return tf.reshape(y, [batch, time, this.numHeads, headDim]) as tf.Tensor4D;
  }

  call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs): tf.Tensor | tf.Tensor[] {
    const list = toList(inputs);
    const [query, value] = [list[0]!, list[1]!];
    const key = list[2] ?? value;
    const mask = list[3];
    const [batch, queryTime] = query.shape as [number, number];
    const keyTime = key.shape[1]!;
    return tf.tidy(() => {
      const q = tf.mul(tf.transpose(this.project(query, 'query'), [0, 2, 1, 3]), 1 / Math.sqrt(this.keyDim));
      const kT = tf.transpose(this.project(key, 'key'), [0, 2, 3, 1]); // [batch, heads, keyDim, keyTime]
      const v = tf.transpose(this.project(value, 'value'), [0, 2, 1, 3]);
      let scores: tf.Tensor = tf.matMul(q as tf.Tensor4D, kT as tf.Tensor4D); // [batch, heads, queryTime, keyTime]
      let allowed: tf.Tensor | undefined = mask === undefined ? undefined : tf.cast(tf.notEqual(mask, 0), 'float32');
      const fromMasks = this.maskedPairs(list, args.mask);
      if (fromMasks !== undefined) allowed = allowed === undefined ? fromMasks : tf.mul(allowed, fromMasks);
      if (this.useCausalMask) {
        const causal = tf.linalg.bandPart(tf.ones([queryTime, keyTime]), -1, 0);
        allowed = allowed === undefined ? causal : tf.mul(allowed, causal);
      }
      if (allowed !== undefined) {
        const shaped = allowed.rank === 2 ? allowed : tf.expandDims(allowed, 1);
        scores = tf.add(scores, tf.mul(tf.sub(1, shaped), MASKED));
      }
      const probabilities = tf.softmax(scores);
      let dropped: tf.Tensor = probabilities;
      if (args.training === true && this.dropout > 0) {
        const keep = 1 - this.dropout;
        const values = new Float32Array(probabilities.size);
        for (let i = 0; i < values.length; i++) values[i] = this.rng.uniform() < keep ? 1 / keep : 0;
        dropped = tf.mul(probabilities, tf.tensor(values, probabilities.shape));
      }
      const context = tf.matMul(dropped as tf.Tensor4D, v as tf.Tensor4D); // [batch, heads, queryTime, valueDim]
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [
        batch * queryTime,
        this.numHeads * this.valueDim,
      ]);
      let out: tf.Tensor = tf.matMul(
        merged,
        tf.reshape(this.parts.output.kernel!, [this.numHeads * this.valueDim, this.outputDim!]),
      );
      if (this.parts.output.bias !== undefined) out = tf.add(out, this.parts.output.bias);
      const output = tf.reshape(out, [batch, queryTime, this.outputDim!]);
      return this.returnAttentionScores ? [output, probabilities] : output;
    });
  }

  /**
   * Keras' automatic attention mask from the inputs' masks: query step i may attend to key step j
   * when the query mask is true at i and the value (and key) masks at j; [batch, queryTime,
   * keyTime] as 0/1, or undefined with no mask.
   */
  private maskedPairs(list: tf.Tensor[], mask: MaskArg): tf.Tensor | undefined {
    if (mask === undefined || isEmptyMask(mask)) return undefined;
    const [qm, vm, km] = Array.isArray(mask) ? mask : [mask];
    let allowed: tf.Tensor | undefined;
    const and = (m: tf.Tensor): void => {
      allowed = allowed === undefined ? m : tf.mul(allowed, m);
    };
    if (qm !== undefined) and(tf.expandDims(sequenceMask(this, list[0]!, qm)!, 2));
    if (vm !== undefined) and(tf.expandDims(sequenceMask(this, list[1]!, vm)!, 1));
    if (km !== undefined && list[2] !== undefined) and(tf.expandDims(sequenceMask(this, list[2], km)!, 1));
    return allowed;
  }

  /** The query's mask goes on with the output (none for the attention scores). */
  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: MaskArg): MaskArg {
    const qm = Array.isArray(mask) ? mask[0] : mask;
    return this.returnAttentionScores ? [qm, undefined] : qm;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const { q, k } = this.shapes(inputShape);
    const output: Shape = [q[0] ?? null, q[1] ?? null, this.outputDimConfig ?? q[2] ?? null];
    if (!this.returnAttentionScores) return output;
    return [output, [q[0] ?? null, this.numHeads, q[1] ?? null, k[1] ?? null]];
  }

  protected override ownConfig(): ConfigDict {
    const c = this.config;
    return {
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputDimConfig ?? null,
      attentionAxes: null,
      useCausalMask: this.useCausalMask,
      returnAttentionScores: this.returnAttentionScores,
      kernelInitializer: serializeId(c.kernelInitializer ?? 'glorotUniform'),
      biasInitializer: serializeId(c.biasInitializer ?? 'zeros'),
      kernelRegularizer: serializeId(c.kernelRegularizer),
      biasRegularizer: serializeId(c.biasRegularizer),
      kernelConstraint: serializeId(c.kernelConstraint),
      biasConstraint: serializeId(c.biasConstraint),
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}
