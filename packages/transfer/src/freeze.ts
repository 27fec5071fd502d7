/**
 * Freezing and unfreezing layers by name, pattern or index range.
 *
 * A frozen layer's weights are left out of `model.trainableWeights`, so `fit`, `trainOnBatch` and
 * `computeGradients` neither differentiate nor update them. A frozen `BatchNormalization` also
 * runs in inference mode (moving statistics used, never updated); `unfreeze` keeps batch
 * normalization frozen unless asked (`{ batchNorm: true }`), as Keras recommends for fine-tuning:
 * re-estimating statistics from a small new dataset destroys what the base learnt.
 */
import { BatchNormalization, Model, type Layer } from '@plasticity/layers';
import { leafLayers, selectLayers, type LayerSelector } from './graph.js';

function targets(model: Model, selector: LayerSelector | undefined, what: string): Layer[] {
  const top = selector === undefined ? model.layers.filter((l) => l !== model) : selectLayers(model, selector, what);
  return top;
}

function setTrainable(layer: Layer, value: boolean, keepBatchNormFrozen: boolean): void {
  if (layer instanceof Model) {
    for (const inner of layer.layers) if (inner !== layer) setTrainable(inner, value, keepBatchNormFrozen);
    // A nested model is trainable when any of its layers is; its frozen ones stay frozen inside.
    if (value) layer.trainable = true;
    else layer.trainable = leafLayers(layer).some((l) => l.trainable && l.countParams() > 0);
    return;
  }
  if (value && keepBatchNormFrozen && layer instanceof BatchNormalization && !layer.trainable) return;
  layer.trainable = value;
}

/**
 * Freezes the chosen layers of `model` (all of them when `selector` is omitted): their weights
 * stop training and frozen batch normalization runs in inference mode. Nested models are frozen
 * layer by layer. Returns the names of the layers it froze.
 *
 * @example
 * ```ts
 * freeze(model);                         // everything
 * freeze(model, { to: 'block3_pool' });  // the first layers, up to block3_pool included
 * freeze(model, ['conv*', /^bn_/]);      // by glob and RegExp
 * ```
 */
export function freeze(model: Model, selector?: LayerSelector): string[] {
  const chosen = targets(model, selector, 'freeze');
  for (const layer of chosen) setTrainable(layer, false, false);
  return chosen.flatMap((l) => leafLayers(l).map((leaf) => leaf.name));
}

/** Options of {@link unfreeze}. */
export interface UnfreezeOptions {
  /**
   * Also unfreeze BatchNormalization layers that are frozen (default false: they stay in
   * inference mode with their statistics untouched).
   */
  batchNorm?: boolean;
}

/**
 * Unfreezes the chosen layers (all when `selector` is omitted). Frozen BatchNormalization layers
 * stay frozen unless `{ batchNorm: true }`. Returns the names of the layers now trainable.
 *
 * @example
 * ```ts
 * unfreeze(model, { from: -4 }); // the last four layers
 * ```
 */
export function unfreeze(model: Model, selector?: LayerSelector, options: UnfreezeOptions = {}): string[] {
  const chosen = targets(model, selector, 'unfreeze');
  for (const layer of chosen) setTrainable(layer, true, options.batchNorm !== true);
  model.trainable = true;
  return chosen.flatMap((l) =>
    leafLayers(l)
      .filter((leaf) => leaf.trainable)
      .map((leaf) => leaf.name),
  );
}

/**
 * Sets the `trainable` flag of the given non-model layers inside `model` (at any depth) and makes
 * every nested model trainable exactly when one of its layers with weights is: what staged
 * fine-tuning uses to train "these layers and nothing else".
 */
export function trainOnly(model: Model, layers: readonly Layer[], options: UnfreezeOptions = {}): void {
  const chosen = new Set(layers);
  const walk = (m: Model): boolean => {
    let any = false;
    for (const layer of m.layers) {
      if (layer === m) continue;
      if (layer instanceof Model) {
        const inner = chosen.has(layer) ? (setTrainable(layer, true, options.batchNorm !== true), true) : walk(layer);
        layer.trainable = inner;
        any ||= inner;
        continue;
      }
      if (chosen.has(layer)) setTrainable(layer, true, options.batchNorm !== true);
      else layer.trainable = false;
      any ||= layer.trainable && layer.countParams() > 0;
    }
    return any;
  };
  walk(model);
  model.trainable = true;
}

/** One row of {@link freezeReport}. */
export interface FreezeRow {
  /** Path of the layer: `name`, or `outer/inner` inside nested models. */
  path: string;
  /** The layer's class name. */
  className: string;
  /** Scalars in the layer's weights. */
  params: number;
  /** Parameters that training updates. */
  trainableParams: number;
  /** Whether the layer is frozen (`trainable: false`). */
  frozen: boolean;
}

/**
 * Every layer with weights, nested models flattened, with whether it is frozen: what is and is not
 * trained, in one list. `model.summary()` shows the same per top-level layer (a nested model that
 * is partly frozen reads `partial` there).
 */
export function freezeReport(model: Model): FreezeRow[] {
  const rows: FreezeRow[] = [];
  const walk = (m: Model, prefix: string, parentTrainable: boolean): void => {
    for (const layer of m.layers) {
      if (layer === m) continue;
      const trainable = parentTrainable && layer.trainable;
      if (layer instanceof Model) {
        walk(layer, `${prefix}${layer.name}/`, trainable);
        continue;
      }
      const params = layer.countParams();
      if (params === 0) continue;
      const trainableParams = trainable
        ? layer.weightEntries.filter((w) => w.trainable).reduce((n, w) => n + w.variable.size, 0)
        : 0;
      rows.push({
        path: `${prefix}${layer.name}`,
        className: (layer.constructor as { className?: string }).className ?? layer.constructor.name,
        params,
        trainableParams,
        frozen: !trainable,
      });
    }
  };
  walk(model, '', model.trainable);
  return rows;
}
