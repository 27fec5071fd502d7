/** Side-effect entry: `import '@plasticity/backend-webgpu/register'` makes `webgpu` available to `useBackend`. */
import { registerBackendPlugin } from '@plasticity/core';
import { webgpuBackend } from './index.js';

registerBackendPlugin(webgpuBackend);
