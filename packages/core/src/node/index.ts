/**
 * `@plasticity/core/node`: the Node-only parts of core (file system and terminal).
 *
 * @packageDocumentation
 */
export { writeFileAtomic } from './atomic.js';
export { fileIO, hasModelJson, registerFileRouter, type FileIOOptions } from './file-io.js';
export { renderProgress, type ProgressRenderer, type RenderProgressOptions } from './progress.js';
