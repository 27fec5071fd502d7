/**
 * The writer of model and weights artifacts: `model.json` (the model's config and training
 * configuration) plus weights in the TF.js binary layout, and the weights-only format of
 * `saveWeights` / `loadWeights`.
 *
 * The dependency runs one way: `model.ts` imports this module (for `Model.save` and
 * `Model.saveWeights`) and this module only knows the `Model` type, so nothing that saves has to
 * import the model or the loader back. Loading lives above the composition root (`builtins.ts`),
 * in `serialization.ts` and the artifact readers.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ArtifactError,
  ARTIFACT_FORMAT_VERSION,
  ShapeError,
  ValueError,
  concatWeightData,
  resolveIOHandler,
  serializePlugin,
  type SerializedPlugin,
} from '@plasticity/core';
import { serializeOptimizer } from '@plasticity/optimizers';
import { registerBuiltinPlugins } from './builtin-plugins.js';
import type { Layer } from './layer.js';
import { Loss } from './losses.js';
import { Metric } from './metrics.js';
import type { Model } from './model.js';

/** The `format` of a model saved by `@plasticity/layers` (architecture, weights, training state). */
export const MODEL_FORMAT = 'plasticity-model';
/** The `format` of weights saved by {@link saveWeights}. */
export const WEIGHTS_FORMAT = 'plasticity-weights';
/** Prefix of the optimizer-state tensors inside a model artifact's weights. */
export const OPTIMIZER_PREFIX = '__optimizer__/';

/** What a model artifact keeps under `userDefinedMetadata.plasticity`. */
export interface PlasticityMetadata {
  formatVersion: number;
  compile?: { loss: unknown; metrics: unknown; lossWeights: unknown };
  optimizer?: SerializedPlugin;
  optimizerMeta?: {
    iterations: number;
    learningRateScale: number;
    accumulated: number;
    variableSteps: Record<string, number>;
  };
}

/** Options of `model.save` / `saveModel`. */
export interface SaveOptions {
  /** Save the optimizer and its state, and the compile configuration (default true when compiled). */
  includeOptimizer?: boolean;
}

// A nested model is told apart by its graph (this module knows the Model type only, by design).
function isModel(layer: Layer): layer is Model {
  const graph = layer as Partial<Record<'layers' | 'inputs' | 'outputs', unknown>>;
  return Array.isArray(graph.layers) && Array.isArray(graph.inputs) && Array.isArray(graph.outputs);
}

/**
 * Every weight of a model with a stable path, `<layer>/<weight>` (a nested model's weights are
 * prefixed with its name, `<model>/<layer>/<weight>`); a weight shared by several layers appears
 * once. These paths name the weights in saved artifacts.
 *
 * Args:
 *   model: the model, built.
 *   prefix: prepended to every path (default `''`).
 *
 * @example
 * ```ts
 * namedWeights(model).map(([path, v]) => `${path} [${v.shape}]`); // ['dense/kernel [4,8]', 'dense/bias [8]', …]
 * ```
 */
export function namedWeights(model: Model, prefix = ''): [string, tf.Variable][] {
  const out: [string, tf.Variable][] = [];
  const seen = new Set<tf.Variable>();
  for (const layer of model.layers) {
    if (layer !== model && isModel(layer)) {
      for (const [n, v] of namedWeights(layer, `${prefix}${layer.name}/`)) {
        if (seen.has(v)) continue;
        seen.add(v);
        out.push([n, v]);
      }
      continue;
    }
    for (const w of layer.weightEntries) {
      if (seen.has(w.variable)) continue;
      seen.add(w.variable);
      out.push([`${prefix}${layer.name}/${w.name}`, w.variable]);
    }
  }
  return out;
}

function serializeIdentifiers(value: unknown): unknown {
  if (value instanceof Loss || value instanceof Metric)
    return serializePlugin(value instanceof Loss ? 'loss' : 'metric', value);
  if (typeof value === 'function') {
    throw new ValueError(
      'A model compiled with a loss function (not a registered Loss class) cannot save its training configuration; save with includeOptimizer: false, or use a Loss subclass.',
      { field: 'loss', value: value.name },
    );
  }
  if (Array.isArray(value)) return value.map(serializeIdentifiers);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, serializeIdentifiers(v)]));
  return value;
}

/**
 * The model as tfjs `ModelArtifacts` (`format: 'plasticity-model'`). Registers the built-in
 * plugins; the model's own class must be registered (`model.save` and `saveModel` register the
 * built-in model classes first).
 *
 * @throws ValueError when the model is not built, or was compiled with a plain loss function and
 *   `includeOptimizer` is not false.
 * @throws UnknownPluginError when the model's class is not registered.
 */
