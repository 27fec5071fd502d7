/**
 * Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22 lacks. The CPU
 * fallback (kernel-bridge.ts) takes seconds for one convolutional layer's filter gradient; this
 * computes it as a convolution on wasm's own XNNPACK kernels:
 *
 *   dW[fh, fw, ci, co] = Σ_{b, oy, ox} x_pad[b, oy·sh + fh, ox·sw + fw, ci] · dy[b, oy, ox, co]
 *
 * which is conv2d(x_padᵀ [ci, H, W, b], dyᵀ [oh, ow, b, co], dilation = the forward strides),
 * sliced to the filter size and transposed back to [fh, fw, ci, co].
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
  if (kernel === undefined) throw new Error(`Conv2DBackpropFilter on wasm needs the ${name} kernel`);
  return kernel.kernelFunc({
    inputs,
    backend: backend as tf.KernelBackend,
    attrs: attrs as tf.NamedAttrMap,
  }) as tf.TensorInfo;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: number | [number, number];
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const [fh, fw, ci, co] = filterShape;
    const made: tf.TensorInfo[] = [];
    const keep = (t: tf.TensorInfo): tf.TensorInfo => (made.push(t), t);
    try {
      const xT = keep(run('Transpose', backend, { x }, { perm: [3, 1, 2, 0] }));
      const { top, bottom, left, right } = info.padInfo;
      const xPad =
        top + bottom + left + right > 0
          ? keep(
              run(
                'PadV2',
                backend,
                { x: xT },
                {
                  paddings: [
                    [0, 0],
                    [top, bottom],
                    [left, right],
                    [0, 0],
                  ],
                  constantValue: 0,
                },
              ),
            )
          : xT;
      const dyT = keep(run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] }));
      const corr = keep(
        run(
          'Conv2D',
          backend,
          { x: xPad, filter: dyT },
          {
            strides: [1, 1],
            pad: 'valid',
            dataFormat: 'NHWC',
            dilations: [info.strideHeight, info.strideWidth],
          },
        ),
      );
      const cut =
        corr.shape[1] === fh && corr.shape[2] === fw
          ? corr
          : keep(run('Slice', backend, { x: corr }, { begin: [0, 0, 0, 0], size: [ci, fh, fw, co] }));
      return run('Transpose', backend, { x: cut }, { perm: [1, 2, 0, 3] });
    } finally {
      for (const t of made) (backend as unknown as DataBackend).disposeData(t.dataId, true);
    }
  },
};

/** Registers the kernel on wasm unless one is registered already. */
export function installConv2DBackpropFilter(): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return false;
  tf.registerKernel(conv2DBackpropFilterConfig);
  return true;
}
