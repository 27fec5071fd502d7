/**
 * Working on a model's layer graph from the outside: selecting layers by name, pattern or index,
 * cutting a model at a layer, adding or replacing a head, and rebuilding a graph with some layers
 * swapped. Everything goes through the public graph (`model.outputs` → `SymbolicTensor.node` →
 * `Node.inputs`), so it works on any `Model`: built in code, loaded with `loadModel`, or imported
 * from TF.js/Keras.
 */
import { ValueError, describeValue } from '@plasticity/core';
import { InputLayer, Model, type Layer, type Node, type SymbolicTensor } from '@plasticity/layers';

/**
 * Chooses layers of a model:
 * - a layer name (`'dense_1'`), a glob (`'block2_*'`, `*` = any run of characters) or a RegExp,
 *   matched against the names of the top-level layers (`model.layers`; choosing a nested model
 *   chooses all its layers);
 * - an index into `model.layers` (negative counts from the end);
 * - a range `{ from, to }` of indices or names, both ends included (either end may be omitted);
 * - a predicate `(layer, index) => boolean`;
 * - or a list of these (union).
 */
export type LayerSelector =
  | string
  | RegExp
  | number
  | {
      /** First layer of the range (index or name), inclusive. Default the first layer. */
      from?: number | string;
      /** Last layer of the range (index or name), inclusive. Default the last layer. */
      to?: number | string;
    }
  | ((layer: Layer, index: number) => boolean)
  | readonly LayerSelector[];

