/**
 * Functional `Model` (a graph of layers from symbolic inputs to symbolic outputs) and
 * `Sequential`. A model is itself a layer, so models nest.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, describeValue, registerLayer, type ConfigDict } from '@plasticity/core';
import type { Optimizer } from '@plasticity/optimizers';
import type { Callback, Logs } from './callbacks.js';
import type { History } from './callbacks.js';
import { InputLayer, input } from './layers/core.js';
import { saveWeights, writeModel } from './saving.js';
import {
  compile,
  evaluate,
  fit,
  isDataset,
  trainOnBatch,
  type CompileArgs,
  type CompiledState,
  type Dataset,
  type FitOptions,
  type TensorData,
} from './training.js';
import {
  Layer,
  SymbolicTensor,
  toList,
  type CallArgs,
  type LayerConfig,
  type LayerWeight,
  type Mask,
  type MaskArg,
  type Node,
  type Shape,
} from './layer.js';

/** Options of a functional {@link Model}. */
export interface ModelConfig {
  /** The symbolic inputs, from `input({ shape })`; a list for several inputs. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The symbolic outputs, from `layer.apply(...)`; a list (or several heads) for several outputs. */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** Model name. Default generated (`model`, `model_1`, …). */
  name?: string;
}

function formatShape(shape: Shape | Shape[]): string {
  const one = (s: Shape): string => `[${s.map((d) => (d === null ? 'null' : d)).join(',')}]`;
  return shape.length > 0 && Array.isArray(shape[0]) ? (shape as Shape[]).map(one).join(' ') : one(shape as Shape);
}

/** A graph of layers from symbolic inputs to symbolic outputs. */
export class Model extends Layer {
  static override readonly className: string = 'Model';

  /** The symbolic inputs, in `predict`/`fit` order. */
  inputs: SymbolicTensor[] = [];
  /** The symbolic outputs, in `predict` order. */
  outputs: SymbolicTensor[] = [];
  private graphLayers: Layer[] = [];
  private nodes: Node[] = [];
  /** Training configuration, set by `compile`. */
  compiled: CompiledState | undefined;
  /** Set by a callback to end `fit` after the current batch. */
  stopTraining = false;

  constructor(config: ModelConfig | (LayerConfig & { name?: string })) {
    super({ ...(config.name === undefined ? {} : { name: config.name }) });
    if ('inputs' in config && 'outputs' in config) this.initGraph(toList(config.inputs), toList(config.outputs));
  }

