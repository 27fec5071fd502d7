/**
 * What `#file-router` resolves to outside Node (package.json `imports`): core's `file://` handler
 * in `@plasticity/core/node` imports Node built-ins, which browser bundlers cannot resolve even
 * behind a branch that never runs there (the plugin is never supported outside Node).
 */
import { BackendUnavailableError } from '@plasticity/core';

/** Never called in a browser (`load` needs tfjs-node, which loads only in Node); throws if it is. */
export function registerFileRouter(): void {
  throw new BackendUnavailableError('The tfjs-node backend was loaded outside Node; it runs only in Node.js.', []);
}
