/**
 * Import and export of the TF.js Layers / Keras `model.json` format (`format: 'layers-model'`):
 * a Keras JSON topology (`class_name`, `config`, snake_case keys, `inbound_nodes`) plus a weights
 * manifest, as `@tensorflow/tfjs-layers` `model.save()` and the `tensorflowjs` converter write it.
 *
 * Each Keras layer class maps to one of our layers through a converter in a registry
 * ({@link registerTfjsLayerConverter}); {@link tfjsLayerConverter} builds the common kind, whose
 * config keys are the camelCase of Keras' keys and whose weights are named as in Keras.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ArtifactError,
  ShapeError,
  UnknownPluginError,
  ValueError,
  concatWeightData,
  deserializePlugin,
  describeValue,
  hasPlugin,
  resolveIOHandler,
  serializePlugin,
  type ConfigDict,
  type ConfigValue,
  type PluginKind,
} from '@plasticity/core';
import { ACTIVATIONS, activationName } from '../activations.js';
import { registerBuiltinLayers } from '../builtins.js';
import { pascalCase } from '../initializers.js';
import { snakeCase, type Layer, type Node, type Shape, type SymbolicTensor } from '../layer.js';
import { InputLayer, input } from '../layers/core.js';
import { TimeDistributed } from '../layers/wrappers.js';
import { Model, Sequential } from '../model.js';

/** A JSON value of a Keras config. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonDict = { [key: string]: Json };

/**
 * Converts one Keras layer class to one of our layer classes and back.
 *
 * Configs are handled in camelCase (keys and string values), as tfjs-layers reads them:
 * `kernel_initializer: { class_name: 'VarianceScaling', config: { mode: 'fan_avg' } }` arrives as
 * `kernelInitializer: { className: 'VarianceScaling', config: { mode: 'fanAvg' } }`.
 */
export interface TfjsLayerConverter {
  /** The `className` of our layer that this converter builds (used to find the converter on export). */
  readonly plasticityClassName: string;
  /**
   * Builds our layer from the layer's camelCase config (`name` included). `weightShapes` holds the
   * shapes of the layer's weights in the file by Keras weight name, for options a config leaves out.
   */
  fromTfjs(config: ConfigDict, weightShapes: Record<string, number[]>): Layer;
  /** Our layer → the Keras class name and a camelCase config (snake_cased by the exporter). */
  toTfjs(layer: Layer): {
    /** The Keras layer class name (`'Dense'`, `'LSTM'`). */
    className: string;
    /** The layer's config with Keras' field names in camelCase (`useBias`), snake_cased on export. */
    config: ConfigDict;
  };
  /** The Keras name of one of our weights (`movingMean` → `moving_mean`). */
  weightName(name: string): string;
}

const converters = new Map<string, TfjsLayerConverter>();
const exporters = new Map<string, { kerasClassName: string; converter: TfjsLayerConverter }>();

/**
 * Registers how a Keras/TF.js layer class (`'LSTM'`) is imported, and how layers of the
 * converter's `plasticityClassName` are exported. Replaces an earlier registration of the name.
 *
 * @example
 * ```ts
 * registerLayer(MyLayer);                                            // className 'MyLayer'
 * registerTfjsLayerConverter('MyLayer', tfjsLayerConverter('MyLayer'));
 * const model = await importTfjsModel('file://./model/model.json');
 * ```
 */
export function registerTfjsLayerConverter(kerasClassName: string, converter: TfjsLayerConverter): void {
  if (typeof kerasClassName !== 'string' || kerasClassName === '') {
    throw new ValueError(`registerTfjsLayerConverter needs a class name; got ${describeValue(kerasClassName)}.`, {
      field: 'kerasClassName',
      value: kerasClassName,
    });
  }
  converters.set(kerasClassName, converter);
  if (!exporters.has(converter.plasticityClassName) || kerasClassName === converter.plasticityClassName) {
    exporters.set(converter.plasticityClassName, { kerasClassName, converter });
  }
}

/** Whether a converter is registered for a Keras/TF.js layer class name. */
export function hasTfjsLayerConverter(kerasClassName: string): boolean {
  registerBuiltinTfjsConverters();
  return converters.has(kerasClassName);
}

/**
 * How {@link tfjsLayerConverter} maps a layer whose config is mostly the camelCase of Keras'.
 *
 * @example
 * ```ts
 * registerTfjsLayerConverter('MyConv', tfjsLayerConverter('MyConv', { only: { dilationRate: [1, [1, 1]] }, drop: ['inputLength'] }));
 * ```
 */
export interface TfjsConverterOptions {
  /** Keras config keys (camelCase) that have another name in our config: `{ depthwiseRegularizer: 'kernelRegularizer' }`. */
  rename?: Record<string, string>;
  /**
   * Keras options we support only at these values (`{ interpolation: ['nearest'] }`); another value
   * is a ValueError naming the layer. They are dropped from the config on import.
   */
  only?: Record<string, readonly Json[]>;
  /** Keras options without effect here, dropped on import (`inputLength`). */
  drop?: readonly string[];
  /** Keras weight names that are not the snake_case of ours: `{ kernel: 'depthwise_kernel' }`, or a function. */
  weights?: Record<string, string> | ((name: string) => string);
  /** Last change to the camelCase config on import, after renames (e.g. `[2]` → `2`). */
  fromTfjs?: (config: ConfigDict, weightShapes: Record<string, number[]>) => ConfigDict;
  /** Last change to our config on export, after renames, before snake_casing. */
  toTfjs?: (config: ConfigDict) => ConfigDict;
}

