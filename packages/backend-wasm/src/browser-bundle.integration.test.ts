import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('browser bundle of @plasticity/backend-wasm', () => {
  it('takes the browser side of #tfjs-modules and #node-threads, with no Node built-in of ours', async () => {
    const result = await build({
      stdin: {
        contents: "import { wasmBackend } from '@plasticity/backend-wasm';\nconsole.log(wasmBackend);",
        resolveDir: packageDir,
        loader: 'js',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      conditions: ['@plasticity/source'],
      absWorkingDir: packageDir,
      metafile: true,
      logLevel: 'silent',
    });
    const ours = Object.keys(result.metafile.inputs).filter((p) => p.startsWith('src/'));
    expect(ours).toContain('src/tfjs-modules-browser.ts');
    expect(ours).toContain('src/node-threads-browser.ts');
    expect(ours).not.toContain('src/tfjs-modules.ts');
    expect(ours).not.toContain('src/node-threads.ts');
    // tfjs's own bundles name Node modules that their package.json "browser" fields disable; none is ours.
    for (const [path, input] of Object.entries(result.metafile.inputs)) {
      if (!path.startsWith('src/')) continue;
      expect(input.imports.filter((i) => i.path.startsWith('node:') || i.external === true)).toEqual([]);
    }
  });
});
