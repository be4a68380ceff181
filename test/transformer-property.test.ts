/**
 * Property-based test of the transformer: random class chains (field kinds and modifiers,
 * initializers reading earlier fields, decorated and undecorated subclasses, constructors with
 * and without bodies, statements before `super()`, parameter properties, `#private` fields,
 * static fields and static blocks) are compiled twice in memory — with the transformer, and
 * without it, `@mapped` imported from an identity decorator — and run with Node. Unless the
 * transformer reported a diagnostic for the scenario, both runs must record the same order log
 * (static initialization, every initializer and constructor statement), the same field values
 * and errors; the transformed run must also keep correct history: every attribute set during
 * construction is `added`, and after `commitAll()` one assignment gives `([new], [], [old])`.
 *
 * Fast path: all scenarios of one compiler-option combination share one Program and one Node
 * process per build. When a scenario fails, the property is re-run with fast-check (same seed,
 * one scenario per compilation) to shrink it; the seed is printed. `CI_PROPERTY_SEED` and
 * `CI_PROPERTY_RUNS` override the defaults; `CI_PROPERTY_VERBOSE=1` logs every failing scenario,
 * `CI_PROPERTY_NO_SHRINK=1` skips shrinking.
 */
import test from "ava";
import * as fc from "fast-check";
import * as ts from "typescript";
import * as path from "node:path";
import { compileFiles, repoRoot, runCommonJs } from "./transformer-harness.js";

const seed = process.env.CI_PROPERTY_SEED !== undefined ? Number(process.env.CI_PROPERTY_SEED) : 20240611;
const numRuns = process.env.CI_PROPERTY_RUNS !== undefined ? Number(process.env.CI_PROPERTY_RUNS) : 60;

// ---------------------------------------------------------------------------------------------
// Raw shapes (small integers and enums, interpreted by the renderer: shrinks well)

type Kind = "number" | "string" | "list" | "set" | "map";
type Mod = "plain" | "optional" | "definite" | "declare" | "private";

interface RawField {
  readonly kind: Kind;
  readonly mod: Mod;
  /** Optional fields: whether they have an initializer. */
  readonly init: boolean;
  /** 0: a literal initializer; else reads an earlier field. */
  readonly ref: number;
  /** >= 8: redeclare a base class field (with an initializer). */
  readonly override: number;
}

interface RawStatement {
  readonly op: "assign" | "read" | "mutate";
  readonly pick: number;
}

interface RawCtor {
  readonly overload: boolean;
  readonly pProp: "" | "public" | "readonly";
  readonly qProp: "" | "public";
  readonly pre: boolean;
  readonly superLogic: boolean;
  readonly body: readonly RawStatement[];
}

interface RawClass {
  readonly decorated: boolean;
  readonly fields: readonly RawField[];
  readonly ctor: RawCtor | undefined;
  readonly statics: ReadonlyArray<"field" | "block" | "blockNew">;
}

const fieldArb: fc.Arbitrary<RawField> = fc.record({
  kind: fc.constantFrom<Kind>("number", "string", "list", "set", "map"),
  mod: fc.constantFrom<Mod>("plain", "optional", "definite", "declare", "private"),
  init: fc.boolean(),
  ref: fc.nat(12),
  override: fc.nat(9),
});

const ctorArb: fc.Arbitrary<RawCtor> = fc.record({
  overload: fc.boolean(),
  pProp: fc.constantFrom<RawCtor["pProp"]>("", "public", "readonly"),
  qProp: fc.constantFrom<RawCtor["qProp"]>("", "public"),
  pre: fc.boolean(),
  superLogic: fc.boolean(),
  body: fc.array(fc.record({ op: fc.constantFrom<RawStatement["op"]>("assign", "read", "mutate"), pick: fc.nat(20) }), { maxLength: 3 }),
});

const classArb: fc.Arbitrary<RawClass> = fc.record({
  decorated: fc.boolean(),
  fields: fc.array(fieldArb, { maxLength: 4 }),
  ctor: fc.option(ctorArb, { nil: undefined, freq: 3 }),
  statics: fc.array(fc.constantFrom<"field" | "block" | "blockNew">("field", "block", "blockNew"), { maxLength: 2 }),
});

const scenarioArb: fc.Arbitrary<readonly RawClass[]> = fc.array(classArb, { minLength: 1, maxLength: 3 });

// ---------------------------------------------------------------------------------------------
// Rendering

