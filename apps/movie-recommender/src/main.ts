#!/usr/bin/env node
// The wasm plugin brings the SIMD kernels SVD and NMF train with (MATRIX_FACTORIZATION_KERNELS).
import '@plasticity/backend-wasm/register';
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
