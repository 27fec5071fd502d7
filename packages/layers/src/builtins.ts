/**
 * The composition root of `@plasticity/layers`: the one module that imports every built-in
 * (layers, models, initializers, regularizers, constraints, losses, metrics, callbacks,
 * optimizers, the native artifact reader) and registers them. Nothing else imports every module,
 * so the modules below stay free of import circles; `loadModel`, `saveModel` and the TF.js format
 * (`@plasticity/layers/tfjs`) call `registerBuiltinLayers()` themselves.
 */
import { registerCallback, registerLayer } from '@plasticity/core';
import { registerBuiltinOptimizers } from '@plasticity/optimizers';
import { registerArtifactReader } from './artifact-readers.js';
import { registerBuiltinCallbacks } from './callbacks.js';
import { ModelCheckpoint } from './checkpoint.js';
import { registerBuiltinInitializers } from './initializers.js';
import * as attention from './layers/attention.js';
import * as conv from './layers/conv.js';
import * as core from './layers/core.js';
import * as merge from './layers/merge.js';
import * as normalization from './layers/normalization.js';
import * as recurrent from './layers/recurrent.js';
import * as wrappers from './layers/wrappers.js';
import { registerBuiltinLosses } from './losses.js';
import { registerBuiltinMetrics } from './metrics.js';
import { Model, Sequential } from './model.js';
import { modelFromConfigStatics, nativeModelReader } from './native-format.js';
import { registerBuiltinRegularizers } from './regularizers.js';

/** Every built-in layer class, models included, in the order `registerBuiltinLayers()` registers them. */
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
  for (const cls of LAYER_CLASSES) registerLayer(cls as never);
  // Model.fromConfig / Sequential.fromConfig rebuild nested models through the registry. The
  // rebuild code sits above model.ts (it constructs models), so the composition root attaches it.
  Object.assign(Model, { fromConfig: modelFromConfigStatics.Model });
  Object.assign(Sequential, { fromConfig: modelFromConfigStatics.Sequential });
  registerBuiltinInitializers();
  registerBuiltinRegularizers();
  registerBuiltinLosses();
  registerBuiltinMetrics();
  registerBuiltinCallbacks();
  registerCallback(ModelCheckpoint as never);
  registerBuiltinOptimizers();
  registerArtifactReader(nativeModelReader);
}
