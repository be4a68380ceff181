/**
 * Shared helpers of the transformer tests: fixture parsing (header options and `@filename`
 * sections, as in TypeScript's own baselines), in-memory compilation with the transformer as a
 * `before` transformer, and running emitted CommonJS with Node.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import transformer from "../transformer/index.js";

/** The repository root (tests run from build/test). */
export const repoRoot = path.resolve(__dirname, "..", "..");
/** The built runtime's entry point, which emitted fixtures import. */
export const runtimeEntry = path.join(repoRoot, "dist", "runtime", "index.js");

/** One fixture: its files and the option lists of its header. */
export interface Fixture {
  readonly name: string;
  readonly files: ReadonlyMap<string, string>;
  /** Option name (lower case) → values to combine. */
  readonly options: ReadonlyMap<string, readonly string[]>;
}

/** One combination of a fixture's header options. */
export interface Variant {
  /** `target=es2015,usedefineforclassfields=false`; empty when the header lists no option. */
  readonly name: string;
  readonly settings: ReadonlyMap<string, string>;
}

/** Reads `fixtures/cases/<name>.ts`: `// @option: a, b` header lines and `// @filename: x.ts` sections. */
export function readFixture(file: string): Fixture {
  const text = readFileSync(file, "utf8");
  const options = new Map<string, string[]>();
  const files = new Map<string, string>();
  let current = "main.ts";
  let lines: string[] = [];
  for (const line of text.split("\n")) {
    const match = /^\/\/\s*@(\w+)\s*:\s*(.*?)\s*$/.exec(line);
    if (match !== null && match[1]!.toLowerCase() === "filename") {
      if (lines.some((l) => l.trim() !== "")) files.set(current, lines.join("\n"));
      current = match[2]!;
      lines = [];
      continue;
    }
    if (match !== null) {
      options.set(match[1]!.toLowerCase(), match[2]!.split(",").map((v) => v.trim().toLowerCase()));
      continue;
    }
    lines.push(line);
  }
  files.set(current, lines.join("\n"));
  return { name: path.basename(file, ".ts"), files, options };
}

/** The cartesian product of a fixture's option lists. */
export function variantsOf(fixture: Fixture): Variant[] {
  let variants: Array<Map<string, string>> = [new Map()];
  for (const [key, values] of fixture.options) {
    const next: Array<Map<string, string>> = [];
    for (const v of variants) for (const value of values) next.push(new Map([...v, [key, value]]));
    variants = next;
  }
  return variants.map((settings) => ({
    name: [...settings].filter(([k]) => (fixture.options.get(k)?.length ?? 0) > 1).map(([k, v]) => `${k}=${v}`).join(","),
    settings,
  }));
}

/** Compiler options of a variant (defaults: ES2022, CommonJS, strict, runtime mapped to dist). */
export function compilerOptionsOf(variant: Variant): ts.CompilerOptions {
  const get = (key: string): string | undefined => variant.settings.get(key);
  const moduleKind = get("module") ?? "commonjs";
  const options: ts.CompilerOptions = {
    target: parseEnum(ts.ScriptTarget, get("target") ?? "es2022"),
    module: parseEnum(ts.ModuleKind, moduleKind),
    strict: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2022.d.ts"],
    paths: { "class-instrumentation": [path.join(repoRoot, "dist", "runtime", "index.d.ts")] },
  };
  if (moduleKind === "nodenext" || moduleKind === "node16") options.moduleResolution = ts.ModuleResolutionKind.NodeNext;
  const define = get("usedefineforclassfields");
  if (define !== undefined) options.useDefineForClassFields = define === "true";
  if (get("experimentaldecorators") === "true") options.experimentalDecorators = true;
  if (get("emitdecoratormetadata") === "true") options.emitDecoratorMetadata = true;
  if (get("declaration") === "true") options.declaration = true;
  if (get("sourcemap") === "true") options.sourceMap = true;
  return options;
}

function parseEnum(table: object, value: string): number {
  for (const [key, v] of Object.entries(table)) if (key.toLowerCase() === value && typeof v === "number") return v;
  throw new Error(`unknown option value ${value}`);
}

/** What one compilation produced. */
export interface Compiled {
  /** Emitted files by name relative to the fixture root (`main.js`, `main.d.ts`, ...). */
  readonly outputs: ReadonlyMap<string, string>;
  /** The transformer's diagnostics. */
  readonly diagnostics: readonly ts.Diagnostic[];
  /** The program's own syntactic and semantic errors (type errors of the fixture). */
  readonly programErrors: readonly ts.Diagnostic[];
}