  /** (Re)builds the execution plan from symbolic inputs and outputs. */
  protected initGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): void {
    for (const t of [...inputs, ...outputs]) {
      if (!(t instanceof SymbolicTensor)) {
        throw new ValueError(
          `Model inputs and outputs must be symbolic tensors (from input() and layer.apply); got ${describeValue(t)}.`,
          {
            field: 'inputs',
            value: t,
          },
        );
      }
    }
    for (const t of inputs) {
      if (!(t.node?.layer instanceof InputLayer)) {
        throw new ValueError(
          `Model inputs must come from input(); "${t.name}" is the output of layer "${t.node?.layer.name}".`,
          {
            field: 'inputs',
            value: t.name,
          },
        );
      }
    }
    const order: Node[] = [];
    const visited = new Set<Node>();
    const visiting = new Set<Node>();
    const inputIds = new Set(inputs.map((t) => t.id));
    const visit = (t: SymbolicTensor): void => {
      const node = t.node!;
      if (visited.has(node)) return;
      if (visiting.has(node)) throw new ValueError('The layer graph has a cycle.', { field: 'outputs', value: t.name });
      if (node.layer instanceof InputLayer) {
        if (!inputIds.has(t.id)) {
          throw new ValueError(
            `Output depends on input "${node.layer.name}", which is not among the model's inputs; pass it in inputs.`,
            { field: 'inputs', value: node.layer.name },
          );
        }
      }
      visiting.add(node);
      for (const i of node.inputs) visit(i);
      visiting.delete(node);
      visited.add(node);
      order.push(node);
    };
    for (const t of outputs) visit(t);
    for (const t of inputs) visit(t);
    this.inputs = inputs;
    this.outputs = outputs;
    this.nodes = order;
    const layers: Layer[] = [];
    for (const node of order) if (!layers.includes(node.layer)) layers.push(node.layer);
    const names = new Set<string>();
    for (const l of layers) {
      if (names.has(l.name)) {
        throw new ValueError(
          `Two different layers in model "${this.name}" are named "${l.name}"; layer names must be unique.`,
          {
            field: 'name',
            value: l.name,
          },
        );
      }
      names.add(l.name);
    }
    this.graphLayers = layers;
    this.built = true;
  }

  /** Every layer of the graph (input layers included), in execution order. */
  get layers(): Layer[] {
    return this.graphLayers;
  }

  /** The layer named `name`. */
  getLayer(name: string): Layer;
  /** The layer at position `index` in `layers`. */
  getLayer(index: number): Layer;
  getLayer(key: string | number): Layer {
    const layer = typeof key === 'number' ? this.layers[key] : this.layers.find((l) => l.name === key);
    if (layer === undefined) {
      throw new ValueError(
        `Model "${this.name}" has no layer ${typeof key === 'number' ? `at index ${key}` : `named "${key}"`}; layers: ` +
          `${this.layers.map((l) => l.name).join(', ')}.`,
        { field: 'layer', value: key },
      );
    }
    return layer;
  }

  override get weightEntries(): LayerWeight[] {
    const seen = new Set<tf.Variable>();
    const out: LayerWeight[] = [];
    for (const layer of this.layers) {
      for (const w of layer.weightEntries) {
        if (seen.has(w.variable)) continue;
        seen.add(w.variable);
        // A frozen sub-layer's weights are not trainable from the outside.
        out.push(layer.trainable ? w : { ...w, trainable: false });
      }
    }
    return out;
  }

  override get trainableWeights(): tf.Variable[] {
    return this.trainable ? this.weightEntries.filter((w) => w.trainable).map((w) => w.variable) : [];
  }

  override regularizationLoss(): tf.Scalar | undefined {
    const terms = this.layers
      .filter((l) => l !== this)
      .map((l) => l.regularizationLoss())
      .filter((t) => t !== undefined);
    if (terms.length === 0) return undefined;
    return tf.tidy(() => tf.addN(terms as tf.Tensor[]) as tf.Scalar);
  }

  override applyConstraints(): void {
    for (const layer of this.layers) layer.applyConstraints();
  }

  /** A model carries the masks of its inputs through its graph, so nested models pass masks on. */
  override readonly supportsMasking: boolean = true;

  /** Runs the graph on concrete inputs (one tensor per model input); `args.mask` gives input masks. */
  call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs = {}): tf.Tensor | tf.Tensor[] {
    return this.runGraph(inputs, args).outputs;
  }

  override callWithMask(
    inputs: tf.Tensor | tf.Tensor[],
    args: CallArgs,
    mask: MaskArg,
  ): { outputs: tf.Tensor | tf.Tensor[]; mask: MaskArg } {
    return this.runGraph(inputs, { ...args, mask });
  }

  /** The masks of the outputs (runs the graph; inside a model the masks come with the outputs). */
  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: MaskArg): MaskArg {
    let result: MaskArg;
    // Keep the masks, free the outputs and everything else the run made.
    tf.tidy(() => {
      result = this.runGraph(inputs, { training: false, mask }).mask;
      return toList(result).filter((m) => m !== undefined);
    });
    return result;
  }

  /**
   * Runs the nodes in order, keeping each output's mask next to it. Masks cost nothing until a layer
   * makes one (Embedding with maskZero, Masking) or the caller gives one.
   */
  private runGraph(
    inputs: tf.Tensor | tf.Tensor[],
    callArgs: CallArgs,
  ): { outputs: tf.Tensor | tf.Tensor[]; mask: MaskArg } {
    const { mask: inputMask, ...args } = callArgs;
    const list = toList(inputs);
    if (list.length !== this.inputs.length) {
      throw new ValueError(`Model "${this.name}" has ${this.inputs.length} inputs; got ${list.length} tensors.`, {
        field: 'inputs',
        value: list.length,
      });
    }
    const values = new Map<number, tf.Tensor>();
    const masks = new Map<number, tf.Tensor>();
    const inputMasks: Mask[] = inputMask === undefined ? [] : Array.isArray(inputMask) ? inputMask : [inputMask];
    this.inputs.forEach((sym, i) => {
      const t = list[i]!;
      const expected = sym.shape;
      if (t.rank !== expected.length || expected.some((d, k) => d !== null && d !== t.shape[k])) {
        throw new ShapeError(
          `Input "${sym.name}" of model "${this.name}" expects shape ${formatShape(expected)}; got [${t.shape.join(',')}].`,
          { actual: t.shape, expected: expected.map((d) => d ?? -1) },
        );
      }
      values.set(sym.id, t);
      const m = inputMasks[i];
      if (m !== undefined) masks.set(sym.id, m);
    });
    for (const node of this.nodes) {
      if (node.layer instanceof InputLayer) continue;
      const ins = node.inputs.map((s) => values.get(s.id)!);
      const nodeArgs = { ...node.callArgs, ...args };
      const x = ins.length === 1 ? ins[0]! : ins;
      if (masks.size === 0 && node.layer.computeMask === Layer.prototype.computeMask) {
        // No mask anywhere yet and none can start here: the plain call.
        toList(node.layer.call(x, nodeArgs)).forEach((t, i) => values.set(node.outputs[i]!.id, t));
        continue;
      }
      const inMasks = node.inputs.map((s) => masks.get(s.id));
      const result = node.layer.callWithMask(x, nodeArgs, ins.length === 1 ? inMasks[0] : inMasks);
      const outs = toList(result.outputs);
      // One mask for a single output; a list (one per output) otherwise.
      const outMasks: Mask[] = Array.isArray(result.mask) ? result.mask : [result.mask];
      outs.forEach((t, i) => {
        values.set(node.outputs[i]!.id, t);
        const m = outMasks[i];
        if (m !== undefined) masks.set(node.outputs[i]!.id, m);
      });
    }
    const outs = this.outputs.map((o) => values.get(o.id)!);
    const outMasks = this.outputs.map((o) => masks.get(o.id));
    return outs.length === 1 ? { outputs: outs[0]!, mask: outMasks[0] } : { outputs: outs, mask: outMasks };
  }

  override computeOutputShape(): Shape | Shape[] {
    const shapes = this.outputs.map((o) => [...o.shape]);
    return shapes.length === 1 ? shapes[0]! : shapes;
  }

  override build(): void {
    this.built = true;
  }

  /** The optimizer given to `compile`. */
  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  /** Configures training: optimizer, per-output losses, metrics and loss weights. */
  compile(args: CompileArgs): void {
    this.ensureBuilt();
    compile(this, args);
  }

  /**
   * Trains on tensors (`fit(x, y, options)`) or on a dataset of `{ x, y }` batches
   * (`fit(dataset, options)`, async iterables stream data larger than memory).
   */
  fit(x: TensorData, y: TensorData, options?: FitOptions): Promise<History>;
  fit(dataset: Dataset, options?: FitOptions): Promise<History>;
  fit(x: TensorData | Dataset, y?: TensorData | FitOptions, options?: FitOptions): Promise<History> {
    this.ensureBuilt(x);
    if (isDataset(x)) return fit(this, x, undefined, (y as FitOptions | undefined) ?? {});
    return fit(this, x, y as TensorData, options ?? {});
  }

  /** Loss and metrics on tensors or a dataset, in inference mode. */
  evaluate(x: TensorData, y: TensorData, options?: { batchSize?: number; sampleWeight?: tf.Tensor }): Promise<Logs>;
  evaluate(dataset: Dataset): Promise<Logs>;
  evaluate(
    x: TensorData | Dataset,
    y?: TensorData,
    options?: { batchSize?: number; sampleWeight?: tf.Tensor },
  ): Promise<Logs> {
    this.ensureBuilt(x);
    return evaluate(this, x, y, options);
  }

  /** One optimizer step on one batch. */
  trainOnBatch(x: TensorData, y: TensorData, options?: { sampleWeight?: tf.Tensor }): Logs {
    this.ensureBuilt(x);
    return trainOnBatch(this, x, y, options);
  }

  /**
   * Saves the model (architecture, weights, and when compiled the optimizer state) to a URL
   * (`file://…` after `registerFileRouter()` from `@plasticity/core/node`, `memory://…`, …) or
   * an IO handler. Files are written atomically.
   */
  async save(
    target: string | tf.io.IOHandler,
    options: { includeOptimizer?: boolean } = {},
  ): Promise<tf.io.SaveResult> {
    registerBuiltinModels();
    return writeModel(this, target, options);
  }

  /**
   * Saves only the weights (`saveWeights`), for `loadWeights` into a model of the same
   * architecture; `target` is an IO URL or handler as for {@link Model.save}.
   */
  async saveWeights(target: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
    return saveWeights(this, target);
  }

  /** Builds a model that is not built yet from example data (Sequential without an input shape). */
  protected ensureBuilt(_x?: unknown): void {}

  /** Names of the outputs (the names of the layers that produce them). */
  get outputNames(): string[] {
    return this.outputs.map((o) => o.node!.layer.name);
  }

  /**
   * A table of layers, output shapes and parameter counts, with totals of trainable and frozen
   * parameters. Returns the text and prints it with `print` (default console.log).
   */
  summary(print: (line: string) => void = console.log): string {
    const rows: [string, string, string, string][] = [['Layer (type)', 'Output shape', 'Param #', 'Trainable']];
    for (const layer of this.layers) {
      const type = (layer.constructor as { className?: string }).className ?? layer.constructor.name;
      const shape =
        layer.inboundNodes.length > 0
          ? formatShape(
              layer.inboundNodes[0]!.outputs.map((o) => o.shape).length === 1
                ? layer.inboundNodes[0]!.outputs[0]!.shape
                : layer.inboundNodes[0]!.outputs.map((o) => o.shape),
            )
          : '?';
      const params = layer.countParams();
      // A nested model that is trainable but holds frozen layers (transfer learning) reads `partial`.
      const frozenInside =
        layer instanceof Model && layer.layers.some((l) => l !== layer && l.countParams() > 0 && !l.trainable);
      const trainable = params === 0 ? '' : !layer.trainable ? 'frozen' : frozenInside ? 'partial' : 'yes';
      rows.push([`${layer.name} (${type})`, shape, String(params), trainable]);
    }
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]): string =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    const total = this.countParams();
    const trainable = this.trainableWeights.reduce((n, v) => n + v.size, 0);
    const text = [
      `Model: "${this.name}"`,
      rule,
      line(rows[0]!),
      rule,
      ...rows.slice(1).map(line),
      rule,
      `Total params: ${total}`,
      `Trainable params: ${trainable}`,
      `Non-trainable params: ${total - trainable}`,
    ].join('\n');
    print(text);
    return text;
  }

  /** Runs the model on concrete inputs in inference mode, in batches, and concatenates. */
  predict(x: tf.Tensor | tf.Tensor[], options: { batchSize?: number } = {}): tf.Tensor | tf.Tensor[] {
    const xs = toList(x);
    const n = xs[0]!.shape[0]!;
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`predict: batchSize must be a positive integer; got ${describeValue(batchSize)}.`, {
        field: 'batchSize',
        value: batchSize,
      });
    }
    if (n <= batchSize) return tf.tidy(() => this.call(xs.length === 1 ? xs[0]! : xs, { training: false }));
    const parts: tf.Tensor[][] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const out = tf.tidy(() => {
        const batch = xs.map((t) => tf.slice(t, start, size));
        return toList(this.call(batch.length === 1 ? batch[0]! : batch, { training: false }));
      });
      parts.push(out);
    }
    const outputs = parts[0]!.map((_, i) =>
      tf.concat(
        parts.map((p) => p[i]!),
        0,
      ),
    );
    tf.dispose(parts.flat());
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  protected override ownConfig(): ConfigDict {
    const ref = (t: SymbolicTensor): [string, number, number] => [t.node!.layer.name, t.node!.index, t.outputIndex];
    return {
      layers: this.layers.map((layer) => ({
        className: (layer.constructor as { className?: string }).className ?? layer.constructor.name,
        config: layer.getConfig(),
        inboundNodes: layer.inboundNodes
          .filter((node) => this.nodes.includes(node) && !(node.layer instanceof InputLayer))
          .map((node) => node.inputs.map((t) => ref(t))),
      })),
      inputLayers: this.inputs.map(ref),
      outputLayers: this.outputs.map(ref),
    } as unknown as ConfigDict;
  }

  /**
   * Frees the weights of every layer and, when compiled, the optimizer's state (moments, EMA
   * copies). A nested model's layers are freed with it.
   */
  override dispose(): void {
    for (const layer of this.layers) if (layer !== this) layer.dispose();
    this.compiled?.optimizer.dispose();
  }
}

