/**
 * Saves from several processes into one folder, one of them killed mid-loop (SIGKILL): every
 * surviving save must commit a loadable model (no cleanup may take a file a live writer is about
 * to rename or commit), and the next save must remove what the killed writer left. The child
 * processes run the built `dist/` (the integration run builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileIO } from './file-io.js';

const DIST = pathToFileURL(join(import.meta.dirname, '../../dist/node/index.js')).href;

/** A child that saves `count` models (3 shards each) into `dir`, then prints "done". */
function saver(dir: string, seed: number, count: number): ChildProcess {
  const script = `
    const { fileIO } = await import(${JSON.stringify(DIST)});
    for (let k = 0; k < ${count}; k++) {
      const w = new Float32Array([${seed}, k, ${seed} + k, 1, 2, 3]);
      await fileIO(${JSON.stringify(dir)}, { shardBytes: 8 }).save({
        modelTopology: { seed: ${seed}, k },
        weightSpecs: [{ name: 'w', shape: [6], dtype: 'float32' }],
        weightData: w.buffer,
      });
    }
    console.log('done');
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plasticity-io-procs-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('fileIO saves from concurrent processes', () => {
  it('never removes a live writer’s files, and cleans up after a killed one', async () => {
    const target = join(dir, 'model');
    const live = [1, 2, 3].map((seed) => saver(target, seed, 25));
    const victim = saver(target, 9, 1000);
    const results = live.map(finished);
    const killed = finished(victim);
    setTimeout(() => victim.kill('SIGKILL'), 300);
    for (const r of await Promise.all(results)) {
      expect(r.err).toBe('');
      expect(r.out.trim()).toBe('done');
    }
    expect((await killed).code).toBeNull(); // killed by the signal, mid-loop
    // Whatever model.json says now must load.
    const loaded = await fileIO(target).load!();
    expect((loaded.weightData as ArrayBuffer).byteLength).toBe(24);
    // One more save (this process) removes the killed writer's temporaries and orphan shards.
    await fileIO(target, { shardBytes: 8 }).save!({
      modelTopology: { final: true },
      weightSpecs: [{ name: 'w', shape: [6], dtype: 'float32' }],
      weightData: new Float32Array(6).buffer,
    });
    const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    const files = (await readdir(target)).sort();
    expect(files).toEqual(['model.json', ...json.weightsManifest[0].paths].sort());
  }, 120_000);
});
