/**
 * `class-instrumentation/unplugin`: the transformer for bundlers and test runners that never call
 * `program.emit` (Vite, Vitest, Rollup, esbuild, webpack). Each `.ts`/`.tsx` module that mentions
 * `@mapped` or the runtime module is compiled on its own with the TypeScript 4.9–6.x JS API,
 * `ts.transpileModule(code, { fileName, compilerOptions, transformers: { before: [transformer] } })`,
 * and handed back as JavaScript (ES modules, JSX preserved) with a source map onto the user's
 * lines. Other modules are left to the bundler.
 *
 * Without a Program the transformer runs in syntax-only mode (docs/transformer.md): decorators are
 * recognised by their import of `class-instrumentation` (not through re-exports), subclasses are
 * mapped when their mapped base is in the same file (decorate subclasses in other files with
 * `@mapped` too), and attribute kinds come from the annotation or the initializer. Anything the
 * transform does not reach keeps working through the runtime path of `@mapped`.
 *
 * TypeScript comes from the project (resolved from `process.cwd()`, then from this package). With
 * TypeScript 7 installed as `typescript` (no JS API) creating the plugin throws an error naming the
 * fix: install TypeScript 6 alongside and pass it as `typescript`.
 *
 * ```ts
 * // vite.config.ts / vitest.config.ts
 * import { vite as classInstrumentation } from "class-instrumentation/unplugin";
 * export default { plugins: [classInstrumentation()] };
 * ```
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as ts from "typescript";
import { createTransformer, type PluginOptions } from "./index.js";

/** Options of every adapter. */
export interface UnpluginOptions extends PluginOptions {
  /** Files to consider (tested on the path without query). Default: `.ts .tsx .mts .cts`. */
  include?: RegExp;
  /** Files to skip. Default: `node_modules` and declaration files. */
  exclude?: RegExp;
  /** The tsconfig to take compiler options from; `false` for none. Default: the nearest `tsconfig.json` of each file. */
  tsconfig?: string | false;
  /** Compiler options applied over the tsconfig's (JSON form, as in a tsconfig, or enum values). */
  compilerOptions?: Record<string, unknown>;
  /** The TypeScript instance (4.9–6.x). Default: `typescript` resolved from the working directory. */
  typescript?: typeof ts;
  /** How transformer diagnostics reach the bundler. Default `"warn"` (the class then takes the runtime path). */
  diagnostics?: "warn" | "error";
}

/** A version-3 source map, as bundlers take it. */
export interface SourceMapJson {
  version: number;
  file?: string;
  sources: string[];
  sourcesContent?: Array<string | null>;
  names: string[];
  mappings: string;
  sourceRoot?: string;
}

/** What {@link transformModule} returns for a module it rewrote. */
export interface TransformedModule {
  /** JavaScript (ES module syntax; JSX left in place for `.tsx`). */
  readonly code: string;
  /** Source map from `code` to the original file. */
  readonly map: SourceMapJson;
  /** Transformer diagnostics, formatted (`file(line,col): CI1001: ...`). */
  readonly diagnostics: readonly string[];
}

const DEFAULT_INCLUDE = /\.[cm]?tsx?$/;
const DEFAULT_EXCLUDE = /[\\/]node_modules[\\/]|\.d\.[cm]?tsx?$/;

/** Compiles one module, or returns `undefined` when it is not for this plugin. */
export type ModuleTransformer = (code: string, id: string) => TransformedModule | undefined;

/** The per-file transform shared by the adapters. */
export function createModuleTransformer(options: UnpluginOptions = {}): ModuleTransformer {
  const tsi = options.typescript ?? loadProjectTypeScript();
  // Throws CI1011 with the fix when this TypeScript has no transformer API (TypeScript 7).
  createTransformer(undefined, { ts: tsi, onDiagnostic: () => undefined });
  const include = options.include ?? DEFAULT_INCLUDE;
  const exclude = options.exclude ?? DEFAULT_EXCLUDE;
  const runtimeModule = options.runtimeModule ?? "class-instrumentation";
  const configCache = new Map<string, ts.CompilerOptions>();

  const compilerOptionsFor = (fileName: string): ts.CompilerOptions => {
    let configPath: string | undefined;
    if (options.tsconfig === false) configPath = undefined;
    else if (typeof options.tsconfig === "string") configPath = path.resolve(options.tsconfig);
    else configPath = tsi.findConfigFile(path.dirname(fileName), tsi.sys.fileExists);
    const key = configPath ?? "";
    let base = configCache.get(key);
    if (base === undefined) {
      base = configPath === undefined ? {} : readConfig(tsi, configPath);
      if (options.compilerOptions !== undefined) {
        base = { ...base, ...tsi.convertCompilerOptionsFromJson(options.compilerOptions, path.dirname(configPath ?? fileName)).options };
      }
      configCache.set(key, base);
    }
    return {
      ...base,
      target: base.target ?? tsi.ScriptTarget.ES2022,
      module: tsi.ModuleKind.ESNext,
      jsx: tsi.JsxEmit.Preserve,
      sourceMap: true,
      inlineSourceMap: false,
      inlineSources: false,
      declaration: false,
      declarationMap: false,
      emitDeclarationOnly: false,
      noEmit: false,
      composite: false,
      incremental: false,
      outDir: undefined,
      outFile: undefined,
      sourceRoot: undefined,
      mapRoot: undefined,
      plugins: [],
    };
  };

  return (code, id) => {
    const fileName = cleanId(id);
    if (!include.test(fileName) || exclude.test(fileName)) return undefined;
    if (!code.includes("@mapped") && !code.includes(runtimeModule)) return undefined;
    const diagnostics: ts.Diagnostic[] = [];
    const out = tsi.transpileModule(code, {
      fileName,
      compilerOptions: compilerOptionsFor(fileName),
      reportDiagnostics: false,
      transformers: { before: [createTransformer(undefined, { ...options, ts: tsi, onDiagnostic: (d) => diagnostics.push(d) })] },
    });
    const map = JSON.parse(out.sourceMapText ?? '{"version":3,"sources":[],"names":[],"mappings":""}') as SourceMapJson;
    map.file = path.basename(fileName);
    map.sources = [fileName];
    map.sourcesContent = [code];
    delete map.sourceRoot;
    const js = out.outputText.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
    return { code: js, map, diagnostics: diagnostics.map((d) => formatDiagnostic(tsi, d)) };
  };
}

