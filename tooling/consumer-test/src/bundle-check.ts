/**
 * Bundles an entry for the browser with esbuild and reports every Node built-in it reaches, with
 * the import chain from the entry, and the bundle's minified and gzipped sizes.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { isBuiltin } from 'node:module';
import { relative } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A Node built-in that a browser bundle reaches: which one, and the imports that lead to it. */
export interface BuiltinReach {
  builtin: string;
  /** From the entry (`<stdin>`) to the module that imports the built-in, paths relative to the project. */
  chain: string[];
}

export interface BrowserBundle {
  code: Uint8Array;
  minifiedBytes: number;
  gzipBytes: number;
  builtins: BuiltinReach[];
  /** Modules with code in the bundle (bytes > 0), paths relative to the project. */
  modulesKept: string[];
}

export interface BrowserBundleOptions {
  /** The project whose node_modules the entry resolves against. */
  cwd: string;
  /** Packages left out of the bundle (e.g. `['@tensorflow/*']` for a package's own size). */
  external?: string[];
}

/**
 * Marks the Node built-ins esbuild cannot resolve for the browser as external and records who
 * imports them. A bare built-in that a package's `browser` field disables (tfjs-core's `util`,
 * seedrandom's `crypto`) resolves to an empty module and is not reported.
 */
function recordBuiltins(found: Array<{ builtin: string; importer: string }>): Plugin {
  return {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (!isBuiltin(args.path) || args.pluginData === 'retry') return undefined;
        const { kind, importer, resolveDir } = args;
        const resolved = await b.resolve(args.path, { kind, importer, resolveDir, pluginData: 'retry' });
        if (resolved.errors.length === 0) return undefined;
        found.push({ builtin: args.path, importer });
        return { path: args.path, external: true };
      });
    },
  };
}

/** The shortest import chain from `<stdin>` to `target` in the metafile's graph. */
export function importChain(metafile: Metafile, target: string): string[] {
  const parent = new Map<string, string>();
  const queue = ['<stdin>'];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (current === target) break;
    for (const edge of metafile.inputs[current]?.imports ?? []) {
      if (edge.external || seen.has(edge.path)) continue;
      seen.add(edge.path);
      parent.set(edge.path, current);
      queue.push(edge.path);
    }
  }
  const chain = [target];
  for (let at = parent.get(target); at !== undefined; at = parent.get(at)) chain.unshift(at);
  return chain;
}

/** Bundles `source` (an ES module's text) for the browser, minified. */
export async function bundleForBrowser(source: string, options: BrowserBundleOptions): Promise<BrowserBundle> {
  const found: Array<{ builtin: string; importer: string }> = [];
  const result = await build({
    stdin: { contents: source, resolveDir: options.cwd, loader: 'ts', sourcefile: '<stdin>' },
    absWorkingDir: options.cwd,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    metafile: true,
    logLevel: 'silent',
    external: options.external ?? [],
    plugins: [recordBuiltins(found)],
  });
  const code = result.outputFiles[0]!.contents;
  const builtins = found.map(({ builtin, importer }) => ({
    builtin,
    chain: importChain(result.metafile, importer === '<stdin>' ? importer : relative(options.cwd, importer)),
  }));
  const output = Object.values(result.metafile.outputs)[0]!;
  const modulesKept = Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
  return {
    code,
    minifiedBytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    builtins,
    modulesKept,
  };
}
