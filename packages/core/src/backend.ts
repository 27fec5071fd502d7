/**
 * The backend plugin contract and backend selection.
 *
 * A backend package exports a {@link BackendPlugin} and registers nothing on import; its
 * `register` entry (or the user) calls {@link registerBackendPlugin}. {@link useBackend} then picks
 * the first usable backend and reports why each other one was skipped. It never falls back
 * silently: tfjs's own `setBackend` returns `false` and keeps whatever backend it had, which is
 * detected and reported here.
 *
 * @example
 * ```ts
 * import { useBackend } from '@plasticity/core';
 * import '@plasticity/backend-wasm/register';
 * import '@plasticity/backend-cpu/register';
 *
 * const { backend, skipped } = await useBackend('auto');
 * console.log(`using ${backend}`, skipped); // e.g. using wasm []
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, ValueError, describeValue, type BackendSkip } from './errors.js';
import { forgetArrayKernelsOf, registerArrayKernels, type ArrayKernelModule } from './array-kernels.js';
import { forgetHostMemory, installHostKernelsFor, type HostMemory } from './host-kernels.js';

/** The result of a support check. */
export interface BackendSupport {
  /** Whether the backend can run here. */
  supported: boolean;
  /** Why the backend cannot run here, and what to install or change. Required when unsupported. */
  reason?: string;
}

/** What a backend package exports. */
export interface BackendPlugin<Options = unknown> {
  /** The tfjs backend name this plugin provides (`'wasm'`, `'cpu'`, …). */
  readonly name: string;
  /** Higher wins in `useBackend('auto')`. Built-ins: webgpu 40, webgl 30, node 50, wasm 20, cpu 10. */
  readonly priority: number;
  /** One line for listings. */
  readonly description?: string;
  /** Feature detection only: no side effects, safe to call repeatedly. */
  isSupported(): BackendSupport | Promise<BackendSupport>;
  /** Loads the implementation and registers its tfjs backend factory. Idempotent. */
  load(options?: Options): Promise<void>;
  /**
   * For backends whose tensors live in host memory (CPU, wasm): how host kernels read and
   * allocate tensors. With it, every kernel registered through `registerHostKernel` also runs on
   * this backend.
   */
  readonly hostMemory?: HostMemory;
  /**
   * Array kernels this backend package provides (see `getArrayKernels`), e.g. the wasm plugin's
   * SIMD matrix factorisation. They need no tensors, so they are available from
   * `registerBackendPlugin` on, whichever backend is active, until `unregisterBackendPlugin`.
   */
  readonly arrayKernels?: readonly ArrayKernelModule[];
}

/** A backend choice: what `useBackend` accepts. */
export type BackendSpec = 'auto' | string | readonly string[];

/** Options of `useBackend(spec, options)`. */
export interface UseBackendOptions {
  /** Options for each backend's `load`, by backend name, e.g. `{ wasm: { threads: 2 } }`. */
  options?: Readonly<Record<string, unknown>>;
}

/** What `useBackend` chose and why it skipped the others. */
export interface BackendChoice {
  /** The active tfjs backend name (equal to `tf.getBackend()`). */
  backend: string;
  /** Every candidate tried before `backend`, with the reason it was not used. */
  skipped: BackendSkip[];
}

/** One row of {@link listBackends}. */
export interface BackendInfo {
  /** The tfjs backend name. */
  name: string;
  /** Its priority in `useBackend('auto')` (higher first). */
  priority: number;
  /** One line about it. */
  description: string;
  /** Whether a Plasticity plugin provides it (otherwise only tfjs knows it). */
  plugin: boolean;
  /** Whether tfjs has a factory registered for it (after the plugin's `load`). */
  registeredWithTfjs: boolean;
  /** Whether it is the active backend. */
  active: boolean;
}

const STORE_KEY = Symbol.for('@plasticity/core/backends');

interface BackendStore {
  plugins: Map<string, BackendPlugin>;
  initErrors: Map<string, unknown>;
  wrapped: WeakSet<object>;
}

