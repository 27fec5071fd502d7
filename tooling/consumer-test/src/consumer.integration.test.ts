/**
 * The packages as a user gets them: `pnpm pack` every public package (from its built `dist/`;
 * `npm test` builds first), install the tarballs with npm into a fresh project under the OS temp
 * folder with tfjs from the registry, then type-check and run a consumer program, bundle every
 * package for the browser and run one bundle in headless Chromium.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from './bundle-check.js';

const exec = promisify(execFile);
const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const projectTemplate = fileURLToPath(new URL('../project/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: Record<string, string>;
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  bugs?: { url: string };
  publishConfig?: Record<string, unknown>;
}

interface PublicPackage {
  folder: string;
  json: PackageJson;
}

const publicPackages: PublicPackage[] = readdirSync(join(root, 'packages'))
  .filter((folder) => existsSync(join(root, 'packages', folder, 'package.json')))
  .map((folder) => ({
    folder,
    json: JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8')) as PackageJson,
  }))
  .filter((p) => p.json.private !== true);

const work = mkdtempSync(join(tmpdir(), 'plasticity-consumer-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');

function tarballOf(p: PublicPackage): string {
  return join(tarballs, `${p.json.name.replace('@', '').replace('/', '-')}-${p.json.version}.tgz`);
}

/** The registry version the workspace pins for a dependency (from any public package). */
function pinned(name: string): string {
  for (const p of publicPackages) {
    const spec = p.json.devDependencies?.[name] ?? p.json.dependencies?.[name];
    if (spec !== undefined) return spec;
  }
  throw new Error(`no public package depends on ${name}`);
}

async function node(script: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await exec(process.execPath, [join(app, 'out', script), ...args], {
    cwd: app,
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

const started = performance.now();
const log = (what: string): void =>
  console.log(`consumer-test: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);

beforeAll(async () => {
  const unbuilt = publicPackages.filter((p) => !existsSync(join(root, 'packages', p.folder, 'dist', 'index.js')));
  if (unbuilt.length > 0) {
    throw new Error(
      `Not built: ${unbuilt.map((p) => p.json.name).join(', ')}. Run \`npm run build\` first ` +
        '(npm test builds every package before the integration tests).',
    );
  }
  mkdirSync(tarballs, { recursive: true });
  const filters = publicPackages.flatMap((p) => ['--filter', p.json.name]);
  await exec(
    process.execPath,
    [join(root, 'scripts/pnpm.mjs'), '-r', ...filters, 'pack', '--pack-destination', tarballs],
    {
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  log('packed');

  cpSync(projectTemplate, app, { recursive: true, filter: (src) => !/[/\\](out|node_modules)$/.test(src) });
  const local = Object.fromEntries(publicPackages.map((p) => [p.json.name, `file:${tarballOf(p)}`]));
  const registry = {
    '@tensorflow/tfjs-core': pinned('@tensorflow/tfjs-core'),
    '@tensorflow/tfjs-backend-wasm': pinned('@tensorflow/tfjs-backend-wasm'),
    '@types/node': pinned('@types/node'),
  };
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      // overrides: the packages' own `^0.0.0` ranges on each other resolve to these tarballs, never the registry.
      { name: 'consumer', private: true, type: 'module', dependencies: { ...local, ...registry }, overrides: local },
      null,
      2,
    ),
  );
  // npm, as a user installs (not pnpm); its cache makes repeated runs fast.
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: app,
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  log('installed with npm');
}, 420_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the packed tarballs', () => {
  it('carry LICENSE (the root Apache-2.0 text), the metadata, and no build info or tests', async () => {
    const license = readFileSync(join(root, 'LICENSE'), 'utf8');
    expect(license).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    for (const p of publicPackages) {
      const { stdout } = await exec('tar', ['-tzf', tarballOf(p)], { maxBuffer: 16 * 1024 * 1024 });
      const files = stdout.trim().split('\n');
      expect(files, p.json.name).toContain('package/LICENSE');
      expect(
        files.filter((f) => f.endsWith('.tsbuildinfo') || f.endsWith('.test.ts')),
        p.json.name,
      ).toEqual([]);
      const installed = join(app, 'node_modules', p.json.name);
      expect(readFileSync(join(installed, 'LICENSE'), 'utf8'), p.json.name).toBe(license);
      const json = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as PackageJson;
      expect(json.repository, p.json.name).toEqual({
        type: 'git',
        url: 'git+https://github.com/plasticity-ml/plasticity.git',
        directory: `packages/${p.folder}`,
      });
      expect(json.homepage, p.json.name).toMatch(/^https:\/\/github\.com\/plasticity-ml\/plasticity\//);
      expect(json.bugs?.url, p.json.name).toBe('https://github.com/plasticity-ml/plasticity/issues');
      expect(json.engines, p.json.name).toEqual({ node: '>=20.19' });
      expect(json.publishConfig, p.json.name).toEqual({ access: 'public', provenance: true });
      expect(JSON.stringify(json.dependencies ?? {}), p.json.name).not.toMatch(/workspace:/);
    }
  });
});

