/** Side-effect entry: `import '@plasticity/backend-cpu/register'` makes `cpu` available to `useBackend`. */
import { registerBackendPlugin } from '@plasticity/core';
import { cpuBackend } from './index.js';

registerBackendPlugin(cpuBackend);
