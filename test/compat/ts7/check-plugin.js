// With TypeScript 7 as `typescript` the bundler plugin refuses to start (CI1011, naming the fix);
// given TypeScript 6 (installed as `ts6`) it runs.
const unplugin = require("class-instrumentation/unplugin");
let refused = "";
try {
  unplugin.vite();
} catch (error) {
  refused = String(error.message);
}
const plugin = unplugin.vite({ typescript: require("ts6"), tsconfig: false });
const code = 'import { mapped } from "class-instrumentation";\n@mapped\nexport class A {\n  x = 1;\n}\n';
const out = plugin.transform.call({ warn() {}, error(m) { throw new Error(m); } }, code, __dirname + "/a.ts");
console.log(JSON.stringify({ refused, transformedWithTs6: /defineMapped/.test(out.code) }));
