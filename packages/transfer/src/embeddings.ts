/**
 * Moving learnt embeddings between models: item or user vectors of one recommender (or any model
 * with Embedding layers) initialise another whose id → row indexing differs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError, describeValue } from '@plasticity/core';
import { Embedding, Model } from '@plasticity/layers';

/**
 * Which row of the source goes to which row of the target:
 * - a `Map` or a list of `[fromRow, toRow]` pairs;
 * - `{ from, to }`: the id of each row in each model (`from[i]` is the id of source row `i`); rows
 *   with the same id are matched — what two recommenders with different id ↔ index tables need.
 */
export type EmbeddingMapping =
  | ReadonlyMap<number, number>
  | readonly (readonly [number, number])[]
  | {
      /** The id of each source row: `from[i]` is the id of row `i`. */
      from: readonly (string | number)[];
      /** The id of each target row. */
      to: readonly (string | number)[];
    };

/** Options of {@link transferEmbeddings}. */
export interface TransferEmbeddingsOptions {
  /** Row correspondence (default: row i → row i, which needs equal row counts). */
  mapping?: EmbeddingMapping;
  /**
   * Target rows without a source row: keep their current values (`'keep'`, default), set them to
   * the mean of the copied rows (`'mean'`, a neutral start for new ids), or to zeros.
   */
  unmapped?: 'keep' | 'mean' | 'zeros';
}

/** What {@link transferEmbeddings} did. */
export interface TransferEmbeddingsResult {
  /** Target rows that received a source row. */
  copied: number;
  /** Target rows that did not. */
  unmapped: number;
}

type EmbeddingSource = Embedding | tf.Tensor2D | { model: Model; layer: string };

function resolveEmbedding(
  source: EmbeddingSource | { model: Model; layer: string },
  what: string,
): Embedding | tf.Tensor2D {
  if (source instanceof Embedding || source instanceof tf.Tensor) return source as Embedding | tf.Tensor2D;
  if (source !== null && typeof source === 'object' && source.model instanceof Model) {
    const layer = source.model.getLayer(source.layer);
    if (!(layer instanceof Embedding)) {
      throw new ValueError(`transferEmbeddings: layer "${source.layer}" (${what}) is not an Embedding layer.`, {
        field: what,
        value: source.layer,
      });
    }
    return layer;
  }
  throw new ValueError(
    `transferEmbeddings: ${what} must be an Embedding layer, a [rows, dim] tensor, or { model, layer }; got ${describeValue(source)}.`,
    { field: what, value: source },
  );
}

function table(e: Embedding | tf.Tensor2D, what: string): tf.Tensor2D {
  if (e instanceof tf.Tensor) {
    if (e.rank !== 2)
      throw new ShapeError(`transferEmbeddings: ${what} tensor must be [rows, dim]; got [${e.shape.join(',')}].`);
    return e;
  }
  if (e.embeddings === undefined) {
    throw new ValueError(
      `transferEmbeddings: Embedding "${e.name}" (${what}) is not built yet; apply it or build the model first.`,
      {
        field: what,
        value: e.name,
      },
    );
  }
  return e.embeddings as unknown as tf.Tensor2D;
}

