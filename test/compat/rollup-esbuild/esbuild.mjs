import { build } from "esbuild";
import { esbuild as classInstrumentation } from "class-instrumentation/unplugin";

await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  platform: "node",
  format: "cjs",
  outfile: "dist-esbuild/main.js",
  sourcemap: true,
  external: ["class-instrumentation"],
  plugins: [classInstrumentation()],
});
