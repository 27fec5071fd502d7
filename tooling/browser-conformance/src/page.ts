/**
 * Builds the page bundle (esbuild, from the workspace sources) and serves it on 127.0.0.1 with
 * the tfjs-backend-wasm `.wasm` files under `/wasm/`.
 */
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

// backend-wasm reaches Node built-ins only on its Node path (threads); the page never takes it.
const nodeBuiltinsStub: Plugin = {
  name: 'node-builtins-stub',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Bundles src/page/runner.ts for the browser; returns the JavaScript. */
export async function buildPageBundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(packageDir, 'src/page/runner.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    conditions: ['@plasticity/source'],
    plugins: [nodeBuiltinsStub],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

export interface PageServer {
  /** e.g. `http://127.0.0.1:43117` */
  origin: string;
  close(): Promise<void>;
}

const HTML =
  '<!doctype html><meta charset="utf-8"><title>plasticity</title><script type="module" src="/runner.js"></script>';

/** Serves the page on 127.0.0.1 on a free port. */
export async function servePage(bundle: string): Promise<PageServer> {
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, type: string, body: string | Buffer): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    if (path === '/') return send(200, 'text/html; charset=utf-8', HTML);
    if (path === '/runner.js') return send(200, 'text/javascript; charset=utf-8', bundle);
    const wasm = /^\/wasm\/(tfjs-backend-wasm[a-z-]*\.wasm)$/.exec(path);
    if (wasm !== null) {
      readFile(join(wasmDir, wasm[1]!)).then(
        (body) => send(200, 'application/wasm', body),
        () => send(404, 'text/plain', 'not found'),
      );
      return;
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
