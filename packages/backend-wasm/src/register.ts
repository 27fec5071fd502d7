/** Side-effect entry: `import '@plasticity/backend-wasm/register'` makes `wasm` available to `useBackend`. */
import { registerBackendPlugin } from '@plasticity/core';
import { wasmBackend } from './index.js';

registerBackendPlugin(wasmBackend);
