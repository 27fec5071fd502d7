/**
 * Saving and loading models through core artifacts: `model.json` (the model's config, the layer
 * graph, training configuration) plus weights in the TF.js binary layout, optionally with the
 * optimizer's state so that training resumes exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ArtifactError,
  ARTIFACT_FORMAT_VERSION,
  ShapeError,
  UnknownPluginError,
  ValueError,
  concatWeightData,
  deserializePlugin,
  getPlugin,
  registerCallback,
  registerLayer,
  resolveIOHandler,
  serializePlugin,
  type ConfigDict,
  type SerializedPlugin,
} from '@plasticity/core';
import { deserializeOptimizer, registerBuiltinOptimizers, serializeOptimizer } from '@plasticity/optimizers';
import { registerBuiltinCallbacks } from './callbacks.js';
import { ModelCheckpoint } from './checkpoint.js';
import { registerBuiltinInitializers } from './initializers.js';
import { type Layer, type SymbolicTensor, type Shape } from './layer.js';
import * as conv from './layers/conv.js';
import * as core from './layers/core.js';
import * as merge from './layers/merge.js';
import * as normalization from './layers/normalization.js';
import * as recurrent from './layers/recurrent.js';
import * as wrappers from './layers/wrappers.js';
import * as attention from './layers/attention.js';
import { Loss, registerBuiltinLosses } from './losses.js';
import { Metric, registerBuiltinMetrics } from './metrics.js';
import { Model, Sequential } from './model.js';
import { registerBuiltinRegularizers } from './regularizers.js';

/** Every built-in layer class, in registration order. */
export const LAYER_CLASSES = [
  core.InputLayer,
  core.Dense,
  core.Activation,
  core.Dropout,
  core.Flatten,
  core.Reshape,
  core.Permute,
  core.RepeatVector,
  core.Embedding,
  core.Masking,
  conv.Conv1D,
  conv.Conv2D,
  conv.Conv2DTranspose,
  conv.DepthwiseConv2D,
  conv.SeparableConv2D,
  conv.MaxPooling1D,
  conv.MaxPooling2D,
  conv.AveragePooling1D,
  conv.AveragePooling2D,
  conv.GlobalAveragePooling1D,
  conv.GlobalMaxPooling1D,
  conv.GlobalAveragePooling2D,
  conv.GlobalMaxPooling2D,
  conv.ZeroPadding2D,
  conv.UpSampling2D,
  normalization.BatchNormalization,
  normalization.LayerNormalization,
  merge.Add,
  merge.Subtract,
  merge.Multiply,
  merge.Average,
  merge.Maximum,
  merge.Minimum,
  merge.Concatenate,
  merge.Dot,
  recurrent.SimpleRNN,
  recurrent.LSTM,
  recurrent.GRU,
  wrappers.Bidirectional,
  wrappers.TimeDistributed,
  attention.MultiHeadAttention,
  Model,
  Sequential,
] as const;

/** Registers every built-in layer, initializer, regularizer, constraint, loss, metric, callback and optimizer (idempotent). */
export function registerBuiltinLayers(): void {
  for (const cls of LAYER_CLASSES) registerLayer(cls as never);
  registerBuiltinInitializers();
  registerBuiltinRegularizers();
  registerBuiltinLosses();
  registerBuiltinMetrics();
  registerBuiltinCallbacks();
  registerCallback(ModelCheckpoint as never);
  registerBuiltinOptimizers();
}

type LayerRef = [string, number, number];
interface LayerEntry {
  className: string;
  config: ConfigDict;
  inboundNodes?: LayerRef[][];
}

function buildLayer(entry: LayerEntry): Layer {
  if (entry.className === 'Model' || entry.className === 'Sequential')
    return modelFromConfig(entry as unknown as SerializedPlugin);
  try {
    return deserializePlugin<Layer>('layer', { className: entry.className, config: entry.config });
  } catch (error) {
    if (error instanceof UnknownPluginError) {
      throw new UnknownPluginError(
        'layer',
        entry.className,
        `Layer "${String(entry.config['name'])}" has class "${entry.className}", which is not registered. If it is your own layer, ` +
          `call registerLayer(${entry.className.replace(/[^A-Za-z0-9_$]/g, '_')}) before loading.`,
      );
    }
    throw error;
  }
}

