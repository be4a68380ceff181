// ts-jest needs a module with name, version and factory(tsCompiler).
const { createTransformer } = require("class-instrumentation/transformer");
module.exports = {
  name: "class-instrumentation",
  version: "1",
  factory: (tsCompiler) => createTransformer(tsCompiler.program),
};
