/**
 * `@plasticity/backend-webgpu`: tfjs's WebGPU backend (`@tensorflow/tfjs-backend-webgpu`) behind
 * the Plasticity backend contract, in the browser (`navigator.gpu`) and in Node through the
 * optional peer `webgpu` (Dawn's Node binding, which ships its binary in the npm tarball).
 *
 * @example
 * ```ts
 * import { useBackend } from '@plasticity/core';
 * import '@plasticity/backend-webgpu/register';
 *
 * const { backend, skipped } = await useBackend(['webgpu', 'wasm']);
 * // In Node without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node app.js
 * ```
 *
 * @packageDocumentation
 */
import type { BackendPlugin, BackendSupport } from '@plasticity/core';

/** The Chromium SwiftShader (software) Vulkan driver on Debian (`apt-get install chromium`). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Options of the webgpu backend's `load`, given as `useBackend('webgpu', { options: { webgpu: { … } } })`.
 */
export interface WebGPUBackendOptions {
  /**
   * Node only: Dawn flags for `webgpu`'s `create(flags)`, e.g. `['enable-dawn-features=…']`.
   * Default none.
   */
  dawnFlags?: string[];
}

interface GPUAdapterLike {
  readonly info?: unknown;
}

/** The part of `navigator.gpu` this plugin uses. */
export interface GPULike {
  /** Resolves to an adapter, or null when none is available. */
  requestAdapter(options?: object): Promise<GPUAdapterLike | null>;
}

/** The part of the `webgpu` package (Dawn) this plugin uses. */
export interface DawnModule {
  /** A `navigator.gpu`-like entry point with the given Dawn toggles. */
  create(flags: string[]): GPULike;
  /** The WebGPU globals (`GPUBufferUsage`, …) to install on `globalThis`. */
  globals: object;
}

/** Options of `createWebGPUBackend(options)` (for tests and custom setups). */
export interface CreateWebGPUBackendOptions {
  /** How to load the `webgpu` package in Node (tests inject a fake). Default `import('webgpu')`. */
  loadDawn?: () => Promise<DawnModule>;
  /** Whether this is Node (default: detected from `process.versions.node`). */
  isNode?: boolean;
}

const isNodeRuntime = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function browserGpu(): GPULike | undefined {
  return (globalThis as { navigator?: { gpu?: GPULike } }).navigator?.gpu;
}

/** The reason given when `webgpu` cannot be imported in Node. */
export function dawnMissingReason(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' && /'webgpu'/.test(errorText(error))) {
    return (
      'WebGPU in Node needs the optional peer dependency `webgpu` (Dawn for Node), which is not ' +
      'installed: npm install webgpu'
    );
  }
  return `the \`webgpu\` package (Dawn for Node) failed to load: ${errorText(error)}`;
}

/** The reason given when Dawn (Node) finds no adapter. */
export function noNodeAdapterReason(env: Record<string, string | undefined> = process.env): string {
  const icd = env['VK_ICD_FILENAMES'];
  return (
    'webgpu (Dawn) found no GPU adapter: it needs a Vulkan driver and the Vulkan loader ' +
    '(apt-get install -y libvulkan1). Without a GPU, use SwiftShader (software, slow): ' +
    `apt-get install -y chromium and set VK_ICD_FILENAMES=${SWIFTSHADER_ICD} before starting Node` +
    (icd === undefined ? '' : ` (VK_ICD_FILENAMES is set to ${icd})`)
  );
}

const NO_BROWSER_ADAPTER =
  'navigator.gpu.requestAdapter() returned null: the browser exposes WebGPU but found no usable ' +
  'adapter (headless Chromium without a GPU needs --enable-unsafe-webgpu)';
const NO_NAVIGATOR_GPU =
  'WebGPU is not available here (navigator.gpu is undefined): use a browser with WebGPU ' +
  '(Chrome/Edge 113+, a secure context) or Node with the `webgpu` package';

/**
 * Makes globals the tfjs WebGPU backend expects (`navigator.gpu`, `GPUBufferUsage`, …) point at
 * Dawn. Must run before `@tensorflow/tfjs-backend-webgpu` is imported: it registers its backend
 * only if `navigator.gpu` exists at import time.
 */