describe('a Node consumer (tsc --strict, then node)', () => {
  beforeAll(async () => {
    // The workspace's TypeScript, checking against the installed packages' .d.ts files.
    const tsc = require.resolve('typescript/bin/tsc');
    try {
      await exec(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { cwd: app, timeout: 180_000 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`tsc --strict failed on the consumer program:\n${stdout}${stderr}`);
    }
    log('type-checked');
  }, 200_000);

  it('trains and saves a model with a custom layer on wasm; a second process loads it and predicts the same', async () => {
    const modelDir = join(work, 'model');
    const trained = await node('train.js', modelDir);
    expect(trained.backend).toBe('wasm');
    expect(trained.lastLoss as number).toBeLessThan((trained.firstLoss as number) / 2);
    const scale = trained.scale as number[];
    expect(scale.some((v) => v !== 1)).toBe(true); // the plugin's weight trained

    const loaded = await node('load.js', modelDir);
    expect(loaded.unregistered).toMatch(/^E_UNKNOWN_PLUGIN: .*Consumer>Scale.*registerLayer/);
    expect(loaded.isScale).toBe(true);
    expect(loaded.scale).toEqual(scale);
    const before = trained.prediction as number[];
    const after = loaded.prediction as number[];
    expect(after).toHaveLength(2);
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 6));
    log('trained, saved, loaded in a second process');
  });

  it('core RNG, datasets batching, transfer, multitask and recommenders work from the tarballs', async () => {
    const tour = await node('tour.js', join(work, 'tour'));
    expect(tour.rng).toEqual([0xa15c02b7, 0x7b47f409, 0xba1d3330]);
    const epoch = tour.batches as number[][];
    expect(epoch.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(epoch.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epoch.flat()).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(tour.batchesAgain).toEqual(epoch);
    expect(tour.frozen).toEqual(['block1']);
    expect(tour.frozenUnchanged).toBe(true);
    expect(tour.headChanged).toBe(true);
    const priceLoss = tour.multitask as number[];
    expect(priceLoss).toHaveLength(8);
    expect(priceLoss.at(-1)!).toBeLessThan(priceLoss[0]!);
    // By construction (project/src/tour.ts) user 0 likes even items and has not seen 6, 7, 14, 15.
    const recs = tour.recommendations as string[];
    expect([...recs].sort()).toEqual(['item14', 'item6']);
    expect(tour.seenByUser0 as string[]).not.toContain('item6');
    expect(tour.recommendationsAfterLoad).toEqual(recs);
    log('tour');
  });
});