/** Options no layer of ours implements other than at their default; checked for every layer. */
const COMMON_ONLY: Record<string, readonly Json[]> = {
  dataFormat: ['channelsLast', null],
  activityRegularizer: [null],
};
const COMMON_DROP = ['sparse', 'ragged', 'batchSize', 'inputShape'];

/**
 * A converter for a layer whose config keys are the camelCase of Keras' keys (with `options` for
 * the differences) and whose weights are the snake_case of ours. Initializers, regularizers and
 * constraints are mapped by class name through the plugin registry; activations by name.
 *
 * @param plasticityClassName the `className` our layer is registered under (`registerLayer`).
 */
export function tfjsLayerConverter(
  plasticityClassName: string,
  options: TfjsConverterOptions = {},
): TfjsLayerConverter {
  const rename = options.rename ?? {};
  const inverse = Object.fromEntries(Object.entries(rename).map(([k, v]) => [v, k]));
  const only = { ...COMMON_ONLY, ...options.only };
  const drop = [...COMMON_DROP, ...(options.drop ?? [])];
  const weightNames = options.weights ?? {};
  return {
    plasticityClassName,
    fromTfjs(kerasConfig, weightShapes) {
      const layerName = String(kerasConfig['name']);
      const config: ConfigDict = {};
      for (const [key, value] of Object.entries(kerasConfig)) {
        const allowed = only[key];
        if (allowed !== undefined) {
          if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(value ?? null))) {
            throw new ValueError(
              `Layer "${layerName}" (${plasticityClassName}): option ${snakeCase(key)}=${JSON.stringify(value)} ` +
                `is not supported by @plasticity/layers (supported: ${allowed.map((a) => JSON.stringify(a)).join(', ')}).`,
              { field: key, value },
            );
          }
          continue;
        }
        if (drop.includes(key) || value === null) continue;
        config[rename[key] ?? key] = identifierFromTfjs(key, value, layerName) as ConfigValue;
      }
      const final = options.fromTfjs === undefined ? config : options.fromTfjs(config, weightShapes);
      return deserializePlugin<Layer>('layer', { className: plasticityClassName, config: final });
    },
    toTfjs(layer) {
      const ours = layer.getConfig();
      const config: ConfigDict = {};
      for (const [key, value] of Object.entries(ours)) {
        config[inverse[key] ?? key] = identifierToTfjs(key, value, layer.name) as ConfigValue;
      }
      return { className: plasticityClassName, config: options.toTfjs === undefined ? config : options.toTfjs(config) };
    },
    weightName(name) {
      return typeof weightNames === 'function' ? weightNames(name) : (weightNames[name] ?? snakeCase(name));
    },
  };
}

const IDENTIFIER_KINDS: [RegExp, PluginKind][] = [
  [/Initializer$/, 'initializer'],
  [/Regularizer$/, 'regularizer'],
  [/Constraint$/, 'constraint'],
];

function kindOf(key: string): PluginKind | undefined {
  return IDENTIFIER_KINDS.find(([re]) => re.test(key))?.[1];
}

/** Keras activation names (camelCased as tfjs does) → ours. */
const ACTIVATION_FROM_TFJS: Record<string, string> = { gelu: 'geluExact', geluNew: 'gelu' };
const ACTIVATION_TO_TFJS: Record<string, string> = { geluExact: 'gelu' };

const isActivationKey = (key: string): boolean => key === 'activation' || key.endsWith('Activation');
/** Keys whose value is a whole layer (wrappers such as Bidirectional and TimeDistributed). */
const LAYER_KEYS = ['layer', 'backwardLayer'];

function identifierFromTfjs(key: string, value: unknown, layerName: string): unknown {
  if (LAYER_KEYS.includes(key) && value !== null && typeof value === 'object' && 'className' in value) {
    const inner = value as { className: string; config?: ConfigDict };
    const config = { ...(inner.config ?? {}) };
    const layer = converterFor(inner.className, String(config['name'] ?? `${layerName}/${key}`)).fromTfjs(config, {});
    // Passed on serialized ({ className, config }): a layer's config must be plain data.
    const serialized = serializePlugin('layer', layer);
    layer.dispose();
    return serialized;
  }
  if (isActivationKey(key) && typeof value === 'string') {
    const name = activationName(String(value));
    const ours = ACTIVATION_FROM_TFJS[name] ?? name;
    if (ACTIVATIONS[ours] === undefined) {
      throw new ValueError(
        `Layer "${layerName}": activation ${describeValue(value)} has no equivalent in @plasticity/layers ` +
          `(known: ${Object.keys(ACTIVATIONS).join(', ')}).`,
        { field: 'activation', value },
      );
    }
    return ours;
  }
  const kind = kindOf(key);
  if (kind === undefined || value === null || typeof value !== 'object') return value;
  const { className, config } = value as { className?: string; config?: ConfigDict };
  if (typeof className !== 'string') return value;
  const ourClass = kind === 'regularizer' && /^l1l2$/i.test(className) ? 'L1L2' : pascalCase(className);
  const ourConfig: ConfigDict = {};
  for (const [k, v] of Object.entries(config ?? {})) if (v !== null) ourConfig[k] = v;
  if (kind === 'initializer') {
    // tfjs-layers and Keras < 2.3 mean a truncated normal by 'normal'; Keras 2.3+ says so explicitly.
    const d = ourConfig['distribution'];
    if (d === 'normal' || d === 'truncatedNormal') ourConfig['distribution'] = 'truncatedNormal';
    else if (d === 'untruncatedNormal') ourConfig['distribution'] = 'normal';
    if (ourClass !== 'VarianceScaling' && ourClass !== 'Orthogonal') {
      delete ourConfig['scale'];
      delete ourConfig['mode'];
      delete ourConfig['distribution'];
    }
  }
  if (!hasPlugin(kind, ourClass)) {
    throw new UnknownPluginError(
      kind,
      ourClass,
      `Layer "${layerName}": ${snakeCase(key)} is a ${kind} of class "${className}", which is not registered. ` +
        `Register one under that name with register${kind[0]!.toUpperCase()}${kind.slice(1)}(…) before importing.`,
    );
  }
  return { className: ourClass, config: ourConfig };
}

