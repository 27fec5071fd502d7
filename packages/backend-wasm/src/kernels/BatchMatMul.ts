/**
 * tfjs-backend-wasm's matMul with `transposeA`/`transposeB` runs about 12× slower than an explicit
 * Transpose followed by a plain matMul (measured at 512³ on 2 cores: 1.1–1.3 vs 13–16 GFLOP/s;
 * `pnpm bench` prints the ratio). Every matMul gradient uses those flags, so training a Dense
 * layer on wasm paid that price. These wrappers transpose explicitly, then call the original
 * kernel without flags.
 */
import * as tf from '@tensorflow/tfjs-core';

interface DataBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

let enabled = true;

/**
 * Turns the explicit-transpose rewrite on (default) or off, e.g. to measure it. Returns the
 * previous setting.
 */
export function setExplicitTransposeMatMul(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

function swapLastTwo(rank: number): number[] {
  return [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
}

function wrap(original: tf.KernelConfig): tf.KernelConfig {
  return {
    ...original,
    kernelFunc: (args) => {
      const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
      if (!enabled || (attrs?.transposeA !== true && attrs?.transposeB !== true)) return original.kernelFunc(args);
      const transpose = tf.getKernel('Transpose', original.backendName);
      if (transpose === undefined) return original.kernelFunc(args);
      const backend = args.backend as unknown as DataBackend;
      const created: tf.TensorInfo[] = [];
      const explicit = (x: tf.TensorInfo): tf.TensorInfo => {
        const out = transpose.kernelFunc({
          inputs: { x },
          backend: args.backend,
          attrs: { perm: swapLastTwo(x.shape.length) },
        }) as tf.TensorInfo;
        created.push(out);
        return out;
      };
      try {
        const inputs = { ...args.inputs };
        if (attrs.transposeA === true) inputs['a'] = explicit(args.inputs['a']!);
        if (attrs.transposeB === true) inputs['b'] = explicit(args.inputs['b']!);
        return original.kernelFunc({
          ...args,
          inputs,
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        });
      } finally {
        for (const info of created) backend.disposeData(info.dataId, true);
      }
    },
  };
}

const installed = new Set<string>();

/** Wraps BatchMatMul and _FusedMatMul of `backendName` once. Returns the kernels wrapped now. */
export function installExplicitTransposeMatMul(backendName = 'wasm'): string[] {
  const wrapped: string[] = [];
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const key = `${backendName}/${kernelName}`;
    const original = tf.getKernel(kernelName, backendName);
    if (original === undefined || installed.has(key)) continue;
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(wrap(original));
    installed.add(key);
    wrapped.push(kernelName);
  }
  return wrapped;
}