/**
 * A linear stack of layers. Give the first layer an `inputShape` (or call `add(input(...))`-style
 * by passing `inputShape`), or let the first `predict`/`fit` build it from the data's shape.
 */

export type { Callback };

/**
 * A linear stack of layers: each layer's output is the next one's input. Give the first layer
 * an `inputShape` (or pass `inputShape` here), or let the first `predict`/`fit` build it from the
 * data's shape. Everything of {@link Model} applies: `compile`, `fit`, `evaluate`, `predict`,
 * `summary`, `save`.
 *
 * Args (config): `layers` (default none; more with `add`), `inputShape` (without the batch
 * dimension, e.g. `[784]`), `name`.
 *
 * @example
 * ```ts
 * const model = new Sequential({
 *   layers: [
 *     new Dense({ units: 64, activation: 'relu', inputShape: [784] }), // [batch, 784] → [batch, 64]
 *     new Dense({ units: 10, activation: 'softmax' }), // → [batch, 10]
 *   ],
 * });
 * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * await model.fit(x, y, { epochs: 5, batchSize: 32 });
 * ```
 */
export class Sequential extends Model {
  static override readonly className: string = 'Sequential';
  private stack: Layer[] = [];
  private inputShape: Shape | undefined;

  constructor(config: { layers?: Layer[]; name?: string; inputShape?: Shape } = {}) {
    super({ ...(config.name === undefined ? {} : { name: config.name }) });
    this.built = false;
    if (config.inputShape !== undefined) this.inputShape = [null, ...config.inputShape];
    for (const layer of config.layers ?? []) this.add(layer);
  }

