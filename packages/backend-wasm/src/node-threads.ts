/**
 * Multi-threaded tfjs-backend-wasm in Node.
 *
 * tfjs-backend-wasm 4.22 turns threads off under Node, and its threaded build cannot start there
 * as shipped: (1) the `WASM_HAS_MULTITHREAD_SUPPORT` flag returns false when `IS_NODE`; (2) the
 * pthread workers are created from `blob:` URLs, which Node's Worker rejects (ERR_WORKER_PATH);
 * (3) each worker evaluates the factory's source, which names bundle-local helpers
 * (`require$$0`, `__read`, …); (4) the C++ side caps threads at half of `os.cpus().length`, i.e.
 * one thread on a 2-core machine.
 *
 * While the backend initializes (and only then) this module: sets the flag; reports
 * `2 × threads` cores; swaps `globalThis.Worker` for a Worker that starts a small bootstrap,
 * which recreates the helpers and runs the package's own worker script; then restores both and
 * `unref()`s the pthread workers so that they never keep the process alive. Nothing in
 * node_modules is modified. It is tied to the 4.22 build of the package (the helper names and
 * the worker protocol are rollup/Emscripten output), so other versions are refused.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from '@plasticity/core';
import { resolveObjectURL } from 'node:buffer';
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker as NodeWorker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** The tfjs-backend-wasm versions whose threaded build this module knows how to start. */
export const SUPPORTED_WASM_VERSIONS = /^4\.22\./;

// The body of every pthread worker (CommonJS, evaluated): runs the package's worker script
// (a Blob) against a proxied parentPort and serves the factory Blob of the 'load' message to
// importScripts() from memory.
const BOOTSTRAP = `'use strict';
const wt = require('worker_threads'), fs = require('fs');
const { EventEmitter } = require('events');
const FACTORY = 'tfjs-wasm-threaded-factory.js';
let factorySrc = null;
const head = fs.readFileSync(wt.workerData.bundle, 'utf8').slice(0, 20000);
for (const m of head.matchAll(/^var (require\\$\\$\\d+) = require\\('([^']+)'\\);$/gm)) {
  globalThis[m[1]] = require(m[2]);
}
Object.assign(globalThis, {
  commonjsGlobal: globalThis,
  __values: (o) => { const it = o[Symbol.iterator](); return { next: () => it.next() }; },
  __read: (o, n) => { const a = Array.from(o); return n === undefined ? a : a.slice(0, n); },
  __spreadArray: (to, from) => to.concat(Array.from(from)),
});
const port = wt.parentPort, fakePort = new EventEmitter();
fakePort.postMessage = (m, t) => port.postMessage(m, t);
const fakeWt = Object.assign({}, wt, { parentPort: fakePort });
const req = (id) => /^(node:)?worker_threads$/.test(id) ? fakeWt : require(id);
let chain = wt.workerData.workerBlob.text().then((src) => {
  new Function('require', '__filename', src)(req, __filename);
  const origImport = globalThis.importScripts;
  globalThis.importScripts = (f) => f === FACTORY ? (0, eval)(factorySrc) : origImport(f);
});
port.on('message', (data) => {
  chain = chain.then(async () => {
    if (data && data.cmd === 'load' && typeof data.urlOrBlob !== 'string') {
      factorySrc = await data.urlOrBlob.text();
      data.urlOrBlob = FACTORY;
    }
    fakePort.emit('message', data);
  }).catch((e) => process.nextTick(() => { throw e; }));
});`;

function makeWorkerClass(bundle: string): typeof NodeWorker {
  return class PthreadWorker extends NodeWorker {
    constructor(url: string | URL, options?: ConstructorParameters<typeof NodeWorker>[1]) {
      if (typeof url === 'string' && url.startsWith('blob:')) {
        const workerBlob = resolveObjectURL(url);
        if (workerBlob === undefined) throw new Error(`cannot resolve the wasm worker script ${url}`);
        super(BOOTSTRAP, { eval: true, workerData: { workerBlob, bundle } });
      } else {
        super(url, options);
      }
    }
  };
}

interface WasmModuleLike {
  PThread?: { runningWorkers: { unref(): void }[] };
}

/**
 * Replaces the registered 'wasm' backend factory with one that starts the threaded build with
 * `threads` threads (main thread included; the wasm code caps it at 8). Must run before the
 * 'wasm' backend is first initialized.
 */
export function installThreadedFactory(threads: number, setThreadsCount: (n: number) => void): void {
  const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
  if (!SUPPORTED_WASM_VERSIONS.test(version)) {
    throw new BackendUnavailableError(
      `threads > 1 in Node supports @tensorflow/tfjs-backend-wasm 4.22.x; found ${version}. Use { threads: 1 } ` +
        'or pin @tensorflow/tfjs-backend-wasm@4.22.0.',
      [{ name: 'wasm', reason: `unsupported tfjs-backend-wasm ${version} for threads` }],
    );
  }
  const engine = tf.engine() as unknown as {
    registry: Record<string, unknown>;
    registryFactory: Record<string, { factory: () => Promise<tf.KernelBackend>; priority: number }>;
  };
  if (engine.registry['wasm'] != null) {
    throw new BackendUnavailableError(
      "the 'wasm' backend is already initialized single-threaded; choose threads before its first use " +
        '(the first useBackend call or tensor op), or restart the process.',
      [{ name: 'wasm', reason: 'already initialized' }],
    );
  }
  const registered = engine.registryFactory['wasm'];
  if (registered === undefined) throw new Error("tfjs-backend-wasm registered no 'wasm' factory");
  const original = registered.factory;
  const bundle = require.resolve('@tensorflow/tfjs-backend-wasm');
  const PthreadWorker = makeWorkerClass(bundle);

  const threadedFactory = async (): Promise<tf.KernelBackend> => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(threads);
    const realCpus = os.cpus;
    const previousWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
    // backend.cc: threads = min(requested, 8, emscripten_num_logical_cores() / 2)
    os.cpus = () => {
      const cpus = realCpus();
      return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]!);
    };
    // The Emscripten glue assigns globalThis.Worker = worker_threads.Worker, then creates workers.
    Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => undefined });
    let backend: tf.KernelBackend;
    try {
      backend = await original();
    } finally {
      os.cpus = realCpus;
      if (previousWorker !== undefined) Object.defineProperty(globalThis, 'Worker', previousWorker);
      else delete (globalThis as { Worker?: unknown }).Worker;
    }
    // XNNPACK's pthreads wait forever; unref them so that they never keep Node alive.
    const module = (backend as unknown as { wasm?: WasmModuleLike }).wasm;
    for (const worker of module?.PThread?.runningWorkers ?? []) worker.unref();
    return backend;
  };
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', threadedFactory, registered.priority);
}
