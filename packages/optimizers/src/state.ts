/**
 * Saving and loading an optimizer with its full state through core artifacts, so that training
 * resumes exactly: 10 steps equal 5 steps + save + load + 5 steps, bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ArtifactError,
  ARTIFACT_FORMAT_VERSION,
  concatWeightData,
  deserializePlugin,
  registerOptimizer,
  resolveIOHandler,
  serializePlugin,
  type SerializedPlugin,
} from '@plasticity/core';
import { Adadelta } from './adadelta.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import { Adamax } from './adamax.js';
import { Lamb } from './lamb.js';
import { Lion } from './lion.js';
import { Nadam } from './nadam.js';
import { type Optimizer, type OptimizerState } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { registerBuiltinSchedules } from './schedules.js';
import { SGD } from './sgd.js';

/** Every built-in optimizer class, in registration order. */
export const OPTIMIZER_CLASSES = [SGD, Adam, AdamW, Adamax, Nadam, RMSprop, Adagrad, Adadelta, Lion, Lamb] as const;

/** Registers every built-in optimizer and schedule with the core registry (idempotent). */
export function registerBuiltinOptimizers(): void {
  for (const cls of OPTIMIZER_CLASSES) registerOptimizer(cls);
  registerBuiltinSchedules();
}

/** `{ className, config }` of an optimizer (hyperparameters only). */
export function serializeOptimizer(optimizer: Optimizer): SerializedPlugin {
  registerBuiltinOptimizers();
  return serializePlugin('optimizer', optimizer);
}

/** A new optimizer from `{ className, config }` (built-ins are registered first). */
export function deserializeOptimizer<T extends Optimizer = Optimizer>(serialized: SerializedPlugin): T {
  registerBuiltinOptimizers();
  return deserializePlugin<T>('optimizer', serialized);
}

const FORMAT = 'plasticity-optimizer';

interface OptimizerTopology {
  format: typeof FORMAT;
  formatVersion: number;
  optimizer: SerializedPlugin;
  meta: OptimizerState['meta'];
}

/**
 * Saves the optimizer's configuration and state (slots, accumulators, EMA weights, counters) to a
 * URL (`file://…` after `registerFileRouter()`, `memory://…`, `indexeddb://…`) or an IO handler.
 */
export async function saveOptimizer(optimizer: Optimizer, target: string | tf.io.IOHandler): Promise<tf.io.SaveResult> {
  const handler = resolveIOHandler(target, 'save');
  const state = optimizer.getState();
  try {
    const { data, specs } = await tf.io.encodeWeights(state.tensors);
    const topology: OptimizerTopology = {
      format: FORMAT,
      formatVersion: ARTIFACT_FORMAT_VERSION,
      optimizer: serializeOptimizer(optimizer),
      meta: state.meta,
    };
    return await handler.save!({
      modelTopology: topology as unknown as object,
      format: FORMAT,
      generatedBy: '@plasticity/optimizers',
      weightSpecs: specs,
      weightData: data,
    });
  } finally {
    tf.dispose(Object.values(state.tensors));
  }
}

/**
 * Loads an optimizer saved by {@link saveOptimizer}, state included.
 *
 * @throws ArtifactError if the artifact is not an optimizer or its state is malformed.
 */
export async function loadOptimizer<T extends Optimizer = Optimizer>(source: string | tf.io.IOHandler): Promise<T> {
  const handler = resolveIOHandler(source, 'load');
  const where = typeof source === 'string' ? source : 'optimizer artifact';
  const artifacts = await handler.load!();
  const topology = artifacts.modelTopology as Partial<OptimizerTopology> | undefined;
  if (topology?.format !== FORMAT || topology.optimizer === undefined || topology.meta === undefined) {
    throw new ArtifactError(
      where,
      `is not an optimizer saved by @plasticity/optimizers (expected modelTopology.format "${FORMAT}" with ` +
        '"optimizer" and "meta").',
    );
  }
  if ((topology.formatVersion ?? 0) > ARTIFACT_FORMAT_VERSION) {
    throw new ArtifactError(
      where,
      `has format version ${topology.formatVersion}; this package reads up to ${ARTIFACT_FORMAT_VERSION}. Upgrade @plasticity/optimizers.`,
    );
  }
  const optimizer = deserializeOptimizer<T>(topology.optimizer);
  const tensors = tf.io.decodeWeights(concatWeightData(artifacts.weightData), artifacts.weightSpecs ?? []);
  try {
    optimizer.setState({ meta: topology.meta, tensors });
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return optimizer;
}
