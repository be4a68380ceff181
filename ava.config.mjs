// Tests are written in TypeScript and compiled by `npm run build:test` into build/test.
export default {
  files: ["build/test/**/*.test.js"],
  // --expose-gc is refused in worker threads, so test files run in child processes.
  workerThreads: false,
  nodeArguments: ["--expose-gc"],
  timeout: "60s",
};
