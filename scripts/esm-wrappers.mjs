// Writes ESM entry points next to the CommonJS build so that `import` and `require` load the
// same module instance (no dual-package hazard: one registry, one set of classes).
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const entries = [["dist/runtime/index.js", "dist/runtime/index.mjs", "dist/runtime/index.d.mts"]];
for (const [cjs, mjs, dmts] of entries) {
  const names = Object.keys(require(`../${cjs}`)).filter((n) => n !== "default" && n !== "__esModule");
  const base = "./" + cjs.split("/").pop();
  const lines = [`import cjs from ${JSON.stringify(base)};`, `export const { ${names.join(", ")} } = cjs;`];
  writeFileSync(mjs, lines.join("\n") + "\n");
  writeFileSync(dmts, `export * from ${JSON.stringify(base)};\n`);
}
