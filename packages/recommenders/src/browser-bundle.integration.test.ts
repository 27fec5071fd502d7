import { build } from 'esbuild';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Bundles `source` for the browser; returns the Node built-ins it reaches, as `importer -> builtin`. */
async function nodeBuiltinsReached(source: string): Promise<string[]> {
  const reached: string[] = [];
  await build({
    stdin: { contents: source, resolveDir: packageDir, loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['@plasticity/source'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-node-builtins',
        setup(b) {
          b.onResolve({ filter: /.*/ }, async (args) => {
            if (!isBuiltin(args.path) || args.pluginData === 'retry') return undefined;
            // A bare built-in that a package's `browser` field disables (tfjs's `util`,
            // seedrandom's `crypto`) resolves to an empty module; anything else is reached.
            const { kind, importer, resolveDir } = args;
            const resolved = await b.resolve(args.path, { kind, importer, resolveDir, pluginData: 'retry' });
            if (resolved.errors.length === 0) return undefined;
            reached.push(`${importer} -> ${args.path}`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return reached;
}

describe('browser bundle of @plasticity/recommenders', () => {
  it('the main entry reaches no Node built-in (MovieLens from disk is in ./node)', async () => {
    expect(await nodeBuiltinsReached("export * from '@plasticity/recommenders';")).toEqual([]);
  });

  it('the ./node entry does reach them, so the check above can fail', async () => {
    const reached = await nodeBuiltinsReached("export * from '@plasticity/recommenders/node';");
    expect(reached.some((line) => /-> node:fs(\/promises)?$/.test(line))).toBe(true);
  });
});
