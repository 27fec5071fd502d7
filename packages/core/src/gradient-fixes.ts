// Gradients that tfjs-core 4.22 gets wrong or lacks, found by the backend conformance suite
// (tooling/test-utils). Each replaces tfjs's config for one kernel; where only some attributes are
// affected, the original gradient handles the rest.
//
// - Maximum, Minimum, SquaredDifference: tfjs forgets to sum the gradient over broadcast axes
//   ("The gradient of input 'b' has shape '2,3,4', which does not match the shape of the input").
// - Greater, GreaterEqual, Less, LessEqual, Equal, NotEqual: no gradient at all, so any loss that
//   builds a mask from a variable (`where(greater(x, 0), …)`) throws. Their gradient is zero.
// - ScatterNd: no gradient for `updates` (it is gatherND of dy).
// - AvgPool with 'same' or explicit padding: tfjs divides every window by the full window size in
//   the gradient, while the forward pass (like TensorFlow) averages over in-bounds cells only.
// - Conv2D with dilations > 1: tfjs throws "dilation rates greater than 1 are not yet supported in
//   gradients". A dilated convolution equals an undilated one with a zero-stuffed filter.
import * as tf from '@tensorflow/tfjs-core';

type GradFunc = tf.GradConfig['gradFunc'];
type NamedGrads = Record<string, () => tf.Tensor>;

/** Sums `grad` over the axes that broadcasting added or stretched, back to `shape`. */
function reduceTo(grad: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  const summed = axes.length > 0 ? tf.sum(grad, axes) : grad;
  return tf.reshape(summed, shape);
}

function binaryGrad(
  kernelName: string,
  fa: (a: tf.Tensor, b: tf.Tensor, dy: tf.Tensor) => tf.Tensor,
  fb: (a: tf.Tensor, b: tf.Tensor, dy: tf.Tensor) => tf.Tensor,
): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[]): NamedGrads => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      return {
        a: () => reduceTo(fa(a, b, dy), a.shape),
        b: () => reduceTo(fb(a, b, dy), b.shape),
      };
    }) as GradFunc,
  };
}

const mask = (t: tf.Tensor): tf.Tensor => tf.cast(t, 'float32');

function zeroGrad(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: ((_dy: tf.Tensor, saved: tf.Tensor[]): NamedGrads => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
    }) as GradFunc,
  };
}

function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor;
}

function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

function avgPoolGrad(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): NamedGrads => {
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
        filterSize: number | [number, number];
        strides: number | [number, number];
        pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
      };
      if (pad === 'valid' || pad === 0) return original.gradFunc(dy, saved, attrs) as NamedGrads;
      const [x] = saved as [tf.Tensor4D];
      const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
      const [fh, fw] = pair(filterSize);
      const count = new Float32Array(info.outHeight * info.outWidth);
      for (let oy = 0; oy < info.outHeight; oy++) {
        const y0 = oy * info.strideHeight - info.padInfo.top;
        const rows = Math.min(y0 + fh, info.inHeight) - Math.max(y0, 0);
        for (let ox = 0; ox < info.outWidth; ox++) {
          const x0 = ox * info.strideWidth - info.padInfo.left;
          const cols = Math.min(x0 + fw, info.inWidth) - Math.max(x0, 0);
          count[oy * info.outWidth + ox] = (fh * fw) / (rows * cols);
        }
      }
      return {
        x: () => {
          // tfjs's AvgPoolGrad divides by fh*fw everywhere; rescale dy so each window divides by
          // its own in-bounds count instead.
          const scale = tf.tensor4d(count, [1, info.outHeight, info.outWidth, 1]);
          return runKernel(
            'AvgPoolGrad',
            { dy: tf.mul(dy, scale), input: x },
            { filterSize, strides, pad, dimRoundingMode },
          );
        },
      };
    }) as GradFunc,
  };
}

