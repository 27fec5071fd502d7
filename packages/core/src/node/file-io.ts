/**
 * A `file://` IO handler for Node that needs no tfjs-node. It writes a directory holding
 * `model.json` and binary weight shards in the TF.js layout, atomically: new shards get fresh
 * names, `model.json` is replaced by rename, and only then are the previous shards removed, so a
 * crash mid-save leaves the previous model loadable. Each save also removes what earlier, killed
 * saves of the same artifact left behind (temporaries and unreferenced shards of writers that are
 * gone). Loading reads only regular files that really lie inside the model directory (symbolic
 * links are resolved first) and checks the shard sizes against the manifest before reading them.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, realpath, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  artifactsInfo,
  checkWeightData,
  concatWeightData,
  registerSchemeRouter,
  validateModelJson,
  weightByteLength,
  type WeightsManifestGroup,
} from '../artifacts.js';
import { ArtifactError, ValueError } from '../errors.js';
import { HOST_TAG, isTempInFlight, parseTempName, writeFileAtomic, writerMayBeAlive } from './atomic.js';

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

/** Whether the real path `real` lies inside the real directory `realDir`. */
function isWithin(realDir: string, real: string): boolean {
  return real.startsWith(realDir.endsWith(sep) ? realDir : realDir + sep);
}

/** The manifest's total weight bytes, or undefined when a string weight makes it unknowable. */
function describedBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const bytes = weightByteLength(spec);
    if (bytes === undefined) return undefined;
    total += bytes;
  }
  return total;
}

interface OpenShard {
  path: string;
  handle: FileHandle;
  size: number;
}

/**
 * Opens one shard for reading after resolving its real path: a shard (or a folder on its way) that is
 * a symbolic link leading out of the model directory is refused without opening it, so the error
 * reveals nothing about the outside file; so is anything that is not a regular file.
 */
async function openShard(realDir: string, dir: string, relative: string, json: string): Promise<OpenShard> {
  const path = insideDirectory(dir, relative, json);
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    if (isMissing(error)) {
      throw new ArtifactError(path, `weight shard listed in ${json} is missing.`, { cause: error });
    }
    throw new ArtifactError(path, `weight shard cannot be read: ${(error as Error).message}`, { cause: error });
  }
  if (!isWithin(realDir, real)) {
    throw new ArtifactError(
      path,
      'weight shard resolves (through a symbolic link) to a file outside the model directory; refusing to ' +
        `read it. Copy the shard into ${dir} instead of linking it.`,
    );
  }
  // O_NOFOLLOW: the resolved path must not have become a link since it was resolved.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: unknown) => {
    throw new ArtifactError(path, `weight shard cannot be opened: ${(error as Error).message}`, { cause: error });
  });
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw new ArtifactError(path, 'weight shard is not a regular file; save the model again.');
  }
  return { path, handle, size: info.size };
}

/**
 * Reads every shard of the manifest, checking the sum of their sizes against the bytes the manifest
 * describes before any is read: a lying manifest or a huge file costs no memory.
 */
async function readShards(dir: string, json: string, groups: WeightsManifestGroup[]): Promise<ArrayBuffer> {
  const realDir = await realpath(dir);
  const specs = groups.flatMap((g) => g.weights);
  const shards: OpenShard[] = [];
  try {
    for (const group of groups) {
      for (const relative of group.paths) shards.push(await openShard(realDir, dir, relative, json));
    }
    const total = shards.reduce((sum, s) => sum + s.size, 0);
    const where = shards.length === 1 ? shards[0]!.path : `${json} (weight shards)`;
    if (describedBytes(specs) !== undefined) checkWeightData(specs, { byteLength: total } as ArrayBuffer, where);
    // One buffer for all shards, read in place: memory is the bytes on disk, not a multiple of them.
    const weightData = new ArrayBuffer(total);
    let offset = 0;
    for (const shard of shards) {
      const view = new Uint8Array(weightData, offset, shard.size);
      let done = 0;
      while (done < shard.size) {
        const { bytesRead } = await shard.handle.read(view, done, shard.size - done, done);
        if (bytesRead === 0) {
          throw new ArtifactError(shard.path, 'weight shard shrank while it was read; save the model again.');
        }
        done += bytesRead;
      }
      offset += shard.size;
    }
    checkWeightData(specs, weightData, where);
    return weightData;
  } finally {
    await Promise.all(shards.map((s) => s.handle.close().catch(() => undefined)));
  }
}

