/**
 * README code blocks, type-checked: every ```ts block in a README is compiled (no emit) against
 * the packages' sources with the repository's compiler options, and each error is reported at
 * the README line it comes from.
 *
 * A block is a module of its own: it imports what it uses. A fragment that continues an earlier
 * block declares what it assumes (`declare const x: tf.Tensor;`). A block whose info string says
 * `no-check` (```ts no-check) is skipped — for output listings or pseudo-code only.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface Snippet {
  /** The README the block comes from. */
  file: string;
  /** 1-based line of the block's first code line in the README. */
  line: number;
  code: string;
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
    if (wanted) out.push({ file, line: start + 1, code: lines.slice(start, end).join('\n') });
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
  const snippets = readmes.flatMap((path) => extractSnippets(readFileSync(path, 'utf8'), relative(root, path)));
  return checkSnippets(snippets, workDir, join(root, 'tsconfig.base.json'));
}
