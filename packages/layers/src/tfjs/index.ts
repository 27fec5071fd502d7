/**
 * `@plasticity/layers/tfjs`: import and export of the TF.js Layers / Keras `model.json` format
 * (`format: 'layers-model'`, as `@tensorflow/tfjs-layers` `model.save()` and the `tensorflowjs`
 * converter write it). A separate entry, so that an app that never reads a Keras file does not
 * bundle the converter.
 *
 * `registerTfjsFormat()` registers the format's artifact reader, after which `loadModel` from
 * `@plasticity/layers` reads TF.js files too; `importTfjsModel` / `exportTfjsModel` work without it.
 *
 * @example
 * ```ts
 * import { loadModel } from '@plasticity/layers';
 * import { exportTfjsModel, registerTfjsFormat } from '@plasticity/layers/tfjs';
 *
 * registerTfjsFormat();
 * const model = await loadModel('file://./keras-export/model.json');
 * await exportTfjsModel(model, 'file://./for-tfjs');
 * ```
 *
 * @packageDocumentation
 */
import { registerArtifactReader, isTfjsLayersArtifacts, type ArtifactReader } from '../artifact-readers.js';
import { importTfjsModel, registerBuiltinTfjsConverters } from './tfjs-format.js';

export { isTfjsLayersArtifacts } from '../artifact-readers.js';
export {
  exportTfjsModel,
  hasTfjsLayerConverter,
  importTfjsModel,
  modelToTfjsArtifacts,
  registerBuiltinTfjsConverters,
  registerTfjsLayerConverter,
  tfjsLayerConverter,
  type TfjsConverterOptions,
  type TfjsLayerConverter,
} from './tfjs-format.js';

/** The artifact reader of the TF.js Layers / Keras format, registered by {@link registerTfjsFormat}. */
export const tfjsLayersReader: ArtifactReader = {
  name: 'tfjs-layers',
  canRead: isTfjsLayersArtifacts,
  read: (artifacts) => importTfjsModel(artifacts),
};

/**
 * Registers the TF.js Layers / Keras format with `@plasticity/layers`: the converters of every
 * built-in layer and the artifact reader, so that `loadModel` detects and imports a TF.js
 * `model.json` (weights only, no training configuration). Idempotent.
 *
 * @example
 * ```ts
 * registerTfjsFormat();
 * const model = await loadModel('file://./tfjs-model/model.json');
 * ```
 */
export function registerTfjsFormat(): void {
  registerBuiltinTfjsConverters();
  registerArtifactReader(tfjsLayersReader);
}