/** Rebuilds a model (Sequential or functional) from `{ className, config }`, with fresh weights. */
export function modelFromConfig(serialized: SerializedPlugin): Model {
  registerBuiltinLayers();
  const config = serialized.config as unknown as {
    name?: string;
    layers: LayerEntry[];
    inputLayers?: LayerRef[];
    outputLayers?: LayerRef[];
    batchInputShape?: Shape;
  };
  if (!Array.isArray(config?.layers)) {
    throw new ValueError(`A model config needs a "layers" list; got ${JSON.stringify(serialized).slice(0, 80)}.`, {
      field: 'layers',
      value: undefined,
    });
  }
  if (serialized.className === 'Sequential') {
    const model = new Sequential({ ...(config.name === undefined ? {} : { name: config.name }) });
    config.layers.forEach((entry, i) => {
      const c =
        i === 0 && config.batchInputShape !== undefined && entry.config['batchInputShape'] === undefined
          ? { ...entry, config: { ...entry.config, batchInputShape: config.batchInputShape } }
          : entry;
      model.add(buildLayer(c as LayerEntry));
    });
    return model;
  }
  if (serialized.className !== 'Model') {
    throw new UnknownPluginError(
      'layer',
      serialized.className,
      `"${serialized.className}" is not a model class (Model or Sequential).`,
    );
  }
  const layers = new Map<string, Layer>();
  const pending: { layer: Layer; refs: LayerRef[] }[] = [];
  for (const entry of config.layers) {
    if (entry.className === 'InputLayer') {
      const c = entry.config as { name: string; batchInputShape: Shape; dtype?: tf.DataType };
      const sym = core.input({
        shape: c.batchInputShape.slice(1),
        name: c.name,
        ...(c.dtype === undefined ? {} : { dtype: c.dtype }),
        ...(c.batchInputShape[0] === null ? {} : { batchSize: c.batchInputShape[0] as number }),
      });
      layers.set(c.name, sym.node!.layer);
      continue;
    }
    const layer = buildLayer(entry);
    layers.set(layer.name, layer);
    for (const refs of entry.inboundNodes ?? []) pending.push({ layer, refs });
  }
  const resolve = ([name, nodeIndex, tensorIndex]: LayerRef): SymbolicTensor | undefined => {
    const layer = layers.get(name);
    if (layer === undefined)
      throw new ValueError(`The model config refers to an unknown layer "${name}".`, {
        field: 'inboundNodes',
        value: name,
      });
    return layer.inboundNodes[nodeIndex]?.outputs[tensorIndex];
  };
  // Apply layers in an order where every input exists (shared layers may need several passes).
  while (pending.length > 0) {
    const ready = pending.findIndex((p) => p.refs.every((r) => resolve(r) !== undefined));
    if (ready === -1)
      throw new ValueError('The model config has inbound nodes that can never be resolved.', {
        field: 'inboundNodes',
        value: pending.length,
      });
    const { layer, refs } = pending.splice(ready, 1)[0]!;
    const inputs = refs.map((r) => resolve(r)!);
    if (inputs.length === 1) layer.apply(inputs[0]!);
    else layer.apply(inputs);
  }
  const inputs = (config.inputLayers ?? []).map((r) => resolve(r)!);
  const outputs = (config.outputLayers ?? []).map((r) => resolve(r)!);
  return new Model({ inputs, outputs, ...(config.name === undefined ? {} : { name: config.name }) });
}

