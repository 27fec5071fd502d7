/**
 * Seeded random numbers that are identical on every backend and platform.
 *
 * The generator is PCG32 (XSH RR, O'Neill 2014) with its 64-bit state kept in two 32-bit halves,
 * so only exact integer arithmetic is used. Floating-point draws are built from those integers
 * with operations IEEE 754 rounds exactly (`+ - * /`, `sqrt`), and the normal sampler uses
 * {@link deterministicLog}, a port of fdlibm's `log`, instead of `Math.log` (whose last bit may
 * differ between JavaScript engines). The same seed therefore gives the same numbers in Node,
 * every browser, and every tfjs backend (numbers are drawn in JavaScript, then uploaded).
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * rng.uniform();          // in [0, 1)
 * rng.normal(0, 0.05);    // N(0, 0.05²)
 * rng.shuffle([1, 2, 3]); // in place, seeded
 * const rngB = rng.fork(); // an independent stream for another consumer
 * ```
 */
import { ValueError, describeValue } from './errors.js';

/** A complete, JSON-safe snapshot of a generator (to resume a shuffle after loading). */
export interface RngState {
  /** High 32 bits of the 64-bit PCG state. */
  stateHi: number;
  /** Low 32 bits of the 64-bit PCG state. */
  stateLo: number;
  /** High 32 bits of the stream increment. */
  incHi: number;
  /** Low 32 bits of the stream increment. */
  incLo: number;
  /** The second normal of the last polar-method pair, if not yet used. */
  spareNormal: number | null;
}

/** Options of `createRng(seed, options)`. */
export interface RngOptions {
  /**
   * The PCG stream (sequence) selector; generators with the same seed and different streams are
   * independent. Defaults to 54, the stream of PCG's reference demo.
   */
  stream?: number | bigint;
}

const TWO_32 = 4294967296;
const MUL_HI = 0x5851f42d;
const MUL_LO = 0x4c957f2d;

function splitSeed(seed: number | bigint, field: string): [hi: number, lo: number] {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) {
      throw new ValueError(`${field} must be in [0, 2^64); got ${seed}n.`, { field, value: seed });
    }
    return [Number(seed >> 32n), Number(seed & 0xffffffffn)];
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ValueError(
      `${field} must be a non-negative safe integer (or a bigint below 2^64); got ` + `${describeValue(seed)}.`,
      { field, value: seed },
    );
  }
  return [Math.floor(seed / TWO_32) >>> 0, seed >>> 0];
}