const libCache = new Map<string, ts.SourceFile>();
const virtualRoot = "/fixture";

/** Compiles a fixture's files in memory, with the transformer unless `transform` is false. */
export function compileFiles(files: ReadonlyMap<string, string>, options: ts.CompilerOptions, transform = true, withProgram = true): Compiled {
  const opts: ts.CompilerOptions = { ...options, rootDir: virtualRoot, outDir: "/out" };
  const host = ts.createCompilerHost(opts, true);
  const real = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const rel = path.posix.relative(virtualRoot, fileName);
    if (fileName.startsWith(virtualRoot + "/") && files.has(rel)) return ts.createSourceFile(fileName, files.get(rel)!, languageVersion, true);
    const key = `${fileName}|${JSON.stringify(languageVersion)}`;
    let sf = libCache.get(key);
    if (sf === undefined) {
      sf = real(fileName, languageVersion, onError, shouldCreate);
      if (sf !== undefined) libCache.set(key, sf);
    }
    return sf;
  };
  const realExists = host.fileExists.bind(host);
  host.fileExists = (f) => (f.startsWith(virtualRoot + "/") ? files.has(path.posix.relative(virtualRoot, f)) : realExists(f));
  const realDirectoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (d) => d === virtualRoot || d.startsWith(virtualRoot + "/") || (realDirectoryExists?.(d) ?? true);
  const realRead = host.readFile.bind(host);
  host.readFile = (f) => (f.startsWith(virtualRoot + "/") ? files.get(path.posix.relative(virtualRoot, f)) : realRead(f));
  const outputs = new Map<string, string>();
  host.writeFile = (fileName, text) => outputs.set(path.posix.relative("/out", fileName), text);
  const roots = [...files.keys()].filter((f) => /\.[cm]?tsx?$/.test(f)).map((f) => `${virtualRoot}/${f}`);
  const program = ts.createProgram(roots, opts, host);
  const diagnostics: ts.Diagnostic[] = [];
  const before = transform
    ? [transformer(withProgram ? program : undefined, {}, { ts, addDiagnostic: (d) => diagnostics.push(d) })]
    : [];
  program.emit(undefined, undefined, undefined, false, { before });
  const programErrors = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
  return { outputs, diagnostics, programErrors };
}

/** Diagnostics as `main.ts(3,5): error CI1001: ...` lines. */
export function formatDiagnostics(diagnostics: readonly ts.Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (d.file === undefined || d.start === undefined) return `error ${String(d.code)}: ${text}`;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${path.posix.relative(virtualRoot, d.file.fileName)}(${line + 1},${character + 1}): error ${String(d.code)}: ${text}`;
    })
    .join("\n");
}

/**
 * Emitted JS made readable for baselines: each generated accessor factory body (exactly the
 * runtime's `accessorSource(key)`, checked by its own test) is collapsed to one comment line.
 */
export function collapseAccessors(js: string): string {
  const lines = js.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const match = /^(\s*)accessor: function \(rt, attr\) \{$/.exec(line);
    if (match === null) {
      out.push(line);
      continue;
    }
    const indent = match[1]!;
    let j = i + 1;
    while (j < lines.length && lines[j] !== `${indent}}` && lines[j] !== `${indent}},`) j++;
    out.push(`${indent}accessor: function (rt, attr) { /* accessorSource(key) */ }${lines[j]?.endsWith(",") ? "," : ""}`);
    i = j;
  }
  return out.join("\n");
}

/** Runs emitted CommonJS files (entry `main.js`) with Node; `class-instrumentation` resolves to the built runtime. */
export function runCommonJs(outputs: ReadonlyMap<string, string>, entry = "main.js"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ci-run-"));
  try {
    for (const [name, text] of outputs) {
      if (!name.endsWith(".js")) continue;
      const file = path.join(dir, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text.replace(/require\("class-instrumentation"\)/g, `require(${JSON.stringify(runtimeEntry)})`));
    }
    return execFileSync(process.execPath, [path.join(dir, entry)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const message = (e.stderr ?? e.message).split("\n").find((l) => /^\w*Error\b/.test(l)) ?? "(no error message)";
    return `${e.stdout ?? ""}!!! exited with an error: ${message}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
