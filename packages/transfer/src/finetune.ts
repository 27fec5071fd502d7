/**
 * Staged fine-tuning and discriminative learning rates.
 *
 * The usual recipe (Keras' transfer-learning guide, fastai's `fine_tune`): train the new head with
 * the base frozen, then unfreeze the top blocks (or everything) and continue at a lower learning
 * rate, with lower rates still for the bottom layers (fastai's `lr_mult` slices, timm's layer
 * decay), through the optimizers' parameter groups.
 */
import { ValueError, describeValue } from '@plasticity/core';
import { type History, type Model, type FitOptions, type Layer, type TensorData } from '@plasticity/layers';
import type { Optimizer, ParamGroup } from '@plasticity/optimizers';
import { leafLayers, selectLayers, type LayerSelector } from './graph.js';
import { trainOnly } from './freeze.js';

/**
 * The model's layers in blocks, bottom to top. Each selector of `blocks` names one block (over
 * `model.layers`; a nested model in a block brings all its layers). Without `blocks`, every layer
 * with weights (nested models opened) is its own block.
 */
export function layerBlocks(model: Model, blocks?: readonly LayerSelector[]): Layer[][] {
  if (blocks === undefined) {
    return leafLayers(model)
      .filter((l) => l.countParams() > 0)
      .map((l) => [l]);
  }
  return blocks.map((b, i) => {
    const leaves = selectLayers(model, b, `blocks[${i}]`)
      .flatMap((l) => leafLayers(l))
      .filter((l) => l.countParams() > 0);
    return leaves;
  });
}

/** Options of {@link discriminativeParamGroups}. */
export interface DiscriminativeOptions {
  /** Blocks, bottom to top (see {@link layerBlocks}). */
  blocks?: readonly LayerSelector[];
  /**
   * timm-style layer decay: the top block gets multiplier 1, the one below `decay`, then
   * `decay²`, … Default 0.5 when `multipliers` is not given.
   */
  decay?: number;
  /** One learning-rate multiplier per block, bottom to top (fastai's `slice(lo, hi)` spread). */
  multipliers?: readonly number[];
  /** Weight decay for every group (optional). */
  weightDecay?: number;
}

/**
 * Parameter groups giving each block of `model` its own learning-rate multiplier, for an optimizer's
 * `paramGroups` (matched by variable name).
 *
 * @example
 * ```ts
 * // top block ×1, the one below ×0.7, then ×0.49, …
 * const optimizer = new Adam({ learningRate: 1e-3, paramGroups: discriminativeParamGroups(model, { decay: 0.7 }) });
 * // fastai: slice(1e-5, 1e-3) over three blocks
 * discriminativeParamGroups(model, { blocks: ['conv1*', 'conv2*', 'dense*'], multipliers: geometricMultipliers(3, 1e-2) });
 * ```
 */
export function discriminativeParamGroups(model: Model, options: DiscriminativeOptions = {}): ParamGroup[] {
  const blocks = layerBlocks(model, options.blocks);
  let multipliers: number[];
  if (options.multipliers !== undefined) {
    if (options.multipliers.length !== blocks.length) {
      throw new ValueError(
        `discriminativeParamGroups: ${blocks.length} blocks but ${options.multipliers.length} multipliers; give one per block, bottom to top.`,
        { field: 'multipliers', value: options.multipliers.length },
      );
    }
    multipliers = [...options.multipliers];
  } else {
    const decay = options.decay ?? 0.5;
    if (!(decay > 0 && decay <= 1)) {
      throw new ValueError(`discriminativeParamGroups: decay must be in (0, 1]; got ${describeValue(decay)}.`, {
        field: 'decay',
        value: decay,
      });
    }
    multipliers = blocks.map((_, i) => decay ** (blocks.length - 1 - i));
  }
  multipliers.forEach((m, i) => {
    if (!(m >= 0) || !Number.isFinite(m)) {
      throw new ValueError(
        `discriminativeParamGroups: multiplier ${i} must be a finite number >= 0; got ${describeValue(m)}.`,
        {
          field: 'multipliers',
          value: m,
        },
      );
    }
  });
  return blocks.map((layers, i) => ({
    params: layers.flatMap((l) => l.weights.map((v) => v.name)),
    lrMultiplier: multipliers[i]!,
    ...(options.weightDecay === undefined ? {} : { weightDecay: options.weightDecay }),
  }));
}

/** `n` multipliers spread geometrically from `low` (bottom) to 1 (top), as fastai's `slice(lo, hi)`. */
export function geometricMultipliers(n: number, low: number): number[] {
  if (!Number.isInteger(n) || n < 1 || !(low > 0 && low <= 1)) {
    throw new ValueError(
      `geometricMultipliers needs n >= 1 and low in (0, 1]; got n=${describeValue(n)}, low=${describeValue(low)}.`,
      {
        field: 'n',
        value: n,
      },
    );
  }
  if (n === 1) return [1];
  return Array.from({ length: n }, (_, i) => low ** ((n - 1 - i) / (n - 1)));
}

