/**
 * A `file://` IO handler for Node that needs no tfjs-node. It writes a directory holding
 * `model.json` and binary weight shards in the TF.js layout, atomically: new shards get fresh
 * names, `model.json` is replaced by rename, and only then are the previous shards removed, so a
 * crash mid-save leaves the previous model loadable.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  artifactsInfo,
  checkWeightData,
  concatWeightData,
  registerSchemeRouter,
  validateModelJson,
  type WeightsManifestGroup,
} from '../artifacts.js';
import { ArtifactError, ValueError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

const FILE_SCHEME = 'file://';
const MODEL_JSON = 'model.json';

/** Options of `fileIO(path, options)`. */
export interface FileIOOptions {
  /** Largest weight shard in bytes (TF.js uses 4 MiB). */
  shardBytes?: number;
}

function toDirectory(target: string): string {
  if (target.startsWith(FILE_SCHEME)) {
    try {
      return fileURLToPath(target);
    } catch {
      // file://relative/path is not a valid file URL; TF.js users write it anyway.
      return resolve(target.slice(FILE_SCHEME.length));
    }
  }
  return resolve(target);
}

function modelDirectory(dir: string): { dir: string; json: string } {
  return dir.endsWith('.json') ? { dir: resolve(dir, '..'), json: dir } : { dir, json: join(dir, MODEL_JSON) };
}

function isMissing(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ENOENT';
}

async function readPreviousShards(jsonPath: string): Promise<string[]> {
  try {
    const previous = JSON.parse(await readFile(jsonPath, 'utf8')) as { weightsManifest?: WeightsManifestGroup[] };
    return (previous.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? g.paths : []));
  } catch {
    return [];
  }
}

function insideDirectory(dir: string, relative: string, jsonPath: string): string {
  if (isAbsolute(relative) || normalize(relative).split(sep).includes('..')) {
    throw new ArtifactError(jsonPath, `weight path ${JSON.stringify(relative)} points outside the model directory.`);
  }
  return join(dir, relative);
}

/**
 * Creates a `file://` handler for a model directory (or a path ending in `.json`).
 *
 * @example
 * ```ts
 * import { fileIO } from '@plasticity/core/node';
 * await model.save(fileIO('./my-model'));          // ./my-model/model.json + shards
 * const artifacts = await fileIO('./my-model').load!();
 * ```
 */
