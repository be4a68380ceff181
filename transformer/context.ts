/**
 * The record passed to every part of the transformer: the TypeScript instance that runs (from
 * ts-patch's `extras`, never a second copy), the program and checker when there is one, the
 * plugin options, and the diagnostic sink.
 */
import type * as ts from "typescript";
import type { Problem } from "./diagnostics.js";

/** Options accepted in the tsconfig plugin entry (`{ "transform": "class-instrumentation/transformer", ... }`). */
export interface PluginOptions {
  /** Module the generated code imports the runtime from. Default `"class-instrumentation"`. */
  runtimeModule?: string;
}

/** Plugin options with defaults applied. */
export interface ResolvedOptions {
  readonly runtimeModule: string;
}

/** Everything a transformation needs besides the node at hand. */
export interface TransformEnv {
  /** The TypeScript instance that runs the compilation. */
  readonly ts: typeof ts;
  /** The program, when the host gives one (not under a syntax-only host). */
  readonly program: ts.Program | undefined;
  /** Its checker; `undefined` means syntax-only recognition. */
  readonly checker: ts.TypeChecker | undefined;
  /** Plugin options. */
  readonly options: ResolvedOptions;
  /** Reports a problem found in `file`. */
  report(file: ts.SourceFile, problem: Problem): void;
}

/** Applies defaults to the raw plugin entry (unknown keys are ts-patch's own: `transform`, `after`, ...). */
export function resolveOptions(config: unknown): ResolvedOptions {
  const raw = (typeof config === "object" && config !== null ? config : {}) as PluginOptions;
  return {
    runtimeModule: typeof raw.runtimeModule === "string" && raw.runtimeModule !== "" ? raw.runtimeModule : "class-instrumentation",
  };
}

/** A class declaration or expression. */
export type ClassLike = ts.ClassDeclaration | ts.ClassExpression;
