/**
 * Keeps Node's own reporting of uncaught errors once the wasm backend is running.
 *
 * The Emscripten glue in tfjs-backend-wasm 4.22 adds, under Node, an `uncaughtException` listener
 * that rethrows everything but its own `ExitStatus`, and an `unhandledRejection` listener that
 * rethrows the reason. After that, every uncaught error of the app, whatever its cause, is
 * reported as thrown from inside tfjs-backend-wasm's bundle (Node prints that line of the bundle,
 * which in a minified build is ~38 KB of source, before the message), and the process exits with
 * code 7 ("uncaught exception handler failed") instead of 1. tfjs gains nothing from them: a wasm
 * abort is a `WebAssembly.RuntimeError` thrown to the caller of the kernel (or a rejection of the
 * backend's initialization), which Node reports by itself.
 *
 * The backend factory is wrapped so that the listeners the glue adds while it initializes are
 * removed as soon as it has (or has failed to). Listeners the app adds are left alone, and kept
 * when the backend is disposed (see {@link keepListenersOnDispose}).
 */
import * as tf from '@tensorflow/tfjs-core';

type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
const EVENTS: readonly ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];
type Listener = (...args: unknown[]) => void;

interface ProcessLike {
  listeners(event: ProcessEvent): Listener[];
  on(event: ProcessEvent, listener: Listener): unknown;
  removeListener(event: ProcessEvent, listener: Listener): unknown;
}

interface FactoryEntry {
  factory: () => tf.KernelBackend | Promise<tf.KernelBackend>;
  priority: number;
}

const wrappedFactories = new WeakSet<object>();
let glueListenersRemoved = false;

function nodeProcess(): ProcessLike | undefined {
  const proc = (globalThis as { process?: Partial<ProcessLike> }).process;
  return typeof proc?.listeners === 'function' && typeof proc.removeListener === 'function'
    ? (proc as ProcessLike)
    : undefined;
}

/** The Emscripten glue's listeners are one-argument functions that rethrow it (`throw ex`, `throw reason`). */
function isRethrower(listener: Listener): boolean {
  return /^function\s*\((\w+)\)\s*\{[^]*\bthrow \1\b/.test(Function.prototype.toString.call(listener));
}

/**
 * Removes the rethrowing listeners that were added since `before` (a snapshot of
 * `process.listeners` per event). Returns how many were removed.
 */
export function removeEmscriptenListeners(before: ReadonlyMap<ProcessEvent, readonly Listener[]>): number {
  const proc = nodeProcess();
  if (proc === undefined) return 0;
  let removed = 0;
  for (const event of EVENTS) {
    const old = new Set(before.get(event) ?? []);
    for (const listener of proc.listeners(event)) {
      if (old.has(listener) || !isRethrower(listener)) continue;
      proc.removeListener(event, listener);
      removed++;
    }
  }
  return removed;
}

function snapshot(): Map<ProcessEvent, Listener[]> {
  const proc = nodeProcess();
  return new Map(EVENTS.map((event) => [event, proc?.listeners(event) ?? []]));
}

/** The part of tfjs-backend-wasm's BackendWasm whose `dispose` runs the glue's `_dispose`. */
interface DisposableWasm {
  wasm?: { tfjs?: { dispose?: () => void } };
}

/**
 * The glue's `_dispose` (run by the backend's `dispose`, e.g. on `tf.removeBackend('wasm')`) is
 * meant to remove the listeners the glue added, but its filter (`!list.indexOf(l) > -1`) is always
 * true: it removes every `uncaughtException` and `unhandledRejection` listener the process had when
 * the backend started, the app's own included. Put those back.
 */
export function keepListenersOnDispose(backend: unknown): void {
  const tfjs = (backend as DisposableWasm).wasm?.tfjs;
  const dispose = tfjs?.dispose;
  const proc = nodeProcess();
  if (tfjs === undefined || typeof dispose !== 'function' || proc === undefined) return;
  tfjs.dispose = () => {
    const before = snapshot();
    try {
      dispose();
    } finally {
      for (const event of EVENTS) {
        const now = new Set(proc.listeners(event));
        for (const listener of before.get(event) ?? []) if (!now.has(listener)) proc.on(event, listener);
      }
    }
  };
}

/**
 * Wraps the registered `wasm` backend factory (in place, so a factory installed before, such as
 * the threaded one, is kept) so that it removes the Emscripten glue's process listeners once the
 * backend has initialized. Idempotent; outside Node it does nothing.
 */
export function keepNodeErrorReporting(): void {
  if (nodeProcess() === undefined) return;
  const engine = tf.engine() as unknown as {
    registry: Record<string, unknown>;
    registryFactory: Record<string, FactoryEntry | undefined>;
  };
  // Initialized without our factory (tf.setBackend('wasm') before this plugin loaded): the
  // glue's listeners are there. The factory is still wrapped below, for a re-initialization.
  if (engine.registry['wasm'] != null && !glueListenersRemoved) {
    removeEmscriptenListeners(new Map());
    keepListenersOnDispose(engine.registry['wasm']);
    glueListenersRemoved = true;
  }
  const entry = engine.registryFactory['wasm'];
  if (entry === undefined || wrappedFactories.has(entry.factory)) return;
  const original = entry.factory;
  const factory = async (): Promise<tf.KernelBackend> => {
    const before = snapshot();
    let backend: tf.KernelBackend;
    try {
      backend = await original();
    } finally {
      removeEmscriptenListeners(before);
    }
    glueListenersRemoved = true;
    keepListenersOnDispose(backend);
    return backend;
  };
  wrappedFactories.add(factory);
  entry.factory = factory;
}
