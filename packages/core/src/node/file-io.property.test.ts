/**
 * Property-based tests of the `file://` loader: a saved model folder is copied, then its
 * model.json and shards are mutated (truncations, byte flips, shape/dtype lies, giant declared
 * sizes, paths that leave the folder, shards replaced by symbolic links to a file outside, by
 * folders, or removed). The property: `load()` gives artifacts whose weight bytes match the
 * manifest, or a typed `PlasticityError`; never another error, a hang, an allocation out of
 * proportion, or a read of the outside file (its bytes, name and size never show). `FUZZ_RUNS`
 * sets the number of cases (`pnpm fuzz` runs 10,000).
 */
import { cp, lstat, mkdtemp, readFile, readdir, rm, symlink, truncate, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weightByteLength } from '../artifacts.js';
import { PlasticityError } from '../errors.js';
import { fileIO } from './file-io.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100);
const options = { numRuns: RUNS, timeout: 10_000, markInterruptAsFailure: true };
const MEMORY_BOUND = 64 * 1024 * 1024;
const SECRET_SIZE = 77_777;
const SECRET_BYTE = 0xab;

let root: string;
let template: string;
let secret: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'plasticity-io-fuzz-'));
  template = join(root, 'template');
  secret = join(root, 'secret.bin');
  await writeFile(secret, new Uint8Array(SECRET_SIZE).fill(SECRET_BYTE));
  const w = new Float32Array([1, 2, 3, 4, 5]);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: { layers: 2 },
    weightSpecs: [
      { name: 'dense/kernel', shape: [3], dtype: 'float32' },
      { name: 'dense/bias', shape: [2], dtype: 'float32' },
    ],
    weightData: w.buffer,
  };
  await fileIO(template, { shardBytes: 8 }).save!(artifacts);
});
afterAll(() => rm(root, { recursive: true, force: true }));

type JsonLie =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; char: string }
  | { kind: 'shape'; weight: number; shape: unknown }
  | { kind: 'dtype'; weight: number; dtype: unknown }
  | { kind: 'path'; index: number; path: unknown }
  | { kind: 'manifest'; value: unknown };

type ShardLie =
  | { kind: 'cut'; index: number; size: number }
  | { kind: 'grow'; index: number; size: number }
  | { kind: 'link-outside'; index: number }
  | { kind: 'folder'; index: number }
  | { kind: 'remove'; index: number };

const huge = fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, 1e308, -1, 1.5, 0, Number.NaN);
const jsonLie: fc.Arbitrary<JsonLie> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    char: fc.constantFrom('"', '{', ']', '0', 'x', ',', '\\'),
  }),
  fc.record({
    kind: fc.constant('shape' as const),
    weight: fc.nat(1),
    shape: fc.oneof(
      fc.array(huge, { maxLength: 3 }),
      fc.array(fc.nat(8), { maxLength: 3 }),
      fc.constantFrom(null, 'x', {}),
    ),
  }),
  fc.record({
    kind: fc.constant('dtype' as const),
    weight: fc.nat(1),
    dtype: fc.constantFrom('float32', 'int32', 'bool', 'string', 'complex64', 'float16', 'uint8', 'x', null, 7),
  }),
  fc.record({
    kind: fc.constant('path' as const),
    index: fc.nat(2),
    path: fc.constantFrom(
      '../secret.bin',
      '../../etc/passwd',
      '/etc/passwd',
      'SECRET_ABSOLUTE',
      'a/../../secret.bin',
      'link.bin',
      'dirlink/secret.bin',
      '',
      '.',
      42,
      null,
    ),
  }),
  fc.record({
    kind: fc.constant('manifest' as const),
    value: fc.constantFrom(null, {}, [], [null], [{}], [{ paths: 'x', weights: [] }], 'x'),
  }),
);
const shardLie: fc.Arbitrary<ShardLie> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), index: fc.nat(2), size: fc.nat(8) }),
  fc.record({ kind: fc.constant('grow' as const), index: fc.nat(2), size: fc.constantFrom(9, 100, 64 * 1024 * 1024) }),
  fc.record({ kind: fc.constant('link-outside' as const), index: fc.nat(2) }),
  fc.record({ kind: fc.constant('folder' as const), index: fc.nat(2) }),
  fc.record({ kind: fc.constant('remove' as const), index: fc.nat(2) }),
);

