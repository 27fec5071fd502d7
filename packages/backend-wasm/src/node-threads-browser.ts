/**
 * What `#node-threads` resolves to outside Node (package.json `imports`): the threaded Node start-up
 * in `node-threads.ts` imports Node built-ins, which browser bundlers (Vite, webpack) cannot
 * resolve even behind a branch that never runs there. In a browser tfjs starts its own threads.
 */
import { BackendUnavailableError } from '@plasticity/core';

/** See `node-threads.ts`; the same range. */
export const SUPPORTED_WASM_VERSIONS = /^4\.22\./;

/** Never called in a browser (`load` takes the Node path only under Node); throws if it is. */
export function installThreadedFactory(_threads: number, _setThreadsCount: (n: number) => void): void {
  throw new BackendUnavailableError(
    'The Node threads start-up of the wasm backend was reached outside Node. In a browser, threads come from ' +
      "tfjs's own threaded build on a cross-origin-isolated page.",
    [],
  );
}
