/**
 * Max pooling that keeps each window's argmax, so that the backward pass is a scatter instead of
 * tfjs's second search of every window (MaxPoolGrad): the kernels `MAX_POOL_ARGMAX_KERNEL` and
 * `MAX_POOL_ARGMAX_GRAD_KERNEL` of `@plasticity/core` (which document them), as JavaScript host
 * kernels for the CPU backend. The wasm plugin implements them in WebAssembly; the op that calls
 * them (with tfjs's `maxPool` as the fallback) is `maxPool` in `@plasticity/layers`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  MAX_POOL_ARGMAX_GRAD_KERNEL,
  MAX_POOL_ARGMAX_KERNEL,
  registerHostKernel,
  type MaxPoolArgmaxAttrs,
} from '@plasticity/core';

let registered = false;

/** Registers both CPU host kernels once (called by the plugin's `load`; importing registers nothing). */
export function registerMaxPoolArgmax(): void {
  if (registered) return;
  registered = true;
  registerHostKernel({
    name: MAX_POOL_ARGMAX_KERNEL,
    backends: ['cpu'],
    inputs: ['x'],
    outputs: ([x], attrs) => {
      const info = poolInfo(x!.shape, attrs as unknown as MaxPoolArgmaxAttrs);
      const shape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
      return [
        { shape, dtype: 'float32' },
        { shape, dtype: 'int32' },
      ];
    },
    run([x], [y, arg], attrs, [xInfo]) {
      const info = poolInfo(xInfo!.shape, attrs as unknown as MaxPoolArgmaxAttrs);
      const { batchSize, inHeight: h, inWidth: w, inChannels: c, outHeight, outWidth } = info;
      let o = 0;
      for (let b = 0; b < batchSize; b++) {
        for (let oy = 0; oy < outHeight; oy++) {
          const y0 = Math.max(0, oy * info.strideHeight - info.padInfo.top);
          const y1 = Math.min(h, oy * info.strideHeight - info.padInfo.top + info.filterHeight);
          for (let ox = 0; ox < outWidth; ox++, o += c) {
            const x0 = Math.max(0, ox * info.strideWidth - info.padInfo.left);
            const x1 = Math.min(w, ox * info.strideWidth - info.padInfo.left + info.filterWidth);
            let first = true;
            for (let yy = y0; yy < y1; yy++) {
              for (let xx = x0; xx < x1; xx++) {
                const base = ((b * h + yy) * w + xx) * c;
                for (let ch = 0; ch < c; ch++) {
                  const v = x![base + ch]!;
                  if (first || v > y![o + ch]!) {
                    y![o + ch] = v;
                    arg![o + ch] = base + ch;
                  }
                }
                first = false;
              }
            }
          }
        }
      }
    },
  });
  registerHostKernel({
    name: MAX_POOL_ARGMAX_GRAD_KERNEL,
    backends: ['cpu'],
    inputs: ['dy', 'argmax'],
    outputs: (_, attrs) => [{ shape: [...(attrs['inputShape'] as number[])], dtype: 'float32' }],
    run([dy, arg], [dx]) {
      dx!.fill(0);
      for (let i = 0; i < dy!.length; i++) dx![arg![i]!]! += dy![i]!;
    },
  });
}

function poolInfo(shape: readonly number[], attrs: MaxPoolArgmaxAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
  );
}