function backendStore(): BackendStore {
  const holder = globalThis as unknown as Record<symbol, BackendStore | undefined>;
  let existing = holder[STORE_KEY];
  if (existing === undefined) {
    existing = { plugins: new Map(), initErrors: new Map(), wrapped: new WeakSet() };
    holder[STORE_KEY] = existing;
  }
  return existing;
}

/**
 * Makes a backend plugin available to {@link useBackend} and {@link listBackends}.
 * Registering the same plugin object twice is a no-op; a different plugin with the same name
 * replaces the first only with `{ override: true }`.
 */
export function registerBackendPlugin(plugin: BackendPlugin<never>, options: { override?: boolean } = {}): void {
  if (typeof plugin?.name !== 'string' || plugin.name === '') {
    throw new ValueError(`A backend plugin needs a non-empty name; got ${describeValue(plugin?.name)}.`, {
      field: 'name',
      value: plugin?.name,
    });
  }
  if (typeof plugin.isSupported !== 'function' || typeof plugin.load !== 'function') {
    throw new ValueError(`Backend plugin "${plugin.name}" must implement isSupported() and load(options).`, {
      field: 'plugin',
      value: plugin.name,
    });
  }
  if (!Number.isFinite(plugin.priority)) {
    throw new ValueError(
      `Backend plugin "${plugin.name}" needs a finite priority; got ${describeValue(plugin.priority)}.`,
      { field: 'priority', value: plugin.priority },
    );
  }
  const { plugins } = backendStore();
  const existing = plugins.get(plugin.name);
  if (existing !== undefined && existing !== plugin && options.override !== true) {
    throw new ValueError(
      `A backend plugin named "${plugin.name}" is already registered. Pass { override: true } to ` +
        `registerBackendPlugin to replace it.`,
      { field: 'name', value: plugin.name },
    );
  }
  plugins.set(plugin.name, plugin as BackendPlugin);
  installHostKernelsFor(plugin);
  if (existing !== undefined && existing !== plugin) forgetArrayKernelsOf(plugin.name);
  for (const module of plugin.arrayKernels ?? []) registerArrayKernels(module, plugin.name);
}

/** Removes a backend plugin (tfjs keeps any factory it already registered). */
export function unregisterBackendPlugin(name: string): boolean {
  forgetHostMemory(name);
  forgetArrayKernelsOf(name);
  return backendStore().plugins.delete(name);
}

/** The registered plugin for `name`, if any. */
export function getBackendPlugin(name: string): BackendPlugin | undefined {
  return backendStore().plugins.get(name);
}

function tfjsPriority(name: string): number | undefined {
  const registry = (tf.engine() as unknown as { registryFactory: Record<string, { priority: number }> })
    .registryFactory;
  return registry[name]?.priority;
}

/**
 * Every backend known to Plasticity plugins or to tfjs, highest priority first. Synchronous: it
 * does not run support checks (use {@link useBackend} for that).
 */
export function listBackends(): BackendInfo[] {
  const { plugins } = backendStore();
  const names = new Set<string>([
    ...plugins.keys(),
    ...Object.keys((tf.engine() as unknown as { registryFactory: Record<string, unknown> }).registryFactory),
  ]);
  const active = activeBackendName();
  return [...names]
    .map((name): BackendInfo => {
      const plugin = plugins.get(name);
      return {
        name,
        priority: plugin?.priority ?? tfjsPriority(name) ?? 0,
        description: plugin?.description ?? 'registered directly with tfjs',
        plugin: plugin !== undefined,
        registeredWithTfjs: tf.findBackendFactory(name) != null,
        active: name === active,
      };
    })
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
}

