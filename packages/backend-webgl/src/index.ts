/**
 * `@plasticity/backend-webgl`: tfjs's WebGL backend (`@tensorflow/tfjs-backend-webgl`: shaders on
 * WebGL 2, or WebGL 1) behind the Plasticity backend contract, for browsers. It checks for a WebGL
 * context before it claims support, so `useBackend('auto')` moves on with the reason where there
 * is none (Node, a browser with WebGL disabled or blocklisted).
 *
 * @example
 * ```ts
 * import { useBackend } from '@plasticity/core';
 * import '@plasticity/backend-webgl/register';
 * import '@plasticity/backend-wasm/register';
 *
 * const { backend, skipped } = await useBackend('auto'); // 'webgl' in most browsers
 * ```
 *
 * @packageDocumentation
 */
import type { BackendPlugin, BackendSupport } from '@plasticity/core';

interface CanvasLike {
  getContext(kind: string): unknown;
}

/** A canvas to probe, or undefined where there is neither `document` nor `OffscreenCanvas`. */
function probeCanvas(): CanvasLike | undefined {
  const g = globalThis as {
    OffscreenCanvas?: new (w: number, h: number) => CanvasLike;
    document?: { createElement(tag: string): CanvasLike };
  };
  if (typeof g.OffscreenCanvas === 'function') return new g.OffscreenCanvas(1, 1);
  if (g.document !== undefined) return g.document.createElement('canvas');
  return undefined;
}

/** Which WebGL version a fresh context gets here (2, 1), or the reason there is none. */
export function detectWebGL(canvas: CanvasLike | undefined = probeCanvas()):
  | {
      /** The WebGL version a context opened with. */
      version: 1 | 2;
    }
  | {
      /** Why no WebGL context could be opened. */
      reason: string;
    } {
  if (canvas === undefined) {
    const node = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
    return {
      reason:
        'WebGL needs a browser: there is no document or OffscreenCanvas here' +
        (node ? ' (Node.js; use @plasticity/backend-webgpu with the `webgpu` package, or backend-wasm)' : ''),
    };
  }
  for (const [kind, version] of [
    ['webgl2', 2],
    ['webgl', 1],
  ] as const) {
    let context: unknown;
    try {
      context = canvas.getContext(kind);
    } catch {
      context = null;
    }
    if (context != null) {
      // Give the probe's context back at once; browsers cap live WebGL contexts (about 16).
      (context as { getExtension?(n: string): { loseContext?(): void } | null })
        .getExtension?.('WEBGL_lose_context')
        ?.loseContext?.();
      return { version };
    }
  }
  return {
    reason:
      'this browser gave no WebGL context (canvas.getContext("webgl2") and ("webgl") returned null): ' +
      'WebGL is disabled, blocklisted for this GPU, or unavailable headless without a software renderer',
  };
}

/** The WebGL backend plugin (`name: 'webgl'`, priority 30). Importing this registers nothing. */
export const webglBackend: BackendPlugin = {
  name: 'webgl',
  priority: 30,
  description: 'tfjs-backend-webgl: fragment-shader kernels on WebGL 2 (or 1); browsers',
  isSupported(): BackendSupport {
    const found = detectWebGL();
    return 'reason' in found ? { supported: false, reason: found.reason } : { supported: true };
  },
  async load(): Promise<void> {
    // Registers the 'webgl' factory and its kernels with tfjs-core when first imported.
    await import('@tensorflow/tfjs-backend-webgl');
  },
};