function pairs(mapping: EmbeddingMapping | undefined, fromRows: number, toRows: number): [number, number][] {
  let out: [number, number][];
  if (mapping === undefined) {
    if (fromRows !== toRows) {
      throw new ShapeError(
        `transferEmbeddings: source has ${fromRows} rows and target ${toRows}; pass a mapping (row pairs or { from, to } ids).`,
      );
    }
    out = Array.from({ length: fromRows }, (_, i) => [i, i]);
  } else if (mapping instanceof Map) {
    out = [...mapping.entries()];
  } else if (Array.isArray(mapping)) {
    out = mapping.map((p) => [p[0], p[1]] as [number, number]);
  } else if (mapping !== null && typeof mapping === 'object' && 'from' in mapping && 'to' in mapping) {
    const ids = mapping as { from: readonly (string | number)[]; to: readonly (string | number)[] };
    if (ids.from.length !== fromRows || ids.to.length !== toRows) {
      throw new ShapeError(
        `transferEmbeddings: mapping.from has ${ids.from.length} ids for ${fromRows} source rows and mapping.to ${ids.to.length} for ${toRows} target rows; give one id per row.`,
      );
    }
    const rowOf = new Map<string | number, number>();
    ids.from.forEach((id, i) => rowOf.set(id, i));
    out = [];
    ids.to.forEach((id, j) => {
      const i = rowOf.get(id);
      if (i !== undefined) out.push([i, j]);
    });
  } else {
    throw new ValueError(
      `transferEmbeddings: mapping must be a Map, a list of [from, to] pairs, or { from, to } ids; got ${describeValue(mapping)}.`,
      {
        field: 'mapping',
        value: mapping,
      },
    );
  }
  const seen = new Set<number>();
  for (const [i, j] of out) {
    if (!Number.isInteger(i) || i < 0 || i >= fromRows || !Number.isInteger(j) || j < 0 || j >= toRows) {
      throw new ValueError(
        `transferEmbeddings: mapping pair [${i}, ${j}] is out of range (source rows 0..${fromRows - 1}, target rows 0..${toRows - 1}).`,
        { field: 'mapping', value: [i, j] },
      );
    }
    if (seen.has(j)) {
      throw new ValueError(
        `transferEmbeddings: target row ${j} is mapped twice; each target row takes one source row.`,
        {
          field: 'mapping',
          value: j,
        },
      );
    }
    seen.add(j);
  }
  return out;
}

/**
 * Copies rows of the `from` embedding table into the `to` Embedding layer (in place), following
 * `mapping`. Dimensions must agree.
 *
 * @example
 * ```ts
 * // item vectors of an old model initialise a new one whose catalogue grew and was re-indexed
 * transferEmbeddings({ model: oldModel, layer: 'items' }, { model: newModel, layer: 'items' }, {
 *   mapping: { from: oldItemIds, to: newItemIds },
 *   unmapped: 'mean',
 * });
 * ```
 */
export function transferEmbeddings(
  from: EmbeddingSource,
  to: Embedding | { model: Model; layer: string },
  options: TransferEmbeddingsOptions = {},
): TransferEmbeddingsResult {
  const source = table(resolveEmbedding(from, 'from'), 'from');
  const targetLayer = resolveEmbedding(to, 'to');
  if (!(targetLayer instanceof Embedding)) {
    throw new ValueError('transferEmbeddings: the target must be an Embedding layer (or { model, layer }).', {
      field: 'to',
      value: to,
    });
  }
  const target = table(targetLayer, 'to');
  const [fromRows, dim] = source.shape;
  const [toRows, toDim] = target.shape;
  if (dim !== toDim) {
    throw new ShapeError(
      `transferEmbeddings: source vectors have ${dim} dimensions and target vectors ${toDim}; they must match.`,
      { actual: source.shape, expected: target.shape },
    );
  }
  const unmapped = options.unmapped ?? 'keep';
  if (!['keep', 'mean', 'zeros'].includes(unmapped)) {
    throw new ValueError(
      `transferEmbeddings: unmapped must be 'keep', 'mean' or 'zeros'; got ${describeValue(unmapped)}.`,
      {
        field: 'unmapped',
        value: unmapped,
      },
    );
  }
  const map = pairs(options.mapping, fromRows, toRows);
  const src = source.dataSync() as Float32Array;
  const values = Float32Array.from(target.dataSync() as Float32Array);
  const filled = new Uint8Array(toRows);
  const mean = new Float32Array(dim);
  for (const [i, j] of map) {
    values.set(src.subarray(i * dim, (i + 1) * dim), j * dim);
    filled[j] = 1;
    for (let k = 0; k < dim; k++) mean[k]! += src[i * dim + k]! / map.length;
  }
  if (unmapped !== 'keep') {
    for (let j = 0; j < toRows; j++) {
      if (filled[j] === 1) continue;
      if (unmapped === 'mean') values.set(mean, j * dim);
      else values.fill(0, j * dim, (j + 1) * dim);
    }
  }
  const next = tf.tensor2d(values, [toRows, dim]);
  targetLayer.embeddings!.assign(next);
  next.dispose();
  return { copied: map.length, unmapped: toRows - map.length };
}