/** Every weight of a model with a stable path: `<layer>/<weight>`, nested models prefixed. */
export function namedWeights(model: Model, prefix = ''): [string, tf.Variable][] {
  const out: [string, tf.Variable][] = [];
  const seen = new Set<tf.Variable>();
  for (const layer of model.layers) {
    if (layer instanceof Model) {
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

const FORMAT = 'plasticity-model';
const OPTIMIZER_PREFIX = '__optimizer__/';

interface PlasticityMetadata {
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

/** Options of `model.save(target, options)`. */
export interface SaveOptions {
  /** Save the optimizer and its state, and the compile configuration (default true when compiled). */
  includeOptimizer?: boolean;
}

/** The model as tfjs `ModelArtifacts`. */
export async function modelToArtifacts(model: Model, options: SaveOptions = {}): Promise<tf.io.ModelArtifacts> {
  registerBuiltinLayers();
  if (!model.built)
    throw new ValueError(
      `Model "${model.name}" is not built yet; give it an input shape or call it once before saving.`,
      { field: 'model', value: model.name },
    );
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
      modelTopology: serializePlugin('layer', model) as unknown as object,
      format: FORMAT,
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

/** Saves the model to a URL (`file://…` after `registerFileRouter()`, `memory://…`, `indexeddb://…`) or an IO handler. */
export async function saveModel(
  model: Model,
  target: string | tf.io.IOHandler,
  options: SaveOptions = {},
): Promise<tf.io.SaveResult> {
  const handler = resolveIOHandler(target, 'save');
  return handler.save!(await modelToArtifacts(model, options));
}

/**
 * Loads a model saved by {@link saveModel}: architecture, weights, and (when saved) the compile
 * configuration and optimizer state. A TF.js Layers / Keras `model.json` is imported with
 * `importTfjsModel` (weights only, no training configuration).
 *
 * @throws ArtifactError for a file that is not a Plasticity model, or missing / unexpected weights.
 * @throws ShapeError naming the layer when a weight's shape differs from the architecture's.
 * @throws UnknownPluginError naming the layer when its class is not registered.
 */
export async function loadModel(source: string | tf.io.IOHandler): Promise<Model> {
  registerBuiltinLayers();
  const where = typeof source === 'string' ? source : 'model artifact';
  const artifacts = await resolveIOHandler(source, 'load').load!();
  const topology = artifacts.modelTopology as SerializedPlugin | undefined;
  if (artifacts.format !== FORMAT) {
    const tfjs = await import('./tfjs-format.js');
    if (tfjs.isTfjsLayersArtifacts(artifacts)) return tfjs.importTfjsModel(artifacts);
  }
  if (artifacts.format !== FORMAT || topology === undefined || typeof topology.className !== 'string') {
    throw new ArtifactError(
      where,
      `is not a model saved by @plasticity/layers (format "${String(artifacts.format)}"). Weights saved with saveWeights load into a model with loadWeights(model, source).`,
    );
  }
  getPlugin('layer', topology.className);
  const model = modelFromConfig(topology);
  const decoded = tf.io.decodeWeights(concatWeightData(artifacts.weightData), artifacts.weightSpecs ?? []);
  try {
    const used = new Set<string>();
    for (const [path, variable] of namedWeights(model)) {
      const value = decoded[path];
      const layer = path.split('/').slice(0, -1).join('/');
      if (value === undefined)
        throw new ArtifactError(where, `weight "${path}" of layer "${layer}" is missing from the saved weights.`);
      if (!tf.util.arraysEqual(value.shape, variable.shape)) {
        throw new ShapeError(
          `Layer "${layer}": saved weight "${path}" has shape [${value.shape.join(',')}] but the layer expects [${variable.shape.join(',')}].`,
          {
            actual: value.shape,
            expected: variable.shape,
          },
        );
      }
      variable.assign(value);
      used.add(path);
    }
    const unexpected = Object.keys(decoded).filter((k) => !used.has(k) && !k.startsWith(OPTIMIZER_PREFIX));
    if (unexpected.length > 0)
      throw new ArtifactError(where, `has weights no layer of the model uses: ${unexpected.slice(0, 5).join(', ')}.`);
    const metadata = (artifacts.userDefinedMetadata as { plasticity?: PlasticityMetadata } | undefined)?.plasticity;
    if (metadata?.optimizer !== undefined && metadata.compile !== undefined) {
      const optimizer = deserializeOptimizer(metadata.optimizer);
      const byPath = new Map(namedWeights(model).map(([n, v]) => [n, v.name]));
      const stateTensors: Record<string, tf.Tensor> = {};
      for (const [key, t] of Object.entries(decoded)) {
        if (!key.startsWith(OPTIMIZER_PREFIX)) continue;
        const rest = key.slice(OPTIMIZER_PREFIX.length);
        const cut = rest.lastIndexOf('/');
        const name = byPath.get(rest.slice(0, cut));
        if (name !== undefined) stateTensors[`${name}/${rest.slice(cut + 1)}`] = t;
      }
      const steps: Record<string, number> = {};
      for (const [path, step] of Object.entries(metadata.optimizerMeta?.variableSteps ?? {})) {
        const name = byPath.get(path);
        if (name !== undefined) steps[name] = step;
      }
      optimizer.setState({
        meta: { iterations: 0, learningRateScale: 1, accumulated: 0, ...metadata.optimizerMeta, variableSteps: steps },
        tensors: stateTensors,
      });
      const c = metadata.compile as { loss: never; metrics: never; lossWeights: never };
      model.compile({
        optimizer,
        loss: c.loss,
        ...(c.metrics === null ? {} : { metrics: c.metrics }),
        ...(c.lossWeights === null ? {} : { lossWeights: c.lossWeights }),
      });
    }
  } finally {
    tf.dispose(Object.values(decoded));
  }
  return model;
}

// Model.fromConfig / Sequential.fromConfig let the registry rebuild nested models.
Object.assign(Model, { fromConfig: (config: ConfigDict) => modelFromConfig({ className: 'Model', config }) });
Object.assign(Sequential, { fromConfig: (config: ConfigDict) => modelFromConfig({ className: 'Sequential', config }) });
