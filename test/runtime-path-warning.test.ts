/**
 * The runtime path is never silent: a `@mapped` class that the transformer did not compile warns
 * once per process (naming the class, the missing plugin line and the limits), unless silenced;
 * and, with TC39 decorators, `@mapped` registers after the static fields (a
 * `static __sa_instrumentation_manager__` is seen) while `attributeOf` declares fields that no
 * instance has shown yet, so listeners can be attached at start-up.
 *
 * Each case runs in a child process (the warning is once per process) on a module compiled by
 * `ts.transpileModule` without the transformer, importing the package as a user would.
 */
import test from "ava";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { repoRoot } from "./transformer-harness.js";

const workDir = mkdtempSync(path.join(tmpdir(), "ci-runtime-warning-"));
mkdirSync(path.join(workDir, "node_modules"));
symlinkSync(repoRoot, path.join(workDir, "node_modules", "class-instrumentation"), "dir");
test.after.always(() => rmSync(workDir, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Compiles `source` (TC39 or legacy decorators, no transformer) and runs it with `env` and `nodeArgs`. */
function run(name: string, source: string, options: { legacy?: boolean; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<Run> {
  const js = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: options.legacy === true, useDefineForClassFields: true },
  }).outputText;
  const file = path.join(workDir, `${name}.js`);
  writeFileSync(file, js);
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.env?.CLASS_INSTRUMENTATION_RUNTIME_PATH === undefined) delete env.CLASS_INSTRUMENTATION_RUNTIME_PATH;
  return new Promise((resolve) => {
    execFile(process.execPath, [...(options.nodeArgs ?? []), file], { cwd: workDir, env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: unknown }).code ?? 1), stdout, stderr });
    });
  });
}

const TWO_CLASSES = `
import { mapped } from "class-instrumentation";
@mapped class User { name = "ada"; }
@mapped class Order { total = 1; }
new User(); new Order();
console.log("ran");
`;

for (const legacy of [false, true]) {
  const kind = legacy ? "legacy" : "TC39";
  test(`runtime path (${kind} decorators): one warning per process, naming the class, the plugin line and the limits`, async (t) => {
    const r = await run(`warn-${kind}`, TWO_CLASSES, { legacy });
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout.trim(), "ran");
    const warnings = r.stderr.split("\n").filter((l) => l.includes("InstrumentationWarning"));
    t.is(warnings.length, 1, r.stderr);
    t.regex(r.stderr, /\[CI_RUNTIME_PATH\] InstrumentationWarning: @mapped class User was not compiled by the class-instrumentation transformer/);
    t.regex(r.stderr, /"plugins": \[\{ "transform": "class-instrumentation\/transformer" \}\]/);
    t.regex(r.stderr, /check the key's spelling/);
    t.regex(r.stderr, /`accessor` fields are not attributes/);
    t.regex(r.stderr, /CLASS_INSTRUMENTATION_RUNTIME_PATH=1/);
    t.notRegex(r.stderr, /Order/, "once per process, not once per class");
  });
}

test("runtime path: CLASS_INSTRUMENTATION_RUNTIME_PATH=1 or --disable-warning=CI_RUNTIME_PATH silences the warning", async (t) => {
  const quiet = await run("quiet-env", TWO_CLASSES, { env: { CLASS_INSTRUMENTATION_RUNTIME_PATH: "1" } });
  t.is(quiet.code, 0, quiet.stderr);
  t.is(quiet.stderr, "");
  const disabled = await run("quiet-flag", TWO_CLASSES, { nodeArgs: ["--disable-warning=CI_RUNTIME_PATH"] });
  t.is(disabled.code, 0, disabled.stderr);
  t.is(disabled.stderr, "");
});

test("transformed classes (defineMapped) and registerClass do not warn", async (t) => {
  const r = await run(
    "no-warning",
    `import { defineMapped, registerClass, registerAttribute } from "class-instrumentation";
class A { static { defineMapped(A, { attributes: [{ key: "x" }] }); } }
class B {}
registerClass(B); registerAttribute(B, "y");
new A(); new B();
console.log("ran");`,
  );
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, "");
});

for (const legacy of [false, true]) {
  const kind = legacy ? "legacy" : "TC39";
  test(`runtime path (${kind} decorators): a static __sa_instrumentation_manager__ is seen by @mapped`, async (t) => {
    const r = await run(
      `static-manager-${kind}`,
      `import { mapped, instanceState } from "class-instrumentation";
import { InstrumentationManager } from "class-instrumentation/ext";
const slots = new WeakMap<object, Record<string, unknown>>();
class SlotManager extends InstrumentationManager {
  override getInstanceDict(_cls: unknown, instance: object): Record<string, unknown> {
    let dict = slots.get(instance);
    if (dict === undefined) slots.set(instance, (dict = {}));
    return dict;
  }
}
@mapped class Account {
  static __sa_instrumentation_manager__ = SlotManager;
  balance = 10;
}
const a = new Account();
a.balance = 20;
console.log(JSON.stringify({ manager: instanceState(a).manager.constructor.name, slots: slots.get(a) ?? null }));`,
      { legacy, env: { CLASS_INSTRUMENTATION_RUNTIME_PATH: "1" } },
    );
    t.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { slots: unknown };
    t.deepEqual(out.slots, { balance: 20 }, "values live where the class's own manager puts them");
  });

  test(`runtime path (${kind} decorators): attributeOf before the first instance declares the attribute; its kind settles with the first value`, async (t) => {
    const r = await run(
      `declare-${kind}`,
      `import { mapped, attributeOf, listen, getHistory, instanceState } from "class-instrumentation";
@mapped class Cart {
  owner = "ada";
  items: string[] = [];
}
const events: string[] = [];
listen(attributeOf(Cart, "owner"), "set", (_t, value, old) => { events.push("owner " + String(old) + " -> " + String(value)); });
listen(attributeOf(Cart, "items"), "append", (_t, value) => { events.push("append " + String(value)); });
const c = new Cart();
instanceState(c).commitAll();
c.owner = "grace";
c.items.push("apple");
console.log(JSON.stringify({ events, owner: getHistory(c, "owner"), items: getHistory(c, "items") }));`,
      { legacy, env: { CLASS_INSTRUMENTATION_RUNTIME_PATH: "1" } },
    );
    t.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    t.deepEqual(out.events, ["owner NO_VALUE -> ada", "owner ada -> grace", "append apple"]);
    t.deepEqual(out.owner, { added: ["grace"], unchanged: [], deleted: ["ada"] });
    t.deepEqual(out.items, { added: ["apple"], unchanged: [], deleted: [] });
  });
}
