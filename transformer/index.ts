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
  if (!hasTransformerApi(tsi)) {
    // TypeScript 7 (`require("typescript")` is only `{ version }`): nothing could run the factory or show a diagnostic.
    throw new Error(
      `[CI1011] class-instrumentation/transformer supports TypeScript ${SUPPORTED_TYPESCRIPT} (4.9 to 6.x), but the typescript package found is ${String(tsi.version)}, which has no transformer API. ` +
        `Install TypeScript 6 next to it (npm i -D ts6@npm:typescript@6.0.3) and pass it: import ts6 from "ts6" (or const ts6 = require("ts6")), then createTransformer(program, { ts: ts6 }), or vite({ typescript: ts6 }) for class-instrumentation/unplugin; ` +
        `or build with tspc on TypeScript 6 (typescript@6.0.3 ts-patch@3.3.0) and type-check with TypeScript 7; or rely on the runtime path of @mapped.`,
    );
  }
  if (!isSupportedTypeScript(tsi)) {
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

/** The TypeScript versions the transformer runs on: 4.9 (ttypescript's last) to 6.x (7 has no transformer API). */
export const SUPPORTED_TYPESCRIPT = ">=4.9 <7";

/** Whether `tsi` is a TypeScript in {@link SUPPORTED_TYPESCRIPT} with the JS transformer API. */
export function isSupportedTypeScript(tsi: typeof ts): boolean {
  const [major, minor] = String(tsi.versionMajorMinor ?? tsi.version ?? "0.0").split(".").map(Number) as [number, number];
  const inRange = (major === 4 && minor >= 9) || major === 5 || major === 6;
  return inRange && hasTransformerApi(tsi);
}

function hasTransformerApi(tsi: typeof ts): boolean {
  return typeof tsi.factory === "object" && typeof tsi.visitEachChild === "function" && typeof tsi.DiagnosticCategory === "object";
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
