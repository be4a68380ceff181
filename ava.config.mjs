// Tests are written in TypeScript and compiled by `npm run build:test` into build/test.
export default {
  files: ["build/test/**/*.test.js"],
  // --expose-gc is refused in worker threads, so test files run in child processes.
  workerThreads: false,
  nodeArguments: ["--expose-gc"],
  // Many tspc builds run at once: ts-patch's on-disk cache of the patched compiler is guarded by
  // a lock with a 2 s wait, which concurrent builds can exceed on a loaded 2-core machine.
  // Patching in memory per build costs a little CPU and removes that failure mode.
  // Many test files use the runtime path of @mapped on purpose: its once-per-process warning is
  // silenced here (test/runtime-path-warning.test.ts checks it in child processes without this).
  environmentVariables: { TSP_SKIP_CACHE: "true", CLASS_INSTRUMENTATION_RUNTIME_PATH: "1" },
  timeout: "60s",
};
