/**
 * The webpack loader behind `webpack()` of `class-instrumentation/unplugin`: rewrites modules that
 * mention `@mapped` (see unplugin.ts) and passes the others through unchanged.
 */
import { createModuleTransformer, type ModuleTransformer, type UnpluginOptions } from "./unplugin.js";

interface LoaderContext {
  resourcePath: string;
  getOptions(): UnpluginOptions;
  emitWarning(error: Error): void;
  emitError(error: Error): void;
  callback(error: Error | null, code?: string, map?: unknown): void;
}

const transformers = new WeakMap<object, ModuleTransformer>();

function classInstrumentationLoader(this: LoaderContext, source: string, map?: unknown): void {
  const options = this.getOptions();
  let transform = transformers.get(options);
  if (transform === undefined) transformers.set(options, (transform = createModuleTransformer(options)));
  const result = transform(source, this.resourcePath);
  if (result === undefined) return this.callback(null, source, map);
  for (const d of result.diagnostics) (options.diagnostics === "error" ? this.emitError : this.emitWarning).call(this, new Error(d));
  this.callback(null, result.code, result.map);
}

export = classInstrumentationLoader;
