// The README's route for TypeScript 7 projects, as an ES module (a vite.config.ts would read the
// same): TypeScript 6 installed next to it as `ts6` and passed to the plugin.
import ts6 from "ts6";
import { vite } from "class-instrumentation/unplugin";
import { fileURLToPath } from "node:url";

const plugin = vite({ typescript: ts6, tsconfig: false });
const code = 'import { mapped } from "class-instrumentation";\n@mapped\nexport class A {\n  x = 1;\n}\n';
const out = plugin.transform.call({ warn() {}, error(m) { throw new Error(m); } }, code, fileURLToPath(new URL("a.ts", import.meta.url)));
console.log(JSON.stringify({ transformedWithTs6: /defineMapped/.test(out.code) }));
