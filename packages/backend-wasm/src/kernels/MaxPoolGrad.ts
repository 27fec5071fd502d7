/**
 * MaxPoolGrad for the wasm backend, as a tight loop over the typed arrays. tfjs-backend-wasm
 * 4.22's own kernel (and its MaxPoolWithArgmax) route some gradients to the wrong cell — the
 * conformance suite catches it — and the generic CPU fallback takes ≈0.4 s for a 64×26×26×16
 * input. Each window's gradient goes to its first maximum, as in TensorFlow.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HeapBackend } from '../kernel-bridge.js';

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
      filterSize: number | [number, number];
      strides: number | [number, number];
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    const heap = backend as unknown as HeapBackend;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const x = heap.readSync(input.dataId) as Float32Array;
    const g = heap.readSync(dy.dataId) as Float32Array;
    const {
      batchSize,
      inHeight,
      inWidth,
      inChannels: channels,
      outHeight,
      outWidth,
      strideHeight,
      strideWidth,
      filterHeight,
      filterWidth,
    } = info;
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const dx = new Float32Array(x.length);
    for (let b = 0; b < batchSize; b++) {
      const xb = b * inHeight * inWidth * channels;
      const gb = b * outHeight * outWidth * channels;
      for (let oy = 0; oy < outHeight; oy++) {
        const y0 = oy * strideHeight - top;
        const yStart = Math.max(0, y0);
        const yEnd = Math.min(inHeight, y0 + filterHeight);
        for (let ox = 0; ox < outWidth; ox++) {
          const x0 = ox * strideWidth - left;
          const xStart = Math.max(0, x0);
          const xEnd = Math.min(inWidth, x0 + filterWidth);
          const gOffset = gb + (oy * outWidth + ox) * channels;
          for (let c = 0; c < channels; c++) {
            let best = -Infinity;
            let at = -1;
            for (let y = yStart; y < yEnd; y++) {
              for (let xx = xStart; xx < xEnd; xx++) {
                const i = xb + (y * inWidth + xx) * channels + c;
                const v = x[i]!;
                if (v > best || at === -1) {
                  best = v;
                  at = i;
                }
              }
            }
            if (at >= 0) dx[at]! += g[gOffset + c]!;
          }
        }
      }
    }
    return heap.makeOutput([...input.shape], 'float32', undefined, dx);
  },
};

/** Replaces wasm's MaxPoolGrad. */
export function installMaxPoolGrad(): void {
  if (tf.getKernel('MaxPoolGrad', 'wasm') === maxPoolGradConfig) return;
  if (tf.getKernel('MaxPoolGrad', 'wasm') !== undefined) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel(maxPoolGradConfig);
}
