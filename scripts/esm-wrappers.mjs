// Writes ESM entry points next to the CommonJS build so that `import` and `require` load the
// same module instance (no dual-package hazard: one registry, one set of classes).
import { createRequire } from "node:module";
import { existsSync, writeFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const entries = ["dist/runtime/index.js", "dist/runtime/ext/index.js"];
for (const cjs of entries) {
  if (!existsSync(new URL(`../${cjs}`, import.meta.url))) continue;
  const names = Object.keys(require(`../${cjs}`)).filter((n) => n !== "default" && n !== "__esModule");
  const base = "./" + cjs.split("/").pop();
  const lines = [`import cjs from ${JSON.stringify(base)};`, `export const { ${names.join(", ")} } = cjs;`];
  writeFileSync(cjs.replace(/\.js$/, ".mjs"), lines.join("\n") + "\n");
  writeFileSync(cjs.replace(/\.js$/, ".d.mts"), `export * from ${JSON.stringify(base)};\n`);
}