function identifierToTfjs(key: string, value: unknown, layerName: string): unknown {
  if (LAYER_KEYS.includes(key) && value !== null && typeof value === 'object') {
    // A wrapped layer: our config holds it serialized ({ className, config }) or as a Layer.
    const inner = value as { className?: string; config?: ConfigDict; getConfig?: unknown };
    if (typeof inner.getConfig === 'function') return layerToTfjsCamel(value as Layer);
    if (typeof inner.className === 'string') {
      const layer = deserializePlugin<Layer>('layer', { className: inner.className, config: inner.config ?? {} });
      try {
        return layerToTfjsCamel(layer);
      } finally {
        layer.dispose();
      }
    }
    return value;
  }
  if (isActivationKey(key) && typeof value === 'string') {
    if (value === 'gelu') {
      throw new ValueError(
        `Layer "${layerName}": activation 'gelu' (the tanh approximation) cannot be exported: tfjs-layers 4.22 ` +
          `cannot load its 'gelu_new'. Use activation 'geluExact' (tfjs 'gelu') instead.`,
        { field: 'activation', value },
      );
    }
    return ACTIVATION_TO_TFJS[value] ?? value;
  }
  const kind = kindOf(key);
  if (kind === undefined || value === null || value === undefined) return value;
  const serialized =
    typeof value === 'string'
      ? { className: kind === 'regularizer' && /^l1l2$/i.test(value) ? 'L1L2' : pascalCase(value), config: {} }
      : (value as { className: string; config: ConfigDict });
  const config: ConfigDict = { ...serialized.config };
  if (kind === 'initializer' && typeof config['distribution'] === 'string') {
    // tfjs-layers draws a truncated normal for 'normal' (and, by a bug, a uniform for 'truncatedNormal').
    config['distribution'] = config['distribution'] === 'uniform' ? 'uniform' : 'normal';
  }
  if (
    kind === 'initializer' &&
    'seed' in serialized.config === false &&
    /Uniform|Normal|Orthogonal|Scaling/.test(serialized.className)
  )
    config['seed'] = null;
  return { className: serialized.className, config };
}

// ---- snake_case <-> camelCase, as tfjs-layers converts configs -------------------------------

function toCamel(s: string): string {
  if (s.length <= 1 || !s.includes('_')) return s;
  return s.replace(/[_]+(\w|$)/g, (_, c: string) => c.toUpperCase());
}

function toSnake(s: string): string {
  const out = s
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return out[0] === '_' ? `private${out}` : out;
}

/** Keras (pythonic) config → camelCase keys and string values; `name` and class names kept. */
function pythonicToTs(value: Json, key?: string): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return key === 'name' || key === 'className' ? value : toCamel(value);
  if (Array.isArray(value)) return value.map((v) => pythonicToTs(v, key));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const tsKey = toCamel(k);
    out[tsKey] = pythonicToTs(v, tsKey);
  }
  return out;
}

/** camelCase config → Keras (pythonic) keys and string values; `name` and class names kept. */
function tsToPythonic(value: unknown, key?: string): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return key === 'name' || key === 'className' ? value : toSnake(value);
  if (Array.isArray(value)) return value.map((v) => tsToPythonic(v, key));
  const out: JsonDict = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[toSnake(k)] = tsToPythonic(v, k);
  return out;
}

// ---- built-in converters ----------------------------------------------------------------------

const one = (v: unknown): unknown => (Array.isArray(v) && v.length === 1 ? v[0] : v);
const pool1d: TfjsConverterOptions = {
  fromTfjs: (c) => ({ ...c, poolSize: one(c['poolSize']), strides: one(c['strides']) }) as ConfigDict,
  toTfjs: (c) => ({ ...c, poolSize: [c['poolSize']], strides: [c['strides']] }) as ConfigDict,
};
const kernelOnly = { biasRegularizer: [null], biasConstraint: [null] } as const;

let builtinsRegistered = false;