describe('browser bundles (esbuild, platform browser)', () => {
  it('every public entry of every package bundles without a Node built-in; sizes printed', async () => {
    const failures: string[] = [];
    const lines: string[] = [];
    const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;
    for (const p of publicPackages) {
      const entries = Object.keys(p.json.exports).filter(
        (e) => e !== './node' && e !== './package.json' && !e.includes('*'),
      );
      for (const entry of entries) {
        const spec = entry === '.' ? p.json.name : `${p.json.name}/${entry.slice(2)}`;
        const source = entry === '.' ? `export * from '${spec}';` : `import '${spec}';`;
        const bundle = await bundleForBrowser(source, { cwd: app });
        const named = new Set<string>();
        for (const reach of bundle.builtins) {
          if (named.has(reach.builtin)) continue; // one chain per built-in is enough to fix it
          named.add(reach.builtin);
          failures.push(`${spec} reaches Node's "${reach.builtin}": ${reach.chain.join(' → ')}`);
        }
        if (entry === '.') {
          const own = await bundleForBrowser(source, { cwd: app, external: ['@tensorflow/*'] });
          lines.push(
            `bundle ${p.json.name.padEnd(26)} ${kB(bundle.minifiedBytes).padStart(9)} min ${kB(bundle.gzipBytes).padStart(9)} gzip` +
              ` | without @tensorflow/*: ${kB(own.minifiedBytes).padStart(9)} min ${kB(own.gzipBytes).padStart(9)} gzip`,
          );
        }
      }
    }
    console.log(
      `consumer-test: browser bundles of each package's main entry (export *), esbuild --minify, gzip -9\n${lines.join('\n')}`,
    );
    expect(failures).toEqual([]);
    log('bundled');
  });

  it('sideEffects: a bare import leaves nothing of a package but its registering entry', async () => {
    // Which files have top-level effects was read from the code (registerRecommender,
    // registerBackendPlugin, Model.fromConfig, tfjs gradients); here a bundler must honour the
    // fields: an entry not listed is dropped whole when unused (tree-shaking works), a listed
    // entry (core's index, the backends' register) keeps its effects.
    const problems: string[] = [];
    for (const p of publicPackages) {
      const json = JSON.parse(
        readFileSync(join(app, 'node_modules', p.json.name, 'package.json'), 'utf8'),
      ) as PackageJson & { sideEffects: boolean | string[] };
      const declared = json.sideEffects === false ? [] : (json.sideEffects as string[]);
      const entries = Object.keys(p.json.exports).filter((e) => e === '.' || e === './register');
      for (const entry of entries) {
        const spec = entry === '.' ? p.json.name : `${p.json.name}/register`;
        const entryFile = entry === '.' ? './dist/index.js' : './dist/register.js';
        const { modulesKept } = await bundleForBrowser(`import '${spec}';`, { cwd: app });
        const prefix = `node_modules/${p.json.name}/`;
        const own = modulesKept.filter((m) => m.startsWith(prefix)).map((m) => `./${m.slice(prefix.length)}`);
        if (declared.includes(entryFile)) {
          if (!own.some((f) => declared.includes(f))) problems.push(`import '${spec}' kept none of its side effects`);
        } else if (own.length > 0) {
          problems.push(`import '${spec}' registers nothing, yet the bundle kept ${own.join(', ')}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('in headless Chromium a model trains on wasm and a recommender fits and recommends', async () => {
    expect(existsSync(CHROMIUM), 'Chromium is not installed at /usr/bin/chromium: apt-get install -y chromium').toBe(
      true,
    );
    const bundle = await bundleForBrowser(readFileSync(join(app, 'src', 'browser.ts'), 'utf8'), {
      cwd: join(app, 'src'),
    });
    expect(bundle.builtins).toEqual([]);
    const wasmDir = join(app, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
    const server = await serve(bundle.code, wasmDir);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.origin}/`);
      const handle = await page.waitForFunction(() => (window as { __results?: unknown }).__results, undefined, {
        timeout: 120_000,
        polling: 200,
      });
      const results = (await handle.jsonValue()) as {
        backend?: string;
        losses?: number[];
        recommendations?: string[];
        seen?: string[];
        leakedTensors?: number;
        error?: string;
      };
      expect(results.error, errors.join('; ')).toBeUndefined();
      expect(results.backend).toBe('wasm');
      const losses = results.losses!;
      expect(losses).toHaveLength(10);
      expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
      // By construction (project/src/browser.ts) u0 likes m0–m4 and has not seen m0, m3, m6, m9.
      expect([...results.recommendations!].sort()).toEqual(['m0', 'm3']);
      expect(results.seen).not.toContain('m0');
      expect(results.leakedTensors).toBe(0);
      log('ran in Chromium');
    } finally {
      await browser.close();
      await server.close();
    }
  });
});

/** Serves the page, its bundle and tfjs-backend-wasm's `.wasm` files on 127.0.0.1. */
async function serve(bundle: Uint8Array, wasmDir: string): Promise<{ origin: string; close(): Promise<void> }> {
  const html =
    '<!doctype html><meta charset="utf-8"><title>consumer</title><script type="module" src="/app.js"></script>';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const send = (status: number, type: string, body: string | Uint8Array): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    if (path === '/') return send(200, 'text/html; charset=utf-8', html);
    if (path === '/app.js') return send(200, 'text/javascript; charset=utf-8', bundle);
    const wasm = /^\/wasm\/(tfjs-backend-wasm[a-z-]*\.wasm)$/.exec(path);
    if (wasm === null) return send(404, 'text/plain', 'not found');
    readFile(join(wasmDir, wasm[1]!)).then(
      (body) => send(200, 'application/wasm', body),
      () => send(404, 'text/plain', 'not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no port');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