// ---------------------------------------------------------------------------------------------
// Adapters

/** The subset of Rollup's / Vite's plugin context used here. */
interface RollupContext {
  warn(message: string): void;
  error(message: string): never;
}

/** A Rollup plugin (also a Vite / Vitest plugin). */
export interface RollupLikePlugin {
  name: string;
  enforce?: "pre" | "post";
  transform(this: RollupContext, code: string, id: string): { code: string; map: SourceMapJson } | null;
}

/** Rollup: `plugins: [rollup()]`, before the plugin that strips types (or instead of it, for files it rewrites). */
export function rollup(options: UnpluginOptions = {}): RollupLikePlugin {
  const transform = createModuleTransformer(options);
  return {
    name: "class-instrumentation",
    transform(code, id) {
      const result = transform(code, id);
      if (result === undefined) return null;
      for (const d of result.diagnostics) (options.diagnostics === "error" ? this.error : this.warn).call(this, d);
      return { code: result.code, map: result.map };
    },
  };
}

/** Vite and Vitest: `plugins: [vite()]` (runs before Vite's own esbuild transform). */
export function vite(options: UnpluginOptions = {}): RollupLikePlugin {
  return { ...rollup(options), enforce: "pre" };
}

/** The subset of esbuild's plugin API used here. */
interface EsbuildBuild {
  onLoad(
    filter: { filter: RegExp; namespace?: string },
    callback: (args: { path: string }) => EsbuildLoadResult | undefined | Promise<EsbuildLoadResult | undefined>,
  ): void;
}
interface EsbuildLoadResult {
  contents: string;
  loader: "js" | "jsx";
  resolveDir: string;
  warnings?: Array<{ text: string }>;
  errors?: Array<{ text: string }>;
}

/** esbuild: `plugins: [esbuild()]`. Modules it does not rewrite load as usual. */
export function esbuild(options: UnpluginOptions = {}): { name: string; setup(build: EsbuildBuild): void } {
  return {
    name: "class-instrumentation",
    setup(build) {
      const transform = createModuleTransformer(options);
      build.onLoad({ filter: options.include ?? DEFAULT_INCLUDE, namespace: "file" }, (args) => {
        const code = readFileSync(args.path, "utf8");
        const result = transform(code, args.path);
        if (result === undefined) return undefined;
        const messages = result.diagnostics.map((text) => ({ text }));
        const inline = Buffer.from(JSON.stringify(result.map)).toString("base64");
        return {
          contents: `${result.code}//# sourceMappingURL=data:application/json;base64,${inline}\n`,
          loader: /x$/.test(args.path) ? "jsx" : "js",
          resolveDir: path.dirname(args.path),
          ...(options.diagnostics === "error" ? { errors: messages } : { warnings: messages }),
        };
      });
    },
  };
}

/** The subset of webpack's compiler used here. */
interface WebpackCompiler {
  options: { module: { rules: unknown[] } };
}

/**
 * webpack 5: `plugins: [webpack()]`. Adds a `pre` loader, so the module then goes through the
 * project's own TypeScript loader (ts-loader with `transpileOnly`, esbuild-loader, babel-loader, swc-loader).
 */
export function webpack(options: UnpluginOptions = {}): { apply(compiler: WebpackCompiler): void } {
  return {
    apply(compiler) {
      compiler.options.module.rules.unshift({
        test: options.include ?? DEFAULT_INCLUDE,
        exclude: options.exclude ?? DEFAULT_EXCLUDE,
        enforce: "pre",
        use: [{ loader: require.resolve("./webpack-loader.js"), options }],
      });
    },
  };
}

const unplugin = { vite, rollup, esbuild, webpack };
export default unplugin;

// ---------------------------------------------------------------------------------------------

function cleanId(id: string): string {
  const q = id.search(/[?#]/);
  return q === -1 ? id : id.slice(0, q);
}

function readConfig(tsi: typeof ts, configPath: string): ts.CompilerOptions {
  const parsed = tsi.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...tsi.sys,
    onUnRecoverableConfigFileDiagnostic: () => undefined,
  });
  return parsed?.options ?? {};
}

function formatDiagnostic(tsi: typeof ts, d: ts.Diagnostic): string {
  const text = tsi.flattenDiagnosticMessageText(d.messageText, "\n");
  if (d.file === undefined || d.start === undefined) return `${String(d.code)}: ${text}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${d.file.fileName}(${line + 1},${character + 1}): ${String(d.code)}: ${text}`;
}

/** `typescript` as the project sees it (a bundler plugin lives in node_modules; the project's copy wins). */
function loadProjectTypeScript(): typeof ts {
  for (const from of [path.join(process.cwd(), "package.json"), __filename]) {
    try {
      return createRequire(from)("typescript") as typeof ts;
    } catch {
      // try the next location
    }
  }
  throw new Error("class-instrumentation/unplugin needs the typescript package (4.9 to 6.x): npm i -D typescript@6");
}