function activeBackendName(): string | undefined {
  // tf.getBackend() initializes the best backend as a side effect when none is active; read the
  // engine's field instead so that listing never changes state.
  return (tf.engine() as unknown as { backendName?: string | null }).backendName ?? undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Wraps the tfjs factory of `name` so that an initialization error is kept for the report
 * (tfjs only logs it and returns false).
 */
function captureInitErrors(name: string): void {
  const store = backendStore();
  const factory = tf.findBackendFactory(name);
  if (factory == null || store.wrapped.has(factory)) return;
  const priority = tfjsPriority(name) ?? 1;
  const wrapped = async (): Promise<tf.KernelBackend> => {
    try {
      return await factory();
    } catch (error) {
      store.initErrors.set(name, error);
      throw error;
    }
  };
  store.wrapped.add(wrapped);
  tf.removeBackend(name);
  tf.registerBackend(name, wrapped, priority);
}

function candidatesFor(spec: BackendSpec): string[] {
  if (spec === 'auto') {
    return [...backendStore().plugins.values()]
      .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name))
      .map((p) => p.name);
  }
  const names = typeof spec === 'string' ? [spec] : [...spec];
  if (names.length === 0 || names.some((n) => typeof n !== 'string' || n === '')) {
    throw new ValueError(
      `useBackend needs 'auto', a backend name, or a non-empty list of names; got ${describeValue(spec)}.`,
      { field: 'spec', value: spec },
    );
  }
  return names;
}

async function tryBackend(name: string, options: unknown): Promise<string | null> {
  const store = backendStore();
  const plugin = store.plugins.get(name);
  if (plugin === undefined && tf.findBackendFactory(name) == null) {
    return (
      `no backend plugin named "${name}" is registered: install @plasticity/backend-${name} and ` +
      `import '@plasticity/backend-${name}/register' (or call registerBackendPlugin(yourPlugin))`
    );
  }
  if (plugin !== undefined) {
    let support: BackendSupport;
    try {
      support = await plugin.isSupported();
    } catch (error) {
      return `support check threw: ${errorText(error)}`;
    }
    if (!support.supported) return support.reason ?? 'not supported in this environment';
    try {
      await plugin.load(options);
    } catch (error) {
      return `loading failed: ${errorText(error)}`;
    }
    if (tf.findBackendFactory(name) == null) {
      return `plugin "${name}" loaded but registered no tfjs backend named "${name}"`;
    }
  }
  captureInitErrors(name);
  store.initErrors.delete(name);
  const previous = activeBackendName();
  let switched: boolean;
  let thrown: unknown;
  try {
    switched = await tf.setBackend(name);
  } catch (error) {
    switched = false;
    thrown = error;
  }
  if (switched && activeBackendName() === name) return null;
  // A failed tfjs setBackend leaves the engine naming the failed backend with no instance; the
  // next op would then silently initialize whatever tfjs ranks best. Put the previous one back.
  if (previous !== undefined && previous !== name) await tf.setBackend(previous);
  const cause = thrown ?? store.initErrors.get(name);
  return (
    `tfjs failed to initialize it${cause === undefined ? '' : `: ${errorText(cause)}`}` +
    (previous === undefined || previous === name ? '' : ` (tfjs kept "${previous}" active)`)
  );
}

/**
 * Activates a backend and reports the choice.
 *
 * - `'auto'`: every registered plugin, highest priority first.
 * - a name or a list of names: those, in order. A name tfjs knows without a plugin is allowed.
 *
 * @throws BackendUnavailableError when no candidate works; `error.skipped` has each reason.
 */
export async function useBackend(spec: BackendSpec = 'auto', options: UseBackendOptions = {}): Promise<BackendChoice> {
  const candidates = candidatesFor(spec);
  const skipped: BackendSkip[] = [];
  for (const name of candidates) {
    const reason = await tryBackend(name, options.options?.[name]);
    if (reason === null) return { backend: name, skipped };
    skipped.push({ name, reason });
  }
  const details =
    skipped.length === 0
      ? "no backend plugins are registered: import a backend's register entry, e.g. " +
        "import '@plasticity/backend-wasm/register'"
      : skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  const active = activeBackendName();
  throw new BackendUnavailableError(
    `No usable backend for ${describeValue(spec)}: ${details}.` +
      (active === undefined ? '' : ` The active backend is still "${active}".`),
    skipped,
  );
}
