/**
 * The native model format (`format: 'plasticity-model'`, written by `model.save`): rebuilding a
 * model from its config, and the artifact reader that `loadModel` dispatches to for this format
 * (registered by `registerBuiltinLayers()`).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ArtifactError,
  ShapeError,
  UnknownPluginError,
  ValueError,
  concatWeightData,
  deserializePlugin,
  getPlugin,
  type ConfigDict,
  type SerializedPlugin,
} from '@plasticity/core';
import { deserializeOptimizer } from '@plasticity/optimizers';
import type { ArtifactReader } from './artifact-readers.js';
import type { Layer, Shape, SymbolicTensor } from './layer.js';
import { input } from './layers/core.js';
import { Model, Sequential } from './model.js';
import { MODEL_FORMAT, OPTIMIZER_PREFIX, namedWeights, type PlasticityMetadata } from './saving.js';

type LayerRef = [string, number, number];
interface LayerEntry {
  className: string;
  config: ConfigDict;
  inboundNodes?: LayerRef[][];
}

function buildLayer(entry: LayerEntry): Layer {
  if (entry.className === 'Model' || entry.className === 'Sequential')
    return buildModelFromConfig(entry as unknown as SerializedPlugin);
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

/**
 * Rebuilds a model (Sequential or functional) from `{ className, config }`, with fresh weights.
 * The layer classes must be registered already; the public `modelFromConfig` registers the
 * built-ins first.
 */
export function buildModelFromConfig(serialized: SerializedPlugin): Model {
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
      const sym = input({
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

function hasNativeTopology(artifacts: tf.io.ModelArtifacts): boolean {
  const topology = artifacts.modelTopology as Partial<SerializedPlugin> | undefined;
  return artifacts.format === MODEL_FORMAT && typeof topology?.className === 'string';
}

/**
 * Reads a model saved by `model.save` / `saveModel`: architecture, weights, and (when saved) the
 * compile configuration and optimizer state.
 *
 * @throws ArtifactError for missing or unexpected weights.
 * @throws ShapeError naming the layer when a weight's shape differs from the architecture's.
 * @throws UnknownPluginError naming the layer when its class is not registered.
 */
export function readNativeModel(artifacts: tf.io.ModelArtifacts, where: string): Model {
  const topology = artifacts.modelTopology as SerializedPlugin;
  getPlugin('layer', topology.className);
  const model = buildModelFromConfig(topology);
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

/** The artifact reader of the native format, registered by `registerBuiltinLayers()`. */
export const nativeModelReader: ArtifactReader = {
  name: MODEL_FORMAT,
  canRead: hasNativeTopology,
  read: readNativeModel,
};

/** `Model.fromConfig` / `Sequential.fromConfig`, attached by `registerBuiltinLayers()` so nested models deserialize. */
export const modelFromConfigStatics = {
  Model: (config: ConfigDict): Model => buildModelFromConfig({ className: 'Model', config }),
  Sequential: (config: ConfigDict): Model => buildModelFromConfig({ className: 'Sequential', config }),
};