async function applyJson(dir: string, lie: JsonLie): Promise<void> {
  const path = join(dir, 'model.json');
  const text = await readFile(path, 'utf8');
  if (lie.kind === 'truncate') return writeFile(path, text.slice(0, lie.at % (text.length + 1)));
  if (lie.kind === 'flip') {
    const at = lie.at % text.length;
    return writeFile(path, text.slice(0, at) + lie.char + text.slice(at + 1));
  }
  const json = JSON.parse(text) as { weightsManifest: { paths: unknown[]; weights: Record<string, unknown>[] }[] };
  const group = json.weightsManifest[0]!;
  if (lie.kind === 'shape') group.weights[lie.weight]!['shape'] = lie.shape;
  if (lie.kind === 'dtype') group.weights[lie.weight]!['dtype'] = lie.dtype;
  if (lie.kind === 'path') {
    group.paths[lie.index % group.paths.length] = lie.path === 'SECRET_ABSOLUTE' ? secret : lie.path;
    await symlink(secret, join(dir, 'link.bin'));
    await symlink(root, join(dir, 'dirlink'));
  }
  if (lie.kind === 'manifest') (json as Record<string, unknown>)['weightsManifest'] = lie.value;
  await writeFile(path, JSON.stringify(json));
}

async function applyShard(dir: string, lie: ShardLie): Promise<void> {
  const shards = (await readdir(dir)).filter((f) => f.endsWith('.bin')).sort();
  const shard = join(dir, shards[lie.index % shards.length]!);
  if (lie.kind === 'cut') return truncate(shard, lie.size % 8);
  if (lie.kind === 'grow') return truncate(shard, lie.size);
  await rm(shard, { recursive: true, force: true });
  if (lie.kind === 'link-outside') await symlink(secret, shard);
  if (lie.kind === 'folder') await mkdir(shard);
}

/** Bytes of the regular files directly in `dir` (links not followed). */
async function bytesInside(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const info = await lstat(join(dir, name));
    if (info.isFile()) total += info.size;
  }
  return total;
}

function describedBytes(specs: tf.io.WeightsManifestEntry[]): number {
  return specs.reduce((sum, s) => sum + (weightByteLength(s) ?? Number.NaN), 0);
}

describe('fileIO load (property-based)', () => {
  it('a typed error or artifacts that match the manifest; never a read outside the folder', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(jsonLie, { maxLength: 2 }),
        fc.array(shardLie, { maxLength: 2 }),
        async (jsonLies, shardLies) => {
          const dir = join(root, `case-${n++}`);
          await cp(template, dir, { recursive: true });
          try {
            // A lie that does not apply (truncating a shard that is now a folder) is skipped.
            for (const lie of shardLies) await applyShard(dir, lie).catch(() => undefined);
            for (const lie of jsonLies) await applyJson(dir, lie).catch(() => undefined);
            const onDisk = await bytesInside(dir);
            const before = process.memoryUsage().arrayBuffers;
            try {
              const artifacts = await fileIO(dir).load!();
              const data = new Uint8Array(artifacts.weightData as ArrayBuffer);
              expect(data.byteLength).not.toBe(SECRET_SIZE);
              const described = describedBytes(artifacts.weightSpecs!);
              // String weights have no fixed size: tfjs checks them when decoding.
              if (!Number.isNaN(described)) expect(data.byteLength).toBe(described);
              const run = Buffer.from(data).indexOf(Buffer.alloc(16, SECRET_BYTE));
              expect(run).toBe(-1);
            } catch (error) {
              if (!(error instanceof PlasticityError)) throw error;
              expect(error.message).not.toContain(String(SECRET_SIZE));
              expect(error.message).not.toContain('secret.bin' + ' ');
            }
            // Reading what is really in the folder is fine (string weights have no declared size);
            // allocating what a manifest merely declares is not.
            expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MEMORY_BOUND + onDisk);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      options,
    );
  });
});