const GLOBS = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = GLOBS.get(glob);
  if (re === undefined) {
    re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`);
    GLOBS.set(glob, re);
  }
  return re;
}

/** The graph nodes reachable from the model's outputs, in execution order (inputs first). */
export function graphNodes(model: Model): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const visit = (t: SymbolicTensor): void => {
    const node = t.node;
    if (node === undefined || seen.has(node)) return;
    seen.add(node);
    for (const i of node.inputs) visit(i);
    order.push(node);
  };
  for (const t of model.outputs) visit(t);
  for (const t of model.inputs) visit(t);
  return order;
}

function indexOf(model: Model, key: number | string, what: string): number {
  const layers = model.layers;
  if (typeof key === 'number') {
    const i = key < 0 ? layers.length + key : key;
    if (!Number.isInteger(key) || i < 0 || i >= layers.length) {
      throw new ValueError(
        `${what}: model "${model.name}" has ${layers.length} layers (indices 0..${layers.length - 1}); got index ${describeValue(key)}.`,
        { field: what, value: key },
      );
    }
    return i;
  }
  const i = layers.findIndex((l) => l.name === key);
  if (i < 0) {
    throw new ValueError(
      `${what}: model "${model.name}" has no layer named "${key}"; layers: ${layers.map((l) => l.name).join(', ')}.`,
      { field: what, value: key },
    );
  }
  return i;
}

/**
 * The top-level layers of `model` (entries of `model.layers`) chosen by `selector`, in model order.
 *
 * @throws ValueError for an index out of range, an unknown name in a range, or a selector that
 *   matches no layer (a typo in a pattern should not freeze nothing silently).
 */
export function selectLayers(model: Model, selector: LayerSelector, what = 'selectLayers'): Layer[] {
  const layers = model.layers;
  const chosen = new Set<number>();
  const add = (s: LayerSelector): void => {
    if (Array.isArray(s)) {
      for (const item of s as readonly LayerSelector[]) add(item);
      return;
    }
    if (typeof s === 'number') {
      chosen.add(indexOf(model, s, what));
      return;
    }
    if (typeof s === 'function') {
      layers.forEach((l, i) => {
        if ((s as (layer: Layer, index: number) => boolean)(l, i)) chosen.add(i);
      });
      return;
    }
    if (typeof s === 'string' || s instanceof RegExp) {
      const re = typeof s === 'string' ? globToRegExp(s) : s;
      let hit = false;
      layers.forEach((l, i) => {
        if (re.test(l.name)) {
          chosen.add(i);
          hit = true;
        }
      });
      if (!hit) {
        throw new ValueError(
          `${what}: no layer of model "${model.name}" matches ${describeValue(s)}; layers: ${layers.map((l) => l.name).join(', ')}.`,
          { field: 'selector', value: s },
        );
      }
      return;
    }
    if (s !== null && typeof s === 'object' && ('from' in s || 'to' in s)) {
      const range = s as { from?: number | string; to?: number | string };
      const from = range.from === undefined ? 0 : indexOf(model, range.from, what);
      const to = range.to === undefined ? layers.length - 1 : indexOf(model, range.to, what);
      for (let i = from; i <= to; i++) chosen.add(i);
      return;
    }
    throw new ValueError(
      `${what}: a layer selector is a name, glob, RegExp, index, { from, to } range, predicate or a list of them; got ${describeValue(s)}.`,
      { field: 'selector', value: s },
    );
  };
  add(selector);
  return [...chosen].sort((a, b) => a - b).map((i) => layers[i]!);
}

/** Every non-model layer under `layer` (the layer itself if it is not a model), depth first. */
export function leafLayers(layer: Layer): Layer[] {
  if (!(layer instanceof Model)) return [layer];
  return layer.layers.filter((l) => l !== layer).flatMap((l) => leafLayers(l));
}

/** The output of `layer` in `model`'s graph (a layer may have been applied in several graphs). */
export function layerOutput(model: Model, layer: Layer): SymbolicTensor {
  const nodes = graphNodes(model).filter((n) => n.layer === layer);
  if (nodes.length === 0) {
    throw new ValueError(`Layer "${layer.name}" is not part of model "${model.name}".`, {
      field: 'layer',
      value: layer.name,
    });
  }
  if (nodes.length > 1 || nodes[0]!.outputs.length !== 1) {
    throw new ValueError(
      `Layer "${layer.name}" has ${nodes.length > 1 ? `${nodes.length} applications` : 'several outputs'} in model ` +
        `"${model.name}", so "its output" is ambiguous; cut at a layer applied once with one output.`,
      { field: 'layer', value: layer.name },
    );
  }
  return nodes[0]!.outputs[0]!;
}

/**
 * A model from `model`'s inputs to the output of `layer` (a name, an index into `model.layers`, or
 * the layer): the base for feature extraction. It shares the layers, hence the weights, with
 * `model`; freezing one freezes the other.
 *
 * @example
 * ```ts
 * const base = featureExtractor(pretrained, 'global_average_pooling2d'); // [batch, channels]
 * const features = base.predict(images);
 * ```
 */
export function featureExtractor(model: Model, layer: string | number | Layer, options: { name?: string } = {}): Model {
  const target =
    typeof layer === 'string' || typeof layer === 'number'
      ? model.layers[indexOf(model, layer, 'featureExtractor')]!
      : layer;
  if (target instanceof InputLayer) {
    throw new ValueError(`featureExtractor: "${target.name}" is an input layer; cut at a layer after it.`, {
      field: 'layer',
      value: target.name,
    });
  }
  const output = layerOutput(model, target);
  return new Model({
    inputs: model.inputs,
    outputs: output,
    ...(options.name === undefined ? {} : { name: options.name }),
  });
}

/** What a head may be: a layer, a stack of layers applied in order, or a function of the features. */
export type Head = Layer | readonly Layer[] | ((features: SymbolicTensor) => SymbolicTensor | SymbolicTensor[]);

function applyHead(head: Head, features: SymbolicTensor): SymbolicTensor[] {
  if (typeof head === 'function') {
    const out = head(features);
    return Array.isArray(out) ? out : [out];
  }
  const stack = (Array.isArray(head) ? head : [head]) as Layer[];
  if (stack.length === 0) {
    throw new ValueError('A head needs at least one layer.', { field: 'head', value: 0 });
  }
  let y = features;
  for (const layer of stack) y = layer.apply(y) as SymbolicTensor;
  return [y];
}

/**
 * A new model: `base` followed by `head`. The base's layers (and weights) are shared, not copied.
 *
 * @example
 * ```ts
 * const model = addHead(featureExtractor(pretrained, 'flatten'), [new Dense({ units: 5, activation: 'softmax' })]);
 * ```
 */
export function addHead(base: Model, head: Head, options: { name?: string } = {}): Model {
  if (base.outputs.length !== 1) {
    throw new ValueError(
      `addHead: base "${base.name}" has ${base.outputs.length} outputs; cut it at one layer with featureExtractor first.`,
      { field: 'base', value: base.outputs.length },
    );
  }
  return new Model({
    inputs: base.inputs,
    outputs: applyHead(head, base.outputs[0]!),
    ...(options.name === undefined ? {} : { name: options.name }),
  });
}

/**
 * Replaces the head of `model`: keeps everything up to and including `at` (default: the layer
 * before the last one, i.e. drops the final layer) and puts `head` on top.
 *
 * @example
 * ```ts
 * const fresh = replaceHead(pretrained, new Dense({ units: 5, activation: 'softmax' }));
 * const deeper = replaceHead(pretrained, [new Dense({ units: 64, activation: 'relu' }), new Dense({ units: 5 })], { at: 'flatten' });
 * ```
 */
export function replaceHead(
  model: Model,
  head: Head,
  options: { at?: string | number | Layer; name?: string } = {},
): Model {
  let at = options.at;
  if (at === undefined) {
    if (model.outputs.length !== 1) {
      throw new ValueError(
        `replaceHead: model "${model.name}" has ${model.outputs.length} outputs; say where to cut with { at: layerName }.`,
        { field: 'at', value: undefined },
      );
    }
    const last = model.outputs[0]!.node!;
    const before = last.inputs[0]?.node;
    if (last.inputs.length !== 1 || before === undefined || before.layer instanceof InputLayer) {
      throw new ValueError(
        `replaceHead: the last layer "${last.layer.name}" of model "${model.name}" has no single layer before it; pass { at }.`,
        { field: 'at', value: undefined },
      );
    }
    at = before.layer;
  }
  return addHead(featureExtractor(model, at), head, options);
}

/**
 * A copy of `model`'s graph with some layers swapped: `replace(layer)` returns the layer to apply
 * in its place (or the same layer to keep it). Nested models are rebuilt recursively when
 * `recursive` (default true). Kept layers are shared with `model`.
 */
export function rebuildModel(
  model: Model,
  replace: (layer: Layer) => Layer,
  options: { recursive?: boolean; name?: string } = {},
): Model {
  const recursive = options.recursive ?? true;
  const values = new Map<number, SymbolicTensor>();
  for (const t of model.inputs) values.set(t.id, t);
  for (const node of graphNodes(model)) {
    if (node.layer instanceof InputLayer) continue;
    let layer = node.layer;
    if (recursive && layer instanceof Model) {
      const inner = rebuildModel(layer, replace, { recursive, name: layer.name });
      layer = inner;
    } else {
      layer = replace(layer);
    }
    const ins = node.inputs.map((t) => {
      const v = values.get(t.id);
      if (v === undefined)
        throw new ValueError(`rebuildModel: input "${t.name}" was not computed.`, { field: 'graph', value: t.name });
      return v;
    });
    const out = ins.length === 1 ? layer.apply(ins[0]!, { ...node.callArgs }) : layer.apply(ins, { ...node.callArgs });
    const outs = Array.isArray(out) ? out : [out];
    outs.forEach((o, i) => values.set(node.outputs[i]!.id, o as SymbolicTensor));
  }
  return new Model({
    inputs: model.inputs,
    outputs: model.outputs.map((t) => values.get(t.id)!),
    name: options.name ?? model.name,
  });
}
