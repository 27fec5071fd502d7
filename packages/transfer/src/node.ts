/**
 * `@plasticity/transfer/node`: a feature cache on disk, for features reused across processes.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArtifactError, ValueError } from '@plasticity/core';
import { writeFileAtomic } from '@plasticity/core/node';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureCache } from './features.js';

/**
 * Stores features as `<key>.bin` (raw little-endian values) and `<key>.json` (shape, dtype) in a
 * directory, written atomically: a crash never leaves a half-written entry that later reads as
 * valid.
 *
 * @example
 * ```ts
 * const cache = new DiskFeatureCache('./cache/features');
 * const { features, cached } = await extractFeatures(base, x, { cache });
 * ```
 */
export class DiskFeatureCache implements FeatureCache {
  /**
   * Creates a cache in a folder.
   * @param dir the cache folder (created when missing).
   */
  constructor(readonly dir: string) {
    if (typeof dir !== 'string' || dir === '') {
      throw new ValueError(`DiskFeatureCache needs a directory path; got ${JSON.stringify(dir)}.`, {
        field: 'dir',
        value: dir,
      });
    }
  }

  private path(key: string, ext: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(key) || key.startsWith('.')) {
      throw new ValueError(
        `DiskFeatureCache: key "${key}" must be letters, digits, "_", "-" or "." (it names a file).`,
        { field: 'key', value: key },
      );
    }
    return join(this.dir, `${key}.${ext}`);
  }

  async get(key: string): Promise<tf.Tensor | undefined> {
    let meta: { shape: number[]; dtype: 'float32' | 'int32' };
    try {
      meta = JSON.parse(await readFile(this.path(key, 'json'), 'utf8')) as typeof meta;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const bytes = await readFile(this.path(key, 'bin'));
    const size = meta.shape.reduce((a, b) => a * b, 1);
    if (bytes.byteLength !== size * 4) {
      throw new ArtifactError(
        this.path(key, 'bin'),
        `holds ${bytes.byteLength} bytes; shape [${meta.shape.join(',')}] needs ${size * 4}. Delete the entry to recompute it.`,
      );
    }
    const copy = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(copy).set(bytes);
    const values = meta.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    return tf.tensor(values, meta.shape, meta.dtype);
  }

  async set(key: string, features: tf.Tensor): Promise<void> {
    if (features.dtype !== 'float32' && features.dtype !== 'int32') {
      throw new ValueError(`DiskFeatureCache stores float32 or int32 features; got ${features.dtype}.`, {
        field: 'features',
        value: features.dtype,
      });
    }
    await mkdir(this.dir, { recursive: true });
    const data = (await features.data()) as Float32Array | Int32Array;
    // The data file first, then the metadata that makes the entry visible.
    await writeFileAtomic(this.path(key, 'bin'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    await writeFileAtomic(this.path(key, 'json'), JSON.stringify({ shape: features.shape, dtype: features.dtype }));
  }
}
