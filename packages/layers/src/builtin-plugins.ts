/**
 * Registration of the built-in plugins that sit below the model: every layer class other than
 * `Model` / `Sequential`, initializers, regularizers, constraints, losses, metrics, callbacks
 * (`ModelCheckpoint` included) and optimizers. `model.save` needs them registered (a wrapper's or
 * an adapter's config names its inner layer through the registry), and `model.ts` may import this
 * module because nothing here imports the model. The composition root, `builtins.ts`, adds the
 * model classes and the artifact readers on top.
 */
import { registerCallback, registerLayer } from '@plasticity/core';
import { registerBuiltinOptimizers } from '@plasticity/optimizers';
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
import { registerBuiltinRegularizers } from './regularizers.js';

/** Every built-in layer class except the models (`Model`, `Sequential`), in registration order. */
export const BUILTIN_LAYER_CLASSES = [
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
] as const;

/**
 * Registers every built-in plugin below the model (see the module comment). Idempotent. Users call
 * `registerBuiltinLayers()`, which does this and registers the models and artifact readers.
 */
export function registerBuiltinPlugins(): void {
  for (const cls of BUILTIN_LAYER_CLASSES) registerLayer(cls);
  registerBuiltinInitializers();
  registerBuiltinRegularizers();
  registerBuiltinLosses();
  registerBuiltinMetrics();
  registerBuiltinCallbacks();
  registerCallback(ModelCheckpoint);
  registerBuiltinOptimizers();
}
