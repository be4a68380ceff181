// Tests are written in TypeScript and compiled by `npm run build:test` into build/test.
export default {
  files: ["build/test/**/*.test.js"],
  nodeArguments: ["--expose-gc"],
  timeout: "60s",
};
