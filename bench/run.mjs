#!/usr/bin/env node
// class-instrumentation benchmark suite. `npm run bench` at the repository root builds the
// package, installs bench/'s own dependencies and runs this file. See bench/README.md.
//
//   node bench/run.mjs [--rounds N] [--budget MS] [--heap-n N] [--heap-runs N] [--build-runs N]
//                      [--ops construct,read,...] [--skip-heap] [--skip-build] [--quick]
//                      [--only uow] [--skip-uow] [--uow-sizes 10000,100000] [--uow-rounds N]
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { BENCH, RESULTS, ROOT, RUNTIME } from "./lib/paths.mjs";

if (typeof globalThis.gc !== "function") {
  // Re-run with an exposed GC: mitata collects garbage before each measurement.
  const r = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, process.argv[1], ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const quick = flag("quick");
const ROUNDS = Number(option("rounds", quick ? 2 : 5));
const BUDGET_MS = Number(option("budget", quick ? 30 : 80));
const HEAP_N = Number(option("heap-n", 100000));
const HEAP_RUNS = Number(option("heap-runs", quick ? 1 : 3));
const BUILD_RUNS = Number(option("build-runs", quick ? 1 : 5));
const log = (...a) => console.error(...a);

const { existsSync } = await import("node:fs");
if (!existsSync(RUNTIME)) {
  console.error("dist/runtime/index.js is missing: run `npm run build` at the repository root first (npm run bench does).");
  process.exit(1);
}

// The unit-of-work rows (bench/uow/): `--only uow` runs just them, `--skip-uow` leaves them out.
const runUowRows = async () => {
  const { runUow, renderUowMarkdown } = await import("./uow/run.mjs");
  const sizes = option("uow-sizes", quick ? "10000" : "10000,100000").split(",").map(Number);
  const { meta, results } = await runUow({ sizes, rounds: Number(option("uow-rounds", quick ? 2 : 7)), log });
  console.log(`\n${renderUowMarkdown(meta, results)}\nWrote bench/results/uow.json, bench/results/uow.md.`);
};
if (option("only", "") === "uow") {
  await runUowRows();
  process.exit(0);
}

const started = Date.now();
const { buildSubjects } = await import("./lib/build.mjs");
log("Building subjects…");
const { built, skipped } = buildSubjects(log);
for (const [id, reason] of skipped) log(`  SKIPPED ${id}: ${reason}`);

const { loadSubjects } = await import("./lib/subjects.mjs");
const { OPS, prepare, timeBench } = await import("./lib/ops.mjs");
const { summary, median } = await import("./lib/stats.mjs");
const { evaluateTargets } = await import("./lib/targets.mjs");
const { renderText, renderMarkdown, HEAP_MODES } = await import("./lib/report.mjs");
const { renderSvg } = await import("./lib/svg.mjs");

const subjects = loadSubjects({ built, skipped });
for (const s of subjects) if (!s.skip && s.env.Row === undefined) s.skip = "not built";
const active = subjects.filter((s) => !s.skip);
const wanted = new Set((option("ops", OPS.map((o) => o.id).join(",")) ?? "").split(","));
const ops = OPS.filter((o) => wanted.has(o.id));

// --- timed operations, all subjects side by side, several rounds ------------------------------
// Three phases, each with only its own fixtures alive (a heap full of another phase's 100,000-
// instance fixtures makes every allocation-heavy measurement noisier): the per-instance
// operations, then each collect-changed scenario.
const raw = {}; // raw[op][subject] = ns per operation, one per round
const phases = [ops.filter((o) => !o.collect).map((o) => o.id), ...ops.filter((o) => o.collect).map((o) => [o.id])].filter((p) => p.length > 0);
for (const phase of phases) {
  log(`Phase ${phase.join(", ")}: preparing fixtures…`);
  let benches = new Map(active.map((s) => [s.id, prepare(s, new Set(phase))]));
  const phaseOps = ops.filter((o) => phase.includes(o.id));
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = Date.now();
    for (const op of phaseOps) {
      const participants = active.filter((s) => benches.get(s.id)[op.id]);
      // Rotate the order every round so that no subject always runs first or last.
      const order = participants.map((_, i) => participants[(i + round) % participants.length]);
      for (const s of order) {
        const ns = (await timeBench(benches.get(s.id)[op.id], BUDGET_MS)) / op.per;
        ((raw[op.id] ??= {})[s.id] ??= []).push(ns);
      }
    }
    log(`  round ${round + 1}/${ROUNDS} done (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  benches = null;
  globalThis.gc();
}

const results = { ops: {}, heap: {}, build: undefined };
for (const op of ops) {
  const base = raw[op.id]?.plain;
  if (!raw[op.id]) continue;
  results.ops[op.id] = {};
  for (const [id, series] of Object.entries(raw[op.id])) {
    const ratios = series.map((v, r) => v / base[r]);
    results.ops[op.id][id] = { ns: summary(series), ratio: summary(ratios), rounds: series };
  }
}

// --- retained heap, one child process per subject and run --------------------------------------
if (!flag("skip-heap")) {
  log(`Measuring retained heap (N = ${HEAP_N}, ${HEAP_RUNS} run(s) per subject)…`);
  const heapRaw = {};
  for (let run = 0; run < HEAP_RUNS; run++) {
    for (const s of active) {
      const r = spawnSync(
        process.execPath,
        ["--expose-gc", join(BENCH, "lib", "heap-child.mjs"), s.id, String(HEAP_N), JSON.stringify([...built]), JSON.stringify([...skipped])],
        { encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(`heap child ${s.id} failed:\n${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split("\n").pop());
      for (const [mode, bytes] of Object.entries(m)) ((heapRaw[s.id] ??= {})[mode] ??= []).push(bytes);
    }
  }
  for (const [id, modes] of Object.entries(heapRaw)) {
    results.heap[id] = {};
    for (const mode of HEAP_MODES) {
      const series = modes[mode.id];
      if (!series) continue;
      const base = heapRaw.plain[mode.baseline];
      results.heap[id][mode.id] = { bytes: summary(series), ratio: summary(series.map((v, i) => v / base[i])) };
    }
  }
}

