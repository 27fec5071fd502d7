/** Side-effect entry: `import '@plasticity/backend-node/register'` makes `tensorflow` (tfjs-node) available to `useBackend`. */
import { registerBackendPlugin } from '@plasticity/core';
import { nodeBackend } from './index.js';

registerBackendPlugin(nodeBackend);