/** Registers the converters of every built-in layer (idempotent; called by the import/export functions). */
export function registerBuiltinTfjsConverters(): void {
  if (builtinsRegistered) return;
  builtinsRegistered = true;
  registerBuiltinLayers();
  const simple = [
    'Dense',
    'Activation',
    'Flatten',
    'Reshape',
    'Permute',
    'RepeatVector',
    'Conv2D',
    'MaxPooling2D',
    'AveragePooling2D',
    'GlobalAveragePooling1D',
    'GlobalMaxPooling1D',
    'GlobalAveragePooling2D',
    'GlobalMaxPooling2D',
    'ZeroPadding2D',
    'Add',
    'Subtract',
    'Multiply',
    'Average',
    'Maximum',
    'Minimum',
    'Concatenate',
    'Masking',
  ];
  for (const name of simple) {
    registerTfjsLayerConverter(name, tfjsLayerConverter(name, { only: { groups: [1], keepdims: [false] } }));
  }
  registerTfjsLayerConverter('Dropout', tfjsLayerConverter('Dropout', { only: { noiseShape: [null] } }));
  registerTfjsLayerConverter('Embedding', tfjsLayerConverter('Embedding', { drop: ['inputLength'] }));
  registerTfjsLayerConverter('Conv1D', tfjsLayerConverter('Conv1D', { only: { groups: [1] } }));
  registerTfjsLayerConverter(
    'Conv2DTranspose',
    tfjsLayerConverter('Conv2DTranspose', { only: { outputPadding: [null] } }),
  );
  registerTfjsLayerConverter(
    'DepthwiseConv2D',
    tfjsLayerConverter('DepthwiseConv2D', {
      rename: {
        depthwiseRegularizer: 'kernelRegularizer',
        depthwiseConstraint: 'kernelConstraint',
        depthwiseInitializer: 'kernelInitializer',
      },
      weights: { kernel: 'depthwise_kernel' },
    }),
  );
  registerTfjsLayerConverter(
    'SeparableConv2D',
    tfjsLayerConverter('SeparableConv2D', {
      rename: {
        depthwiseInitializer: 'kernelInitializer',
        pointwiseRegularizer: 'kernelRegularizer',
        pointwiseConstraint: 'kernelConstraint',
      },
      only: { depthwiseRegularizer: [null], depthwiseConstraint: [null], ...kernelOnly },
      drop: ['pointwiseInitializer'],
      // tfjs-layers 4.22 leaves depth_multiplier out of the config it saves; the kernel's shape has it.
      fromTfjs: (c, shapes) =>
        c['depthMultiplier'] === undefined && shapes['depthwise_kernel'] !== undefined
          ? { ...c, depthMultiplier: shapes['depthwise_kernel'][3]! }
          : c,
      toTfjs: (c) => {
        const { biasRegularizer: _r, biasConstraint: _c, ...rest } = c;
        return { ...rest, pointwiseInitializer: c['depthwiseInitializer'] ?? null } as ConfigDict;
      },
    }),
  );
  registerTfjsLayerConverter('MaxPooling1D', tfjsLayerConverter('MaxPooling1D', pool1d));
  registerTfjsLayerConverter('AveragePooling1D', tfjsLayerConverter('AveragePooling1D', pool1d));
  registerTfjsLayerConverter(
    'UpSampling2D',
    tfjsLayerConverter('UpSampling2D', { only: { interpolation: ['nearest'] } }),
  );
  registerTfjsLayerConverter(
    'BatchNormalization',
    tfjsLayerConverter('BatchNormalization', {
      only: {
        betaRegularizer: [null],
        gammaRegularizer: [null],
        betaConstraint: [null],
        gammaConstraint: [null],
        renorm: [false],
        virtualBatchSize: [null],
        synchronized: [false],
      },
      drop: ['fused', 'adjustment', 'trainableAxis', 'renormClipping', 'renormMomentum'],
      fromTfjs: (c) => ({ ...c, axis: one(c['axis']) }) as ConfigDict,
    }),
  );
  registerTfjsLayerConverter(
    'LayerNormalization',
    tfjsLayerConverter('LayerNormalization', {
      only: {
        betaRegularizer: [null],
        gammaRegularizer: [null],
        betaConstraint: [null],
        gammaConstraint: [null],
        rmsScaling: [false],
      },
      // Ours starts gamma at ones and beta at zeros; the imported weights replace both anyway.
      drop: ['betaInitializer', 'gammaInitializer'],
    }),
  );
  registerRecurrentConverters();
  registerTfjsLayerConverter(
    'Dot',
    tfjsLayerConverter('Dot', {
      fromTfjs: (c) => {
        const axes = c['axes'];
        const list = Array.isArray(axes) ? axes : [axes];
        if (!list.every((a) => a === list[0]) || !(list[0] === -1 || list[0] === 1)) {
          throw new ValueError(
            `Layer "${String(c['name'])}" (Dot): axes ${JSON.stringify(axes)} is not supported; @plasticity/layers' Dot ` +
              'takes the dot product of [batch, n] inputs along their last axis (axes -1 or 1).',
            { field: 'axes', value: axes },
          );
        }
        return { ...c, axes: list[0] } as ConfigDict;
      },
    }),
  );
}

/** Stands in for Bidirectional's `merge_mode: null` while the generic converter drops null options. */
const NULL_MERGE_MODE = '<null merge mode>';

/**
 * SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed (mapping at the top of `recurrent.ts`),
 * and a clear refusal for MultiHeadAttention.
 */
