// The timed operations. Each (subject, operation) pair gets its own closure compiled from source
// with `new Function`, so that inline caches never mix classes from different subjects.
import { measure } from "mitata";
import { POOL } from "./subjects.mjs";

export const READ_N = 1000;
export const WRITE_N = 1000;
export const CONSTRUCT_N = 1000;
export const FIRST_WRITE_N = 10000;
export const CHANGED = 1000;

/** Operations, in report order. `per` = operations per timed call (results are per operation). */
export const OPS = [
  { id: "construct", label: "construct with 8 fields", per: CONSTRUCT_N, unit: "ns/op" },
  { id: "read", label: "read a loaded attribute (1,000 instances)", per: READ_N, unit: "ns/op" },
  { id: "write", label: "write an already-modified attribute", per: WRITE_N, unit: "ns/op" },
  { id: "firstWrite", label: "first write after commitAll() (write only)", per: FIRST_WRITE_N, unit: "ns/op" },
  { id: "constructList", label: "construct with one list attribute (new Owner(name))", per: CONSTRUCT_N, unit: "ns/op" },
  { id: "constructNamed", label: "construct the same class without the list (new Named(name))", per: CONSTRUCT_N, unit: "ns/op" },
  { id: "collect1", label: "collect changed: 1% of 100,000 (1,000 changed)", per: 1, total: 100000, unit: "µs/collect", collect: true },
  { id: "collect10", label: "collect changed: 10% of 10,000 (1,000 changed)", per: 1, total: 10000, unit: "µs/collect", collect: true },
];

/**
 * Compiles `source` with `env`'s names in scope. `name` makes the source text unique per subject
 * and operation: V8 shares one SharedFunctionInfo (bytecode, and after bytecode flushing the
 * feedback too) between identical `new Function` sources, which would mix the subjects' inline
 * caches. It also names the code in CPU profiles.
 */
export function compile(env, source, name) {
  const names = Object.keys(env);
  return new Function(...names, `"use strict";\nreturn (${source});\n//# sourceURL=bench:${name}`)(...names.map((n) => env[n]));
}

const SINK = { v: undefined };

export function maker(subject) {
  return compile(subject.env, `function make(n) { const a = new Array(n); for (let i = 0; i < n; i++) a[i] = ${subject.make}; return a; }`, `${subject.id}/make`);
}

const writeSource = `(() => {
  let k = 0;
  return function write() {
    k = (k + 1) & 0xffff;
    for (let i = 0; i < arr.length; i++) arr[i].n1 = i + k;
    return arr;
  };
})()`;

/** Builds a subject's fixtures and its timed closures, for the operations it takes part in. */
export function prepare(subject, ops) {
  const make = maker(subject);
  const benches = {};
  const env = subject.env;
  if (subject.ops.has("construct") && ops.has("construct")) {
    const out = new Array(CONSTRUCT_N);
    benches.construct = {
      fn: compile({ ...env, out }, `function construct() { for (let i = 0; i < out.length; i++) out[i] = ${subject.make}; return out; }`, `${subject.id}/construct`),
    };
  }
  for (const [op, cls] of [["constructList", "Owner"], ["constructNamed", "Named"]]) {
    if (!subject.ops.has(op) || !ops.has(op) || env[cls] === undefined) continue;
    const out = new Array(CONSTRUCT_N);
    benches[op] = {
      fn: compile({ ...env, out }, `function construct() { for (let i = 0; i < out.length; i++) out[i] = new ${cls}(S[i & 1023]); return out; }`, `${subject.id}/${op}`),
    };
  }
  if (subject.ops.has("read") && ops.has("read")) {
    const arr = make(READ_N);
    subject.load(arr);
    benches.read = {
      fn: compile({ arr, SINK }, `function read() { let s = 0; for (let i = 0; i < arr.length; i++) s += arr[i].n1; SINK.v = s; return s; }`, `${subject.id}/read`),
    };
  }
  if (subject.ops.has("write") && ops.has("write")) {
    const arr = make(WRITE_N);
    subject.load(arr);
    for (let i = 0; i < arr.length; i++) arr[i].n1 = -1; // now modified since the last commit
    benches.write = { fn: compile({ arr }, writeSource, `${subject.id}/write`) };
  }
  if (subject.ops.has("firstWrite") && ops.has("firstWrite")) {
    const arr = make(FIRST_WRITE_N);
    const loaded = subject.load(arr);
    benches.firstWrite = { fn: compile({ arr }, writeSource, `${subject.id}/firstWrite`), setup: () => loaded.commitAll() };
  }
  if (subject.collect) {
    for (const op of OPS) {
      if (!op.collect || !ops.has(op.id)) continue;
      const all = make(op.total);
      const step = op.total / CHANGED;
      const changedIdx = Array.from({ length: CHANGED }, (_, j) => j * step);
      const { env: cenv, source } = subject.collect.setup(all, changedIdx);
      const fn = compile({ ...cenv, SINK }, source, `${subject.id}/${op.id}/collect`);
      const check = fn();
      if (check.length !== 2 * CHANGED) throw new Error(`${subject.id} ${op.id}: collected ${check.length / 2} objects, expected ${CHANGED}`);
      for (let i = 1; i < check.length; i += 2) {
        // [key, old value, key, old value]: the changes with what a flush needs to write or undo.
        const pairs = check[i];
        const keys = pairs.filter((_, k) => k % 2 === 0).sort().join(",");
        if (keys !== "n1,s1") throw new Error(`${subject.id} ${op.id}: collected keys ${keys}, expected n1,s1`);
        const j = changedIdx[(i - 1) / 2];
        const old = { s1: POOL[j & 1023], n1: j };
        for (let k = 0; k < pairs.length; k += 2) {
          if (pairs[k + 1] !== old[pairs[k]]) throw new Error(`${subject.id} ${op.id}: old value of ${pairs[k]} is ${pairs[k + 1]}, expected ${old[pairs[k]]}`);
        }
      }
      benches[op.id] = { fn: compile({ collect: fn, SINK, all }, `function run() { const r = collect(); SINK.v = r; return r; }`, `${subject.id}/${op.id}`) };
    }
  }
  return benches;
}

/** Median time in ns of one call of `bench.fn` (mitata; setup, when given, runs untimed before each call). */
export async function timeBench(bench, budgetMs) {
  if (bench.setup === undefined) {
    const stats = await measure(bench.fn, { min_cpu_time: budgetMs * 1e6, batch_samples: 64, min_samples: 12, max_samples: 5000 });
    return stats.p50;
  }
  const { fn, setup } = bench;
  const stats = await measure(
    function* () {
      yield { [0]: () => (setup(), 0), bench: (_) => fn() };
    },
    // One timed call per sample (no batching: each call needs a fresh commit first); the sample
    // count is capped because the untimed setup is what dominates wall time.
    { min_cpu_time: budgetMs * 1e6, batch_threshold: -1, min_samples: 12, max_samples: 150 },
  );
  return stats.p50;
}
