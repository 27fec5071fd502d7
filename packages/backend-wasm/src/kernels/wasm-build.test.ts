// The project's one WebAssembly build (scripts/build-wasm.mjs): every committed generated module
// is exactly what compiling its .wat gives today, and the build covers every .wat here.
import { readFile, readdir } from 'node:fs/promises';
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { WASM_MODULES, compileWat, generateModule, kernelPath } from '../../scripts/build-wasm.mjs';
import { matrixFactorizationBytes } from './MatrixFactorization.js';
import { MATRIX_FACTORIZATION_WASM } from './MatrixFactorization-wasm.js';
import { SIMD_WASM_PLAIN, SIMD_WASM_SHARED } from './simd-wasm.js';

describe('the WebAssembly build', () => {
  it.each(WASM_MODULES.map((m) => [m.out, m] as const))(
    '%s is its .wat compiled (rerun scripts/build-wasm.mjs after editing the .wat)',
    async (_, module) => {
      const wat = await readFile(kernelPath(module.wat), 'utf8');
      expect(await readFile(kernelPath(module.out), 'utf8')).toBe(await generateModule(module, wat));
    },
  );

  it('builds every .wat in src/kernels', async () => {
    const wats = (await readdir(kernelPath('.'))).filter((f) => f.endsWith('.wat')).sort();
    expect(WASM_MODULES.map((m) => m.wat).sort()).toEqual(wats);
  });

  it('the constants the kernels load decode to the compiled bytes', async () => {
    const simd = await readFile(kernelPath('simd.wat'), 'utf8');
    const mf = await readFile(kernelPath('MatrixFactorization.wat'), 'utf8');
    const plain = await compileWat('simd.wat', simd);
    expect(Buffer.from(SIMD_WASM_PLAIN, 'base64')).toEqual(Buffer.from(plain));
    expect(SIMD_WASM_SHARED).not.toBe(SIMD_WASM_PLAIN); // the shared-memory variant differs
    const bytes = await compileWat('MatrixFactorization.wat', mf);
    expect(Buffer.from(MATRIX_FACTORIZATION_WASM, 'base64')).toEqual(Buffer.from(bytes));
    expect(Array.from(matrixFactorizationBytes())).toEqual(Array.from(bytes));
  });
});
