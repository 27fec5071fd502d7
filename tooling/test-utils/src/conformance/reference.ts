/**
 * Plain float64 JavaScript reference implementations of the ops in the conformance suite. They are
 * written from the ops' definitions (naive loops), independently of any tfjs kernel.
 */

/** A dense float64 array with a shape. */
export interface Nd {
  shape: number[];
  data: Float64Array;
}

export function nd(shape: number[], data?: ArrayLike<number>): Nd {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  if (data !== undefined) out.set(Array.from(data));
  return { shape: [...shape], data: out };
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function coords(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = index % shape[i]!;
    index = Math.floor(index / shape[i]!);
  }
  return out;
}

export function map(a: Nd, f: (x: number) => number): Nd {
  return { shape: [...a.shape], data: a.data.map(f) };
}

/** NumPy broadcasting of two arrays. */
export function broadcast(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const sa = strides(pa);
  const sb = strides(pb);
  const out = nd(shape);
  for (let i = 0; i < out.data.length; i++) {
    const c = coords(i, shape);
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < rank; k++) {
      ia += (pa[k] === 1 ? 0 : c[k]!) * sa[k]!;
      ib += (pb[k] === 1 ? 0 : c[k]!) * sb[k]!;
    }
    out.data[i] = f(a.data[ia]!, b.data[ib]!);
  }
  return out;
}

