/**
 * Conv2DBackpropInput (the input gradient of conv2d, also conv2dTranspose) for stride-1
 * convolutions as a convolution on wasm's XNNPACK kernels. tfjs-backend-wasm 4.22's own kernel is
 * a scalar loop: 1.1 s for the second conv layer of a small Fashion-MNIST CNN (batch 128,
 * 13×13×32 → 11×11×64), about half of a training step. With stride 1,
 *
 *   dx[b, iy, ix, ci] = Σ_{u, v, co} dy_pad[b, iy + u, ix + v, co] · W[kh-1-u, kw-1-v, ci, co]
 *
 * where dy_pad is dy padded by (kh-1-top, inH-outH+top) rows and (kw-1-left, inW-outW+left)
 * columns: a 'valid' conv2d of dy_pad with the filter flipped in space and its channel axes
 * swapped. Strided gradients (which need a zero-dilated dy) keep the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';

interface DataBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

function run(
  name: string,
  backend: unknown,
  inputs: tf.NamedTensorInfoMap,
  attrs: Record<string, unknown>,
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`Conv2DBackpropInput on wasm needs the ${name} kernel`);
  return kernel.kernelFunc({
    inputs,
    backend: backend as tf.KernelBackend,
    attrs: attrs as tf.NamedAttrMap,
  }) as tf.TensorInfo;
}

let stock: tf.KernelConfig | undefined;

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  // The stock kernel binds its wasm function in setupFunc, which tfjs runs for the registered
  // kernel when the backend initializes: run it for the fallback.
  setupFunc: (backend) => stock?.setupFunc?.(backend),
  kernelFunc: (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
      strides: number | [number, number];
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    const info =
      dataFormat === 'NHWC'
        ? tf.backend_util.computeConv2DInfo(
            inputShape,
            filter.shape as [number, number, number, number],
            strides,
            1,
            pad,
            dimRoundingMode,
            false,
            'channelsLast',
          )
        : undefined;
    const [kh, kw] = filter.shape as [number, number, number, number];
    const padding =
      info === undefined || info.strideHeight !== 1 || info.strideWidth !== 1
        ? undefined
        : [
            [kh - 1 - info.padInfo.top, info.inHeight - info.outHeight + info.padInfo.top],
            [kw - 1 - info.padInfo.left, info.inWidth - info.outWidth + info.padInfo.left],
          ];
    if (padding === undefined || padding.flat().some((p) => p < 0)) {
      if (stock === undefined) throw new Error('Conv2DBackpropInput on wasm: the stock kernel is missing');
      return stock.kernelFunc(args) as tf.TensorInfo;
    }
    const made: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo): tf.TensorInfo => (made.push(t), t);
    try {
      const flipped = keep(run('Reverse', backend, { x: filter }, { dims: [0, 1] }));
      const swapped = keep(run('Transpose', backend, { x: flipped }, { perm: [0, 1, 3, 2] }));
      const dyPad = padding.flat().some((p) => p > 0)
        ? keep(run('PadV2', backend, { x: dy }, { paddings: [[0, 0], ...padding, [0, 0]], constantValue: 0 }))
        : dy;
      return run(
        'Conv2D',
        backend,
        { x: dyPad, filter: swapped },
        { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] },
      );
    } finally {
      for (const t of made) (backend as unknown as DataBackend).disposeData(t.dataId, true);
    }
  },
};

/** Puts the stride-1 convolution in front of wasm's stock Conv2DBackpropInput (kept for strided gradients). */
export function installConv2DBackpropInput(): void {
  const current = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (current === conv2DBackpropInputConfig) return;
  stock = current;
  if (current !== undefined) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel(conv2DBackpropInputConfig);
}

/** Turns the rewrite off (true: the stock kernel everywhere) or back on; for tests and benchmarks. */
export function setStockConv2DBackpropInput(useStock: boolean): void {
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel(useStock && stock !== undefined ? stock : conv2DBackpropInputConfig);
}