// --- build cost ---------------------------------------------------------------------------------
if (!flag("skip-build")) {
  if (skipped.has("ours-tspc")) {
    log(`Build cost: SKIPPED (${skipped.get("ours-tspc").split("\n")[0]})`);
    results.buildSkipped = skipped.get("ours-tspc");
  } else {
    const { measureBuildCost } = await import("./lib/buildcost.mjs");
    log(`Measuring build cost (${BUILD_RUNS} run(s) per variant)…`);
    const bc = measureBuildCost(BUILD_RUNS, log);
    const ms = {};
    const ratios = {};
    for (const [id, series] of Object.entries(bc.times)) {
      ms[id] = summary(series);
      ratios[id] = summary(series.map((v, i) => v / bc.times.tsc[i]));
    }
    results.build = { classes: bc.classes, files: bc.files, variants: bc.variants, ms, ratios, ratio: ratios.tspc, runs: bc.times };
  }
}

// --- report -------------------------------------------------------------------------------------
const targets = {};
for (const id of ["ours-tspc", "ours-runtime", "ours-register"]) if (active.some((s) => s.id === id)) targets[id] = evaluateTargets(results, id);

const version = (dir) => {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
};
const meta = {
  date: new Date().toISOString().slice(0, 10),
  machine: { cpu: cpus()[0]?.model?.trim() ?? "?", cores: cpus().length, os: `${type()} ${release()}`, memoryGiB: Math.round(totalmem() / 2 ** 30) },
  versions: {
    node: process.versions.node,
    v8: process.versions.v8,
    typescript: version(join(ROOT, "node_modules", "typescript")),
    "ts-patch": version(join(ROOT, "node_modules", "ts-patch")),
    mobx: version(join(BENCH, "node_modules", "mobx")),
    "@vue/reactivity": version(join(BENCH, "node_modules", "@vue", "reactivity")),
    mitata: version(join(BENCH, "node_modules", "mitata")),
    "class-instrumentation": version(ROOT),
  },
  rounds: ROUNDS,
  budgetMsPerMeasurement: BUDGET_MS,
  heap: { instances: HEAP_N, runs: HEAP_RUNS },
  buildRuns: BUILD_RUNS,
  wallSeconds: Math.round((Date.now() - started) / 1000),
};
const subjectInfo = subjects.map((s) => ({ id: s.id, label: s.label, ...(s.skip ? { skipped: s.skip } : {}), ...(s.collect ? { collect: s.collect.label } : {}) }));
const operations = [...ops.map((o) => ({ id: o.id, label: o.label, unit: o.unit, perCall: o.per })), ...HEAP_MODES.map((m) => ({ id: `heap.${m.id}`, label: m.label, unit: "bytes/instance" }))];

mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, "latest.json"), JSON.stringify({ meta, subjects: subjectInfo, operations, results, targets }, null, 2) + "\n");
writeFileSync(join(RESULTS, "chart.svg"), renderSvg(results, subjects, `class-instrumentation benchmarks — ${meta.date}, Node ${meta.versions.node}`));
writeFileSync(join(RESULTS, "summary.md"), renderMarkdown(results, subjects, targets, meta));

console.log(renderText(results, subjects, targets, skipped));
console.log(`\nWrote bench/results/latest.json, bench/results/chart.svg, bench/results/summary.md (${meta.wallSeconds} s).`);
if (!flag("skip-uow")) await runUowRows();
void median;