/** (aHi:aLo) * (bHi:bLo) + (cHi:cLo) modulo 2^64, on 32-bit halves. */
function mulAdd64(aHi: number, aLo: number, bHi: number, bLo: number, cHi: number, cLo: number): [number, number] {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  let lo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  let hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  hi = (hi + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
  const sumLo = lo + cLo;
  const carry = sumLo >= TWO_32 ? 1 : 0;
  lo = sumLo >>> 0;
  hi = (hi + cHi + carry) >>> 0;
  return [hi, lo];
}

/** A seeded PCG32 generator. Create one with {@link createRng}. */
export class Rng {
  private stateHi = 0;
  private stateLo = 0;
  private incHi = 0;
  private incLo = 1;
  private spareNormal: number | null = null;

  /** @internal use {@link createRng}. */
  constructor(seed: number | bigint, stream: number | bigint) {
    const [seedHi, seedLo] = splitSeed(seed, 'seed');
    const [streamHi, streamLo] = splitSeed(stream, 'stream');
    // inc = (stream << 1) | 1, modulo 2^64
    this.incHi = ((streamHi << 1) | (streamLo >>> 31)) >>> 0;
    this.incLo = ((streamLo << 1) | 1) >>> 0;
    this.stateHi = 0;
    this.stateLo = 0;
    this.nextUint32();
    const sumLo = this.stateLo + seedLo;
    this.stateHi = (this.stateHi + seedHi + (sumLo >= TWO_32 ? 1 : 0)) >>> 0;
    this.stateLo = sumLo >>> 0;
    this.nextUint32();
  }

  /** The next 32-bit unsigned integer, uniform on [0, 2^32). */
  nextUint32(): number {
    const oldHi = this.stateHi;
    const oldLo = this.stateLo;
    [this.stateHi, this.stateLo] = mulAdd64(oldHi, oldLo, MUL_HI, MUL_LO, this.incHi, this.incLo);
    const xHi = oldHi ^ (oldHi >>> 18);
    const xLo = oldLo ^ ((oldLo >>> 18) | (oldHi << 14));
    const xorshifted = ((xLo >>> 27) | (xHi << 5)) >>> 0;
    const rot = oldHi >>> 27;
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  }

  /** A double uniform on [0, 1) with 53 random bits. */
  uniform(): number;
  /** A double uniform on [low, high). */
  uniform(low: number, high: number): number;
  uniform(low = 0, high = 1): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    const u = (a * 67108864 + b) / 9007199254740992;
    return low + (high - low) * u;
  }

  /** An integer uniform on [0, n), without modulo bias. `n` must be in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) {
      throw new ValueError(`int(n) needs an integer n in [1, 2^32]; got ${describeValue(n)}.`, {
        field: 'n',
        value: n,
      });
    }
    if (n === TWO_32) return this.nextUint32();
    const limit = TWO_32 - (TWO_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** A normal draw (Marsaglia's polar method) with the given mean and standard deviation. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * deterministicLog(s)) / s);
    this.spareNormal = v * factor;
    return mean + std * u * factor;
  }

  /** A normal draw redrawn until it lies within two standard deviations (as TF and Keras do). */
  truncatedNormal(mean = 0, std = 1): number {
    let z: number;
    do {
      z = this.normal();
    } while (z < -2 || z > 2);
    return mean + std * z;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<
    T,
    A extends {
      /** Number of items. */
      length: number;
      [index: number]: T;
    },
  >(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of `0 … n-1`. */
  permutation(n: number): Uint32Array {
    if (!Number.isInteger(n) || n < 0) {
      throw new ValueError(`permutation(n) needs a non-negative integer; got ${describeValue(n)}.`, {
        field: 'n',
        value: n,
      });
    }
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /** Fills a new Float32Array with draws from `sample` (e.g. `() => rng.normal(0, 0.1)`). */
  fill(length: number, sample: (rng: Rng) => number): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = sample(this);
    return out;
  }

  /**
   * A new generator whose sequence is independent of this one's: seeded from this generator's
   * next draws, on a different stream. Use one fork per consumer (initializer, shuffler, splitter)
   * so that adding draws to one does not shift the others.
   */
  fork(): Rng {
    const seed = BigInt(this.nextUint32()) * BigInt(TWO_32) + BigInt(this.nextUint32());
    const stream = BigInt(this.nextUint32()) * BigInt(TWO_32) + BigInt(this.nextUint32());
    return new Rng(seed, stream & ((1n << 63n) - 1n));
  }

  /** A JSON-safe snapshot; {@link Rng.setState} restores it exactly. */
  getState(): RngState {
    return {
      stateHi: this.stateHi,
      stateLo: this.stateLo,
      incHi: this.incHi,
      incLo: this.incLo,
      spareNormal: this.spareNormal,
    };
  }

  /** Restores a snapshot taken by {@link Rng.getState}. */
  setState(state: RngState): void {
    for (const key of ['stateHi', 'stateLo', 'incHi', 'incLo'] as const) {
      const value = state[key];
      if (!Number.isInteger(value) || value < 0 || value >= TWO_32) {
        throw new ValueError(`RngState.${key} must be a uint32; got ${describeValue(value)}.`, {
          field: key,
          value,
        });
      }
    }
    if ((state.incLo & 1) !== 1) {
      throw new ValueError(`RngState.incLo must be odd; got ${state.incLo}.`, {
        field: 'incLo',
        value: state.incLo,
      });
    }
    this.stateHi = state.stateHi;
    this.stateLo = state.stateLo;
    this.incHi = state.incHi;
    this.incLo = state.incLo;
    this.spareNormal = state.spareNormal ?? null;
  }
}

/**
 * Creates a seeded generator.
 *
 * @param seed a non-negative safe integer or a bigint below 2^64.
 */
export function createRng(seed: number | bigint, options: RngOptions = {}): Rng {
  return new Rng(seed, options.stream ?? 54);
}

// fdlibm e_log.c constants.
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const TWO54 = 1.8014398509481984e16;
const LG1 = 6.66666666666673513e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Word order of a double in memory: the high word is at index 1 on little-endian machines.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/**
 * Natural logarithm computed with exactly-rounded IEEE operations only (a port of fdlibm's
 * `__ieee754_log`), so the result is bit-identical on every JavaScript engine.
 */
export function deterministicLog(value: number): number {
  let x = value;
  f64[0] = x;
  let hx = u32[HI]! | 0;
  const lx = u32[LO]!;
  let k = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity;
    if (hx < 0) return Number.NaN;
    k -= 54;
    x *= TWO54;
    f64[0] = x;
    hx = u32[HI]! | 0;
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i0 = (hx + 0x95f64) & 0x100000;
  f64[0] = x;
  u32[HI] = (hx | (i0 ^ 0x3ff00000)) >>> 0;
  x = f64[0];
  k += i0 >> 20;
  const f = x - 1.0;
  const dk = k;
  if ((0x000fffff & (2 + hx)) < 3) {
    if (f === 0) return k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
    const r = f * f * (0.5 - 0.3333333333333333 * f);
    return k === 0 ? f - r : dk * LN2_HI - (r - dk * LN2_LO - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  let i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  i |= j;
  const r = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + r)) : dk * LN2_HI - (hfsq - (s * (hfsq + r) + dk * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - r) : dk * LN2_HI - (s * (f - r) - dk * LN2_LO - f);
}
