/**
 * `@plasticity/backend-node`: `@tensorflow/tfjs-node` (TensorFlow's C library, libtensorflow)
 * behind the Plasticity backend contract. tfjs-node is an optional peer dependency: when it is
 * missing or its native binding does not load, `isSupported()` says so and what to install, and
 * `useBackend('auto')` moves on to the next backend.
 *
 * @example
 * ```ts
 * import { useBackend } from '@plasticity/core';
 * import '@plasticity/backend-node/register';
 * import '@plasticity/backend-wasm/register';
 *
 * const { backend, skipped } = await useBackend('auto'); // 'tensorflow' where tfjs-node loads
 * ```
 *
 * @packageDocumentation
 */
import type { BackendPlugin, BackendSupport } from '@plasticity/core';

/** The tfjs backend name tfjs-node registers (and so this plugin's name). */
export const NODE_BACKEND_NAME = 'tensorflow';

/** The reason given when `@tensorflow/tfjs-node` is not installed. */
export const NOT_INSTALLED_REASON =
  '@tensorflow/tfjs-node is not installed: npm install @tensorflow/tfjs-node ' +
  '(its install script downloads libtensorflow; needs network)';

/** Options of `createNodeBackend(options)` (for tests and custom setups). */
export interface CreateNodeBackendOptions {
  /**
   * Loads tfjs-node (default `import('@tensorflow/tfjs-node')`); tests inject a fake. Loading it
   * registers its 'tensorflow' backend, its kernels and its own file:// router with tfjs-core.
   */
  loadBinding?: () => Promise<unknown>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns a failed `import('@tensorflow/tfjs-node')` into an actionable reason. */
export function bindingFailureReason(error: unknown): string {
  // Node: ERR_MODULE_NOT_FOUND "Cannot find package '@tensorflow/tfjs-node'"; Vite/vitest:
  // 'Could not resolve "@tensorflow/tfjs-node"'. A missing dependency *of* tfjs-node is not this.
  if (/(Cannot find (package|module)|Could not resolve) ['"]@tensorflow\/tfjs-node['"]/.test(errorText(error))) {
    return NOT_INSTALLED_REASON;
  }
  return (
    `@tensorflow/tfjs-node is installed but failed to load: ${errorText(error)}. Its native binding ` +
    'comes from its install script (it downloads libtensorflow): reinstall it with network access, ' +
    'e.g. npm rebuild @tensorflow/tfjs-node'
  );
}

/**
 * Creates a tfjs-node backend plugin. Use the ready-made {@link nodeBackend} unless you need to
 * inject how tfjs-node is loaded.
 */
export function createNodeBackend(options: CreateNodeBackendOptions = {}): BackendPlugin {
  // A specifier in a variable: tfjs-node is optional, so neither tsc nor bundlers may require it.
  const specifier = '@tensorflow/tfjs-node';
  const loadBinding = options.loadBinding ?? (() => import(specifier));
  let attempt: Promise<BackendSupport> | undefined;
  // tfjs-node can only be imported once per process, so the first outcome is the answer.
  const tryLoad = (): Promise<BackendSupport> =>
    (attempt ??= loadBinding().then(
      (): BackendSupport => ({ supported: true }),
      (error: unknown): BackendSupport => ({ supported: false, reason: bindingFailureReason(error) }),
    ));

  return {
    name: NODE_BACKEND_NAME,
    priority: 50,
    description: '@tensorflow/tfjs-node: TensorFlow C library (libtensorflow) kernels, Node only',
    isSupported(): Promise<BackendSupport> | BackendSupport {
      if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') {
        return { supported: false, reason: '@tensorflow/tfjs-node runs only in Node.js' };
      }
      return tryLoad();
    },
    async load(): Promise<void> {
      const support = await tryLoad();
      if (!support.supported) throw new Error(support.reason);
      // tfjs-node routes file:// itself; register core's handler (atomic writes, clear errors),
      // which Plasticity's loaders prefer when both accept a URL. `#file-router` is core's Node
      // entry in Node and a stub elsewhere, so browser bundles of this package never reach node:fs.
      const { registerFileRouter } = await import('#file-router');
      registerFileRouter();
    },
  };
}

/** The tfjs-node backend plugin (`name: 'tensorflow'`, priority 50). Importing this registers nothing. */
export const nodeBackend: BackendPlugin = createNodeBackend();