function registerRecurrentConverters(): void {
  const recurrent: TfjsConverterOptions = {
    only: { timeMajor: [false] },
    // Execution strategies with no effect on results. `zero_output_for_mask` (Keras 2) is dropped:
    // masked steps repeat the previous output here, as tfjs-layers; Keras 2 with it true writes zeros
    // in the returned sequence (the states, and so the last output, are the same either way).
    drop: ['implementation', 'unroll', 'useCudnn', 'zeroOutputForMask'],
    // Our dropout seed is not a Keras 2 / tfjs-layers option.
    toTfjs: ({ seed: _seed, ...rest }) => rest,
  };
  registerTfjsLayerConverter('SimpleRNN', tfjsLayerConverter('SimpleRNN', recurrent));
  registerTfjsLayerConverter('LSTM', tfjsLayerConverter('LSTM', recurrent));
  registerTfjsLayerConverter(
    'GRU',
    tfjsLayerConverter('GRU', {
      ...recurrent,
      toTfjs: (c) => {
        if (c['resetAfter'] === true) {
          throw new ValueError(
            `Layer "${String(c['name'])}" (GRU): resetAfter: true cannot be exported: tfjs-layers 4.22 cannot load a ` +
              'GRU with reset_after true. Use resetAfter: false (and retrain) for a TF.js export.',
            { field: 'resetAfter', value: true },
          );
        }
        return recurrent.toTfjs!(c);
      },
    }),
  );
  const bidirectional = tfjsLayerConverter('Bidirectional', {
    // Keras writes backward_layer only for a custom backward layer, which we do not support.
    only: { backwardLayer: [null], numConstants: [null, 0] },
    // Weight names are already `forward_<inner>/kernel`: keep the inner layer's name as it is.
    weights: (name) => name,
    fromTfjs: (c) => {
      const mergeMode = c['mergeMode'] === NULL_MERGE_MODE ? null : c['mergeMode'];
      return { ...c, ...(mergeMode === undefined ? {} : { mergeMode }) } as ConfigDict;
    },
  });
  registerTfjsLayerConverter('Bidirectional', {
    ...bidirectional,
    // The generic converter drops null options; merge_mode null (a list of both outputs) must survive.
    fromTfjs: (config, shapes) =>
      bidirectional.fromTfjs(config['mergeMode'] === null ? { ...config, mergeMode: NULL_MERGE_MODE } : config, shapes),
  });
  registerTfjsLayerConverter('TimeDistributed', tfjsLayerConverter('TimeDistributed'));
  const noMultiHeadAttention = (layerName: string, what: string): ValueError =>
    new ValueError(
      `Layer "${layerName}" (MultiHeadAttention) ${what}: MultiHeadAttention is not supported by the TF.js format ` +
        'of @plasticity/layers (tfjs-layers 4.22 cannot load it, and Keras files pass its value/key inputs as call ' +
        'keyword arguments, which the importer does not read). Save and load such models with saveModel / loadModel.',
      { field: 'className', value: 'MultiHeadAttention' },
    );
  registerTfjsLayerConverter('MultiHeadAttention', {
    plasticityClassName: 'MultiHeadAttention',
    fromTfjs: (config) => {
      throw noMultiHeadAttention(String(config['name']), 'cannot be imported');
    },
    toTfjs: (layer) => {
      throw noMultiHeadAttention(layer.name, 'cannot be exported');
    },
    weightName: (name) => name,
  });
}

// ---- import -------------------------------------------------------------------------------------

const MODEL_CLASSES = ['Model', 'Functional', 'Sequential'];

interface KerasLayerEntry {
  class_name?: string;
  className?: string;
  name?: string;
  config?: JsonDict;
  inbound_nodes?: Json;
}

function converterFor(className: string, layerName: string): TfjsLayerConverter {
  const converter = converters.get(className);
  if (converter === undefined) {
    throw new UnknownPluginError(
      'layer',
      className,
      `Layer "${layerName}" has TF.js/Keras class "${className}", which has no converter. Register one before importing: ` +
        `registerTfjsLayerConverter('${className}', tfjsLayerConverter('<your registered layer class>')) ` +
        `(or a custom TfjsLayerConverter).`,
    );
  }
  return converter;
}

function entryClass(entry: KerasLayerEntry): string {
  return String(entry.class_name ?? entry.className);
}

/** Shapes of the weights in the file being imported, by full name (set during an import). */
let fileWeightShapes: Map<string, number[]> = new Map();

function weightShapesOf(layerName: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, shape] of fileWeightShapes) {
    const parts = name.split('/');
    if (parts[parts.length - 2] === layerName) out[parts[parts.length - 1]!] = shape;
  }
  return out;
}

function convertLayer(entry: KerasLayerEntry, keepInputShape: boolean): Layer {
  const className = entryClass(entry);
  const raw = entry.config ?? {};
  const name = String(raw['name'] ?? entry.name);
  if (MODEL_CLASSES.includes(className)) return buildModel(className, raw, name);
  const config = pythonicToTs(raw) as ConfigDict;
  config['name'] = name;
  if (!keepInputShape) delete config['batchInputShape'];
  if (keepInputShape && config['batchInputShape'] === undefined && Array.isArray(config['inputShape'])) {
    config['batchInputShape'] = [null, ...(config['inputShape'] as number[])];
  }
  if (config['dtype'] !== undefined && typeof config['dtype'] !== 'string') delete config['dtype'];
  return converterFor(className, name).fromTfjs(config, weightShapesOf(name));
}

type Ref = [string, number, number];

function parseInboundNodes(entry: KerasLayerEntry, layerName: string): Ref[][] {
  const nodes = entry.inbound_nodes ?? [];
  if (!Array.isArray(nodes)) {
    throw new ArtifactError('model.json', `layer "${layerName}" has malformed inbound_nodes ${describeValue(nodes)}.`);
  }
  return nodes.map((node) => {
    if (!Array.isArray(node)) {
      throw new ArtifactError(
        'model.json',
        `layer "${layerName}" has inbound_nodes in the Keras 3 format, which is not supported; ` +
          'save the model with tf.keras 2 / tensorflowjs_converter --output_format=tfjs_layers, or with tfjs-layers.',
      );
    }
    return node.map((ref) => {
      const r = ref as Json[];
      return [String(r[0]), Number(r[1]), Number(r[2])] as Ref;
    });
  });
}

