// program.emit with the transformer as a `before` custom transformer (no ts-patch).
const ts = require("typescript");
const { createTransformer } = require("class-instrumentation/transformer");
const config = ts.getParsedCommandLineOfConfigFile("tsconfig.json", { outDir: "dist-emit" }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
const program = ts.createProgram(config.fileNames, { ...config.options, plugins: [] });
const result = program.emit(undefined, undefined, undefined, false, { before: [createTransformer(program)] });
process.exitCode = result.emitSkipped || result.diagnostics.length > 0 ? 1 : 0;
