// ts.transpileModule per file (no Program: syntax-only mode).
const ts = require("typescript");
const fs = require("node:fs");
const path = require("node:path");
const { createTransformer } = require("class-instrumentation/transformer");
fs.mkdirSync("dist-transpile", { recursive: true });
for (const name of fs.readdirSync("src").filter((f) => f.endsWith(".ts"))) {
  const out = ts.transpileModule(fs.readFileSync(path.join("src", name), "utf8"), {
    fileName: path.join("src", name),
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: true },
    transformers: { before: [createTransformer()] },
  });
  fs.writeFileSync(path.join("dist-transpile", name.replace(/\.ts$/, ".js")), out.outputText);
}