/** `group1-shard<i>of<n>.<random>-<pid>-<host>.bin`, or `….<random>.bin` before writer ids. */
const SHARD = /^group1-shard\d+of\d+\.([0-9a-f]{8})(?:-(\d+)-([0-9a-f]{6}))?\.bin$/;

/** Shard tokens of the saves this process is running now. */
const savesInFlight = new Set<string>();

/**
 * Every weight path that a model JSON in `dir` references, or undefined when some `.json` file
 * there cannot be read or parsed (then no shard may be called an orphan).
 */
async function referencedShards(dir: string, names: string[]): Promise<Set<string> | undefined> {
  const referenced = new Set<string>();
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const parsed = JSON.parse(await readFile(join(dir, name), 'utf8')) as { weightsManifest?: unknown };
      const groups = Array.isArray(parsed.weightsManifest) ? (parsed.weightsManifest as WeightsManifestGroup[]) : [];
      for (const g of groups) for (const p of Array.isArray(g?.paths) ? g.paths : []) referenced.add(normalize(p));
    } catch {
      return undefined;
    }
  }
  return referenced;
}

/**
 * Removes what killed saves left in `dir`: temporaries of this artifact's JSON file and of shards,
 * and shards no JSON file in the folder references, but only where the writer is gone (see
 * {@link writerMayBeAlive}), so a concurrent save is never robbed of a file it is about to rename
 * or commit. Best effort: a file that cannot be removed stays.
 */
async function removeLeftovers(dir: string, json: string): Promise<void> {
  const names = await readdir(dir);
  const jsonName = basename(json);
  const stale = async (name: string, writer: { pid: number; host: string } | undefined, own: () => boolean) => {
    const info = await lstat(join(dir, name)).catch(() => undefined);
    return info !== undefined && info.isFile() && !writerMayBeAlive(writer, info.mtimeMs, own);
  };
  const remove = (name: string) => rm(join(dir, name), { force: true }).catch(() => undefined);
  const orphans: string[] = [];
  await Promise.all(
    names.map(async (name) => {
      const temp = parseTempName(name);
      if (temp !== undefined) {
        const ours = temp.target === jsonName || SHARD.test(temp.target);
        if (ours && (await stale(name, temp.writer, () => isTempInFlight(join(dir, name))))) await remove(name);
        return;
      }
      const shard = SHARD.exec(name);
      if (shard === null) return;
      const [, random, pid, host] = shard;
      const writer = pid === undefined ? undefined : { pid: Number(pid), host: host! };
      if (await stale(name, writer, () => savesInFlight.has(`${random}-${pid}-${host}`))) orphans.push(name);
    }),
  );
  if (orphans.length === 0) return;
  // Read the references only now: a save that was no longer running above has committed its JSON.
  const referenced = await referencedShards(dir, await readdir(dir));
  if (referenced === undefined) return;
  await Promise.all(orphans.filter((name) => !referenced.has(name)).map(remove));
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
    const token = `${randomBytes(4).toString('hex')}-${process.pid}-${HOST_TAG}`;
    savesInFlight.add(token);
    try {
      return await commit(token, data, specs, previous, artifacts);
    } finally {
      savesInFlight.delete(token);
    }
  };

  const commit = async (
    token: string,
    data: Uint8Array,
    specs: tf.io.WeightsManifestEntry[],
    previous: string[],
    artifacts: tf.io.ModelArtifacts,
  ): Promise<tf.io.SaveResult> => {
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
    await removeLeftovers(dir, json).catch(() => undefined);
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
    const weightData = await readShards(dir, json, groups);
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
