/** Side-effect entry: `import '@plasticity/backend-webgl/register'` makes `webgl` available to `useBackend`. */
import { registerBackendPlugin } from '@plasticity/core';
import { webglBackend } from './index.js';

registerBackendPlugin(webglBackend);
