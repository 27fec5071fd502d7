/** Compiles simd.wat for an ordinary and for a shared memory; returns both as base64. */
export function compileSimdKernels(wat: string): Promise<{ plain: string; shared: string }>;
