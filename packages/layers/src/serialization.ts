/**
 * Saving and loading models through core artifacts: `model.json` (the model's config, the layer
 * graph, training configuration) plus weights in the TF.js binary layout, optionally with the
 * optimizer's state so that training resumes exactly.
 *
 * This module sits above the composition root: it registers the built-ins, then hands writing to
 * `saving.ts` and reading to the registered artifact readers (`artifact-readers.ts`), so it
 * imports no format itself.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ArtifactError, resolveIOHandler, type SerializedPlugin } from '@plasticity/core';
import { findArtifactReader, isTfjsLayersArtifacts, listArtifactReaders } from './artifact-readers.js';
import { registerBuiltinLayers } from './builtins.js';
import type { Model } from './model.js';
import { buildModelFromConfig } from './native-format.js';
import { writeModel, writeModelArtifacts, type SaveOptions } from './saving.js';

/**
 * Rebuilds a model (Sequential or functional) from `{ className, config }` (a saved
 * `modelTopology`), with fresh weights. Registers the built-ins first.
 *
 * Args:
 *   serialized: `{ className: 'Model' | 'Sequential', config }`, as `serializePlugin('layer', model)` writes it.
 *
 * @throws UnknownPluginError naming the layer when its class is not registered.
 * @throws ValueError when the config has no `layers` list or its graph cannot be resolved.
 *
 * @example
 * ```ts
 * const copy = modelFromConfig(serializePlugin('layer', model)); // same architecture, new weights
 * ```
 */
export function modelFromConfig(serialized: SerializedPlugin): Model {
  registerBuiltinLayers();
  return buildModelFromConfig(serialized);
}

/**
 * The model as tfjs `ModelArtifacts` (`format: 'plasticity-model'`): what `saveModel` hands to
 * an IO handler. Registers the built-ins first.
 *
 * Args:
 *   model: the model, built.
 *   options.includeOptimizer: save the optimizer, its state and the compile configuration
 *     (default true when compiled).
 *
 * @throws ValueError when the model is not built.
 *
 * @example
 * ```ts
 * const artifacts = await modelToArtifacts(model, { includeOptimizer: false });
 * ```
 */
export async function modelToArtifacts(model: Model, options: SaveOptions = {}): Promise<tf.io.ModelArtifacts> {
  registerBuiltinLayers();
  return writeModelArtifacts(model, options);
}

/**
 * Saves the model, as `model.save(target, options)` does, to a URL (`file://…` after
 * `registerFileRouter()`, `memory://…`, `indexeddb://…`) or an IO handler.
 *
 * Args:
 *   model: the model, built.
 *   target: an IO URL or handler; `file://` writes atomically.
 *   options.includeOptimizer: as {@link modelToArtifacts}.
 *
 * @example
 * ```ts
 * await saveModel(model, 'memory://m');
 * const again = await loadModel('memory://m');
 * ```
 */
export async function saveModel(
  model: Model,
  target: string | tf.io.IOHandler,
  options: SaveOptions = {},
): Promise<tf.io.SaveResult> {
  registerBuiltinLayers();
  return writeModel(model, target, options);
}

/**
 * Loads a model from a URL or IO handler through the registered artifact readers: the native
 * format of `model.save` (architecture, weights, and when saved the compile configuration and
 * optimizer state), and, once `registerTfjsFormat()` from `@plasticity/layers/tfjs` has run, a
 * TF.js Layers / Keras `model.json` (weights only, no training configuration).
 *
 * Args:
 *   source: an IO URL (`file://…` after `registerFileRouter()`, `memory://…`, …) or an IO handler.
 *
 * @throws ArtifactError for a file no registered reader reads (naming `registerTfjsFormat()` for a
 *   TF.js file when that reader is not registered), or missing / unexpected weights.
 * @throws ShapeError naming the layer when a weight's shape differs from the architecture's.
 * @throws UnknownPluginError naming the layer when its class is not registered.
 *
 * @example
 * ```ts
 * await model.save('memory://m');
 * const again = await loadModel('memory://m');
 * ```
 */
export async function loadModel(source: string | tf.io.IOHandler): Promise<Model> {
  registerBuiltinLayers();
  const where = typeof source === 'string' ? source : 'model artifact';
  const artifacts = await resolveIOHandler(source, 'load').load!();
  const reader = findArtifactReader(artifacts);
  if (reader !== undefined) return reader.read(artifacts, where);
  if (isTfjsLayersArtifacts(artifacts)) {
    throw new ArtifactError(
      where,
      'is a TF.js Layers / Keras model.json, and no reader for that format is registered. Call ' +
        "registerTfjsFormat() from '@plasticity/layers/tfjs' once before loadModel, or load it with " +
        'importTfjsModel(source) from the same entry.',
    );
  }
  throw new ArtifactError(
    where,
    `is not a model saved by @plasticity/layers (format "${String(artifacts.format)}"; registered readers: ` +
      `${listArtifactReaders().join(', ')}). Weights saved with saveWeights load into a model with loadWeights(model, source).`,
  );
}
