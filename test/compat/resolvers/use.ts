// Every entry point, imported the way a user would, under the tsconfig's module resolution; the
// types must resolve (no TS2307) and the values must be what they say at run time.
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
