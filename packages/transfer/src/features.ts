/**
 * Feature extraction with a cache: run a frozen base once over the data, keep the features (in
 * memory, or on disk with `DiskFeatureCache` from `@plasticity/transfer/node`), and train a small
 * head on them for as many epochs as needed without running the base again.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue } from '@plasticity/core';
import type { Model } from '@plasticity/layers';

/** Where extracted features are kept between runs, by key. */
export interface FeatureCache {
  /** The features stored under `key` (a new tensor the caller owns), or undefined. */
  get(key: string): Promise<tf.Tensor | undefined>;
  /** Stores a copy of `features` under `key`. */
  set(key: string, features: tf.Tensor): Promise<void>;
}

/** Keeps features as tensors in memory (on the active backend). */
export class MemoryFeatureCache implements FeatureCache {
  private readonly entries = new Map<string, tf.Tensor>();
  async get(key: string): Promise<tf.Tensor | undefined> {
    return this.entries.get(key)?.clone();
  }
  async set(key: string, features: tf.Tensor): Promise<void> {
    this.entries.get(key)?.dispose();
    this.entries.set(key, tf.keep(features.clone()));
  }
  /** Number of stored entries. */
  get size(): number {
    return this.entries.size;
  }
  /** Frees every stored tensor. */
  dispose(): void {
    for (const t of this.entries.values()) t.dispose();
    this.entries.clear();
  }
}

/** Two 32-bit FNV-1a style hashes over 32-bit words, hex: fast, and enough to tell inputs apart. */
class Hasher {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;
  update(bytes: Uint8Array): void {
    const words = Math.floor(bytes.byteLength / 4);
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < words; i++) {
      const w = view[i]!;
      a = Math.imul(a ^ w, 0x01000193);
      b = Math.imul(b ^ w, 0x5bd1e995) ^ (b >>> 15);
    }
    for (let i = words * 4; i < bytes.byteLength; i++) {
      a = Math.imul(a ^ bytes[i]!, 0x01000193);
      b = Math.imul(b ^ bytes[i]!, 0x5bd1e995);
    }
    this.a = a;
    this.b = b;
  }
  text(s: string): void {
    this.update(new TextEncoder().encode(s));
  }
  digest(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}

function bytesOf(t: tf.Tensor): Uint8Array {
  const data = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A key for the features of `base` on `x`: a hash of the base's architecture, its weights and the
 * input data. Changing any weight or any input value gives a new key, so a stale cache is never
 * read.
 */
export function featureKey(base: Model, x: tf.Tensor | tf.Tensor[]): string {
  const h = new Hasher();
  h.text(JSON.stringify(base.getConfig()));
  for (const v of base.weights) {
    h.text(`${v.shape.join(',')}:${v.dtype}`);
    h.update(bytesOf(v));
  }
  for (const t of Array.isArray(x) ? x : [x]) {
    h.text(`${t.shape.join(',')}:${t.dtype}`);
    h.update(bytesOf(t));
  }
  return h.digest();
}

/** Options of {@link extractFeatures}. */
export interface ExtractFeaturesOptions {
  /** Batch size for running the base (default 256). */
  batchSize?: number;
  /** Cache to read from and write to; without one the features are computed every call. */
  cache?: FeatureCache;
  /** Cache key (default: {@link featureKey} of the base and the data). */
  key?: string;
}

/** What {@link extractFeatures} returns. */
export interface ExtractedFeatures {
  /** The base's output on every sample, `[n, ...featureShape]`. The caller owns it. */
  features: tf.Tensor;
  /** Whether they came from the cache. */
  cached: boolean;
  /** The cache key used, when a cache was given. */
  key: string | undefined;
}

/**
 * Runs `base` in inference mode over `x` in batches and returns the features, reading them from
 * `cache` instead when the same base and data were seen before.
 *
 * @example
 * ```ts
 * const cache = new MemoryFeatureCache(); // or new DiskFeatureCache('./features') from '@plasticity/transfer/node'
 * const { features } = await extractFeatures(base, xTrain, { cache });
 * const head = new Sequential({ layers: [new Dense({ units: 5, activation: 'softmax', inputShape: features.shape.slice(1) })] });
 * head.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
 * await head.fit(features, yTrain, { epochs: 30 });
 * const model = addHead(base, head); // the full model, for inference on images
 * ```
 */
export async function extractFeatures(
  base: Model,
  x: tf.Tensor | tf.Tensor[],
  options: ExtractFeaturesOptions = {},
): Promise<ExtractedFeatures> {
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValueError(`extractFeatures: batchSize must be a positive integer; got ${describeValue(batchSize)}.`, {
      field: 'batchSize',
      value: batchSize,
    });
  }
  if (base.outputs.length !== 1) {
    throw new ValueError(
      `extractFeatures: base "${base.name}" has ${base.outputs.length} outputs; cut it at one layer with featureExtractor.`,
      { field: 'base', value: base.outputs.length },
    );
  }
  const cache = options.cache;
  const key = cache === undefined ? options.key : (options.key ?? featureKey(base, x));
  if (cache !== undefined) {
    const hit = await cache.get(key!);
    if (hit !== undefined) return { features: hit, cached: true, key };
  }
  const features = base.predict(x, { batchSize }) as tf.Tensor;
  if (cache !== undefined) await cache.set(key!, features);
  return { features, cached: false, key };
}
