#!/usr/bin/env node
// Fails when the runtime import graph of any workspace package's `src/` has a cycle.
//
// Edges are what runs: `import … from`, `export … from`, side-effect imports, and dynamic
// `import('./x.js')` — so a circle cannot be hidden behind `await import()`. Type-only imports
// (`import type`, `export type … from`) are erased by TypeScript and are not edges. An
// `import { type A } from` stays an edge: with `verbatimModuleSyntax` it compiles to
// `import {} from`, which still loads the module. Only relative specifiers are followed (packages
// depend one way, which pnpm's workspace graph already enforces).
//
// Before it scans, the script checks itself on a throwaway folder with a known cycle (held by a
// dynamic import) and a known non-cycle (type-only), so a broken check cannot pass silently.
//
// Usage: node scripts/check-import-cycles.mjs [package folder …]   (default: every workspace package)
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = /\.(c|m)?tsx?$/;

function listSources(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(path));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The runtime module specifiers of one file. */
export function runtimeImports(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const specs = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.importClause?.isTypeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) specs.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      specs.push(node.arguments[0].text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      !node.isTypeOnly &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) specs.push(expr.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
}

function resolveRelative(from, spec, known) {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.(c|m)?js$/, '');
  const ext = /\.mjs$/.test(base) ? '.mts' : /\.cjs$/.test(base) ? '.cts' : '.ts';
  const candidates = [base, `${stem}${ext}`, `${stem}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')];
  return candidates.find((c) => known.has(c));
}

/**
 * The circles in the import graph of `files`: for each, the files that import each other
 * (`files`) and one shortest cycle among them (`cycle`, first file repeated last).
 */
export function findCycles(files) {
  const known = new Set(files);
  const graph = new Map(
    files.map((f) => [
      f,
      [...new Set(runtimeImports(f, readFileSync(f, 'utf8')).map((s) => resolveRelative(f, s, known)))].filter(Boolean),
    ]),
  );
  // Tarjan's strongly connected components; a component of two or more files (or a file that
  // imports itself) holds a cycle, of which one is reported.
  let index = 0;
  const indexOf = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const strongConnect = (v) => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)) {
      if (!indexOf.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v).includes(v)) components.push(new Set(component));
    }
  };
  for (const f of files) if (!indexOf.has(f)) strongConnect(f);
  return components.map((component) => ({ files: [...component].sort(), cycle: oneCycle(graph, component) }));
}

function oneCycle(graph, component) {
  {
    // A shortest way back to the start, inside the component (breadth-first).
    const start = [...component].sort()[0];
    const previous = new Map([[start, undefined]]);
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift();
      for (const w of graph.get(v)) {
        if (!component.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = previous.get(u)) path.splice(1, 0, u);
          return [...path, start];
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return [start, start];
  }
}

function selfTest() {
  const dir = mkdtempSync(join(tmpdir(), 'import-cycles-'));
  try {
    const write = (name, text) => writeFileSync(join(dir, name), text);
    write('a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
    write('b.ts', "export async function b() {\n  const { a } = await import('./a.js');\n  return a;\n}\n");
    write('c.ts', "import type { D } from './d.js';\nexport type C = D;\nexport const c = 1;\n");
    write('d.ts', "import { c } from './c.js';\nexport type D = typeof c;\n");
    const cycles = findCycles(listSources(dir));
    const names = cycles.map(({ cycle }) => cycle.map((f) => relative(dir, f)).join(' -> '));
    if (names.length !== 1 || names[0] !== 'a.ts -> b.ts -> a.ts') {
      throw new Error(`self-test: expected exactly the cycle a.ts -> b.ts -> a.ts; found ${JSON.stringify(names)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function workspacePackages() {
  const groups = ['packages', 'apps', 'tooling'];
  const dirs = groups.flatMap((g) =>
    existsSync(join(root, g)) ? readdirSync(join(root, g)).map((name) => join(root, g, name)) : [],
  );
  return [...dirs, join(root, 'examples')].filter((d) => existsSync(join(d, 'package.json')));
}

selfTest();
const args = process.argv.slice(2);
const packages = args.length > 0 ? args.map((a) => resolve(a)) : workspacePackages();
let failed = false;
let scanned = 0;
for (const pkg of packages) {
  const src = join(pkg, 'src');
  if (!existsSync(src) || !statSync(src).isDirectory()) continue;
  const files = listSources(src);
  scanned += files.length;
  for (const { files: circle, cycle } of findCycles(files)) {
    failed = true;
    console.error(
      `Import cycle in ${relative(root, pkg)}/src: ${cycle.map((f) => relative(src, f)).join(' -> ')}` +
        (circle.length > cycle.length - 1
          ? ` (${circle.length} files in this circle: ${circle.map((f) => relative(src, f)).join(', ')})`
          : ''),
    );
  }
}
if (failed) {
  console.error(
    'Break each cycle: move the shared code down, pass a dependency in, or register it from the composition root ' +
      '(a dynamic import() counts as an import here).',
  );
  process.exit(1);
}
console.log(`No import cycles in ${scanned} source files of ${packages.length} packages.`);
