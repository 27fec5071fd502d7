import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from './bundle-check.js';

let dir: string;

function writePackage(name: string, files: Record<string, string>): void {
  const pkg = join(dir, 'node_modules', name);
  mkdirSync(pkg, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(pkg, file), text);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bundle-check-'));
  writePackage('reaches-fs', {
    'package.json': JSON.stringify({ name: 'reaches-fs', type: 'module', exports: './index.js' }),
    'index.js': "export { read } from './inner.js';\nexport const one = 1;\n",
    'inner.js': "import { readFileSync } from 'node:fs';\nexport const read = (p) => readFileSync(p);\n",
  });
  writePackage('browser-field', {
    'package.json': JSON.stringify({ name: 'browser-field', main: 'index.js', browser: { crypto: false } }),
    'index.js': "const c = require('crypto');\nmodule.exports = { random: () => (c ? 1 : 0) };\n",
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bundleForBrowser', () => {
  it('names a reached Node built-in with the import chain from the entry', async () => {
    const bundle = await bundleForBrowser("export * from 'reaches-fs';", { cwd: dir });
    expect(bundle.builtins).toEqual([
      {
        builtin: 'node:fs',
        chain: ['<stdin>', 'node_modules/reaches-fs/index.js', 'node_modules/reaches-fs/inner.js'],
      },
    ]);
  });

  it("does not report a built-in that the package's browser field disables", async () => {
    const bundle = await bundleForBrowser("export * from 'browser-field';", { cwd: dir });
    expect(bundle.builtins).toEqual([]);
    expect(bundle.minifiedBytes).toBe(bundle.code.byteLength);
    expect(bundle.gzipBytes).toBeGreaterThan(0);
  });
});