  /** Appends a layer (and rebuilds the graph when the input shape is known). */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) {
      throw new ValueError(`Sequential.add needs a Layer; got ${describeValue(layer)}.`, {
        field: 'layer',
        value: layer,
      });
    }
    if (this.stack.length === 0 && layer.batchInputShape !== undefined) this.inputShape = layer.batchInputShape;
    this.stack.push(layer);
    if (this.inputShape !== undefined) this.buildGraph(this.inputShape);
    return this;
  }

  /** Removes the last layer. */
  pop(): Layer {
    const layer = this.stack.pop();
    if (layer === undefined) throw new ValueError('Sequential.pop on an empty model.', { field: 'layers', value: 0 });
    if (this.inputShape !== undefined && this.stack.length > 0) this.buildGraph(this.inputShape);
    return layer;
  }

  private buildGraph(batchInputShape: Shape): void {
    const x = input({
      shape: batchInputShape.slice(1),
      batchSize: batchInputShape[0] ?? undefined,
      name: `${this.name}_input`,
    });
    let y = x;
    for (const layer of this.stack) y = layer.apply(y) as SymbolicTensor;
    this.initGraph([x], [y]);
  }

  /** The stacked layers (no input layer). */
  override get layers(): Layer[] {
    return this.stack;
  }

  override build(inputShape?: Shape | Shape[]): void {
    if (this.built) return;
    const shape = (this.inputShape ?? inputShape) as Shape | undefined;
    if (shape === undefined) {
      throw new ValueError(`Sequential "${this.name}" needs an input shape: give the first layer inputShape.`, {
        field: 'inputShape',
        value: undefined,
      });
    }
    this.inputShape = [null, ...shape.slice(1)];
    this.buildGraph(this.inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], args: CallArgs = {}): tf.Tensor | tf.Tensor[] {
    if (!this.built) this.build([...toList(inputs)[0]!.shape]);
    return super.call(inputs, args);
  }

  override predict(x: tf.Tensor | tf.Tensor[], options: { batchSize?: number } = {}): tf.Tensor | tf.Tensor[] {
    this.ensureBuilt(x);
    return super.predict(x, options);
  }

  protected override ensureBuilt(x?: unknown): void {
    if (this.built) return;
    if (x instanceof tf.Tensor) this.build([...x.shape]);
    else if (Array.isArray(x) && x[0] instanceof tf.Tensor) this.build([...x[0].shape]);
    else this.build(undefined);
  }

  protected override ownConfig(): ConfigDict {
    return {
      layers: this.stack.map((layer) => ({
        className: (layer.constructor as { className?: string }).className ?? layer.constructor.name,
        config: layer.getConfig(),
      })),
      ...(this.inputShape === undefined ? {} : { batchInputShape: [...this.inputShape] }),
    } as unknown as ConfigDict;
  }
}

/**
 * Registers `Model` and `Sequential` as layers (idempotent), so that `model.save` works without a
 * call to `registerBuiltinLayers()`, which registers them with everything else.
 */
export function registerBuiltinModels(): void {
  registerLayer(Model);
  registerLayer(Sequential);
}