export async function writeModelArtifacts(model: Model, options: SaveOptions = {}): Promise<tf.io.ModelArtifacts> {
  if (!model.built)
    throw new ValueError(
      `Model "${model.name}" is not built yet; give it an input shape or call it once before saving.`,
      { field: 'model', value: model.name },
    );
  // A wrapper's or adapter's config names its inner layer through the registry, and the compile
  // configuration its losses, metrics and optimizer: register the built-ins below the model.
  registerBuiltinPlugins();
  const topology = serializePlugin('layer', model);
  const weights = namedWeights(model);
  const tensors: Record<string, tf.Tensor> = Object.fromEntries(weights.map(([n, v]) => [n, v]));
  const metadata: PlasticityMetadata = { formatVersion: ARTIFACT_FORMAT_VERSION };
  const includeOptimizer = options.includeOptimizer ?? model.compiled !== undefined;
  let optimizerTensors: tf.Tensor[] = [];
  if (includeOptimizer && model.compiled !== undefined) {
    const pathOf = new Map(weights.map(([n, v]) => [v.name, n]));
    const state = model.compiled.optimizer.getState();
    optimizerTensors = Object.values(state.tensors);
    for (const [key, t] of Object.entries(state.tensors)) {
      const cut = key.lastIndexOf('/');
      const path = pathOf.get(key.slice(0, cut));
      if (path !== undefined) tensors[`${OPTIMIZER_PREFIX}${path}/${key.slice(cut + 1)}`] = t;
    }
    const steps: Record<string, number> = {};
    for (const [name, step] of Object.entries(state.meta.variableSteps)) {
      const path = pathOf.get(name);
      if (path !== undefined) steps[path] = step;
    }
    metadata.optimizer = serializeOptimizer(model.compiled.optimizer);
    metadata.optimizerMeta = { ...state.meta, variableSteps: steps };
    metadata.compile = serializeIdentifiers(model.compiled.args) as PlasticityMetadata['compile'];
  }
  try {
    const { data, specs } = await tf.io.encodeWeights(tensors);
    return {
      modelTopology: topology as unknown as object,
      format: MODEL_FORMAT,
      generatedBy: '@plasticity/layers',
      convertedBy: null,
      weightSpecs: specs,
      weightData: data,
      userDefinedMetadata: { plasticity: metadata as unknown as object },
    };
  } finally {
    tf.dispose(optimizerTensors);
  }
}

/** Writes {@link writeModelArtifacts} to an IO URL or handler. */
export async function writeModel(
  model: Model,
  target: string | tf.io.IOHandler,
  options: SaveOptions = {},
): Promise<tf.io.SaveResult> {
  const handler = resolveIOHandler(target, 'save');
  return handler.save!(await writeModelArtifacts(model, options));
}

/**
 * Saves only the model's weights (`format: 'plasticity-weights'`, the TF.js binary layout, weights
 * named `<layer>/<weight>` as {@link namedWeights}), for {@link loadWeights} into a model of the
 * same architecture. `model.saveWeights(target)` does the same.
 *
 * Args:
 *   model: the model, built.
 *   target: an IO URL (`file://…` after `registerFileRouter()` from `@plasticity/core/node`,
 *     `memory://…`, `indexeddb://…`) or an IO handler.
 *
 * @throws ValueError when the model is not built.
 *
 * @example
 * ```ts
 * await saveWeights(model, 'memory://weights');
 * await loadWeights(sameArchitecture, 'memory://weights');
 * ```
 */
export async function saveWeights(model: Model, target: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
  if (!model.built) {
    throw new ValueError(`Model "${model.name}" is not built yet; call it once before saving its weights.`, {
      field: 'model',
      value: model.name,
    });
  }
  const weights = namedWeights(model);
  const { data, specs } = await tf.io.encodeWeights(weights.map(([name, tensor]) => ({ name, tensor })));
  return resolveIOHandler(target, 'save').save!({
    format: WEIGHTS_FORMAT,
    generatedBy: '@plasticity/layers',
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
  });
}

/**
 * Loads weights saved by {@link saveWeights} (or the weights of a model saved by `model.save`)
 * into `model`, which must have the same layers and weight shapes. A bad file leaves the model
 * untouched.
 *
 * Args:
 *   model: the model to fill, built.
 *   source: an IO URL or an IO handler.
 *
 * @throws ArtifactError naming the layer and weight when one is missing, or for unused weights.
 * @throws ShapeError naming the layer and weight on a shape mismatch.
 *
 * @example
 * ```ts
 * await loadWeights(model, 'file://./ckpt/weights');
 * ```
 */
export async function loadWeights(model: Model, source: string | tf.io.IOHandler): Promise<void> {
  const where = typeof source === 'string' ? source : 'weights artifact';
  const artifacts = await resolveIOHandler(source, 'load').load!();
  if (artifacts.format !== WEIGHTS_FORMAT && artifacts.format !== MODEL_FORMAT) {
    throw new ArtifactError(
      where,
      `holds format "${String(artifacts.format)}", not weights saved by @plasticity/layers (saveWeights or saveModel).`,
    );
  }
  const decoded = tf.io.decodeWeights(concatWeightData(artifacts.weightData), artifacts.weightSpecs ?? []);
  try {
    const weights = namedWeights(model);
    // Check everything before assigning anything, so a bad file leaves the model untouched.
    for (const [path, variable] of weights) {
      const value = decoded[path];
      const layer = path.split('/').slice(0, -1).join('/');
      if (value === undefined) throw new ArtifactError(where, `weight "${path}" of layer "${layer}" is missing.`);
      if (!tf.util.arraysEqual(value.shape, variable.shape)) {
        throw new ShapeError(
          `Layer "${layer}": saved weight "${path}" has shape [${value.shape.join(',')}] but the layer expects ` +
            `[${variable.shape.join(',')}].`,
          { actual: value.shape, expected: variable.shape },
        );
      }
    }
    const known = new Set(weights.map(([p]) => p));
    const unused = Object.keys(decoded).filter((k) => !known.has(k) && !k.startsWith(OPTIMIZER_PREFIX));
    if (unused.length > 0) {
      throw new ArtifactError(where, `has weights no layer of the model uses: ${unused.slice(0, 5).join(', ')}.`);
    }
    for (const [path, variable] of weights) variable.assign(decoded[path]!);
  } finally {
    tf.dispose(Object.values(decoded));
  }
}
