import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('browser bundle of @plasticity/core', () => {
  it("registers tfjs's own gradient modules, not the Node bundle, so the app keeps one engine", async () => {
    const result = await build({
      stdin: {
        contents:
          "import * as tf from '@tensorflow/tfjs-core';\nimport '@plasticity/core';\nconsole.log(tf.getBackend);",
        resolveDir: packageDir,
        loader: 'js',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('tfjs-core/dist/register_all_gradients.js'))).toBe(true);
    expect(inputs.some((p) => p.includes('tfjs-gradients.node'))).toBe(false);
    const code = result.outputFiles[0]!.text;
    expect(code.match(/function getOrMakeEngine\(/g)).toHaveLength(1);
  });
});
