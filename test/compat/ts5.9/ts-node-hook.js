// ts-node's own `transformers` hook (no ts-patch).
const { createTransformer } = require("class-instrumentation/transformer");
require("ts-node").register({ transformers: (program) => ({ before: [createTransformer(program)] }) });
require("./src/main.ts");
