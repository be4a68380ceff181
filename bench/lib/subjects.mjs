// The benchmark subjects: how each one constructs an instance, puts instances into their "loaded,
// unmodified" state, and (for change-tracking subjects) collects what changed.
//
// Every measured loop is compiled per subject with `new Function` (see ops.mjs), so each subject
// gets its own inline caches: a loop shared by all subjects would turn megamorphic and measure
// V8's IC fallback instead of the subject.
import { createRequire } from "node:module";
import { join } from "node:path";
import { OUT, RUNTIME } from "./paths.mjs";

// MobX and Vue pick development builds (extra checks and warnings) unless NODE_ENV=production.
process.env.NODE_ENV = "production";
const require = createRequire(import.meta.url);

export const FIELDS = ["s1", "s2", "s3", "s4", "n1", "n2", "n3", "n4"];
/** Constructor arguments for instance `i`: 4 strings from a shared pool, 4 numbers (2 small ints, 2 doubles). */
export const ARGS = "S[i & 1023], S[(i + 1) & 1023], S[(i + 2) & 1023], S[(i + 3) & 1023], i, i * 2, i + 0.5, i * 0.25";
export const POOL = Array.from({ length: 1024 }, (_, i) => `value-${i}`);
export const POOL2 = Array.from({ length: 1024 }, (_, i) => `changed-${i}`);

/** Per-class generated snapshot and comparator (what MikroORM's and Deepkit's JIT produce). */
function generatedSnapshotFunctions(SNAP) {
  const take = new Function("SNAP", `return function snapshot(o) { o[SNAP] = { ${FIELDS.map((f) => `${f}: o.${f}`).join(", ")} }; return o; }`)(SNAP);
  const diff = new Function(
    `return function compare(o, s) { let keys = null; ${FIELDS.map((f) => `if (o.${f} !== s.${f}) (keys ??= []).push(${JSON.stringify(f)}, s.${f});`).join(" ")} return keys; }`,
  )();
  return { take, diff };
}

/** Generic snapshot and comparison: one loop over the field list, for any class. */
function genericSnapshotFunctions(SNAP) {
  const take = function snapshot(o) {
    const s = {};
    for (let j = 0; j < FIELDS.length; j++) s[FIELDS[j]] = o[FIELDS[j]];
    o[SNAP] = s;
    return o;
  };
  return { take };
}

const COLLECT_OURS = `function collect() {
  const out = [];
  for (const s of map.modifiedStates()) {
    const changes = [];
    for (const [k, old] of s.committedState) changes.push(k, old);
    out.push(s.obj(), changes);
  }
  return out;
}`;

const COLLECT_MANUAL = `function collect() {
  const out = [];
  for (let i = 0; i < dirty.length; i++) {
    const e = dirty[i];
    const changes = [];
    for (const [k, old] of e.old) changes.push(k, old);
    out.push(e.obj, changes);
  }
  return out;
}`;

const COLLECT_SLOTS = `function collect() {
  return registry.changes();
}`;

const COLLECT_SNAPSHOT_GENERIC = `function collect() {
  const out = [];
  for (let i = 0; i < all.length; i++) {
    const o = all[i];
    const s = o[SNAP];
    let keys = null;
    for (let j = 0; j < FIELDS.length; j++) {
      const f = FIELDS[j];
      if (o[f] !== s[f]) (keys ??= []).push(f, s[f]);
    }
    if (keys !== null) out.push(o, keys);
  }
  return out;
}`;

const COLLECT_SNAPSHOT_GENERATED = `function collect() {
  const out = [];
  for (let i = 0; i < all.length; i++) {
    const o = all[i];
    const keys = compare(o, o[SNAP]);
    if (keys !== null) out.push(o, keys);
  }
  return out;
}`;

/** Writes the change made to each changed instance (2 attributes: a string and a number). */
export function change(o, j) {
  o.s1 = POOL2[j & 1023];
  o.n1 = -j - 1;
}

/**
 * All subjects, in display order. `built`/`skipped` come from buildSubjects(). A subject with
 * `skip` set is listed in the report with its reason and not measured.
 */
