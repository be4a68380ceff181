// The performance targets of issue 10 (zero-cost storage), evaluated for each build of "ours",
// plus the comparisons with MobX and Vue kept from the earlier issue. Ratios are medians of the
// per-round ratios to the plain class measured in the same round; cross-subject ratios (runtime
// path vs transformer build, Owner vs Named) divide the per-round medians.

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

/** Time of `op` for subject `a` over time of `opB` for subject `b` (medians). */
function over(results, op, a, b, opB = op) {
  return get(results, op, a)?.ns.median / get(results, opB, b)?.ns.median;
}

export function evaluateTargets(results, oursId) {
  const r = (op) => get(results, op, oursId)?.ratio.median;
  const heap = results.heap?.[oursId];
  const checks = [
    check("construct", "≤ 1.3× plain", r("construct"), (v) => v <= 1.3),
    check("read a loaded attribute", "≤ 1.15× plain", r("read"), (v) => v <= 1.15),
    check("write an already-modified attribute", "≤ 2× plain", r("write"), (v) => v <= 2),
    check("first write after commit", "≤ 10× plain write", r("firstWrite"), (v) => v <= 10),
    check("heap: new instance", "≤ 1.2× plain", heap?.fresh?.ratio.median, (v) => v <= 1.2),
    check("heap: committed", "≤ 1.3× plain", heap?.clean?.ratio.median, (v) => v <= 1.3),
    check("heap: committed, in an IdentityMap", "≤ 1.5× plain", heap?.cleanMap?.ratio.median, (v) => v <= 1.5),
    check("heap: 2 attributes modified, in an IdentityMap", "≤ 2.5× plain", heap?.modifiedMap?.ratio.median, (v) => v <= 2.5),
    check("collect 1% of 100k (changes with old values)", "≤ 1.5× hand-kept dirty list", r("collect1"), (v) => v <= 1.5),
    check("new Owner() with one list attribute", "≤ 2× the class without the list", over(results, "constructList", oursId, oursId, "constructNamed"), (v) => v <= 2),
    check("construct vs MobX", "≥ 20× faster", faster(results, "construct", "mobx", oursId), (v) => v >= 20),
    check("write vs Vue", "≥ 20× faster", faster(results, "write", "vue", oursId), (v) => v >= 20),
  ];
  if (oursId === "ours-runtime" || oursId === "ours-register") {
    for (const op of ["construct", "read", "write"]) {
      checks.push(check(`${op}: vs the transformer build`, "≤ 2× ours-tspc", over(results, op, oursId, "ours-tspc"), (v) => v <= 2));
    }
  }
  if (oursId === "ours-tspc") {
    const ms = results.build?.ms;
    checks.push(check("build: tspc + transformer vs tspc without the plugin", "≤ 1.1×", ms ? ms.tspc.median / ms["tspc-plain"].median : NaN, (v) => v <= 1.1));
  }
  return checks;
}
