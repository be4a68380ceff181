// Every entry point from an ES module (`module: nodenext`, or `bundler`): the `import` condition,
// whose types must be ESM types with a real default export for the transformer and the plugin.
import { mapped, getHistory, type InstanceState } from "class-instrumentation";
import { InstrumentationManager } from "class-instrumentation/ext";
import transformer, { createTransformer, type PluginOptions } from "class-instrumentation/transformer";
import unplugin, { vite, type UnpluginOptions } from "class-instrumentation/unplugin";
import type * as ts from "typescript";

const options: PluginOptions & UnpluginOptions = {};
const factory: (program: ts.Program | undefined) => ts.TransformerFactory<ts.SourceFile> = transformer;
const state: InstanceState | undefined = undefined;
console.log(
  JSON.stringify({
    mapped: typeof mapped,
    getHistory: typeof getHistory,
    ext: typeof InstrumentationManager,
    transformer: typeof factory,
    createTransformer: typeof createTransformer,
    unpluginDefault: typeof unplugin.vite,
    vite: typeof vite,
    options: typeof options,
    state: typeof state,
  }),
);
