/**
 * The composition root of `@plasticity/layers`: the one module that imports every built-in
 * (through `builtin-plugins.ts`: layers, initializers, regularizers, constraints, losses, metrics,
 * callbacks, optimizers; and the models and the native artifact reader) and registers them.
 * Nothing else imports every module, so the modules below stay free of import circles;
 * `loadModel`, `saveModel` and the TF.js format (`@plasticity/layers/tfjs`) call
 * `registerBuiltinLayers()` themselves, and `model.save` registers what saving needs.
 */
import { registerArtifactReader } from './artifact-readers.js';
import { BUILTIN_LAYER_CLASSES, registerBuiltinPlugins } from './builtin-plugins.js';
import { Model, Sequential, registerBuiltinModels } from './model.js';
import { modelFromConfigStatics, nativeModelReader } from './native-format.js';

/** Every built-in layer class, models included, in the order `registerBuiltinLayers()` registers them. */
export const LAYER_CLASSES = [...BUILTIN_LAYER_CLASSES, Model, Sequential] as const;

/**
 * Registers every built-in layer and model class, initializer, regularizer, constraint, loss,
 * metric, callback (`ModelCheckpoint` included) and optimizer, and the native artifact reader of
 * `loadModel`. Idempotent: call it as often as you like. `loadModel`, `saveModel`,
 * `modelFromConfig` and `model.save` call it (or the part they need) for you; call it yourself
 * before `deserializePlugin` on a layer config.
 *
 * @example
 * ```ts
 * registerBuiltinLayers();
 * const dense = deserializePlugin('layer', { className: 'Dense', config: { units: 4 } });
 * ```
 */
export function registerBuiltinLayers(): void {
  registerBuiltinPlugins();
  registerBuiltinModels();
  // Model.fromConfig / Sequential.fromConfig rebuild nested models through the registry. The
  // rebuild code sits above model.ts (it constructs models), so the composition root attaches it.
  Object.assign(Model, { fromConfig: modelFromConfigStatics.Model });
  Object.assign(Sequential, { fromConfig: modelFromConfigStatics.Sequential });
  registerArtifactReader(nativeModelReader);
}