/** What the runner needs to know about one class of a scenario. */
interface ClassMeta {
  /** Public instance fields visible on its instances (own and inherited), with kinds. */
  readonly fields: ReadonlyArray<readonly [string, Kind]>;
  /** Keys that are attributes with the transformer (empty: the class is not mapped). */
  readonly attributes: readonly string[];
  /** Whether the class is mapped with the transformer. */
  readonly mapped: boolean;
  /** `peekN` methods returning the `#private` values of the chain. */
  readonly peeks: readonly string[];
  /** Static field names. */
  readonly statics: readonly string[];
  /** Number of constructor parameters it takes. */
  readonly arity: number;
}

interface Rendered {
  readonly source: string;
  readonly classes: readonly ClassMeta[];
}

interface Visible {
  readonly name: string;
  readonly kind: Kind;
  /** Definitely initialized before later initializers of the chain run (plain with initializer, parameter property). */
  readonly readable: boolean;
  readonly readonly: boolean;
  /** A parameter property. */
  readonly parameter?: boolean;
  /** `this.<access>`: `name` or `#name`. */
  readonly access: string;
}

function render(raw: readonly RawClass[]): Rendered {
  const lines: string[] = [
    `import { mapped } from "class-instrumentation";`,
    `export const log: string[] = [];`,
    `function show(v: unknown): string {`,
    `  if (v instanceof Map) return "Map" + JSON.stringify([...v]);`,
    `  if (v instanceof Set) return "Set" + JSON.stringify([...v]);`,
    `  if (Array.isArray(v)) return JSON.stringify([...v]);`,
    `  if (typeof v === "number" && Number.isNaN(v)) return "NaN";`,
    `  return v === undefined ? "undefined" : JSON.stringify(v);`,
    `}`,
    `function rec<T>(tag: string, v: T): T {`,
    `  log.push(tag + " " + show(v));`,
    `  return v;`,
    `}`,
  ];
  const anyDecorated = raw.some((c) => c.decorated);
  let mapped = false;
  let counter = 100;
  const fresh = (): number => counter++;
  const inherited: Visible[] = [];
  const inheritedAttributes: string[] = [];
  const peeks: string[] = [];
  const metas: ClassMeta[] = [];
  let baseArity = 0;
  raw.forEach((cls, i) => {
    const name = `C${i}`;
    const decorated = cls.decorated || (!anyDecorated && i === 0);
    mapped = mapped || decorated;
    const own: Visible[] = [];
    const privates: Visible[] = [];
    const attributes: string[] = [];
    const members: string[] = [];
    const ctor = cls.ctor;
    const arity = ctor !== undefined ? 2 : baseArity;
    // Parameter properties.
    const params: string[] = [];
    if (ctor !== undefined) {
      params.push(`${ctor.pProp === "" ? "" : ctor.pProp + " "}p${i}: number`, `${ctor.qProp === "" ? "" : ctor.qProp + " "}q${i}: string`);
      if (ctor.pProp !== "") own.push({ name: `p${i}`, kind: "number", readable: true, readonly: ctor.pProp === "readonly", parameter: true, access: `p${i}` });
      if (ctor.qProp !== "") own.push({ name: `q${i}`, kind: "string", readable: true, readonly: false, parameter: true, access: `q${i}` });
    }
    // Which fields redeclare a base class field (decided first: initializers must not read a base
    // field that the class redeclares, even further down — TS2729).
    const overrides: Array<Visible | undefined> = [];
    const declared = new Set(own.map((v) => v.name));
    for (const field of cls.fields) {
      const candidates = inherited.filter((v) => !declared.has(v.name) && !v.readonly);
      const base = field.override >= 8 && field.mod !== "private" && candidates.length > 0 ? candidates[field.ref % candidates.length]! : undefined;
      if (base !== undefined) declared.add(base.name);
      overrides.push(base);
    }
    // Field initializers do not read the class's own parameter properties: with
    // useDefineForClassFields they run before them (TypeScript reports TS2729), and a #private
    // initializer stays a native field (run before them) even without it, unreported.
    let inInitializer = false;
    const readableOf = (kind: Kind): Visible[] => [
      ...inherited.filter((v) => !declared.has(v.name)),
      ...[...own, ...privates].filter((v) => !(inInitializer && v.parameter)),
    ].filter((v) => v.kind === kind && v.readable);
    const literal = (kind: Kind, ref: number): string => {
      const numbers = readableOf("number");
      const num = ref > 0 && numbers.length > 0 ? `this.${numbers[(ref - 1) % numbers.length]!.access} + ${fresh()}` : String(fresh());
      switch (kind) {
        case "number":
          return num;
        case "string": {
          const strings = readableOf("string");
          return ref > 0 && strings.length > 0 ? `this.${strings[(ref - 1) % strings.length]!.access} + "x${fresh()}"` : `"s${fresh()}"`;
        }
        case "list":
          return ref % 3 === 2 ? "[]" : `[${num}, ${fresh()}]`;
        case "set":
          return `new Set([${num}])`;
        case "map":
          return `new Map([["k${fresh()}", ${num}]])`;
      }
    };
    const typeOf = (kind: Kind): string =>
      ({ number: "number", string: "string", list: "number[]", set: "Set<number>", map: "Map<string, number>" })[kind];
    cls.fields.forEach((field, j) => {
      const base = overrides[j];
      if (base !== undefined) {
        inInitializer = true;
        const init = literal(base.kind, field.ref);
        inInitializer = false;
        members.push(`  ${base.name}: ${typeOf(base.kind)} = rec("${name}.${base.name}", ${init});`);
        own.push({ ...base, readable: true, parameter: false });
        if (mapped) attributes.push(base.name);
        return;
      }
      const fieldName = field.mod === "private" ? `#g${i}_${j}` : `f${i}_${j}`;
      const type = typeOf(field.kind);
      const hasInit = field.mod === "plain" || field.mod === "private" || (field.mod === "optional" && field.init);
      inInitializer = true;
      const init = hasInit ? ` = rec("${name}.${fieldName}", ${literal(field.kind, field.ref)})` : "";
      inInitializer = false;
      const decl =
        field.mod === "optional"
          ? `${fieldName}?: ${type}${init};`
          : field.mod === "definite"
            ? `${fieldName}!: ${type};`
            : field.mod === "declare"
              ? `declare ${fieldName}: ${type};`
              : `${fieldName}: ${type}${init};`;
      members.push(`  ${decl}`);
      const visible: Visible = {
        name: fieldName,
        kind: field.kind,
        readable: hasInit && field.mod !== "optional",
        readonly: false,
        access: fieldName,
      };
      if (field.mod === "private") privates.push(visible);
      else {
        own.push(visible);
        if (mapped) attributes.push(fieldName);
      }
    });
    if (mapped) for (const v of own) if ((v.name === `p${i}` || v.name === `q${i}`) && !attributes.includes(v.name)) attributes.unshift(v.name);
    // Constructor.
    if (ctor !== undefined) {
      if (ctor.overload) members.push(`  constructor(p${i}: number, q${i}: string);`);
      const body: string[] = [];
      if (i > 0) {
        if (ctor.pre) body.push(`rec("${name}.pre", p${i} + q${i});`);
        const args =
          baseArity === 0 ? "" : ctor.superLogic ? `rec("${name}.superArg", p${i} * 2), q${i} + "!"` : `p${i} + 1, q${i}`;
        body.push(`super(${args});`);
      }
      const all = [...inherited, ...own, ...privates];
      for (const statement of ctor.body) {
        if (statement.op === "assign") {
          const targets = all.filter((v) => !v.readonly);
          if (targets.length === 0) continue;
          const target = targets[statement.pick % targets.length]!;
          body.push(`this.${target.access} = rec("${name}.set ${target.name}", ${literal(target.kind, 0)});`);
        } else if (statement.op === "read") {
          // An unset collection attribute reads as an empty collection (as in SQLAlchemy), not undefined.
          const targets = all.filter((v) => v.readable || v.kind === "number" || v.kind === "string");
          if (targets.length === 0) continue;
          const target = targets[statement.pick % targets.length]!;
          body.push(`rec("${name}.read ${target.name}", this.${target.access});`);
        } else {
          const targets = all.filter((v) => v.readable && (v.kind === "list" || v.kind === "set" || v.kind === "map"));
          if (targets.length === 0) continue;
          const target = targets[statement.pick % targets.length]!;
          const method = target.kind === "list" ? "push" : target.kind === "set" ? "add" : "set";
          const args = target.kind === "map" ? `"m${fresh()}", ${fresh()}` : String(fresh());
          body.push(`rec("${name}.mutate ${target.name}", this.${target.access}.${method}(${args}));`);
        }
      }
      members.push(`  constructor(${params.join(", ")}) {`, ...body.map((s) => `    ${s}`), `  }`);
    }
    // Statics (after the constructor: a static block may construct the class, reading its parameter properties).
    const statics: string[] = [];
    cls.statics.forEach((kind, k) => {
      if (kind === "field") {
        members.push(`  static s${i}_${k}: number = rec("${name}.static${k}", ${fresh()});`);
        statics.push(`s${i}_${k}`);
      } else if (kind === "block") {
        members.push(`  static { rec("${name}.block${k}", ${fresh()}); }`);
      } else {
        const probe = [...inherited, ...own].find((v) => v.readable && !v.parameter && (v.kind === "number" || v.kind === "string"));
        const args = arity === 2 ? `${fresh()}, "n"` : "";
        members.push(
          `  static { const o = new ${name}(${args}); rec("${name}.blockNew${k}", [Object.getPrototypeOf(o) === ${name}.prototype, ${probe !== undefined ? `o.${probe.name}` : "0"}]); }`,
        );
      }
    });
    if (privates.length > 0) {
      members.push(`  peek${i}(): unknown[] { return [${privates.map((p) => `this.${p.access}`).join(", ")}]; }`);
      peeks.push(`peek${i}`);
    }
    lines.push(`${decorated ? "@mapped\n" : ""}export class ${name}${i > 0 ? ` extends C${i - 1}` : ""} {`, ...members, `}`);
    for (const v of own) {
      const at = inherited.findIndex((w) => w.name === v.name);
      if (at >= 0) inherited.splice(at, 1, v);
      else inherited.push(v);
    }
    for (const key of attributes) if (!inheritedAttributes.includes(key)) inheritedAttributes.push(key);
    metas.push({
      fields: inherited.map((v) => [v.name, v.kind] as const),
      attributes: mapped ? [...inheritedAttributes] : [],
      mapped,
      peeks: [...peeks],
      statics,
      arity,
    });
    baseArity = arity;
  });
  lines.push(`export const classes = [${raw.map((_, i) => `C${i}`).join(", ")}];`, "");
  return { source: lines.join("\n"), classes: metas };
}

