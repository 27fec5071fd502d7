/**
 * The registry of model artifact readers that `loadModel` dispatches to: the native format
 * (registered by `registerBuiltinLayers()`) and, once `registerTfjsFormat()` from
 * `@plasticity/layers/tfjs` has run, the TF.js Layers / Keras `model.json` format. A reader for
 * another format plugs in the same way, so the loader imports no format.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue } from '@plasticity/core';
import type { Model } from './model.js';

/**
 * Reads one artifact format into a model.
 *
 * @example
 * ```ts
 * registerArtifactReader({
 *   name: 'my-format',
 *   canRead: (a) => a.format === 'my-format',
 *   read: async (a) => buildMyModel(a),
 * });
 * ```
 */
export interface ArtifactReader {
  /**
   * A stable name for the format, e.g. `'plasticity-model'` or `'tfjs-layers'`; registering a second reader under the
   * same name replaces the first.
   */
  readonly name: string;
  /** Whether `artifacts` are in this format (cheap: look at `format` and the topology's shape). */
  canRead(artifacts: tf.io.ModelArtifacts): boolean;
  /** Builds the model from `artifacts`; `where` names the source (a URL, or `'model artifact'`) for error messages. */
  read(artifacts: tf.io.ModelArtifacts, where: string): Promise<Model> | Model;
}

const readers = new Map<string, ArtifactReader>();

/**
 * Adds a reader that `loadModel` tries, in registration order, on every artifact. Idempotent for
 * the same reader; a reader with the name of one already registered replaces it.
 *
 * @throws ValueError when `reader` has no name, `canRead` or `read`.
 */
export function registerArtifactReader(reader: ArtifactReader): void {
  if (
    typeof reader?.name !== 'string' ||
    reader.name === '' ||
    typeof reader.canRead !== 'function' ||
    typeof reader.read !== 'function'
  ) {
    throw new ValueError(
      `registerArtifactReader needs { name, canRead(artifacts), read(artifacts, where) }; got ${describeValue(reader)}.`,
      { field: 'reader', value: reader },
    );
  }
  readers.set(reader.name, reader);
}

/** The registered artifact reader that can read `artifacts`, or undefined. */
export function findArtifactReader(artifacts: tf.io.ModelArtifacts): ArtifactReader | undefined {
  for (const reader of readers.values()) if (reader.canRead(artifacts)) return reader;
  return undefined;
}

/** The names of the registered artifact readers, in the order `loadModel` tries them. */
export function listArtifactReaders(): string[] {
  return [...readers.keys()];
}

/**
 * Whether artifacts hold a TF.js Layers / Keras model (a Keras topology with `class_name`, or
 * `model_config` as the `tensorflowjs` converter writes it) rather than a Plasticity one. Lives
 * here so that `loadModel` can name `registerTfjsFormat()` without importing the TF.js reader.
 *
 * Args:
 *   artifacts: what an IO handler's `load()` returned.
 *
 * @example
 * ```ts
 * if (isTfjsLayersArtifacts(await handler.load())) registerTfjsFormat();
 * ```
 */
export function isTfjsLayersArtifacts(artifacts: tf.io.ModelArtifacts): boolean {
  const topology = artifacts.modelTopology as Record<string, unknown> | undefined;
  // The format field alone is not enough: a file without a Keras topology cannot be imported.
  return (
    topology !== undefined &&
    topology !== null &&
    (typeof topology['class_name'] === 'string' || topology['model_config'] !== undefined)
  );
}
