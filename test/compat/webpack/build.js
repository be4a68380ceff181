// Two webpack 5 builds: ts-loader's getCustomTransformers (with the Program), and the unplugin's
// webpack() adapter in front of ts-loader in transpileOnly mode.
const path = require("node:path");
const webpack = require("webpack");
const { createTransformer } = require("class-instrumentation/transformer");
const unplugin = require("class-instrumentation/unplugin");

const base = (name, loaderOptions, plugins) => ({
  mode: "development",
  devtool: "source-map",
  target: "node",
  entry: "./src/main.ts",
  output: { path: path.resolve(__dirname, name), filename: "main.js" },
  resolve: { extensions: [".ts", ".js"] },
  module: { rules: [{ test: /\.ts$/, loader: "ts-loader", options: loaderOptions }] },
  plugins,
});
const configs = {
  "ts-loader": base("dist-ts-loader", { getCustomTransformers: (program) => ({ before: [createTransformer(program)] }) }, []),
  unplugin: base("dist-unplugin", { transpileOnly: true }, [unplugin.webpack()]),
};
const config = configs[process.argv[2]];
webpack(config, (error, stats) => {
  if (error) throw error;
  if (stats.hasErrors()) {
    console.error(stats.toString("errors-only"));
    process.exitCode = 1;
  }
});
