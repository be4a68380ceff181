// Unit-of-work benchmark: load N rows, change 1%, detect the changes, flush — the example
// Session vs MikroORM vs a hand-kept dirty list, on the same SQLite data. Run by bench/run.mjs
// (always, or alone with `--only uow`); writes bench/results/uow.json and bench/results/uow.md.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, RESULTS, WORK } from "../lib/paths.mjs";
import { fmt, fmtRatio, summary } from "../lib/stats.mjs";
import { buildUowSubject } from "./build.mjs";
import { handSubject, mikroSubject, seed, sessionSubject } from "./subjects.mjs";

export const UOW_OPS = [
  { id: "load", label: "load N rows into objects" },
  { id: "modify", label: "change 2 columns of 1% of them" },
  { id: "detect", label: "detect the changes" },
  { id: "flush", label: "flush: UPDATE the changed columns, commit" },
  { id: "total", label: "the whole cycle (sum of the four)" },
];
const BASELINES = ["mikroorm", "hand"];

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Runs the unit-of-work rows; returns { meta, results } and writes the result files. */
export async function runUow({ sizes = [10000, 100000], rounds = 5, log = console.error } = {}) {
  log("Unit of work: building the Session subject…");
  const rowsModule = buildUowSubject(log);
  const subjects = [sessionSubject(rowsModule), await mikroSubject(), handSubject()];
  const results = {};
  const started = Date.now();
  for (const n of sizes) {
    const file = join(WORK, `uow-${n}.sqlite`);
    rmSync(file, { force: true });
    seed(file, n);
    const raw = {}; // raw[op][subject] = ms per round
    // Round 0 warms every code path up and is not recorded.
    for (let round = 0; round <= rounds; round++) {
      const t0 = Date.now();
      const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
      for (const s of order) {
        // A full collection before every timed step (untimed), so that no step pays for the
        // garbage of the one before it (with 100,000 live objects a pause is tens of ms).
        const gc = () => globalThis.gc?.();
        gc();
        const ctx = await s.open(file);
        gc();
        let t = now();
        const loaded = await s.load(ctx);
        const load = now() - t;
        gc();
        t = now();
        s.modify(ctx, round * subjects.length + subjects.indexOf(s) + 1);
        const modify = now() - t;
        gc();
        // Detecting changes does not change anything, and at 10,000 rows it takes well under a
        // millisecond: the best of 3 keeps a scheduler pause on the shared machine out of it.
        let changed = 0;
        let detect = Infinity;
        for (let i = 0; i < 3; i++) {
          t = now();
          changed = s.detect(ctx);
          detect = Math.min(detect, now() - t);
        }
        gc();
        t = now();
        await s.flush(ctx);
        const flush = now() - t;
        await s.close(ctx);
        if (loaded !== n || changed !== 2 * Math.ceil(n / 100)) throw new Error(`${s.id}: loaded ${loaded} of ${n} rows, detected ${changed} changed columns`);
        if (round === 0) continue;
        const total = load + modify + detect + flush;
        for (const [op, ms] of Object.entries({ load, modify, detect, flush, total })) ((raw[op] ??= {})[s.id] ??= []).push(ms);
      }
      log(`  N = ${n}: round ${round}/${rounds}${round === 0 ? " (warm-up)" : ""} done (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    results[n] = {};
    for (const op of UOW_OPS) {
      results[n][op.id] = {};
      for (const [id, series] of Object.entries(raw[op.id])) {
        const entry = { ms: summary(series), rounds: series };
        for (const base of BASELINES) entry[`ratioTo_${base}`] = summary(series.map((v, r) => v / raw[op.id][base][r]));
        results[n][op.id][id] = entry;
      }
    }
    // Subjects that keep a connection pool (MikroORM) let go of this size's file.
    for (const s of subjects) await s.dispose?.();
    rmSync(file, { force: true });
  }
  const version = (name) => JSON.parse(readFileSync(join(BENCH, "node_modules", name, "package.json"), "utf8")).version;
  const meta = {
    date: new Date().toISOString().slice(0, 10),
    node: process.versions.node,
    versions: { "@mikro-orm/core": version("@mikro-orm/core"), "@mikro-orm/better-sqlite": version("@mikro-orm/better-sqlite"), "better-sqlite3": version("better-sqlite3") },
    sizes,
    rounds,
    wallSeconds: Math.round((Date.now() - started) / 1000),
    subjects: subjects.map((s) => ({ id: s.id, label: s.label })),
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, "uow.json"), JSON.stringify({ meta, operations: UOW_OPS, results }, null, 2) + "\n");
  writeFileSync(join(RESULTS, "uow.md"), renderUowMarkdown(meta, results));
  return { meta, results };
}

/** The results as a Markdown table (also printed on stdout). */
export function renderUowMarkdown(meta, results) {
  const lines = [
    `Unit of work, measured ${meta.date}, Node ${meta.node}, MikroORM ${meta.versions["@mikro-orm/core"]}, better-sqlite3 ${meta.versions["better-sqlite3"]}; ` +
      `median of ${meta.rounds} rounds after a warm-up round, spread = min–max of the per-round ratios.`,
    "",
    "| rows | step | subject | median | ratio to MikroORM | ratio to hand list |",
    "| ---: | --- | --- | ---: | ---: | ---: |",
  ];
  for (const n of meta.sizes) {
    for (const op of UOW_OPS) {
      let first = true;
      for (const s of meta.subjects) {
        const e = results[n][op.id][s.id];
        const ratio = (base) => (s.id === base ? "1×" : `${fmtRatio(e[`ratioTo_${base}`].median)} (${fmt(e[`ratioTo_${base}`].min)}–${fmt(e[`ratioTo_${base}`].max)})`);
        lines.push(`| ${first ? n.toLocaleString("en-US") : ""} | ${first ? op.label : ""} | ${s.id} | ${fmt(e.ms.median)} ms | ${ratio("mikroorm")} | ${ratio("hand")} |`);
        first = false;
      }
    }
  }
  return lines.join("\n") + "\n";
}