function installNodeGlobals(dawn: DawnModule, gpu: GPULike): void {
  for (const [key, value] of Object.entries(dawn.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  const holder = globalThis as { navigator?: object };
  if (holder.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

interface ReadSyncBackend {
  readSync(dataId: object): unknown;
}

/**
 * tfjs reads WebGPU tensors synchronously through `OffscreenCanvas`, which Node lacks: replace
 * the bare `ReferenceError` with one that says what to do.
 */
function explainNodeReadSync(backendClass: { prototype: ReadSyncBackend }): void {
  const original = backendClass.prototype.readSync;
  if ((original as { plasticity?: boolean }).plasticity === true) return;
  const wrapped = function (this: ReadSyncBackend, dataId: object): unknown {
    try {
      return original.call(this, dataId);
    } catch (error) {
      if (error instanceof ReferenceError && /OffscreenCanvas/.test(error.message)) {
        throw new Error(
          'dataSync()/arraySync() cannot read WebGPU tensors in Node (tfjs reads them back through ' +
            'OffscreenCanvas, which Node lacks): use `await tensor.data()` or `await tensor.array()`.',
        );
      }
      throw error;
    }
  };
  (wrapped as { plasticity?: boolean }).plasticity = true;
  backendClass.prototype.readSync = wrapped;
}

/**
 * Creates a WebGPU backend plugin. Use the ready-made {@link webgpuBackend} unless you need to
 * inject how `webgpu` is loaded.
 */
export function createWebGPUBackend(create: CreateWebGPUBackendOptions = {}): BackendPlugin<WebGPUBackendOptions> {
  const isNode = create.isNode ?? isNodeRuntime;
  // A specifier in a variable: `webgpu` is an optional Node-only peer that bundlers must leave alone.
  const dawnSpecifier = 'webgpu';
  const loadDawn = create.loadDawn ?? (() => import(dawnSpecifier) as Promise<DawnModule>);
  let node: { dawn: DawnModule; gpu: GPULike; flags: string } | undefined;

  async function nodeGpu(flags: string[]): Promise<{ dawn: DawnModule; gpu: GPULike }> {
    const key = flags.join('\n');
    if (node !== undefined && node.flags === key) return node;
    const dawn = await loadDawn();
    node = { dawn, gpu: dawn.create(flags), flags: key };
    return node;
  }

  async function support(options: WebGPUBackendOptions = {}): Promise<BackendSupport> {
    let gpu = browserGpu();
    if (isNode && (gpu === undefined || node !== undefined)) {
      try {
        gpu = (await nodeGpu(options.dawnFlags ?? [])).gpu;
      } catch (error) {
        return { supported: false, reason: dawnMissingReason(error) };
      }
    }
    if (gpu === undefined) return { supported: false, reason: NO_NAVIGATOR_GPU };
    let adapter: GPUAdapterLike | null;
    try {
      adapter = await gpu.requestAdapter();
    } catch (error) {
      return { supported: false, reason: `requestAdapter() failed: ${errorText(error)}` };
    }
    if (adapter === null) return { supported: false, reason: isNode ? noNodeAdapterReason() : NO_BROWSER_ADAPTER };
    return { supported: true };
  }

  return {
    name: 'webgpu',
    priority: 40,
    description: isNode
      ? 'tfjs-backend-webgpu on Dawn (the `webgpu` package): Vulkan/Metal/D3D12 compute shaders'
      : 'tfjs-backend-webgpu: WebGPU compute shaders',
    isSupported: () => support(),
    async load(options: WebGPUBackendOptions = {}): Promise<void> {
      if (isNode && browserGpu() === undefined) {
        const { dawn, gpu } = await nodeGpu(options.dawnFlags ?? []);
        installNodeGlobals(dawn, gpu);
      }
      const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
      if (isNode) explainNodeReadSync(webgpu.WebGPUBackend as unknown as { prototype: ReadSyncBackend });
    },
  };
}

/** The WebGPU backend plugin (`name: 'webgpu'`, priority 40). Importing this registers nothing. */
export const webgpuBackend: BackendPlugin<WebGPUBackendOptions> = createWebGPUBackend();