/** Batched matrix product of rank-2 or rank-3 arrays, with optional transposes. */
export function matMul(a: Nd, b: Nd, transposeA = false, transposeB = false): Nd {
  const batched = a.shape.length === 3;
  const batch = batched ? a.shape[0]! : 1;
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  const out = nd(batched ? [batch, m, n] : [m, n]);
  for (let t = 0; t < batch; t++) {
    const ao = t * ar * ac;
    const bo = t * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transposeA ? a.data[ao + p * ac + i]! : a.data[ao + i * ac + p]!;
          const bv = transposeB ? b.data[bo + j * bc + p]! : b.data[bo + p * bc + j]!;
          s += av * bv;
        }
        out.data[t * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

/** TensorFlow's padding: output size and the padding before the first element. */
export function convGeometry(
  inSize: number,
  filter: number,
  stride: number,
  pad: 'valid' | 'same',
  dilation = 1,
): { out: number; before: number } {
  const effective = (filter - 1) * dilation + 1;
  if (pad === 'valid') return { out: Math.ceil((inSize - effective + 1) / stride), before: 0 };
  const out = Math.ceil(inSize / stride);
  const total = Math.max(0, (out - 1) * stride + effective - inSize);
  return { out, before: Math.floor(total / 2) };
}

/** conv2d, NHWC input, filter [fh, fw, in, out]. */
export function conv2d(x: Nd, w: Nd, stride: number, pad: 'valid' | 'same', dilation = 1): Nd {
  const [nb, h, wd, cin] = x.shape as [number, number, number, number];
  const [fh, fw, , cout] = w.shape as [number, number, number, number];
  const gy = convGeometry(h, fh, stride, pad, dilation);
  const gx = convGeometry(wd, fw, stride, pad, dilation);
  const out = nd([nb, gy.out, gx.out, cout]);
  for (let b = 0; b < nb; b++)
    for (let oy = 0; oy < gy.out; oy++)
      for (let ox = 0; ox < gx.out; ox++)
        for (let co = 0; co < cout; co++) {
          let s = 0;
          for (let fy = 0; fy < fh; fy++)
            for (let fx = 0; fx < fw; fx++) {
              const iy = oy * stride + fy * dilation - gy.before;
              const ix = ox * stride + fx * dilation - gx.before;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              for (let ci = 0; ci < cin; ci++) {
                s += x.data[((b * h + iy) * wd + ix) * cin + ci]! * w.data[((fy * fw + fx) * cin + ci) * cout + co]!;
              }
            }
          out.data[((b * gy.out + oy) * gx.out + ox) * cout + co] = s;
        }
  return out;
}

/** depthwiseConv2d, NHWC input, filter [fh, fw, in, multiplier]. */
export function depthwiseConv2d(x: Nd, w: Nd, stride: number, pad: 'valid' | 'same'): Nd {
  const [nb, h, wd, cin] = x.shape as [number, number, number, number];
  const [fh, fw, , mult] = w.shape as [number, number, number, number];
  const gy = convGeometry(h, fh, stride, pad);
  const gx = convGeometry(wd, fw, stride, pad);
  const cout = cin * mult;
  const out = nd([nb, gy.out, gx.out, cout]);
  for (let b = 0; b < nb; b++)
    for (let oy = 0; oy < gy.out; oy++)
      for (let ox = 0; ox < gx.out; ox++)
        for (let ci = 0; ci < cin; ci++)
          for (let q = 0; q < mult; q++) {
            let s = 0;
            for (let fy = 0; fy < fh; fy++)
              for (let fx = 0; fx < fw; fx++) {
                const iy = oy * stride + fy - gy.before;
                const ix = ox * stride + fx - gx.before;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                s += x.data[((b * h + iy) * wd + ix) * cin + ci]! * w.data[((fy * fw + fx) * cin + ci) * mult + q]!;
              }
            out.data[((b * gy.out + oy) * gx.out + ox) * cout + ci * mult + q] = s;
          }
  return out;
}

/**
 * conv2dTranspose, NHWC input [b, h, w, cin], filter [fh, fw, cout, cin], 'valid' padding:
 * every input pixel scatters filter-weighted copies into the output.
 */
export function conv2dTransposeValid(x: Nd, w: Nd, stride: number): Nd {
  const [nb, h, wd, cin] = x.shape as [number, number, number, number];
  const [fh, fw, cout] = w.shape as [number, number, number, number];
  const oh = (h - 1) * stride + fh;
  const ow = (wd - 1) * stride + fw;
  const out = nd([nb, oh, ow, cout]);
  for (let b = 0; b < nb; b++)
    for (let iy = 0; iy < h; iy++)
      for (let ix = 0; ix < wd; ix++)
        for (let ci = 0; ci < cin; ci++) {
          const v = x.data[((b * h + iy) * wd + ix) * cin + ci]!;
          for (let fy = 0; fy < fh; fy++)
            for (let fx = 0; fx < fw; fx++)
              for (let co = 0; co < cout; co++) {
                const oy = iy * stride + fy;
                const ox = ix * stride + fx;
                out.data[((b * oh + oy) * ow + ox) * cout + co]! +=
                  v * w.data[((fy * fw + fx) * cout + co) * cin + ci]!;
              }
        }
  return out;
}

/** max or average pooling, NHWC; 'same' averages over the in-bounds cells only (as TF). */
export function pool(x: Nd, size: number, stride: number, pad: 'valid' | 'same', kind: 'max' | 'avg'): Nd {
  const [nb, h, wd, c] = x.shape as [number, number, number, number];
  const gy = convGeometry(h, size, stride, pad);
  const gx = convGeometry(wd, size, stride, pad);
  const out = nd([nb, gy.out, gx.out, c]);
  for (let b = 0; b < nb; b++)
    for (let oy = 0; oy < gy.out; oy++)
      for (let ox = 0; ox < gx.out; ox++)
        for (let ch = 0; ch < c; ch++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let fy = 0; fy < size; fy++)
            for (let fx = 0; fx < size; fx++) {
              const iy = oy * stride + fy - gy.before;
              const ix = ox * stride + fx - gx.before;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              const v = x.data[((b * h + iy) * wd + ix) * c + ch]!;
              acc = kind === 'max' ? Math.max(acc, v) : acc + v;
              count++;
            }
          out.data[((b * gy.out + oy) * gx.out + ox) * c + ch] = kind === 'max' ? acc : acc / count;
        }
  return out;
}

/** Reduces along `axes` with `f` (an accumulator over the values of one output cell). */
export function reduce(a: Nd, axes: number[], keepDims: boolean, f: (values: number[]) => number): Nd {
  const rank = a.shape.length;
  const norm = axes.map((ax) => (ax < 0 ? ax + rank : ax));
  const keptShape = a.shape.map((d, i) => (norm.includes(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  const ks = strides(keptShape);
  for (let i = 0; i < a.data.length; i++) {
    const c = coords(i, a.shape);
    let key = 0;
    for (let k = 0; k < rank; k++) key += (norm.includes(k) ? 0 : c[k]!) * ks[k]!;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(a.data[i]!);
  }
  const out = nd(keepDims ? keptShape : a.shape.filter((_, i) => !norm.includes(i)));
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(groups.get(i)!);
  return out;
}

export const sumOf = (v: number[]): number => v.reduce((s, x) => s + x, 0);

/** softmax over the last axis. */
export function softmax(a: Nd, log = false): Nd {
  const n = a.shape[a.shape.length - 1]!;
  const out = nd(a.shape);
  for (let r = 0; r < a.data.length / n; r++) {
    const row = Array.from(a.data.subarray(r * n, (r + 1) * n));
    const m = Math.max(...row);
    const lse = m + Math.log(sumOf(row.map((x) => Math.exp(x - m))));
    row.forEach((x, j) => {
      out.data[r * n + j] = log ? x - lse : Math.exp(x - lse);
    });
  }
  return out;
}

/** gather along `axis` with integer indices. */
export function gather(a: Nd, indices: number[], axis: number): Nd {
  const outer = a.shape.slice(0, axis).reduce((x, y) => x * y, 1);
  const inner = a.shape.slice(axis + 1).reduce((x, y) => x * y, 1);
  const dim = a.shape[axis]!;
  const out = nd([...a.shape.slice(0, axis), indices.length, ...a.shape.slice(axis + 1)]);
  for (let o = 0; o < outer; o++)
    indices.forEach((idx, j) => {
      for (let i = 0; i < inner; i++)
        out.data[(o * indices.length + j) * inner + i] = a.data[(o * dim + idx) * inner + i]!;
    });
  return out;
}

export function transpose(a: Nd, perm: number[]): Nd {
  const shape = perm.map((p) => a.shape[p]!);
  const out = nd(shape);
  const sa = strides(a.shape);
  for (let i = 0; i < out.data.length; i++) {
    const c = coords(i, shape);
    let src = 0;
    perm.forEach((p, k) => {
      src += c[k]! * sa[p]!;
    });
    out.data[i] = a.data[src]!;
  }
  return out;
}
