/**
 * `class-instrumentation/transformer`: the compiler plugin that instruments `@mapped` classes
 * at build time.
 *
 * Default export: a ts-patch program transformer `(program, config, extras) => TransformerFactory`
 * (a `before` transformer), also usable by the legacy ttypescript `ttsc`. For tools that take
 * `getCustomTransformers` / `before` transformers, use {@link createTransformer}.
 *
 * ```jsonc
 * { "compilerOptions": { "plugins": [{ "transform": "class-instrumentation/transformer" }] } }
 * ```
 */
import type * as ts from "typescript";
import { resolveOptions, type PluginOptions, type TransformEnv } from "./context.js";
import { Messages, problem, toDiagnostic, type Problem } from "./diagnostics.js";
import { transformMappedClasses } from "./file-transformer.js";

export type { PluginOptions } from "./context.js";
export { Messages } from "./diagnostics.js";

/** What ts-patch passes as the third argument of a program transformer. */
export interface TransformerExtras {
  /** The TypeScript instance that runs the compilation. */
  ts?: typeof ts;
  /** Adds a diagnostic to the emit result. */
  addDiagnostic?: (diagnostic: ts.Diagnostic) => number;
}

/** Options of {@link createTransformer}. */
export interface CreateTransformerOptions extends PluginOptions {
  /** The TypeScript instance (default: `require("typescript")`). */
  ts?: typeof ts;
  /** Receives the diagnostics (default: they are written to stderr). */
  onDiagnostic?: (diagnostic: ts.Diagnostic) => void;
}

/** The ts-patch entry point. */
export default function transformer(program: ts.Program | undefined, config?: unknown, extras?: TransformerExtras): ts.TransformerFactory<ts.SourceFile> {
  const tsi = extras?.ts ?? loadTypeScript();
  const add = extras?.addDiagnostic;
  return build(tsi, program, config, add ? (d) => void add(d) : writeDiagnostic(tsi));
}

/** For `getCustomTransformers: (program) => ({ before: [createTransformer(program)] })` and similar hooks. */
export function createTransformer(program?: ts.Program, options: CreateTransformerOptions = {}): ts.TransformerFactory<ts.SourceFile> {
  const tsi = options.ts ?? loadTypeScript();
  return build(tsi, program, options, options.onDiagnostic ?? writeDiagnostic(tsi));
}

function build(tsi: typeof ts, program: ts.Program | undefined, config: unknown, sink: (d: ts.Diagnostic) => void): ts.TransformerFactory<ts.SourceFile> {
  const version = tsi.versionMajorMinor;
  const major = Number(version.split(".")[0]);
  if (!(major >= 5 && major < 7)) {
    let reported = false;
    return () => (file) => {
      if (!reported) {
        reported = true;
        sink(toDiagnostic(tsi, undefined, problem(Messages.unsupportedTypeScript, undefined, tsi.version)));
      }
      return file;
    };
  }
  const checker = program !== undefined && typeof program.getTypeChecker === "function" ? program.getTypeChecker() : undefined;
  const env: TransformEnv = {
    ts: tsi,
    program,
    checker,
    options: resolveOptions(config),
    report: (file: ts.SourceFile, p: Problem) => sink(toDiagnostic(tsi, file, p)),
  };
  return transformMappedClasses(env);
}

function loadTypeScript(): typeof ts {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the peer dependency, loaded only when no instance is given
  return require("typescript") as typeof ts;
}

function writeDiagnostic(tsi: typeof ts): (d: ts.Diagnostic) => void {
  return (d) => {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => "\n",
    };
    process.stderr.write(tsi.formatDiagnostic(d, host));
  };
}