// ---------------------------------------------------------------------------------------------
// Running

/** The runner (plain CommonJS): constructs every class of every scenario and reports what it saw. */
function runnerSource(scenarios: ReadonlyArray<{ file: string; meta: readonly ClassMeta[] }>, instrumented: boolean): string {
  return `"use strict";
const ci = ${instrumented ? `require("class-instrumentation")` : "undefined"};
const scenarios = ${JSON.stringify(scenarios)};
function show(v) {
  if (v instanceof Map) return "Map" + JSON.stringify([...v]);
  if (v instanceof Set) return "Set" + JSON.stringify([...v]);
  if (Array.isArray(v)) return JSON.stringify([...v]);
  if (typeof v === "number" && Number.isNaN(v)) return "NaN";
  return v === undefined ? "undefined" : JSON.stringify(v);
}
function members(v) {
  if (v === undefined) return [];
  if (v instanceof Map) return [...v.values()];
  if (v instanceof Set || Array.isArray(v)) return [...v];
  return [v];
}
function freshValue(kind, n) {
  switch (kind) {
    case "number": return 9000 + n;
    case "string": return "new" + n;
    case "list": return [9000 + n];
    case "set": return new Set([9000 + n]);
    case "map": return new Map([["new", 9000 + n]]);
  }
}
function historyProblems(o, meta) {
  const problems = [];
  const say = (m) => problems.push(m);
  const state = ci.instanceState(o);
  const keys = [...state.manager.keys()].sort();
  const expected = [...meta.attributes].sort();
  if (JSON.stringify(keys) !== JSON.stringify(expected)) say("attributes " + JSON.stringify(keys) + " != expected " + JSON.stringify(expected));
  const own = Object.keys(o).filter((k) => meta.attributes.includes(k));
  if (own.length > 0) say("attributes that are own properties: " + own.join(", "));
  const dict = ci.instanceDict(o);
  const kinds = new Map(meta.fields);
  const before = new Map();
  for (const key of meta.attributes) {
    const value = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : undefined;
    before.set(key, value);
    const h = ci.getHistory(o, key);
    const want = { added: members(value).map(show), unchanged: [], deleted: [] };
    const got = { added: h.added.map(show), unchanged: h.unchanged.map(show), deleted: h.deleted.map(show) };
    if (JSON.stringify(got) !== JSON.stringify(want)) say("history after construction of " + key + ": " + JSON.stringify(got) + ", expected " + JSON.stringify(want));
  }
  let n = 0;
  for (const key of meta.attributes) {
    state.commitAll();
    const value = freshValue(kinds.get(key), n++);
    o[key] = value;
    const h = ci.getHistory(o, key);
    const want = { added: members(value).map(show), unchanged: [], deleted: members(before.get(key)).map(show) };
    const got = { added: h.added.map(show), unchanged: h.unchanged.map(show), deleted: h.deleted.map(show) };
    if (JSON.stringify(got) !== JSON.stringify(want)) say("history after commitAll and one assignment of " + key + ": " + JSON.stringify(got) + ", expected " + JSON.stringify(want));
    if (show(o[key]) !== show(value)) say("read back " + key + ": " + show(o[key]));
  }
  return problems;
}
const results = {};
for (const { file, meta } of scenarios) {
  const result = (results[file] = { instances: [] });
  let mod;
  try {
    mod = require("./" + file.replace(/\\.ts$/, ".js"));
  } catch (e) {
    result.loadError = String(e && e.message);
    continue;
  }
  result.staticLog = mod.log.splice(0);
  result.statics = meta.map((m, i) => m.statics.map((s) => show(mod.classes[i][s])));
  meta.forEach((m, i) => {
    const entry = {};
    result.instances.push(entry);
    let o;
    try {
      o = new mod.classes[i](3, "a");
    } catch (e) {
      entry.error = String(e && e.message);
    }
    entry.log = mod.log.splice(0);
    if (o === undefined) return;
    const dict = ${instrumented ? "m.mapped ? ci.instanceDict(o) : undefined" : "undefined"};
    entry.values = m.fields.map(([k]) => k + "=" + show(dict !== undefined && m.attributes.includes(k) ? dict[k] : o[k]));
    entry.privates = m.peeks.map((p) => show(o[p]()));
    ${instrumented ? `if (m.mapped) { try { entry.problems = historyProblems(o, m); } catch (e) { entry.problems = ["history check threw: " + (e && e.stack)]; } }` : ""}
  });
}
console.log(JSON.stringify(results));
`;
}

const baseOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  strict: true,
  skipLibCheck: true,
  types: [],
  lib: ["lib.es2022.d.ts"],
  paths: { "class-instrumentation": [path.join(repoRoot, "dist", "runtime", "index.d.ts")] },
};

const optionSets: ReadonlyArray<readonly [string, ts.CompilerOptions]> = [
  ["es2022", {}],
  ["es2022,useDefineForClassFields=false", { useDefineForClassFields: false }],
  ["es2015,experimentalDecorators", { target: ts.ScriptTarget.ES2015, experimentalDecorators: true }],
];

const identitySource = `export function mapped<T>(cls: T, _context?: unknown): T { return cls; }\n`;

interface Outcome {
  /** Per scenario file: `undefined` when fine (or skipped after a diagnostic), else what went wrong. */
  readonly failures: ReadonlyMap<string, string>;
  readonly skipped: number;
}

/** Compiles and runs a batch of scenarios with and without the transformer, and compares. */
function check(rendered: readonly Rendered[], options: ts.CompilerOptions): Outcome {
  const files = new Map<string, string>();
  const identityFiles = new Map<string, string>([["identity.ts", identitySource]]);
  const scenarios = rendered.map((r, i) => {
    const file = `s${i}.ts`;
    files.set(file, r.source);
    identityFiles.set(file, r.source.replace(`from "class-instrumentation"`, `from "./identity"`));
    return { file, meta: r.classes };
  });
  const opts = { ...baseOptions, ...options };
  const withIt = compileFiles(files, opts, true);
  const without = compileFiles(identityFiles, opts, false);
  const failures = new Map<string, string>();
  // The generator must produce valid TypeScript: a type error is a bug of this test.
  for (const d of without.programErrors) {
    const file = d.file?.fileName.replace(/^.*\//, "") ?? "?";
    failures.set(file, `generated source has a type error: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  }
  const diagnosed = new Set(withIt.diagnostics.map((d) => d.file?.fileName.replace(/^.*\//, "") ?? "?"));
  const run = (outputs: ReadonlyMap<string, string>, instrumented: boolean): Record<string, unknown> => {
    const all = new Map(outputs);
    all.set("runner.js", runnerSource(scenarios.filter((s) => !diagnosed.has(s.file)), instrumented));
    const out = runCommonJs(all, "runner.js");
    try {
      return JSON.parse(out) as Record<string, unknown>;
    } catch {
      throw new Error(`runner failed: ${out}`);
    }
  };
  const a = run(withIt.outputs, true);
  const b = run(without.outputs, false);
  for (const { file } of scenarios) {
    if (diagnosed.has(file) || failures.has(file)) continue;
    const ra = a[file] as { instances: Array<{ problems?: string[] }> };
    const problems = ra.instances.flatMap((e, i) => (e.problems ?? []).map((p) => `C${i}: ${p}`));
    const strip = (r: unknown): string => JSON.stringify(r, (k, v: unknown) => (k === "problems" ? undefined : v), 1);
    if (strip(ra) !== strip(b[file])) problems.unshift(`behaviour differs:\n--- transformed\n${strip(ra)}\n--- plain\n${strip(b[file])}`);
    if (problems.length > 0) failures.set(file, problems.join("\n"));
  }
  return { failures, skipped: diagnosed.size };
}

for (const [label, options] of optionSets) {
  test(`property: transformed classes behave as plain classes and keep history (${label})`, (t) => {
    t.timeout(120_000);
    const raws = fc.sample(scenarioArb, { seed, numRuns });
    const rendered = raws.map(render);
    const outcome = check(rendered, options);
    t.log(`${rendered.length} scenarios, ${outcome.skipped} skipped after a transformer diagnostic (seed ${seed})`);
    if (process.env.CI_PROPERTY_VERBOSE) for (const [f, m] of outcome.failures) t.log(`${f}: ${m}\n${rendered[Number(f.replace(/\D/g, ""))]?.source.split("\n").slice(13).join("\n") ?? ""}`);
    if (outcome.failures.size === 0) {
      t.pass();
      return;
    }
    const [file, message] = [...outcome.failures][0]!;
    const index = Number(file.replace(/\D/g, ""));
    const report = [`seed ${seed}: ${outcome.failures.size} failing scenario(s); first: ${file}\n${rendered[index]?.source ?? ""}\n${message}`];
    // Shrink: the same sequence one scenario per compilation, with fast-check's shrinker.
    const shrunk = process.env.CI_PROPERTY_NO_SHRINK !== undefined ? undefined : fc.check(
      fc.property(scenarioArb, (raw) => check([render(raw)], options).failures.size === 0),
      { seed, numRuns, plugins: [fc.interruptAfterTimeLimit(40_000)] },
    );
    if (shrunk !== undefined && shrunk.failed && shrunk.counterexample !== null) {
      const minimal = render((shrunk.counterexample as [readonly RawClass[]])[0]);
      const again = check([minimal], options);
      report.push(`shrunk (seed ${seed}, path ${String(shrunk.counterexamplePath)}):\n${minimal.source}\n${[...again.failures.values()].join("\n")}`);
    }
    t.fail(report.join("\n\n"));
  });
}

test("a mapped subclass takes over the fields it redeclares from an unmapped base ([[Define]] semantics)", (t) => {
  const source = `import { mapped, getHistory } from "class-instrumentation";
class Base {
  a = 1;
  b = 2;
  c!: number;
  constructor(public p = 5) {}
}
@mapped
class Sub extends Base {
  a = 10;
  declare b: number;
  declare c: number;
  declare p: number;
  d = 4;
}
const s = new Sub();
console.log(JSON.stringify({
  own: Object.keys(s),
  values: [s.a, s.b, s.c, s.p, s.d],
  added: ["a", "b", "c", "p", "d"].map((k) => getHistory(s, k as "a").added),
}));
`;
  const expected = JSON.stringify({ own: [], values: [10, 2, null, 5, 4], added: [[10], [2], [], [5], [4]] }) + "\n";
  for (const options of [{ useDefineForClassFields: true }, { target: ts.ScriptTarget.ES2015, useDefineForClassFields: true }, { useDefineForClassFields: false }]) {
    const compiled = compileFiles(new Map([["main.ts", source]]), { ...baseOptions, ...options });
    t.deepEqual(compiled.diagnostics, []);
    t.is(runCommonJs(compiled.outputs), expected, JSON.stringify(options));
  }
});
