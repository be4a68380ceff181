/**
 * The custom-management example (port of SQLAlchemy's
 * examples/custom_attributes/custom_management.py): its trace, its instance layout, and running
 * it as a script.
 */
import test from "ava";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { type Class, instanceState, managerOfClass, optManagerOfClass } from "../runtime/index.js";
import { ClassInstrumentationAdapter } from "../runtime/ext/index.js";
import { A, B, VALUES_SLOT, STATE_SLOT, ProxyModel, ProxyStorageManager, main } from "../examples/custom-management/custom-management.js";

const EXPECTED = [
  'a1.name = "a1"',
  'a1.bs[0].name = "b1"',
  "a1.bs = [B(b1), B(b2)]",
  "b2.a = A(a1) (set by the backref)",
  "own keys of a1: _values, _state",
  "a1._values holds: name, bs",
  "accessors on A.prototype: none",
  'a1.nickname = "first"; instrumented: false; in _values: true',
  'history of a1.name: added=["a1"] unchanged=[] deleted=[]',
  "flushed a1, b1, b2",
  'history of a1.name: added=[] unchanged=["a1"] deleted=[]',
  "modified: a1=false b1=false",
  "removed a1.bs[0]: a1.bs = [B(b2)], b1.a = none",
  "history of a1.bs: added=[] unchanged=[B(b2)] deleted=[B(b1)]",
  "history of b1.a: added=[none] unchanged=[] deleted=[A(a1)]",
  'set event: A(a1).name "a1" -> "a1 renamed"',
  'history of a1.name: added=["a1 renamed"] unchanged=[] deleted=["a1"]',
  "expired a1.name; in _values: false",
  'a1.name = "a1" (loader: A [name])',
  "deleted a1.nickname: none",
  'deleted a1.name: none; history: added=[] unchanged=[] deleted=["a1"]',
  "len(a1.bs) = 1",
];

test.serial("main() returns the expected trace", (t) => {
  t.deepEqual(main(), EXPECTED);
});

test.serial("main() can run again with the same result (no listener or loader bookkeeping leaks)", (t) => {
  main();
  t.deepEqual(main(), EXPECTED);
});

test.serial("the example's classes are managed by ProxyStorageManager through the adapter", (t) => {
  t.is(A.__sa_instrumentation_manager__, ProxyStorageManager);
  for (const cls of [A, B] as Class[]) {
    const manager = managerOfClass(cls);
    t.true(manager instanceof ClassInstrumentationAdapter);
    t.is(manager.factory as unknown, ProxyStorageManager);
  }
  t.is(optManagerOfClass(ProxyModel), undefined, "the base class itself is not instrumented");
});

test.serial("an instance keeps its values in _values and its state in _state", (t) => {
  const b = new B({ name: "solo" });
  const slots = b as unknown as Record<string, unknown>;
  t.deepEqual(Reflect.ownKeys(b).sort(), [STATE_SLOT, VALUES_SLOT]);
  t.is(slots[STATE_SLOT], instanceState(b));
  t.deepEqual({ ...(slots[VALUES_SLOT] as object) }, { name: "solo" });
  t.is(instanceState(b).dict as unknown, slots[VALUES_SLOT]);
});

test.serial("running the compiled example as a script prints the trace", (t) => {
  const script = path.join(__dirname, "../examples/custom-management/custom-management.js");
  const out = execFileSync(process.execPath, [script], { encoding: "utf8" });
  const [blank, header, ...lines] = out.trimEnd().split("\n");
  t.is(blank, "");
  t.regex(header!, /^== custom instrumentation/);
  t.deepEqual(lines, EXPECTED.map((line) => `  ${line}`));
});