function buildModel(className: string, config: JsonDict | Json[], name?: string): Model {
  if (className === 'Sequential') {
    const layersJson = (Array.isArray(config) ? config : config['layers']) as KerasLayerEntry[] | undefined;
    if (!Array.isArray(layersJson)) {
      throw new ArtifactError('model.json', `the Sequential model "${name}" has no "layers" list.`);
    }
    let entries = layersJson;
    let batchInputShape: Json | undefined;
    if (entries[0] !== undefined && entryClass(entries[0]) === 'InputLayer') {
      batchInputShape = entries[0].config?.['batch_input_shape'] ?? entries[0].config?.['batch_shape'];
      entries = entries.slice(1);
    }
    const layers = entries.map((entry, i) => {
      if (i === 0 && batchInputShape !== undefined && entry.config !== undefined)
        entry = { ...entry, config: { ...entry.config, batch_input_shape: batchInputShape } };
      return convertLayer(entry, i === 0);
    });
    const modelName = Array.isArray(config) ? name : ((config['name'] as string | undefined) ?? name);
    return new Sequential({ layers, ...(modelName === undefined ? {} : { name: modelName }) });
  }
  if (!MODEL_CLASSES.includes(className) || Array.isArray(config)) {
    throw new ArtifactError(
      'model.json',
      `the topology's class "${className}" is not a model (Sequential, Model or Functional).`,
    );
  }
  const layers = new Map<string, Layer>();
  const pending: { layer: Layer; refs: Ref[] }[] = [];
  for (const entry of (config['layers'] ?? []) as KerasLayerEntry[]) {
    const layerName = String(entry.name ?? entry.config?.['name']);
    if (entryClass(entry) === 'InputLayer') {
      const c = entry.config ?? {};
      const shape = (c['batch_input_shape'] ?? c['batch_shape']) as Shape | undefined;
      if (!Array.isArray(shape))
        throw new ArtifactError('model.json', `input layer "${layerName}" has no batch_input_shape.`);
      const sym = input({
        shape: shape.slice(1),
        name: layerName,
        ...(typeof c['dtype'] === 'string' ? { dtype: c['dtype'] as tf.DataType } : {}),
        ...(shape[0] === null ? {} : { batchSize: shape[0] as number }),
      });
      layers.set(layerName, sym.node!.layer);
      continue;
    }
    const layer = convertLayer({ ...entry, config: { ...(entry.config ?? {}), name: layerName } }, false);
    layers.set(layerName, layer);
    for (const refs of parseInboundNodes(entry, layerName)) pending.push({ layer, refs });
  }
  const resolve = ([layerName, nodeIndex, tensorIndex]: Ref): SymbolicTensor | undefined => {
    const layer = layers.get(layerName);
    if (layer === undefined) {
      throw new ArtifactError(
        'model.json',
        `a node refers to layer "${layerName}", which the topology does not define.`,
      );
    }
    // A nested model's node 0 is its own inner graph in Keras and tfjs; applications start at 1.
    const index = layer instanceof Model ? nodeIndex - 1 : nodeIndex;
    return layer.inboundNodes[index]?.outputs[tensorIndex];
  };
  while (pending.length > 0) {
    const ready = pending.findIndex((p) => p.refs.every((r) => resolve(r) !== undefined));
    if (ready === -1) {
      throw new ArtifactError(
        'model.json',
        `inbound nodes of layer "${pending[0]!.layer.name}" can never be resolved (a cycle or a missing layer).`,
      );
    }
    const { layer, refs } = pending.splice(ready, 1)[0]!;
    const inputs = refs.map((r) => resolve(r)!);
    if (inputs.length === 1) layer.apply(inputs[0]!);
    else layer.apply(inputs);
  }
  const refList = (key: string): SymbolicTensor[] =>
    ((config[key] ?? []) as Json[][]).map((r) => {
      const t = resolve([String(r[0]), Number(r[1]), Number(r[2])]);
      if (t === undefined)
        throw new ArtifactError('model.json', `${key} refers to a tensor that does not exist: ${JSON.stringify(r)}.`);
      return t;
    });
  const modelName = (config['name'] as string | undefined) ?? name;
  return new Model({
    inputs: refList('input_layers'),
    outputs: refList('output_layers'),
    ...(modelName === undefined ? {} : { name: modelName }),
  });
}

