/**
 * The artifact format shared by every package that saves something (models, optimizer state,
 * recommenders): a TF.js-compatible `model.json` plus binary weight data, with validation that
 * turns corrupt or inconsistent artifacts into an {@link ArtifactError} naming the file.
 *
 * Handlers are tfjs-core `io.IOHandler`s, so TF.js routers (`indexeddb://`, `localstorage://`,
 * `http(s)://`) work as well as ours (`memory://` here, `file://` in `@plasticity/core/node`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArtifactError, describeValue } from './errors.js';

/** Version of the Plasticity fields inside `model.json`. Bumped on incompatible changes. */
export const ARTIFACT_FORMAT_VERSION = 1;

/** Bytes per element for each dtype that can be stored in a weight file. */
const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** One group of the weights manifest, as TF.js writes it. */
export interface WeightsManifestGroup {
  /** Shard file names, relative to `model.json`. */
  paths: string[];
  /** Name, shape and dtype of each weight, in shard byte order. */
  weights: tf.io.WeightsManifestEntry[];
}

/**
 * The byte length a weight occupies in a weight file, from its manifest entry (quantization
 * included). Returns `undefined` for string tensors, whose length is only known from the data.
 */
export function weightByteLength(spec: tf.io.WeightsManifestEntry): number | undefined {
  const elements = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  if (spec.dtype === 'string' && spec.quantization === undefined) return undefined;
  const bytes = DTYPE_BYTES[dtype];
  return bytes === undefined ? undefined : elements * bytes;
}

/** Concatenates weight data that tfjs may hand over as one buffer or as a list of shards. */
export function concatWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  if (data instanceof ArrayBuffer) return data;
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const buffer of data) {
    out.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return out.buffer;
}

/**
 * Checks the parsed contents of a `model.json` and returns it typed.
 *
 * @param file the name used in error messages (a path or a URL).
 * @throws ArtifactError if it is not an object, has neither `modelTopology` nor
 *   `weightsManifest`, or has a malformed manifest.
 */
export function validateModelJson(json: unknown, file: string): tf.io.ModelJSON {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ArtifactError(file, `expected a JSON object, found ${describeValue(json)}.`);
  }
  const record = json as Record<string, unknown>;
  if (record['modelTopology'] === undefined && record['weightsManifest'] === undefined) {
    throw new ArtifactError(
      file,
      'missing fields "modelTopology" and "weightsManifest"; this is not a model.json written ' +
        'by Plasticity or TF.js.',
    );
  }
  const manifest = record['weightsManifest'];
  if (manifest !== undefined) validateManifest(manifest, file);
  return json as tf.io.ModelJSON;
}

function validateManifest(manifest: unknown, file: string): asserts manifest is WeightsManifestGroup[] {
  if (!Array.isArray(manifest)) {
    throw new ArtifactError(file, `"weightsManifest" must be an array of groups, found ${describeValue(manifest)}.`);
  }
  manifest.forEach((group: unknown, g) => {
    const where = `weightsManifest[${g}]`;
    if (group === null || typeof group !== 'object') {
      throw new ArtifactError(file, `${where} must be an object with "paths" and "weights".`);
    }
    const { paths, weights } = group as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) {
      throw new ArtifactError(file, `${where}.paths must be an array of file names, found ${describeValue(paths)}.`);
    }
    if (!Array.isArray(weights)) {
      throw new ArtifactError(file, `${where}.weights must be an array, found ${describeValue(weights)}.`);
    }
    weights.forEach((w: unknown, i) => {
      const spec = w as Partial<tf.io.WeightsManifestEntry> | null;
      const at = `${where}.weights[${i}]`;
      if (spec === null || typeof spec !== 'object' || typeof spec.name !== 'string') {
        throw new ArtifactError(file, `${at} must have a string "name".`);
      }
      if (
        !Array.isArray(spec.shape) ||
        spec.shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      ) {
        throw new ArtifactError(file, `${at} ("${spec.name}") has an invalid shape ${describeValue(spec.shape)}.`);
      }
      if (typeof spec.dtype !== 'string' || (!(spec.dtype in DTYPE_BYTES) && spec.dtype !== 'string')) {
        throw new ArtifactError(file, `${at} ("${spec.name}") has an unknown dtype ${describeValue(spec.dtype)}.`);
      }
    });
  });
}

/**
 * Checks that `weightData` holds exactly the bytes the specs describe.
 *
 * @throws ArtifactError naming `file` with the expected and actual byte counts.
 */
export function checkWeightData(
  specs: readonly tf.io.WeightsManifestEntry[],
  weightData: ArrayBuffer,
  file: string,
): void {
  let expected = 0;
  for (const spec of specs) {
    const bytes = weightByteLength(spec);
    if (bytes === undefined) return; // string weights: length only known from the data itself
    expected += bytes;
  }
  if (weightData.byteLength < expected) {
    throw new ArtifactError(
      file,
      `weight data is truncated: the manifest describes ${expected} bytes but only ` +
        `${weightData.byteLength} were found. The save was interrupted or the file was cut; save ` +
        `the model again.`,
    );
  }
  if (weightData.byteLength > expected) {
    throw new ArtifactError(
      file,
      `weight data does not match the manifest: ${weightData.byteLength} bytes found, ` +
        `${expected} described. The weight files belong to a different model.json.`,
    );
  }
}

/** A deep copy of artifacts, so a stored copy cannot be mutated through the caller's buffers. */
export function cloneArtifacts(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const { weightData, ...rest } = artifacts;
  const copy = structuredClone(rest) as tf.io.ModelArtifacts;
  if (weightData !== undefined) copy.weightData = concatWeightData(weightData).slice(0);
  return copy;
}

