// Builds the benchmark subjects into bench/.work/out/:
//   tsc/          plain.ts, ours.ts (runtime path of @mapped), ours-register.ts, mobx.ts, slots.ts
//                 compiled by plain tsc, useDefineForClassFields: true
//   tsc-assign/   plain.ts compiled with useDefineForClassFields: false
//   tspc/         ours.ts compiled by tspc with the class-instrumentation transformer
// The sources are copied to bench/.work/src/ so that `class-instrumentation` resolves through the
// symlink bench/.work/node_modules/class-instrumentation -> the repository root (dist/).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { BENCH, OUT, ROOT, RUNTIME, TRANSFORMER, TSC, TSPC, WORK } from "./paths.mjs";

export const BASE_OPTIONS = {
  target: "ES2022",
  module: "commonjs",
  moduleResolution: "node10",
  lib: ["ES2022"],
  types: [],
  strict: true,
  skipLibCheck: true,
  sourceMap: false,
  declaration: false,
};

/** Symlink bench/.work/node_modules/class-instrumentation -> repository root; CommonJS marker. */
export function prepareWork() {
  mkdirSync(join(WORK, "node_modules"), { recursive: true });
  const link = join(WORK, "node_modules", "class-instrumentation");
  if (!existsSync(link)) symlinkSync(relative(join(WORK, "node_modules"), ROOT), link, "dir");
  // bench/package.json is "type": "module"; everything compiled under .work is CommonJS.
  writeFileSync(join(WORK, "package.json"), JSON.stringify({ type: "commonjs", private: true }, null, 2) + "\n");
}

/** Runs tsc or tspc; returns { ok, ms, output }. */
export function compile(tool, project) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [tool === "tspc" ? TSPC : TSC, "-p", project], { encoding: "utf8", cwd: WORK });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ok: r.status === 0, ms, output: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

function writeConfig(name, files, options) {
  const path = join(WORK, `tsconfig.${name}.json`);
  writeFileSync(path, JSON.stringify({ compilerOptions: { ...BASE_OPTIONS, ...options }, files }, null, 2) + "\n");
  return path;
}

/** What the runtime build offers. */
export function runtimeStatus() {
  if (!existsSync(RUNTIME)) return { runtime: false, mapped: false };
  const require = createRequire(import.meta.url);
  const rt = require(RUNTIME);
  return { runtime: true, mapped: typeof rt.mapped === "function" && typeof rt.defineMapped === "function" };
}

/** Why the transformer subject cannot be built, or undefined when it can. */
export function transformerMissing() {
  const { runtime, mapped } = runtimeStatus();
  if (!runtime) return "dist/runtime/index.js not found: run `npm run build` at the repository root";
  if (!existsSync(join(ROOT, "runtime", "mapped.ts")) || !mapped) return "runtime/mapped.ts (`@mapped`) is not in the runtime build yet";
  if (!existsSync(TRANSFORMER)) return "dist/transformer/index.js not found: the transformer is not built yet (`npm run build`)";
  return undefined;
}

/**
 * Compiles every subject. Returns { built: Set<variant>, skipped: Map<subjectId, reason>, log }.
 */
export function buildSubjects(log = () => {}) {
  prepareWork();
  const src = join(WORK, "src");
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  for (const f of readdirSync(join(BENCH, "subjects"))) copyFileSync(join(BENCH, "subjects", f), join(src, f));
  rmSync(OUT, { recursive: true, force: true });

  const skipped = new Map();
  const { mapped } = runtimeStatus();
  const tscFiles = ["src/plain.ts", "src/ours-register.ts", "src/mobx.ts", "src/slots.ts"];
  if (mapped) tscFiles.push("src/ours.ts");
  else skipped.set("ours-runtime", "`@mapped` (runtime/mapped.ts) is not in the runtime build yet");

  const jobs = [
    ["tsc", "tsc", tscFiles, { useDefineForClassFields: true, outDir: "out/tsc", rootDir: "src" }],
    ["tsc-assign", "tsc", ["src/plain.ts"], { useDefineForClassFields: false, outDir: "out/tsc-assign", rootDir: "src" }],
  ];
  const missing = transformerMissing();
  if (missing === undefined) {
    jobs.push([
      "tspc",
      "tspc",
      ["src/ours.ts"],
      { useDefineForClassFields: true, outDir: "out/tspc", rootDir: "src", plugins: [{ transform: TRANSFORMER }] },
    ]);
  } else {
    skipped.set("ours-tspc", missing);
  }

  const built = new Set();
  for (const [name, tool, files, options] of jobs) {
    const r = compile(tool, writeConfig(name, files, options));
    if (!r.ok) {
      const reason = `${tool} failed on ${name}:\n${r.output}`;
      if (name === "tspc") {
        skipped.set("ours-tspc", reason);
        continue;
      }
      throw new Error(reason);
    }
    if (name === "tspc") {
      const js = readFileSync(join(OUT, "tspc", "ours.js"), "utf8");
      if (!js.includes("defineMapped")) {
        skipped.set("ours-tspc", "tspc ran but the output has no defineMapped call: the transformer did not rewrite the class");
        continue;
      }
    }
    built.add(name);
    log(`  built ${name.padEnd(10)} (${tool}, ${Math.round(r.ms)} ms)${r.output ? `\n${r.output}` : ""}`);
  }
  return { built, skipped };
}
