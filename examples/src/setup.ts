/** What every example does first: pick a backend (wasm by default), and run `main` when the file is run directly. */
import { registerBackendPlugin, useBackend, type BackendSpec } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import { pathToFileURL } from 'node:url';

export interface ExampleOptions {
  /** `'auto'` (default: wasm, else cpu) or a backend name. */
  backend?: BackendSpec;
  seed?: number;
  /** Where progress lines go; silent when omitted. */
  log?: (line: string) => void;
}

export async function setup(options: ExampleOptions): Promise<string> {
  registerBackendPlugin(wasmBackend);
  registerBackendPlugin(cpuBackend);
  const choice = await useBackend(options.backend ?? 'auto');
  options.log?.(`backend: ${choice.backend}`);
  return choice.backend;
}

/** Runs `main` when `moduleUrl` is the script Node was started with. */
export function runIfMain(moduleUrl: string, main: (options: ExampleOptions) => Promise<unknown>): void {
  const script = process.argv[1];
  if (script !== undefined && moduleUrl === pathToFileURL(script).href) {
    main({ log: (line) => console.log(line) }).then(
      (result) => console.log(JSON.stringify(result, null, 2)),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
