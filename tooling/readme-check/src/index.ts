/**
 * README code blocks, type-checked: every ```ts block in a README is compiled (no emit) against
 * the packages' sources with the repository's compiler options, and each error is reported at
 * the README line it comes from.
 *
 * A block is a module of its own: it imports what it uses. A fragment that continues an earlier
 * block declares what it assumes (`declare const x: tf.Tensor;`). A block whose info string says
 * `no-check` (```ts no-check) is skipped — for output listings or pseudo-code only.
 *
 * README code blocks, run: `runSnippets` executes every block (except `no-check` and `no-run`
 * ones) as its own ES module in a fresh Node process, compiled by the TypeScript API and written
 * under a folder whose `node_modules` resolves the workspace packages (their built `dist/`), so it
 * behaves as it would in a user's npm project. ```ts no-run marks a block that cannot run here
 * (it needs the network, a native binding or a browser); it is still type-checked.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface Snippet {
  /** The README the block comes from. */
  file: string;
  /** 1-based line of the block's first code line in the README. */
  line: number;
  code: string;
  /** False for a block marked `no-run`: type-checked but not executed. */
  run?: boolean;
}

export interface SnippetError {
  file: string;
  line: number;
  message: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)([^\n]*)$/;

/** The ```ts / ```typescript blocks of a Markdown document, minus those marked `no-check`. */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const [, , fence, lang, rest] = open;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) end++;
    const wanted = (lang === 'ts' || lang === 'typescript') && !/\bno-check\b/.test(rest!);
    if (wanted) {
      const snippet: Snippet = { file, line: start + 1, code: lines.slice(start, end).join('\n') };
      if (/\bno-run\b/.test(rest!)) snippet.run = false;
      out.push(snippet);
    }
    i = end;
  }
  return out;
}

/**
 * Type-checks `snippets` as modules written under `workDir` (which must sit inside a package that
 * depends on the packages the snippets import). Returns every error, located in its README.
 */
export function checkSnippets(snippets: readonly Snippet[], workDir: string, baseConfig: string): SnippetError[] {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const files = snippets.map((snippet, n) => {
    const path = join(workDir, `snippet-${n}.ts`);
    const isModule = /^\s*(import|export)\s/m.test(snippet.code);
    writeFileSync(path, isModule ? snippet.code : `${snippet.code}\nexport {};\n`);
    return path;
  });
  const parsed = ts.getParsedCommandLineOfConfigFile(
    baseConfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (parsed === undefined) throw new Error(`Cannot read ${baseConfig}`);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    noUnusedLocals: false,
  };
  delete options.tsBuildInfoFile;
  const program = ts.createProgram(files, options);
  const errors: SnippetError[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const index = d.file === undefined ? -1 : files.indexOf(d.file.fileName);
    if (index < 0 || d.start === undefined) {
      errors.push({ file: d.file?.fileName ?? '(compiler)', line: 0, message });
      continue;
    }
    const snippet = snippets[index]!;
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start);
    errors.push({ file: snippet.file, line: snippet.line + line, message });
  }
  return errors;
}

/** Reads `readmes` (paths) and checks all their blocks; file names in errors are relative to `root`. */
export function checkReadmes(readmes: readonly string[], root: string, workDir: string): SnippetError[] {
  return checkSnippets(readSnippets(readmes, root), workDir, join(root, 'tsconfig.base.json'));
}

/** How a block that ran ended. */
export interface SnippetRun {
  file: string;
  line: number;
  /** Exit code (null when killed on timeout). */
  code: number | null;
  /** Wall-clock milliseconds. */
  ms: number;
  /** The process's stdout and stderr, interleaved. */
  output: string;
}

/** Options of {@link runSnippets}. */
export interface RunOptions {
  /** Folder the compiled modules are written to; it must sit inside a package that depends on the packages the blocks import. */
  workDir: string;
  /** Working directory of each process (relative paths in the blocks resolve against it). */
  cwd: string;
  /** Milliseconds a block may run before it is killed. Default 120 000. */
  timeoutMs?: number;
  /** Blocks run at the same time. Default 1. */
  concurrency?: number;
}

/** A block compiled to a plain ES module (types erased, imports kept as written). */
export function compileSnippet(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
      isolatedModules: true,
    },
  }).outputText;
}

function runOne(path: string, cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Runs every block that is not marked `no-run`, each as its own module in a fresh Node process.
 * Returns one result per block run, in order; a block failed when its `code` is not 0.
 */
export async function runSnippets(snippets: readonly Snippet[], options: RunOptions): Promise<SnippetRun[]> {
  const { workDir, cwd, timeoutMs = 120_000, concurrency = 1 } = options;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const runnable = snippets.filter((s) => s.run !== false);
  const results: SnippetRun[] = new Array(runnable.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runnable.length) {
      const n = next++;
      const snippet = runnable[n]!;
      const path = join(workDir, `run-${n}.mjs`);
      writeFileSync(path, `// ${snippet.file}:${snippet.line}\n${compileSnippet(snippet.code)}`);
      const started = performance.now();
      const { code, output } = await runOne(path, cwd, timeoutMs);
      results[n] = { file: snippet.file, line: snippet.line, code, ms: performance.now() - started, output };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}

/** The README files of the repository at `root`: the root one and each package's, app's, tool's and the examples'. */
export function findReadmes(root: string): string[] {
  const readmes = [join(root, 'README.md')];
  for (const group of ['packages', 'apps', 'tooling']) {
    for (const d of readdirSync(join(root, group), { withFileTypes: true })) {
      const path = join(root, group, d.name, 'README.md');
      if (d.isDirectory() && existsSync(path)) readmes.push(path);
    }
  }
  if (existsSync(join(root, 'examples/README.md'))) readmes.push(join(root, 'examples/README.md'));
  return readmes;
}

/** The blocks of `readmes` (paths), with file names relative to `root`. */
export function readSnippets(readmes: readonly string[], root: string): Snippet[] {
  return readmes.flatMap((path) => extractSnippets(readFileSync(path, 'utf8'), relative(root, path)));
}