/** Summary that tfjs expects back from `save`. */
export function artifactsInfo(artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifactsInfo {
  const weightData = concatWeightData(artifacts.weightData);
  const json = (value: unknown): number =>
    value === undefined ? 0 : new TextEncoder().encode(JSON.stringify(value)).byteLength;
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: json(artifacts.modelTopology),
    weightSpecsBytes: json(artifacts.weightSpecs),
    weightDataBytes: weightData.byteLength,
  };
}

const MEMORY_KEY = Symbol.for('@plasticity/core/memory-artifacts');

function memoryStore(): Map<string, tf.io.ModelArtifacts> {
  const holder = globalThis as unknown as Record<symbol, Map<string, tf.io.ModelArtifacts> | undefined>;
  let existing = holder[MEMORY_KEY];
  if (existing === undefined) {
    existing = new Map();
    holder[MEMORY_KEY] = existing;
  }
  return existing;
}

const MEMORY_SCHEME = 'memory://';

function memoryKey(key: string): string {
  return key.startsWith(MEMORY_SCHEME) ? key.slice(MEMORY_SCHEME.length) : key;
}

/**
 * An in-memory IO handler: `save` stores a deep copy under `key`, `load` returns a deep copy.
 * Useful in tests, in the browser, and to clone a model. Also reachable as `memory://key` once
 * {@link registerMemoryRouter} ran.
 *
 * @example
 * ```ts
 * await model.save(memoryIO('snapshot'));
 * const again = await loadModel(memoryIO('snapshot'));
 * ```
 */
export function memoryIO(key: string): tf.io.IOHandler {
  const name = memoryKey(key);
  const url = `${MEMORY_SCHEME}${name}`;
  return {
    save: async (artifacts) => {
      const copy = cloneArtifacts(artifacts);
      if (copy.weightSpecs !== undefined && copy.weightData !== undefined) {
        checkWeightData(copy.weightSpecs, copy.weightData as ArrayBuffer, url);
      }
      memoryStore().set(name, copy);
      return { modelArtifactsInfo: artifactsInfo(copy) };
    },
    load: async () => {
      const stored = memoryStore().get(name);
      if (stored === undefined) {
        const known = [...memoryStore().keys()].slice(0, 10).join(', ') || 'none';
        throw new ArtifactError(url, `nothing was saved under this key (saved keys: ${known}).`);
      }
      return cloneArtifacts(stored);
    },
  };
}

/** Deletes a `memory://` entry; returns whether it existed. */
export function deleteMemoryArtifacts(key: string): boolean {
  return memoryStore().delete(memoryKey(key));
}

const ROUTERS_KEY = Symbol.for('@plasticity/core/io-routers');
const OWN_HANDLERS_KEY = Symbol.for('@plasticity/core/io-handlers');

/** Handlers created by our routers: preferred when another library routes the same URL. */
function ownHandlers(): WeakSet<object> {
  const holder = globalThis as unknown as Record<symbol, WeakSet<object> | undefined>;
  return (holder[OWN_HANDLERS_KEY] ??= new WeakSet());
}

/**
 * Registers a tfjs save and load router for URLs that start with `scheme` (e.g. `'file://'`),
 * once per scheme per application. `createHandler` receives the whole URL.
 *
 * @returns whether this call registered it (false if the scheme already had a router).
 */
export function registerSchemeRouter(scheme: string, createHandler: (url: string) => tf.io.IOHandler): boolean {
  const holder = globalThis as unknown as Record<symbol, Set<string> | undefined>;
  const registered = (holder[ROUTERS_KEY] ??= new Set());
  if (registered.has(scheme)) return false;
  const own = (handler: tf.io.IOHandler): tf.io.IOHandler => {
    ownHandlers().add(handler);
    return handler;
  };
  registered.add(scheme);
  // tfjs routers return null for URLs they do not handle, though IORouter's type says otherwise.
  const router = ((url: string | string[]): tf.io.IOHandler | null =>
    typeof url === 'string' && url.startsWith(scheme) ? own(createHandler(url)) : null) as Parameters<
    typeof tf.io.registerSaveRouter
  >[0];
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
  return true;
}

/** Lets tfjs (and our loaders) resolve `memory://key` URLs. Idempotent. */
export function registerMemoryRouter(): void {
  registerSchemeRouter(MEMORY_SCHEME, memoryIO);
}

/**
 * Resolves a URL (or passes through a handler) to an IO handler for saving or loading, through
 * the tfjs routers.
 *
 * @throws ArtifactError if no router accepts the URL, with the registration call that fixes it.
 */
export function resolveIOHandler(target: string | tf.io.IOHandler, purpose: 'save' | 'load'): tf.io.IOHandler {
  if (typeof target !== 'string') return target;
  let handlers = purpose === 'save' ? tf.io.getSaveHandlers(target) : tf.io.getLoadHandlers(target);
  // tfjs-node registers its own file:// router; when ours also accepts the URL, ours is used.
  const ours = handlers.filter((h) => ownHandlers().has(h));
  if (handlers.length > 1 && ours.length === 1) handlers = ours;
  const handler = handlers[0];
  if (handler === undefined) {
    throw new ArtifactError(
      target,
      `no ${purpose} handler accepts this URL. For file:// in Node call registerFileRouter() from ` +
        `'@plasticity/core/node' (or pass fileIO(path)); for memory:// call registerMemoryRouter().`,
    );
  }
  if (handlers.length > 1) {
    throw new ArtifactError(target, `${handlers.length} ${purpose} handlers accept this URL; pass a handler instead.`);
  }
  return handler;
}
