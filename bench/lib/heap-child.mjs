// Retained heap per instance of one subject, measured in its own process (node --expose-gc):
// allocate N instances into a preallocated array, collect garbage, and divide the heapUsed
// delta by N. The same N instances then go through the later stages, each measured against the
// same baseline:
//   fresh     as constructed
//   clean     loaded and committed (ours: state attached, committed; snapshot: snapshot taken)
//   modified  two attributes written after the commit (s1, n1: what collect-changed uses)
// and, for ours only, the same two stages with every instance in an IdentityMap:
//   cleanMap, modifiedMap
// Usage: node --expose-gc heap-child.mjs <subject-id> <N> <built-json> <skipped-json>
import { compile } from "./ops.mjs";
import { change, loadSubjects } from "./subjects.mjs";

const [id, nArg, builtJson, skippedJson] = process.argv.slice(2);
const N = Number(nArg);
if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
const subjects = loadSubjects({ built: new Set(JSON.parse(builtJson)), skipped: new Map(JSON.parse(skippedJson)) });
const subject = subjects.find((s) => s.id === id);
if (subject === undefined || subject.skip) throw new Error(`subject ${id} is not available`);

const fill = compile(subject.env, `function fill(a) { for (let i = 0; i < a.length; i++) a[i] = ${subject.make}; return a; }`, `${subject.id}/fill`);

function settle() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** Puts instances into the loaded, committed state; returns what must stay alive with them. */
function loadClean(arr) {
  if (subject.family === "ours") {
    const { instanceState } = subject.rt;
    for (let i = 0; i < arr.length; i++) instanceState(arr[i]).commitAll();
    return null;
  }
  return subject.load(arr);
}

function modify(arr, offset = 0) {
  for (let i = 0; i < arr.length; i++) change(arr[i], i + offset);
}

// Warm up every code path on throw-away instances, so that code, hidden classes and feedback
// vectors exist before the baseline.
{
  const warm = fill(new Array(2000).fill(null));
  loadClean(warm);
  modify(warm);
  if (subject.family === "ours") subject.load(warm);
}

const arr = new Array(N).fill(null);
const keep = [];
const h0 = settle();
const result = {};
const stage = (name) => {
  result[name] = (settle() - h0) / N;
};
fill(arr);
stage("fresh");
keep.push(loadClean(arr));
stage("clean");
modify(arr);
stage("modified");
if (subject.family === "ours" || subject.family === "slots") {
  const loaded = subject.load(arr); // IdentityMap.add each (slots: registry.add), commitAll
  keep.push(loaded);
  stage("cleanMap");
  modify(arr, 7);
  stage("modifiedMap");
}
if (keep.length < 0 || arr.length !== N) console.error("unreachable"); // keep `arr` and `keep` alive to here
process.stdout.write(JSON.stringify(result) + "\n");
