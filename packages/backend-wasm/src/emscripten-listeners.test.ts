import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { removeEmscriptenListeners } from './emscripten-listeners.js';
import { wasmBackend } from './index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- process listeners take event-specific arguments
type Listener = (...args: any[]) => void;
const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

function listenersOf(event: (typeof EVENTS)[number]): Listener[] {
  return event === 'uncaughtException' ? process.listeners(event) : process.listeners(event);
}

function snapshot(): Map<(typeof EVENTS)[number], Listener[]> {
  return new Map(EVENTS.map((e) => [e, listenersOf(e)]));
}

describe('removeEmscriptenListeners', () => {
  it("removes the glue's rethrowing listeners added since the snapshot, and nothing else", () => {
    const before = snapshot();
    // As tfjs-backend-wasm 4.22's Node bundle writes them (and a minified variant).
    const glueException = new Function(
      'ExitStatus',
      'return function (ex) { if (!(ex instanceof ExitStatus)) {\n throw ex;\n } }',
    )(class ExitStatus {}) as Listener;
    const glueRejection = new Function('return function(reason){throw reason}')() as Listener;
    const appException: Listener = () => undefined;
    const appRethrow = function (error: unknown) {
      console.log('app handler', error); // an app's own listener: kept even though it does not rethrow
    } as Listener;
    process.on('uncaughtException', glueException);
    process.on('unhandledRejection', glueRejection);
    process.on('uncaughtException', appException);
    process.on('unhandledRejection', appRethrow);
    try {
      expect(removeEmscriptenListeners(before)).toBe(2);
      expect(process.listeners('uncaughtException')).toContain(appException);
      expect(process.listeners('unhandledRejection')).toContain(appRethrow);
      expect(process.listeners('uncaughtException')).not.toContain(glueException);
      expect(process.listeners('unhandledRejection')).not.toContain(glueRejection);
      for (const event of EVENTS) {
        for (const listener of before.get(event)!) expect(listenersOf(event)).toContain(listener);
      }
    } finally {
      process.removeListener('uncaughtException', glueException);
      process.removeListener('unhandledRejection', glueRejection);
      process.removeListener('uncaughtException', appException);
      process.removeListener('unhandledRejection', appRethrow);
    }
  });

  it('leaves a rethrowing listener that was there before the snapshot', () => {
    const earlier = new Function('return function (ex) { throw ex; }')() as Listener;
    process.on('uncaughtException', earlier);
    try {
      expect(removeEmscriptenListeners(snapshot())).toBe(0);
      expect(process.listeners('uncaughtException')).toContain(earlier);
    } finally {
      process.removeListener('uncaughtException', earlier);
    }
  });

  // Last: it removes the wasm backend from this file's process.
  it("keeps the app's own listeners when the wasm backend is disposed", async () => {
    const appException: Listener = () => undefined;
    const appRejection: Listener = () => undefined;
    process.on('uncaughtException', appException);
    process.on('unhandledRejection', appRejection);
    try {
      const before = snapshot(); // vitest's listeners and ours, registered before the backend starts
      registerBackendPlugin(wasmBackend);
      await useBackend('wasm');
      tf.tensor1d([1, 2]).dispose();
      // The glue's _dispose would remove every listener present when the backend started.
      tf.removeBackend('wasm');
      for (const event of EVENTS) {
        expect(new Set(listenersOf(event))).toEqual(new Set(before.get(event)));
      }
    } finally {
      process.removeListener('uncaughtException', appException);
      process.removeListener('unhandledRejection', appRejection);
    }
  });
});
