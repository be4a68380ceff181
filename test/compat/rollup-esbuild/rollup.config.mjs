import { nodeResolve } from "@rollup/plugin-node-resolve";
import { rollup as classInstrumentation } from "class-instrumentation/unplugin";

export default {
  input: "src/main.ts",
  external: ["class-instrumentation"],
  plugins: [nodeResolve({ extensions: [".ts", ".js"] }), classInstrumentation()],
  output: { file: "dist-rollup/main.js", format: "cjs", sourcemap: true },
};
