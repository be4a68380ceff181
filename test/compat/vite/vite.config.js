import { vite as classInstrumentation } from "class-instrumentation/unplugin";

export default {
  plugins: [classInstrumentation()],
  build: { ssr: "src/main.ts", outDir: "dist", sourcemap: true, minify: false },
  test: { include: ["src/**/*.test.ts"] },
};