export function loadSubjects({ built, skipped }) {
  const load = (variant, file) => require(join(OUT, variant, file));
  const plainDefine = load("tsc", "plain.js").Row;
  const rt = require(RUNTIME); // the module the subjects load through bench/.work/node_modules (same real path)
  const subjects = [];

  const base = (id, label, family, extra) => ({ id, label, family, env: { S: POOL }, ops: new Set(["construct", "read", "write", "firstWrite"]), ...extra });

  // --- plain -------------------------------------------------------------------------------
  subjects.push(
    base("plain", "plain class (useDefineForClassFields: true)", "plain", {
      baseline: true,
      ops: new Set(["construct", "read", "write", "firstWrite", "constructList", "constructNamed"]),
      env: { S: POOL, Row: plainDefine, Owner: load("tsc", "plain.js").Owner, Named: load("tsc", "plain.js").Named },
      make: `new Row(${ARGS})`,
      load: () => ({ commitAll() {} }),
      collect: {
        label: "hand-kept dirty list (the floor: the application records each change itself)",
        setup(all, changedIdx) {
          const dirty = [];
          for (const j of changedIdx) {
            const o = all[j];
            const old = new Map([["s1", o.s1], ["n1", o.n1]]);
            change(o, j);
            dirty.push({ obj: o, old });
          }
          return { env: { dirty }, source: COLLECT_MANUAL };
        },
      },
    }),
  );
  subjects.push(
    base("plain-assign", "plain class (useDefineForClassFields: false)", "plain", {
      env: { S: POOL, Row: built.has("tsc-assign") ? load("tsc-assign", "plain.js").Row : undefined },
      make: `new Row(${ARGS})`,
      load: () => ({ commitAll() {} }),
    }),
  );

  // --- ours --------------------------------------------------------------------------------
  const oursLoad = (arr) => {
    const map = new rt.IdentityMap();
    for (let i = 0; i < arr.length; i++) map.add(arr[i]);
    map.commitAll();
    return { map, commitAll: () => map.commitAll() };
  };
  const oursCollect = {
    label: "IdentityMap.modifiedStates() + state.committedState keys",
    setup(all, changedIdx) {
      const { map } = oursLoad(all);
      for (const j of changedIdx) change(all[j], j);
      return { env: { map }, source: COLLECT_OURS };
    },
  };
  const ours = (id, label, variant, file) => {
    const mod = skipped.has(id) || !built.has(variant) ? {} : load(variant, file);
    return base(id, label, "ours", {
      skip: skipped.get(id) ?? (built.has(variant) ? undefined : `${variant} build missing`),
      ops: new Set(["construct", "read", "write", "firstWrite", ...(mod.Owner ? ["constructList", "constructNamed"] : [])]),
      env: { S: POOL, Row: mod.Row, Owner: mod.Owner, Named: mod.Named },
      make: `new Row(${ARGS})`,
      load: oursLoad,
      collect: oursCollect,
      rt,
    });
  };
  subjects.push(ours("ours-tspc", "ours: @mapped, built by tspc + transformer", "tspc", "ours.js"));
  subjects.push(ours("ours-runtime", "ours: @mapped runtime path (plain tsc)", "tsc", "ours.js"));
  subjects.push(ours("ours-register", "ours: registerClass + registerAttribute (plain tsc)", "tsc", "ours-register.js"));

  // --- the limit: hand-written slots -------------------------------------------------------
  const slots = load("tsc", "slots.js");
  const slotsLoad = (arr) => {
    const registry = new slots.Registry();
    for (let i = 0; i < arr.length; i++) registry.add(arr[i]);
    registry.commitAll();
    return { registry, commitAll: () => registry.commitAll() };
  };
  subjects.push(
    base("slots", "the limit: hand-written class, values in per-class slots, lazy committed record, array registry", "slots", {
      env: { S: POOL, Row: slots.Row },
      make: `new Row(${ARGS})`,
      load: slotsLoad,
      collect: {
        label: "array registry of modified instances + per-instance committed record",
        setup(all, changedIdx) {
          const { registry } = slotsLoad(all);
          for (const j of changedIdx) change(all[j], j);
          return { env: { registry }, source: COLLECT_SLOTS };
        },
      },
    }),
  );

  // --- peers -------------------------------------------------------------------------------
  subjects.push(
    base("mobx", "MobX 7: makeObservable(this, { ...observable })", "mobx", {
      env: { S: POOL, Row: load("tsc", "mobx.js").Row },
      make: `new Row(${ARGS})`,
      load: () => ({ commitAll() {} }),
    }),
  );
  subjects.push(
    base("vue", "Vue: reactive(new Plain())", "vue", {
      env: { S: POOL, Row: plainDefine, reactive: require("@vue/reactivity").reactive },
      make: `reactive(new Row(${ARGS}))`,
      load: () => ({ commitAll() {} }),
    }),
  );

  const snapshotSubject = (id, label, makeFunctions, collectSource) => {
    const SNAP = Symbol("snapshot");
    const fns = makeFunctions(SNAP);
    const resnap = (arr) => {
      for (let i = 0; i < arr.length; i++) fns.take(arr[i]);
    };
    return base(id, label, "snapshot", {
      // Reads and writes of a snapshot-diffed entity are plain-class reads and writes: only
      // construction (+ snapshot at load), collection and heap differ.
      ops: new Set(["construct"]),
      env: { S: POOL, Row: plainDefine, snapshot: fns.take },
      make: `snapshot(new Row(${ARGS}))`,
      load: (arr) => {
        resnap(arr);
        return { commitAll: () => resnap(arr) };
      },
      collect: {
        label: collectSource === COLLECT_SNAPSHOT_GENERIC ? "loop over every instance, generic field loop" : "loop over every instance, generated comparator",
        setup(all, changedIdx) {
          resnap(all);
          for (const j of changedIdx) change(all[j], j);
          return { env: { all, SNAP, FIELDS, compare: fns.diff }, source: collectSource };
        },
      },
    });
  };
  subjects.push(snapshotSubject("snapshot-generic", "snapshot diff (MikroORM/TypeORM style), generic loop", genericSnapshotFunctions, COLLECT_SNAPSHOT_GENERIC));
  subjects.push(snapshotSubject("snapshot-generated", "snapshot diff, per-class generated comparator", generatedSnapshotFunctions, COLLECT_SNAPSHOT_GENERATED));
  return subjects;
}
