/** One module of the build: a .wat under src/kernels and the generated .ts beside it. */
export interface WasmModule {
  wat: string;
  out: string;
  constants: { name: string; doc: string; source(wat: string): string }[];
}
/** Every module of the project's one WebAssembly build. */
export const WASM_MODULES: readonly WasmModule[];
/** A .wat module compiled and validated with wabt; the bytes. */
export function compileWat(file: string, text: string): Promise<Uint8Array>;
/** The generated TypeScript module for `module` from its .wat text. */
export function generateModule(module: WasmModule, wat: string): Promise<string>;
/** The absolute path of a file in src/kernels. */
export function kernelPath(file: string): string;
