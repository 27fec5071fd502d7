/**
 * What `#file-router` resolves to in Node (package.json `imports`): core's `file://` handler.
 * Outside Node it is `file-router-browser.ts`, so browser bundles never reach `node:fs`.
 */
export { registerFileRouter } from '@plasticity/core/node';