export function fileIO(target: string, options: FileIOOptions = {}): tf.io.IOHandler {
  const shardBytes = options.shardBytes ?? 4 * 1024 * 1024;
  if (!Number.isInteger(shardBytes) || shardBytes < 1) {
    throw new ValueError(`fileIO shardBytes must be a positive integer; got ${shardBytes}.`, {
      field: 'shardBytes',
      value: shardBytes,
    });
  }
  const { dir, json } = modelDirectory(toDirectory(target));

  const save = async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new ArtifactError(
        json,
        'binary model topologies are not supported by the file handler; save JSON topology.',
      );
    }
    await mkdir(dir, { recursive: true });
    const data = new Uint8Array(concatWeightData(artifacts.weightData));
    const specs = artifacts.weightSpecs ?? [];
    checkWeightData(specs, data.buffer as ArrayBuffer, json);
    const previous = await readPreviousShards(json);
    const token = randomBytes(4).toString('hex');
    const shardCount = Math.max(1, Math.ceil(data.byteLength / shardBytes));
    const paths: string[] = [];
    for (let i = 0; i < shardCount; i++) {
      const name = `group1-shard${i + 1}of${shardCount}.${token}.bin`;
      await writeFileAtomic(join(dir, name), data.subarray(i * shardBytes, (i + 1) * shardBytes));
      paths.push(name);
    }
    const modelJson: tf.io.ModelJSON = {
      ...(artifacts.format === undefined ? {} : { format: artifacts.format }),
      ...(artifacts.generatedBy === undefined ? {} : { generatedBy: artifacts.generatedBy }),
      ...(artifacts.convertedBy === undefined ? {} : { convertedBy: artifacts.convertedBy }),
      modelTopology: artifacts.modelTopology ?? {},
      ...(artifacts.trainingConfig === undefined ? {} : { trainingConfig: artifacts.trainingConfig }),
      weightsManifest: [{ paths, weights: specs }],
      ...(artifacts.signature === undefined ? {} : { signature: artifacts.signature }),
      ...(artifacts.userDefinedMetadata === undefined ? {} : { userDefinedMetadata: artifacts.userDefinedMetadata }),
      ...(artifacts.modelInitializer === undefined ? {} : { modelInitializer: artifacts.modelInitializer }),
    };
    await writeFileAtomic(json, JSON.stringify(modelJson));
    const current = new Set(paths);
    await Promise.all(
      previous
        .filter((p) => !current.has(p))
        .map((p) => rm(insideDirectory(dir, p, json), { force: true }).catch(() => undefined)),
    );
    return { modelArtifactsInfo: artifactsInfo(artifacts) };
  };

  const load = async (): Promise<tf.io.ModelArtifacts> => {
    let text: string;
    try {
      text = await readFile(json, 'utf8');
    } catch (error) {
      if (isMissing(error)) {
        throw new ArtifactError(json, `not found. Save a model to ${dir} first, or check the path.`, { cause: error });
      }
      throw new ArtifactError(json, `cannot be read: ${(error as Error).message}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ArtifactError(
        json,
        `is not valid JSON (${(error as Error).message}); the file is corrupt or truncated.`,
        {
          cause: error,
        },
      );
    }
    const modelJson = validateModelJson(parsed, json);
    const groups = (modelJson.weightsManifest ?? []) as WeightsManifestGroup[];
    const specs = groups.flatMap((g) => g.weights);
    const buffers: Uint8Array[] = [];
    for (const group of groups) {
      for (const relative of group.paths) {
        const shard = insideDirectory(dir, relative, json);
        try {
          buffers.push(new Uint8Array(await readFile(shard)));
        } catch (error) {
          if (isMissing(error)) {
            throw new ArtifactError(shard, `weight shard listed in ${json} is missing.`, { cause: error });
          }
          throw error;
        }
      }
    }
    const weightData = concatWeightData(
      buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
    );
    const shardNames = groups.flatMap((g) => g.paths.map((p) => join(dir, p)));
    checkWeightData(specs, weightData, shardNames.length === 1 ? shardNames[0]! : `${json} (weight shards)`);
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: modelJson.modelTopology,
      weightSpecs: specs,
      weightData,
    };
    if (modelJson.format !== undefined) artifacts.format = modelJson.format;
    if (modelJson.generatedBy !== undefined) artifacts.generatedBy = modelJson.generatedBy;
    if (modelJson.convertedBy !== undefined) artifacts.convertedBy = modelJson.convertedBy;
    if (modelJson.trainingConfig !== undefined) artifacts.trainingConfig = modelJson.trainingConfig;
    if (modelJson.signature !== undefined) artifacts.signature = modelJson.signature;
    if (modelJson.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = modelJson.userDefinedMetadata;
    if (modelJson.modelInitializer !== undefined) artifacts.modelInitializer = modelJson.modelInitializer;
    return artifacts;
  };

  return { save, load };
}

/** Whether `path` holds a model.json. */
export async function hasModelJson(target: string): Promise<boolean> {
  const { json } = modelDirectory(toDirectory(target));
  try {
    return (await stat(json)).isFile();
  } catch {
    return false;
  }
}

/**
 * Lets tfjs (`tf.io.getSaveHandlers('file://…')`) and Plasticity loaders resolve `file://` URLs
 * without tfjs-node. Idempotent. Do not combine with tfjs-node's own file router.
 */
export function registerFileRouter(): void {
  registerSchemeRouter(FILE_SCHEME, (url) => fileIO(url));
}
