// swc without the transformer: legacy decorators, CommonJS.
const swc = require("@swc/core");
const fs = require("node:fs");
const path = require("node:path");
fs.mkdirSync("dist-swc", { recursive: true });
for (const name of fs.readdirSync("src").filter((f) => f.endsWith(".ts"))) {
  const { code } = swc.transformFileSync(path.join("src", name), {
    jsc: { parser: { syntax: "typescript", decorators: true }, transform: { legacyDecorator: true }, target: "es2022" },
    module: { type: "commonjs" },
  });
  fs.writeFileSync(path.join("dist-swc", name.replace(/\.ts$/, ".js")), code);
}
