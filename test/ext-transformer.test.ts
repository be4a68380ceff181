/**
 * The extension with transformer-built classes: a `@mapped` class that names its own
 * `InstrumentationManager` keeps its state and values where that manager says (the generated
 * accessors route through the manager's getters), while a default-managed class compiled in the
 * same file keeps the fast path (its values live in the runtime's own dict slot).
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { compileFiles, formatDiagnostics, repoRoot } from "./transformer-harness.js";

const source = `
import { mapped, instanceState, instanceDict, getHistory, listen, attributeOf, DICT_ATTR, managerOfClass } from "class-instrumentation";
import { InstrumentationManager, ClassInstrumentationAdapter } from "class-instrumentation/ext";

declare const console: { log(...args: unknown[]): void };

const MY_STATE = Symbol("myState");
const MY_DICT = Symbol("myDict");
type Slots = { [MY_STATE]?: unknown; [MY_DICT]?: Record<string, unknown> };

class SlotManager extends InstrumentationManager {
  override getInstanceDict(_cls: unknown, instance: object): Record<string, unknown> {
    return ((instance as Slots)[MY_DICT] ??= {});
  }
  override installState(_cls: unknown, instance: object, state: unknown): void {
    (instance as Slots)[MY_STATE] = state;
  }
  override removeState(_cls: unknown, instance: object): void {
    delete (instance as Slots)[MY_STATE];
  }
  override stateGetter(): (instance: object) => never {
    return (instance) => (instance as Slots)[MY_STATE] as never;
  }
}

@mapped
class Account {
  static __sa_instrumentation_manager__ = SlotManager;
  owner: string;
  balance = 0;
  tags: string[] = [];
  constructor(owner: string) {
    this.owner = owner;
  }
}

@mapped
class Plain {
  name = "p";
}

const inits: string[] = [];
listen(Account, "init", (a, args) => inits.push(JSON.stringify(args)));
listen(attributeOf(Account, "balance"), "set", (_a, value, old) => inits.push(\`balance \${String(old)} -> \${value}\`));

const a = new Account("ada");
const slots = a as unknown as Slots;
console.log("manager:", managerOfClass(Account) instanceof ClassInstrumentationAdapter);
console.log("state in the manager's slot:", instanceState(a) === slots[MY_STATE]);
console.log("dict in the manager's slot:", instanceDict(a) === slots[MY_DICT]);
console.log("runtime dict slot unused:", !(DICT_ATTR in a));
console.log("values:", JSON.stringify(slots[MY_DICT]));
instanceState(a).commitAll();
a.balance = 10;
a.tags.push("vip");
const h = getHistory(a, "balance");
console.log("balance history:", JSON.stringify([h.added, h.unchanged, h.deleted]));
const t = getHistory(a, "tags");
console.log("tags history:", JSON.stringify([t.added, t.unchanged, t.deleted]));
console.log("events:", inits.join("; "));
const p = new Plain();
console.log("plain state created lazily:", managerOfClass(Plain).hasState(p) === false);
console.log("plain keeps its values in slots:", !(DICT_ATTR in p) && (p as unknown as Record<symbol, unknown>)[Symbol.for("class-instrumentation.slot:name")] === "p" && instanceDict(p).name === "p");
console.log("custom-managed instance has no slots:", Object.getOwnPropertySymbols(a).every((s) => !String(s.description).startsWith("class-instrumentation.")));
`;

const expected = [
  "manager: true",
  "state in the manager's slot: true",
  "dict in the manager's slot: true",
  "runtime dict slot unused: true",
  'values: {"balance":0,"tags":[],"owner":"ada"}',
  "balance history: [[10],[],[0]]",
  'tags history: [["vip"],[],[]]',
  'events: ["ada"]; balance NO_VALUE -> 0; balance 0 -> 10',
  "plain state created lazily: true",
  "plain keeps its values in slots: true",
  "custom-managed instance has no slots: true",
];

test("a transformer-built @mapped class with __sa_instrumentation_manager__ is instrumented through its manager", (t) => {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    strict: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2022.d.ts"],
    paths: {
      "class-instrumentation": [path.join(repoRoot, "dist", "runtime", "index.d.ts")],
      "class-instrumentation/ext": [path.join(repoRoot, "dist", "runtime", "ext", "index.d.ts")],
    },
  };
  const compiled = compileFiles(new Map([["main.ts", source]]), options);
  t.is(formatDiagnostics(compiled.diagnostics), "");
  t.is(formatDiagnostics(compiled.programErrors), "");
  const js = compiled.outputs.get("main.js")!;
  t.regex(js, /defineMapped\(Account/, "the class is rewritten by the transformer");
  const dir = mkdtempSync(path.join(tmpdir(), "ci-ext-"));
  try {
    const runtime = (sub: string) => JSON.stringify(path.join(repoRoot, "dist", "runtime", sub));
    const rewritten = js
      .replace(/require\("class-instrumentation\/ext"\)/g, `require(${runtime("ext/index.js")})`)
      .replace(/require\("class-instrumentation"\)/g, `require(${runtime("index.js")})`);
    writeFileSync(path.join(dir, "main.js"), rewritten);
    const out = execFileSync(process.execPath, [path.join(dir, "main.js")], { encoding: "utf8" });
    t.deepEqual(out.trimEnd().split("\n"), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