function isArtifacts(source: unknown): source is tf.io.ModelArtifacts {
  return (
    source !== null &&
    typeof source === 'object' &&
    typeof (source as tf.io.IOHandler).load !== 'function' &&
    typeof (source as tf.io.IOHandler).save !== 'function' &&
    'modelTopology' in source
  );
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `layer/kernel` → a pattern for `[…/]layer/<x>_cell[_N]/kernel` (a recurrent cell's scope before the weight). */
function withCellSegment(name: string): RegExp {
  const cut = name.lastIndexOf('/');
  return new RegExp(`(^|/)${escapeRegExp(name.slice(0, cut))}/[^/]*cell(_\\d+)?/${escapeRegExp(name.slice(cut + 1))}$`);
}

/** Each weight of a model with the Keras names it may have in a manifest, most specific first. */
function kerasWeights(
  model: Model,
  prefix = '',
): { layer: Layer; path: string; names: string[]; variable: tf.Variable }[] {
  const out: { layer: Layer; path: string; names: string[]; variable: tf.Variable }[] = [];
  const seen = new Set<tf.Variable>();
  for (const layer of model.layers) {
    if (layer instanceof Model) {
      for (const w of kerasWeights(layer, `${prefix}${layer.name}/`)) {
        if (seen.has(w.variable)) continue;
        seen.add(w.variable);
        out.push(w);
      }
      continue;
    }
    // TimeDistributed's weights are its inner layer's, under the inner layer's Keras names.
    const named = layer instanceof TimeDistributed ? layer.layer : layer;
    const converter = exporters.get(classNameOf(named))?.converter;
    layer.weightEntries.forEach((w, i) => {
      if (seen.has(w.variable)) return;
      seen.add(w.variable);
      const keras = converter?.weightName(w.name) ?? snakeCase(w.name);
      out.push({
        layer,
        path: `${prefix}${layer.name}/${keras}`,
        // tfjs-layers: `<layer>/<weight>` (nested models unprefixed); Keras converter: maybe prefixed; Keras 3: `<layer>/<index>`.
        names: [
          `${layer.name}/${keras}`,
          `${prefix}${layer.name}/${keras}`,
          `${layer.name}/${i}`,
          `${prefix}${layer.name}/${i}`,
        ],
        variable: w.variable,
      });
    });
  }
  return out;
}

/**
 * Builds one of our models from a model saved by `@tensorflow/tfjs-layers` (`model.save()`) or
 * converted from Keras by `tensorflowjs_converter` (`model.json` with a Keras topology and a
 * weights manifest): Sequential or functional (many inputs and outputs, shared layers, nested
 * models), with the same predictions.
 *
 * @param source a URL (`file://dir/model.json` after `registerFileRouter()`, `memory://…`,
 *   `http(s)://…`), an IO handler, or the artifacts themselves.
 * @throws UnknownPluginError naming the layer and its class when no converter is registered
 *   (fix: {@link registerTfjsLayerConverter}).
 * @throws ArtifactError naming the layer and weight when a weight is missing, or for unused weights.
 * @throws ShapeError naming the layer and weight when a weight's shape differs from the layer's.
 * @example
 * ```ts
 * import { registerFileRouter } from '@plasticity/core/node';
 * registerFileRouter();
 * const model = await importTfjsModel('file://./exported/model.json');
 * model.predict(tf.zeros([1, 28, 28, 1]));
 * ```
 */
export async function importTfjsModel(source: string | tf.io.IOHandler | tf.io.ModelArtifacts): Promise<Model> {
  registerBuiltinTfjsConverters();
  const where = typeof source === 'string' ? source : 'TF.js model artifacts';
  const artifacts = isArtifacts(source) ? source : await resolveIOHandler(source, 'load').load!();
  let topology = artifacts.modelTopology as JsonDict | undefined;
  if (topology !== undefined && topology['model_config'] !== undefined) topology = topology['model_config'] as JsonDict;
  const className = topology?.['class_name'] ?? topology?.['className'];
  if (topology === undefined || typeof className !== 'string') {
    throw new ArtifactError(
      where,
      `is not a TF.js Layers / Keras model: its modelTopology has no "class_name" (format "${String(artifacts.format)}"). ` +
        'Graph models (format "graph-model") cannot be imported as layers; models saved by @plasticity/layers load with loadModel.',
    );
  }
  let model: Model;
  fileWeightShapes = new Map((artifacts.weightSpecs ?? []).map((s) => [s.name, s.shape]));
  try {
    model = buildModel(className, topology['config'] as JsonDict);
  } catch (error) {
    if (error instanceof ArtifactError && error.message.startsWith('model.json')) {
      throw new ArtifactError(where, error.message.replace(/^model\.json:?\s*/, ''), { cause: error });
    }
    throw error;
  } finally {
    fileWeightShapes = new Map();
  }
  const decoded = tf.io.decodeWeights(concatWeightData(artifacts.weightData), artifacts.weightSpecs ?? []);
  try {
    const used = new Set<string>();
    for (const w of kerasWeights(model)) {
      let key = w.names.find((n) => decoded[n] !== undefined && !used.has(n));
      if (key === undefined) {
        const suffix = `/${w.names[0]!}`;
        const candidates = Object.keys(decoded).filter((k) => k.endsWith(suffix) && !used.has(k));
        if (candidates.length === 1) key = candidates[0];
      }
      if (key === undefined) {
        // Keras 2 on TF2 names RNN weights through their cell: `gru/gru_cell/kernel`,
        // `bidirectional/forward_lstm/lstm_cell/kernel`.
        const cellName = withCellSegment(w.names[0]!);
        const candidates = Object.keys(decoded).filter((k) => cellName.test(k) && !used.has(k));
        if (candidates.length === 1) key = candidates[0];
      }
      const layerClass = (w.layer.constructor as { className?: string }).className;
      if (key === undefined) {
        throw new ArtifactError(
          where,
          `weight "${w.names[0]}" of layer "${w.layer.name}" (${layerClass}) is missing from the weights manifest ` +
            `(it has: ${Object.keys(decoded).slice(0, 8).join(', ') || 'no weights'}).`,
        );
      }
      const value = decoded[key]!;
      if (!tf.util.arraysEqual(value.shape, w.variable.shape)) {
        throw new ShapeError(
          `Layer "${w.layer.name}" (${layerClass}): weight "${key}" has shape [${value.shape.join(',')}] in the ` +
            `file but the layer expects [${w.variable.shape.join(',')}].`,
          { actual: value.shape, expected: w.variable.shape },
        );
      }
      if (value.dtype === w.variable.dtype) w.variable.assign(value);
      else {
        const cast = tf.cast(value, w.variable.dtype);
        w.variable.assign(cast);
        cast.dispose();
      }
      used.add(key);
    }
    const unused = Object.keys(decoded).filter((k) => !used.has(k));
    if (unused.length > 0) {
      throw new ArtifactError(where, `has weights that no layer of the model uses: ${unused.slice(0, 5).join(', ')}.`);
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(decoded));
  }
  return model;
}

// ---- export -------------------------------------------------------------------------------------

function reachableNodes(model: Model): Set<Node> {
  const nodes = new Set<Node>();
  const visit = (t: SymbolicTensor): void => {
    const node = t.node!;
    if (nodes.has(node)) return;
    nodes.add(node);
    for (const i of node.inputs) visit(i);
  };
  for (const t of model.outputs) visit(t);
  return nodes;
}

function classNameOf(layer: Layer): string {
  return (layer.constructor as { className?: string }).className ?? layer.constructor.name;
}

/** A wrapped layer as `{ className, config }` in camelCase (snake_cased with its wrapper's config). */
function layerToTfjsCamel(layer: Layer): { className: string; config: ConfigDict } {
  const className = classNameOf(layer);
  const exporter = exporters.get(className);
  if (exporter === undefined) {
    throw new UnknownPluginError(
      'layer',
      className,
      `Layer "${layer.name}" of class "${className}" has no TF.js converter, so the model cannot be exported. ` +
        `Register one: registerTfjsLayerConverter('${className}', tfjsLayerConverter('${className}')).`,
    );
  }
  return { className: exporter.kerasClassName, config: exporter.converter.toTfjs(layer).config };
}

function layerToTfjs(layer: Layer): { className: string; config: JsonDict } {
  if (layer instanceof Model)
    return { className: layer instanceof Sequential ? 'Sequential' : 'Model', config: topologyConfig(layer) };
  const { className, config } = layerToTfjsCamel(layer);
  return { className, config: tsToPythonic(config) as JsonDict };
}

function topologyConfig(model: Model): JsonDict {
  if (model instanceof Sequential) {
    const batchInputShape = model.inputs[0]?.shape;
    return {
      name: model.name,
      layers: model.layers.map((layer, i) => {
        const { className, config } = layerToTfjs(layer);
        if (i === 0 && batchInputShape !== undefined) config['batch_input_shape'] = [...batchInputShape];
        else delete config['batch_input_shape'];
        return { class_name: className, config };
      }),
    };
  }
  const nodes = reachableNodes(model);
  const nodeIndex = (node: Node): number => {
    const index = node.layer.inboundNodes.filter((n) => nodes.has(n)).indexOf(node);
    return node.layer instanceof Model ? index + 1 : index;
  };
  const ref = (t: SymbolicTensor): [string, number, number] => [t.node!.layer.name, nodeIndex(t.node!), t.outputIndex];
  const layers = model.layers.map((layer) => {
    if (layer instanceof InputLayer) {
      return {
        name: layer.name,
        class_name: 'InputLayer',
        config: { batch_input_shape: [...layer.batchInputShape!], dtype: layer.dtype, sparse: false, name: layer.name },
        inbound_nodes: [],
      };
    }
    const { className, config } = layerToTfjs(layer);
    delete config['batch_input_shape'];
    return {
      name: layer.name,
      class_name: className,
      config,
      inbound_nodes: layer.inboundNodes
        .filter((n) => nodes.has(n))
        .map((n) => n.inputs.map((t) => [...ref(t), {}] as Json[])),
    };
  });
  return {
    name: model.name,
    layers: layers as unknown as Json[],
    input_layers: model.inputs.map(ref),
    output_layers: model.outputs.map(ref),
  };
}

/**
 * Our model as TF.js Layers artifacts (`format: 'layers-model'`, Keras JSON topology, weights
 * named `<layer>/<weight>`), loadable by `tf.loadLayersModel`.
 *
 * @throws UnknownPluginError for a layer class with no converter.
 * @throws ValueError when two weights would get the same name (rename a nested model's layers).
 */
export async function modelToTfjsArtifacts(model: Model): Promise<tf.io.ModelArtifacts> {
  registerBuiltinTfjsConverters();
  if (!model.built) {
    throw new ValueError(
      `Model "${model.name}" is not built yet; give it an input shape or call it once before exporting.`,
      {
        field: 'model',
        value: model.name,
      },
    );
  }
  const topology = {
    class_name: model instanceof Sequential ? 'Sequential' : 'Model',
    config: topologyConfig(model),
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  const named: { name: string; tensor: tf.Tensor }[] = [];
  const names = new Set<string>();
  for (const w of kerasWeights(model)) {
    const name = w.names[0]!;
    if (names.has(name)) {
      throw new ValueError(
        `Two weights would both be named "${name}" in the TF.js format (tfjs-layers names weights <layer>/<weight>, ` +
          'without the nested model); give the layers of nested models distinct names.',
        { field: 'name', value: name },
      );
    }
    names.add(name);
    named.push({ name, tensor: w.variable });
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  return {
    modelTopology: topology,
    format: 'layers-model',
    generatedBy: '@plasticity/layers',
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
  };
}

/**
 * Saves our model in the TF.js Layers format, for `tf.loadLayersModel` of `@tensorflow/tfjs-layers`
 * (or Keras via `tensorflowjs_converter`).
 *
 * @param destination a URL (`file://dir` after `registerFileRouter()`, `memory://…`,
 *   `indexeddb://…`) or an IO handler.
 * @example
 * ```ts
 * await exportTfjsModel(model, 'file://./exported');
 * // in a tfjs app: const same = await tf.loadLayersModel('…/exported/model.json');
 * ```
 */
export async function exportTfjsModel(model: Model, destination: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
  const handler = resolveIOHandler(destination, 'save');
  return handler.save!(await modelToTfjsArtifacts(model));
}