/** One stage of {@link fineTune}. */
export interface FineTuneStage {
  /** Shown in the result (default `stage <i>`). */
  name?: string;
  /**
   * What trains in this stage; every other layer is frozen. `'all'`, a selector over
   * `model.layers`, or `{ top: n }`: the top `n` blocks (see `blocks`).
   */
  train:
    | 'all'
    | LayerSelector
    | {
        /** How many of the model's top blocks train (counted from the output, see `blocks`). */
        top: number;
      };
  /** Epochs of this stage. */
  epochs: number;
  /** Factor on the optimizer's learning rate for this stage (sets `learningRateScale`; default 1). */
  learningRateScale?: number;
  /** A different optimizer from this stage on (e.g. one with discriminative parameter groups). */
  optimizer?: Optimizer;
  /** Let BatchNormalization layers train in this stage (default false: they stay in inference mode). */
  batchNorm?: boolean;
}

/**
 * Options of {@link fineTune}: `fit`'s options (batch size, validation, callbacks, …) applied to every stage, plus the stages.
 */
export interface FineTuneOptions extends Omit<FitOptions, 'epochs' | 'initialEpoch'> {
  /** The stages, run in order on the same model. */
  stages: readonly FineTuneStage[];
  /** Blocks for `{ top: n }` (see {@link layerBlocks}). */
  blocks?: readonly LayerSelector[];
}

/** What one stage of {@link fineTune} did. */
export interface StageResult {
  /** The stage's name. */
  name: string;
  /** Names of the layers that trained. */
  trained: string[];
  /** The learning-rate scale the stage ran with. */
  learningRateScale: number;
  /** The stage's training history (losses and metrics per epoch). */
  history: History;
}

function isTop(train: FineTuneStage['train']): train is { top: number } {
  return train !== null && typeof train === 'object' && !Array.isArray(train) && 'top' in train;
}

/**
 * Trains a compiled `model` in stages; in each, only the chosen layers train (BatchNormalization
 * stays in inference mode unless the stage says `batchNorm: true`).
 *
 * @example
 * ```ts
 * const model = replaceHead(pretrained, new Dense({ units: 5, activation: 'softmax' }));
 * model.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * const stages = await fineTune(model, x, y, {
 *   batchSize: 32,
 *   stages: [
 *     { name: 'head', train: { top: 1 }, epochs: 10 },
 *     { name: 'all', train: 'all', epochs: 10, learningRateScale: 0.1 },
 *   ],
 * });
 * ```
 */
export async function fineTune(
  model: Model,
  x: TensorData,
  y: TensorData,
  options: FineTuneOptions,
): Promise<StageResult[]> {
  if (model.compiled === undefined) {
    throw new ValueError(
      `fineTune: model "${model.name}" is not compiled; call model.compile({ optimizer, loss }) first.`,
      {
        field: 'model',
        value: model.name,
      },
    );
  }
  if (!Array.isArray(options?.stages) || options.stages.length === 0) {
    throw new ValueError(`fineTune needs a non-empty list of stages; got ${describeValue(options?.stages)}.`, {
      field: 'stages',
      value: options?.stages,
    });
  }
  const { stages, blocks, ...fitOptions } = options;
  const results: StageResult[] = [];
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!;
    let layers: Layer[];
    if (stage.train === 'all') layers = leafLayers(model);
    else if (isTop(stage.train)) {
      const all = layerBlocks(model, blocks);
      const n = stage.train.top;
      if (!Number.isInteger(n) || n < 1 || n > all.length) {
        throw new ValueError(
          `fineTune: stage ${i} top must be an integer in 1..${all.length} (blocks); got ${describeValue(n)}.`,
          {
            field: 'top',
            value: n,
          },
        );
      }
      layers = all.slice(all.length - n).flat();
    } else layers = selectLayers(model, stage.train, `stages[${i}].train`).flatMap((l) => leafLayers(l));
    trainOnly(model, layers, { batchNorm: stage.batchNorm === true });
    if (stage.optimizer !== undefined) {
      const args = model.compiled.args as { loss: never; metrics: never; lossWeights: never };
      model.compile({
        optimizer: stage.optimizer,
        loss: args.loss,
        ...(args.metrics === null ? {} : { metrics: args.metrics }),
        ...(args.lossWeights === null ? {} : { lossWeights: args.lossWeights }),
      });
    }
    const scale = stage.learningRateScale ?? 1;
    model.compiled.optimizer.learningRateScale = scale;
    if (model.trainableWeights.length === 0) {
      throw new ValueError(
        `fineTune: stage ${i} leaves nothing to train (every chosen layer is frozen or has no weights).`,
        {
          field: 'train',
          value: stage.train as never,
        },
      );
    }
    const history = await model.fit(x, y, { ...fitOptions, epochs: stage.epochs });
    results.push({
      name: stage.name ?? `stage ${i}`,
      trained: leafLayers(model)
        .filter((l) => layers.includes(l) && l.trainable && l.countParams() > 0)
        .map((l) => l.name),
      learningRateScale: scale,
      history,
    });
  }
  return results;
}