/**
 * Inserts `rate - 1` zeros between the taps of a [fh, fw, in, out] filter. The pads stay at rank
 * ≤ 4 (trailing dims merged): tfjs's WebGL and WebGPU PadV2 fail on rank-5 tensors.
 */
function dilateFilter(filter: tf.Tensor4D, [dh, dw]: [number, number]): tf.Tensor4D {
  const [fh, fw, cin, cout] = filter.shape;
  let f: tf.Tensor = filter;
  if (dh > 1) {
    f = tf.pad(tf.reshape(f, [fh, 1, fw * cin * cout]), [
      [0, 0],
      [0, dh - 1],
      [0, 0],
    ]);
    f = tf.slice(tf.reshape(f, [fh * dh, fw, cin, cout]), 0, (fh - 1) * dh + 1);
  }
  const h = f.shape[0]!;
  if (dw > 1) {
    f = tf.pad(tf.reshape(f, [h, fw, 1, cin * cout]), [
      [0, 0],
      [0, 0],
      [0, dw - 1],
      [0, 0],
    ]);
    f = tf.slice(tf.reshape(f, [h, fw * dw, cin, cout]), [0, 0], [h, (fw - 1) * dw + 1]);
  }
  return f as tf.Tensor4D;
}

function conv2dGrad(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): NamedGrads => {
      const { dilations, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as {
        dilations: number | [number, number];
        strides: number | [number, number];
        pad: unknown;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: string;
      };
      const rates = pair(dilations);
      if (rates[0] === 1 && rates[1] === 1) return original.gradFunc(dy, saved, attrs) as NamedGrads;
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const common = { strides, pad, dataFormat, dimRoundingMode };
      return {
        x: () =>
          runKernel(
            'Conv2DBackpropInput',
            { dy, filter: dilateFilter(filter, rates) },
            { ...common, inputShape: x.shape },
          ),
        filter: () => {
          const dilatedShape = dilateFilter(tf.zerosLike(filter), rates).shape;
          const full = runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: dilatedShape });
          return tf.stridedSlice(full, [0, 0, 0, 0], dilatedShape, [rates[0], rates[1], 1, 1]);
        },
      };
    }) as GradFunc,
  };
}

const scatterNdGrad: tf.GradConfig = {
  kernelName: 'ScatterNd',
  inputsToSave: ['indices'],
  gradFunc: ((dy: tf.Tensor, saved: tf.Tensor[]): NamedGrads => {
    const [indices] = saved as [tf.Tensor];
    return { updates: () => tf.gatherND(dy, indices), indices: () => tf.zerosLike(indices) };
  }) as GradFunc,
};

function registerGradientFixes(): void {
  tf.registerGradient(
    binaryGrad(
      'Maximum',
      (a, b, dy) => tf.mul(dy, mask(tf.greaterEqual(a, b))),
      (a, b, dy) => tf.mul(dy, mask(tf.less(a, b))),
    ),
  );
  tf.registerGradient(
    binaryGrad(
      'Minimum',
      (a, b, dy) => tf.mul(dy, mask(tf.lessEqual(a, b))),
      (a, b, dy) => tf.mul(dy, mask(tf.greater(a, b))),
    ),
  );
  tf.registerGradient(
    binaryGrad(
      'SquaredDifference',
      (a, b, dy) => tf.mul(dy, tf.mul(2, tf.sub(a, b))),
      (a, b, dy) => tf.mul(dy, tf.mul(-2, tf.sub(a, b))),
    ),
  );
  for (const kernel of ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual']) {
    tf.registerGradient(zeroGrad(kernel));
  }
  tf.registerGradient(scatterNdGrad);
  const avgPool = tf.getGradient('AvgPool');
  if (avgPool !== undefined) tf.registerGradient(avgPoolGrad(avgPool));
  const conv2d = tf.getGradient('Conv2D');
  if (conv2d !== undefined) tf.registerGradient(conv2dGrad(conv2d));
}

registerGradientFixes();
