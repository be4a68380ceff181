// The performance targets of the issue, evaluated for each build of "ours".

const get = (results, op, subject) => results.ops[op]?.[subject];

function check(label, limit, value, pass, note) {
  return { label, limit, value, pass: Number.isFinite(value) ? pass(value) : null, ...(note ? { note } : {}) };
}

/** `faster` = peer time / ours time, from the per-round medians. */
function faster(results, op, peer, ours, peerOp = op) {
  const p = get(results, peerOp, peer)?.ns.median;
  const o = get(results, op, ours)?.ns.median;
  return p / o;
}

export function evaluateTargets(results, oursId) {
  const r = (op) => get(results, op, oursId)?.ratio.median;
  const heap = results.heap?.[oursId];
  const c1 = get(results, "collect1", oursId)?.ns.median;
  const c10 = get(results, "collect10", oursId)?.ns.median;
  const checks = [
    check("construct", "≤ 1.5× plain", r("construct"), (v) => v <= 1.5),
    check("read a loaded attribute", "≤ 1.3× plain", r("read"), (v) => v <= 1.3),
    check("write an already-modified attribute", "≤ 2.5× plain", r("write"), (v) => v <= 2.5),
    check("construct vs MobX", "≥ 20× faster", faster(results, "construct", "mobx", oursId), (v) => v >= 20),
    check("read vs MobX", "≥ 20× faster", faster(results, "read", "mobx", oursId), (v) => v >= 20),
    check("write vs MobX", "≥ 20× faster", faster(results, "write", "mobx", oursId), (v) => v >= 20),
    check("construct vs Vue", "≥ 20× faster", faster(results, "construct", "vue", oursId), (v) => v >= 20),
    check("read vs Vue", "≥ 20× faster", faster(results, "read", "vue", oursId), (v) => v >= 20),
    check("write vs Vue", "≥ 20× faster", faster(results, "write", "vue", oursId), (v) => v >= 20),
    check("first write after commit", "≤ 12× plain write", r("firstWrite"), (v) => v <= 12),
    check("first write after commit vs MobX write", "≥ 5× faster", faster(results, "firstWrite", "mobx", oursId, "write"), (v) => v >= 5),
    check("collect changed: 1%-of-100k vs 10%-of-10k", "within 1.5× of each other", Math.max(c1, c10) / Math.min(c1, c10), (v) => v <= 1.5),
    check("collect changed 1% of 100k vs generated-comparator snapshot diff", "≥ 10× faster", faster(results, "collect1", "snapshot-generated", oursId), (v) => v >= 10),
    check("heap, unmodified: new instance (no state yet)", "≤ 1.5× plain", heap?.fresh?.ratio.median, (v) => v <= 1.5),
    check("heap, unmodified: committed (state attached)", "≤ 1.5× plain", heap?.clean?.ratio.median, (v) => v <= 1.5),
    check("heap, modified (2 attributes changed)", "≤ 3× plain", heap?.modified?.ratio.median, (v) => v <= 3),
  ];
  if (oursId === "ours-tspc") {
    checks.push(check("build: tspc + transformer vs plain tsc (200 classes)", "≤ 1.25× tsc", results.build?.ratio?.median, (v) => v <= 1.25));
  }
  return checks;
}
