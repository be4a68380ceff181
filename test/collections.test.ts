/**
 * Collection instrumentation: ports of SQLAlchemy's CollectionInitTest, TestUnlink,
 * CollectionKeyTest, the collection rows of HistoryTest, AttributesTest.test_collectionclasses,
 * and the JavaScript-specific collection behaviour that API.md requires (every Array / Set / Map
 * mutation reports events, bulk replace with an identity diff, shape checks, custom classes).
 *
 * Object identity matters throughout (history and events are identity based), so results are
 * compared through a labeller that maps each known object to a name: two distinct objects can
 * never compare equal by accident, and failures print readable names.
 */
import test from "ava";
import type { ExecutionContext } from "ava";
import {
  ArgumentError,
  InstrumentedList,
  InstrumentedMap,
  InstrumentedSet,
  NO_KEY,
  adapterOf,
  attributeOf,
  collection,
  getHistory,
  getStateHistory,
  initCollection,
  initStateCollection,
  instanceDict,
  instanceState,
  isInstrumented,
  keyedMap,
  listen,
  managerOfClass,
  registerAttribute,
  registerClass,
  setCommittedValue,
  unregisterAttribute,
} from "../runtime/index.js";
import { type HistoryLike, hist, labeller } from "./helpers.js";

/* eslint-disable @typescript-eslint/no-explicit-any */

// ---------------------------------------------------------------------------------------------
// helpers

/** A plain entity with a distinguishing, non-instrumented name. */
class Entity {
  declare name: string;
  constructor(name: string) {
    this.name = name;
  }
}

const L = labeller();

/** History as three label arrays: [added, unchanged, deleted]. */
function H(h: HistoryLike): unknown[][] {
  return hist(h).map((list) => list.map(L));
}

function someattrHistory(f: object, key = "someattr"): unknown[][] {
  return H(getStateHistory(instanceState(f), key));
}

function commitKey(f: object, key = "someattr"): void {
  instanceState(f).commit([key]);
}

/** Labels of a collection's members in iteration order. */
function members(c: Iterable<unknown>): unknown[] {
  return [...c].map(L);
}

/** Runs `fn` with `process.emitWarning` stubbed; returns the warning messages emitted. */
function captureWarnings(fn: () => void): string[] {
  const original = process.emitWarning;
  const seen: string[] = [];
  (process as any).emitWarning = (warning: string | Error) => {
    seen.push(typeof warning === "string" ? warning : warning.message);
  };
  try {
    fn();
  } finally {
    process.emitWarning = original;
  }
  return seen;
}

type Rec = unknown[];

/** Registers recording listeners (with keys) for the collection events of `attr`. */
function recordCollectionEvents(attr: any, events: Rec[], includeKey = true): void {
  for (const name of ["append", "remove", "appendWithoutMutation", "bulkReplace"] as const) {
    listen(attr, name, (...args: unknown[]) => {
      events.push([name, ...args]);
    }, { includeKey });
  }
}

// ---------------------------------------------------------------------------------------------
// CollectionInitTest

function collectionInitFixture() {
  class A {
    declare bs: any;
  }
  class B {}
  registerClass(A);
  registerClass(B);
  registerAttribute(A, "bs", { kind: "collection" });
  return { A, B };
}

test("CollectionInitTest.test_bulk_replace_resets_empty", (t) => {
  const { A } = collectionInitFixture();
  const a1 = new A();
  const state = instanceState(a1);

  const existing = a1.bs;
  t.true(state.emptyCollections.has("bs"));
  const empty = state.emptyCollections.get("bs") as any;
  // the registry may hold the collection or its adapter; either way it refers to `existing`
  t.true(empty === existing || empty?.data === existing);
  t.not(adapterOf(existing) ?? undefined, undefined);

  a1.bs = []; // replaces the "empty" placeholder
  t.false(state.emptyCollections.has("bs"));
  t.is(adapterOf(existing) ?? undefined, undefined);
});

test("CollectionInitTest.test_assert_false_on_default_value", (t) => {
  const { A } = collectionInitFixture();
  const a1 = new A();
  const state = instanceState(a1);
  initStateCollection(state, state.dict, "bs");
  const impl = attributeOf(A, "bs").impl as any;
  t.is(typeof impl.defaultValue, "function");
  // SQLAlchemy raises AssertionError: a default must never replace a present collection
  const before = state.dict.bs;
  t.throws(() => impl.defaultValue(state, state.dict), { instanceOf: Error });
  t.is(state.dict.bs, before);
  t.false(state.emptyCollections.has("bs"));
});

test("CollectionInitTest.test_loader_inits_collection_already_exists", (t) => {
  const { A, B } = collectionInitFixture();
  const a1 = new A();
  const b1 = new B();
  const b2 = new B();
  a1.bs = [b1, b2];
  const old = instanceDict(a1).bs as any;
  t.is(old.length, 2);
  t.is(old[0], b1);
  t.is(old[1], b2);
  t.not(adapterOf(old) ?? undefined, undefined);

  const state = instanceState(a1);
  // what a loader does when it repopulates an already-loaded collection
  const adapter = initStateCollection(state, state.dict, "bs");

  const fresh = instanceDict(a1).bs as any;
  t.not(fresh, old);
  t.deepEqual([...fresh], []);
  t.is(adapterOf(fresh), adapter);
  t.is(adapterOf(old) ?? undefined, undefined);
});

// ---------------------------------------------------------------------------------------------
// TestUnlink

const INVALIDATED = /This collection has been invalidated/;

test("TestUnlink.test_expired", (t) => {
  const { A, B } = collectionInitFixture();
  const a1 = new A();
  const coll = a1.bs;
  a1.bs.push(new B());
  instanceState(a1).expire();
  const warnings = captureWarnings(() => coll.push(new B()));
  t.true(warnings.some((w) => INVALIDATED.test(w)), `warnings: ${JSON.stringify(warnings)}`);
});

test("TestUnlink.test_replaced", (t) => {
  const { A, B } = collectionInitFixture();
  const a1 = new A();
  const coll = a1.bs;
  a1.bs.push(new B());
  a1.bs = [];
  // bulk replace leaves the old collection's contents alone
  t.is(coll.length, 1);
  const warnings = captureWarnings(() => coll.push(new B()));
  t.is(coll.length, 2);
  t.deepEqual(warnings.filter((w) => INVALIDATED.test(w)), []);
  // and the old collection no longer feeds the attribute
  t.is(a1.bs.length, 0);
});

test("TestUnlink.test_pop_existing", (t) => {
  const { A, B } = collectionInitFixture();
  const a1 = new A();
  const coll = a1.bs;
  a1.bs.push(new B());
  instanceState(a1).reset("bs");
  const warnings = captureWarnings(() => coll.push(new B()));
  t.true(warnings.some((w) => INVALIDATED.test(w)), `warnings: ${JSON.stringify(warnings)}`);
});

test("TestUnlink.test_ad_hoc_lazy", (t) => {
  const { A, B } = collectionInitFixture();
  const a1 = new A();
  const coll = a1.bs;
  a1.bs.push(new B());
  instanceState(a1).setCallable("bs", () => [new B()]);
  const warnings = captureWarnings(() => coll.push(new B()));
  t.true(warnings.some((w) => INVALIDATED.test(w)), `warnings: ${JSON.stringify(warnings)}`);
});

// ---------------------------------------------------------------------------------------------
// CollectionKeyTest

function dictCollectionFixture() {
  class Foo {
    declare someattr: any;
  }
  class Bar {
    declare name: string;
    constructor(name: string) {
      this.name = name;
    }
  }
  registerClass(Foo);
  registerClass(Bar);
  // SQLAlchemy: attribute_keyed_dict("name")
  registerAttribute(Foo, "someattr", { kind: "collection", collectionClass: keyedMap((b: Bar) => b.name) });
  registerAttribute(Bar, "name", { kind: "scalar" });
  return { Foo, Bar };
}

function listCollectionFixture() {
  class Foo {
    declare someattr: any;
  }
  class Bar {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "someattr", { kind: "collection" });
  return { Foo, Bar };
}

test("CollectionKeyTest.test_listen_w_list_key", (t) => {
  const { Foo, Bar } = listCollectionFixture();
  const calls: Rec[] = [];
  const rec = (...args: unknown[]) => {
    calls.push(args);
  };
  listen(attributeOf(Foo, "someattr"), "append", rec, { includeKey: true });
  listen(attributeOf(Foo, "someattr"), "remove", rec, { includeKey: true });

  const f1 = new Foo();
  const [b1, b2, b3] = [new Bar(), new Bar(), new Bar()];
  f1.someattr.push(b1);
  f1.someattr.push(b2);
  f1.someattr[1] = b3;
  f1.someattr.splice(0, 1); // Python: del l[0]

  const impl = attributeOf(Foo, "someattr").impl as any;
  const lab = labeller({ f1, b1, b2, b3, appendToken: impl.appendToken, removeToken: impl.removeToken, NO_KEY });
  t.deepEqual(
    calls.map((c) => c.map(lab)),
    [
      ["f1", "b1", "appendToken", "NO_KEY"],
      ["f1", "b2", "appendToken", "NO_KEY"],
      ["f1", "b2", "removeToken", 1],
      ["f1", "b3", "appendToken", 1],
      ["f1", "b1", "removeToken", 0],
    ],
  );
  t.deepEqual(members(f1.someattr), members([b3]));
  t.is(f1.someattr[0], b3);
});

test("CollectionKeyTest.test_listen_w_dict_key", (t) => {
  const { Foo, Bar } = dictCollectionFixture();
  const calls: Rec[] = [];
  const rec = (...args: unknown[]) => {
    calls.push(args);
  };
  listen(attributeOf(Foo, "someattr"), "append", rec, { includeKey: true });
  listen(attributeOf(Foo, "someattr"), "remove", rec, { includeKey: true });

  const f1 = new Foo();
  const [b1, b2, b3] = [new Bar("b1"), new Bar("b2"), new Bar("b3")];
  f1.someattr.set("k1", b1);
  // Python's dict.update({k2: b2, k3: b3}): one setitem per key
  for (const [k, v] of Object.entries({ k2: b2, k3: b3 })) f1.someattr.set(k, v);
  f1.someattr.delete("k2");

  const impl = attributeOf(Foo, "someattr").impl as any;
  const lab = labeller({ f1, b1, b2, b3, appendToken: impl.appendToken, removeToken: impl.removeToken, NO_KEY });
  t.deepEqual(
    calls.map((c) => c.map(lab)),
    [
      ["f1", "b1", "appendToken", "k1"],
      ["f1", "b2", "appendToken", "k2"],
      ["f1", "b3", "appendToken", "k3"],
      ["f1", "b2", "removeToken", "k2"],
    ],
  );
  t.deepEqual([...f1.someattr.keys()], ["k1", "k3"]);
});

test("CollectionKeyTest.test_dict_bulk_replace_w_key", (t) => {
  const { Foo, Bar } = dictCollectionFixture();
  const calls: Rec[] = [];
  const rec = (...args: unknown[]) => {
    calls.push(args);
  };
  listen(attributeOf(Foo, "someattr"), "bulkReplace", rec, { includeKey: true });
  listen(attributeOf(Foo, "someattr"), "append", rec, { includeKey: true });
  listen(attributeOf(Foo, "someattr"), "remove", rec, { includeKey: true });

  const f1 = new Foo();
  const [b1, b2, b3, b4] = [new Bar("b1"), new Bar("b2"), new Bar("b3"), new Bar("b4")];
  f1.someattr = new Map([
    ["b1", b1],
    ["b3", b3],
  ]);
  f1.someattr = new Map([
    ["b2", b2],
    ["b3", b3],
    ["b4", b4],
  ]);

  const impl = attributeOf(Foo, "someattr").impl as any;
  const lab = labeller({ f1, b1, b2, b3, b4, bulk: impl.bulkReplaceToken, NO_KEY });
  t.deepEqual(
    calls.map((c) => c.map(lab)),
    [
      ["f1", ["b1", "b3"], "bulk", ["b1", "b3"]],
      ["f1", "b1", "bulk", "b1"],
      ["f1", "b3", "bulk", "b3"],
      ["f1", ["b2", "b3", "b4"], "bulk", ["b2", "b3", "b4"]],
      ["f1", "b2", "bulk", "b2"],
      ["f1", "b4", "bulk", "b4"],
      ["f1", "b1", "bulk", "NO_KEY"],
    ],
  );
  t.deepEqual([...f1.someattr.keys()], ["b2", "b3", "b4"]);
});

test("CollectionKeyTest.test_listen_wo_dict_key", (t) => {
  const { Foo, Bar } = dictCollectionFixture();
  const calls: Rec[] = [];
  const rec = (...args: unknown[]) => {
    calls.push(args);
  };
  listen(attributeOf(Foo, "someattr"), "append", rec);
  listen(attributeOf(Foo, "someattr"), "remove", rec);

  const f1 = new Foo();
  const [b1, b2, b3] = [new Bar("b1"), new Bar("b2"), new Bar("b3")];
  f1.someattr.set("k1", b1);
  f1.someattr.set("k2", b2);
  f1.someattr.set("k3", b3);
  f1.someattr.delete("k2");

  const impl = attributeOf(Foo, "someattr").impl as any;
  const lab = labeller({ f1, b1, b2, b3, appendToken: impl.appendToken, removeToken: impl.removeToken });
  // without includeKey the listener gets exactly (target, value, initiator)
  t.deepEqual(
    calls.map((c) => c.map(lab)),
    [
      ["f1", "b1", "appendToken"],
      ["f1", "b2", "appendToken"],
      ["f1", "b3", "appendToken"],
      ["f1", "b2", "removeToken"],
    ],
  );
});

// ---------------------------------------------------------------------------------------------
// HistoryTest: collection rows

test("HistoryTest.test_object_collections_set", (t) => {
  class Foo {
    declare someattr: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "someattr", { kind: "collection" });
  const hi = new Bar("hi");
  const there = new Bar("there");
  const old = new Bar("old");
  const nu = new Bar("new");

  // case 1: a new object
  let f = new Foo();
  t.deepEqual(someattrHistory(f), [[], [], []]);
  f.someattr = [hi];
  t.deepEqual(someattrHistory(f), [["hi"], [], []]);
  commitKey(f);
  t.deepEqual(someattrHistory(f), [[], ["hi"], []]);
  f.someattr = [there];
  t.deepEqual(someattrHistory(f), [["there"], [], ["hi"]]);
  commitKey(f);
  t.deepEqual(someattrHistory(f), [[], ["there"], []]);
  f.someattr = [hi];
  t.deepEqual(someattrHistory(f), [["hi"], [], ["there"]]);
  f.someattr = [old, nu];
  t.deepEqual(someattrHistory(f), [["old", "new"], [], ["there"]]);

  // case 2: an object populated directly (like a load)
  f = new Foo();
  const adapter = initCollection(f, "someattr");
  adapter.appendWithoutEvent(nu);
  instanceState(f).commitAll();
  t.deepEqual(someattrHistory(f), [[], ["new"], []]);
  f.someattr = [old];
  t.deepEqual(someattrHistory(f), [["old"], [], ["new"]]);
  commitKey(f);
  t.deepEqual(someattrHistory(f), [[], ["old"], []]);
});

test("HistoryTest.test_dict_collections", (t) => {
  class Foo {
    declare someattr: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  // SQLAlchemy: attribute_keyed_dict("name")
  registerAttribute(Foo, "someattr", { kind: "collection", collectionClass: keyedMap((b: Bar) => b.name) });
  const hi = new Bar("hi");
  const there = new Bar("there");
  const f = new Foo();
  t.deepEqual(someattrHistory(f), [[], [], []]);
  f.someattr.set("hi", hi);
  t.deepEqual(someattrHistory(f), [["hi"], [], []]);
  f.someattr.set("there", there);
  const sorted = (h: unknown[][]) => h.map((a) => [...a].sort());
  t.deepEqual(sorted(someattrHistory(f)), [["hi", "there"], [], []]);
  commitKey(f);
  t.deepEqual(sorted(someattrHistory(f)), [[], ["hi", "there"], []]);
});

test("HistoryTest.test_object_collections_mutate", (t) => {
  class Foo {
    declare someattr: any;
    declare id: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerAttribute(Foo, "someattr", { kind: "collection" });
  registerAttribute(Foo, "id", { kind: "scalar" });
  registerClass(Bar);
  const hi = new Bar("hi");
  const there = new Bar("there");
  const old = new Bar("old");
  const nu = new Bar("new");

  // case 1: a new object
  let f = new Foo();
  f.id = 1;
  t.deepEqual(someattrHistory(f), [[], [], []]);
  f.someattr.push(hi);
  t.deepEqual(someattrHistory(f), [["hi"], [], []]);
  commitKey(f);
  t.deepEqual(someattrHistory(f), [[], ["hi"], []]);
  f.someattr.push(there);
  t.deepEqual(someattrHistory(f), [["there"], ["hi"], []]);
  commitKey(f);
  t.deepEqual(someattrHistory(f), [[], ["hi", "there"], []]);
  f.someattr.remove(there);
  t.deepEqual(someattrHistory(f), [[], ["hi"], ["there"]]);
  f.someattr.push(old);
  f.someattr.push(nu);
  t.deepEqual(someattrHistory(f), [["old", "new"], ["hi"], ["there"]]);
  commitKey(f);
  t.deepEqual(someattrHistory(f), [[], ["hi", "old", "new"], []]);
  f.someattr.shift(); // Python: pop(0)
  t.deepEqual(someattrHistory(f), [[], ["old", "new"], ["hi"]]);

  // case 2: an object populated directly (like a load)
  f = new Foo();
  instanceDict(f).id = 1;
  let adapter = initCollection(f, "someattr");
  adapter.appendWithoutEvent(nu);
  instanceState(f).commitAll();
  t.deepEqual(someattrHistory(f), [[], ["new"], []]);
  f.someattr.push(old);
  t.deepEqual(someattrHistory(f), [["old"], ["new"], []]);
  commitKey(f);
  t.deepEqual(someattrHistory(f), [[], ["new", "old"], []]);

  f = new Foo();
  adapter = initCollection(f, "someattr");
  adapter.appendWithoutEvent(nu);
  instanceState(f).commitAll();
  t.deepEqual(someattrHistory(f), [[], ["new"], []]);
  f.id = 1;
  f.someattr.remove(nu);
  t.deepEqual(someattrHistory(f), [[], [], ["new"]]);

  // case 3: appends mixed with assignment
  f = new Foo();
  f.someattr.push(hi);
  t.deepEqual(someattrHistory(f), [["hi"], [], []]);
  f.someattr.push(there);
  t.deepEqual(someattrHistory(f), [["hi", "there"], [], []]);
  f.someattr = [there];
  t.deepEqual(someattrHistory(f), [["there"], [], []]);

  // case 4: duplicates are kept, order is kept
  f = new Foo();
  f.someattr.push(hi);
  f.someattr.push(there);
  f.someattr.push(hi);
  t.deepEqual(someattrHistory(f), [["hi", "there", "hi"], [], []]);
  instanceState(f).commitAll();
  t.deepEqual(someattrHistory(f), [[], ["hi", "there", "hi"], []]);
  f.someattr = [];
  t.deepEqual(someattrHistory(f), [[], [], ["hi", "there", "hi"]]);
});

test("HistoryTest.test_collections_via_backref", (t) => {
  class Foo extends Entity {
    declare bars: any;
  }
  class Bar extends Entity {
    declare foo: any;
  }
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "bars", { kind: "collection", backref: "foo", trackParent: true });
  registerAttribute(Bar, "foo", { kind: "object", backref: "bars", trackParent: true });
  const f1 = new Foo("f1");
  const b1 = new Bar("b1");
  t.deepEqual(someattrHistory(f1, "bars"), [[], [], []]);
  t.deepEqual(someattrHistory(b1, "foo"), [[], [], []]);

  f1.bars.push(b1); // the backref sets b1.foo = f1
  t.deepEqual(someattrHistory(f1, "bars"), [["b1"], [], []]);
  t.deepEqual(someattrHistory(b1, "foo"), [["f1"], [], []]);

  const b2 = new Bar("b2");
  f1.bars.push(b2);
  t.deepEqual(someattrHistory(f1, "bars"), [["b1", "b2"], [], []]);
  t.deepEqual(someattrHistory(b1, "foo"), [["f1"], [], []]);
  t.deepEqual(someattrHistory(b2, "foo"), [["f1"], [], []]);
});

// ---------------------------------------------------------------------------------------------
// AttributesTest.test_collectionclasses

test("AttributesTest.test_collectionclasses", (t) => {
  class Foo {
    declare collection: any;
  }
  registerClass(Foo);

  // Set → the instance collection is a Set
  registerAttribute(Foo, "collection", { kind: "collection", collectionClass: Set });
  t.true(managerOfClass(Foo).isInstrumented("collection"));
  t.true(new Foo().collection instanceof Set);
  t.true(isInstrumented(new Foo(), "collection"));
  unregisterAttribute(Foo, "collection");
  t.false(managerOfClass(Foo).isInstrumented("collection"));

  // SQLAlchemy's plain `dict` has no appender; the JS counterpart is a class with no
  // recognisable collection shape and no declared roles
  class MyColl {}
  t.throws(() => registerAttribute(Foo, "collection", { kind: "collection", collectionClass: MyColl as any }), {
    instanceOf: ArgumentError,
    message: /^Type MyColl must elect an appender method to be a collection class/,
  });

  // a Map subclass with declared appender / remover roles (SQLAlchemy's MyDict)
  class MyDict extends Map<string, any> {
    append(item: any) {
      this.set(item.foo, item);
    }
    discard(item: any) {
      this.delete(item.foo);
    }
  }
  collection.roles(MyDict, { appender: "append", remover: "discard", iterator: "values", emulates: "map" });
  registerAttribute(Foo, "collection", { kind: "collection", collectionClass: MyDict });
  t.true(new Foo().collection instanceof MyDict);
  unregisterAttribute(Foo, "collection");

  // a plain class that declares all three roles works
  class MyColl2 {
    *values(): IterableIterator<unknown> {
      // empty
    }
    add(_item: unknown) {}
    discard(_item: unknown) {}
  }
  collection.roles(MyColl2, { appender: "add", remover: "discard", iterator: "values" });
  registerAttribute(Foo, "collection", { kind: "collection", collectionClass: MyColl2 as any });
  t.notThrows(() => new Foo().collection);
  t.true(new Foo().collection instanceof MyColl2);
});

// ---------------------------------------------------------------------------------------------
// JavaScript list mutations: every mutator reports append / remove events

function listFixture(n = 4) {
  class Foo {
    declare items: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "items", { kind: "collection" });
  const events: Rec[] = [];
  recordCollectionEvents(attributeOf(Foo, "items"), events);
  const bars = Array.from({ length: n }, (_, i) => new Bar(`o${i}`));
  const f = new Foo();
  f.items = bars.slice();
  instanceState(f).commitAll();
  events.length = 0;
  const x = new Bar("x");
  const y = new Bar("y");
  return { Foo, Bar, f, bars, events, x, y };
}

/** Events as [name, value-label, key] (target and initiator dropped). */
function evs(events: Rec[]): unknown[][] {
  return events.map((e) => (e[0] === "bulkReplace" ? [e[0], L(e[2])] : [e[0], L(e[2]), L(e[4])]));
}

/** Events as [name, value-label], keys ignored. */
function evsNoKey(events: Rec[]): unknown[][] {
  return events.map((e) => [e[0], L(e[2])]);
}

/** Multiset difference after − before, as a sorted list of "+label" / "-label". */
function membershipDelta(before: unknown[], after: unknown[]): string[] {
  const counts = new Map<unknown, number>();
  for (const v of after) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const v of before) counts.set(v, (counts.get(v) ?? 0) - 1);
  const out: string[] = [];
  for (const [v, c] of counts) {
    for (let i = 0; i < Math.abs(c); i++) out.push(`${c > 0 ? "+" : "-"}${String(L(v))}`);
  }
  return out.sort();
}

/** Net membership change described by append / remove events. */
function eventDelta(events: Rec[]): string[] {
  const counts = new Map<unknown, number>();
  for (const e of events) {
    if (e[0] === "append") counts.set(e[2], (counts.get(e[2]) ?? 0) + 1);
    if (e[0] === "remove") counts.set(e[2], (counts.get(e[2]) ?? 0) - 1);
  }
  const out: string[] = [];
  for (const [v, c] of counts) {
    for (let i = 0; i < Math.abs(c); i++) out.push(`${c > 0 ? "+" : "-"}${String(L(v))}`);
  }
  return out.sort();
}

/** For in-place reorders: the keys of remove and append events are exactly the changed positions. */
function assertPositionsReported(t: ExecutionContext, before: unknown[], after: unknown[], events: Rec[]): void {
  const changed = before.map((v, i) => (v === after[i] ? -1 : i)).filter((i) => i >= 0);
  const keysOf = (op: string) => [...new Set(events.filter((e) => e[0] === op).map((e) => e[4]))].sort();
  t.true(changed.length > 0);
  t.deepEqual(keysOf("remove"), changed, "remove keys");
  t.deepEqual(keysOf("append"), changed, "append keys");
}

/** Checks that the events describe exactly the membership change the operation made. */
function assertEventsMatchChange(t: ExecutionContext, before: unknown[], after: unknown[], events: Rec[]): void {
  t.deepEqual(eventDelta(events), membershipDelta(before, after), `events: ${JSON.stringify(evsNoKey(events))}`);
}

test("collections: Array push reports one append per item, in order", (t) => {
  const { f, bars, events, x, y } = listFixture();
  const r = f.items.push(x, y);
  t.is(r, 6);
  t.deepEqual(members(f.items), ["o0", "o1", "o2", "o3", "x", "y"]);
  t.deepEqual(evsNoKey(events), [
    ["append", "x"],
    ["append", "y"],
  ]);
  t.deepEqual(H(getHistory(f, "items")), [["x", "y"], members(bars), []]);
});

test("collections: Array pop reports a remove of the last item", (t) => {
  const { f, bars, events } = listFixture();
  const r = f.items.pop();
  t.is(r, bars[3]);
  t.deepEqual(members(f.items), ["o0", "o1", "o2"]);
  t.deepEqual(evsNoKey(events), [["remove", "o3"]]);
  t.deepEqual(H(getHistory(f, "items")), [[], ["o0", "o1", "o2"], ["o3"]]);
});

test("collections: Array pop on an empty list reports nothing", (t) => {
  const { f, events } = listFixture(0);
  t.is(f.items.pop(), undefined);
  t.deepEqual(evsNoKey(events), []);
});

test("collections: Array shift reports a remove of the first item", (t) => {
  const { f, bars, events } = listFixture();
  const r = f.items.shift();
  t.is(r, bars[0]);
  t.deepEqual(members(f.items), ["o1", "o2", "o3"]);
  t.deepEqual(evsNoKey(events), [["remove", "o0"]]);
  t.deepEqual(H(getHistory(f, "items")), [[], ["o1", "o2", "o3"], ["o0"]]);
});

test("collections: Array unshift reports an append per item", (t) => {
  const { f, events, x, y } = listFixture();
  const r = f.items.unshift(x, y);
  t.is(r, 6);
  t.deepEqual(members(f.items), ["x", "y", "o0", "o1", "o2", "o3"]);
  t.deepEqual(
    evsNoKey(events).map((e) => e.join(":")).sort(),
    ["append:x", "append:y"],
  );
  t.deepEqual(H(getHistory(f, "items")), [["x", "y"], ["o0", "o1", "o2", "o3"], []]);
});

test("collections: Array splice reports removals and insertions", (t) => {
  const { f, bars, events, x, y } = listFixture();
  const removed = f.items.splice(1, 2, x, y);
  t.deepEqual(members(removed), ["o1", "o2"]);
  t.true(Array.isArray(removed));
  t.deepEqual(members(f.items), ["o0", "x", "y", "o3"]);
  assertEventsMatchChange(t, bars, [bars[0], x, y, bars[3]], events);
  t.true(events.every((e) => e[0] === "append" || e[0] === "remove"));
  t.deepEqual(H(getHistory(f, "items")), [["x", "y"], ["o0", "o3"], ["o1", "o2"]]);
});

test("collections: Array splice without a delete count removes the tail", (t) => {
  const { f, bars, events } = listFixture();
  f.items.splice(2);
  t.deepEqual(members(f.items), ["o0", "o1"]);
  assertEventsMatchChange(t, bars, bars.slice(0, 2), events);
  t.is(events.length, 2);
});

test("collections: Array sort keeps membership and history consistent", (t) => {
  const { f, bars, events } = listFixture();
  f.items.sort((a: Entity, b: Entity) => (a.name < b.name ? 1 : -1));
  t.deepEqual(members(f.items), ["o3", "o2", "o1", "o0"]);
  assertEventsMatchChange(t, bars, [...f.items], events);
  assertPositionsReported(t, bars, [...f.items], events);
  const h = getHistory(f, "items");
  t.deepEqual([h.added.length, h.deleted.length], [0, 0]);
  t.deepEqual([...h.unchanged].map(L).sort(), ["o0", "o1", "o2", "o3"]);
});

test("collections: Array reverse keeps membership and history consistent", (t) => {
  const { f, bars, events } = listFixture();
  const r = f.items.reverse();
  t.deepEqual(members(f.items), ["o3", "o2", "o1", "o0"]);
  t.deepEqual(members(r), ["o3", "o2", "o1", "o0"]);
  assertEventsMatchChange(t, bars, [...f.items], events);
  assertPositionsReported(t, bars, [...f.items], events);
  const h = getHistory(f, "items");
  t.deepEqual([h.added.length, h.deleted.length], [0, 0]);
});

test("collections: Array fill reports the overwritten and written items", (t) => {
  const { f, bars, events, x } = listFixture();
  f.items.fill(x, 1, 3);
  t.deepEqual(members(f.items), ["o0", "x", "x", "o3"]);
  assertEventsMatchChange(t, bars, [bars[0], x, x, bars[3]], events);
  t.deepEqual(H(getHistory(f, "items")), [["x", "x"], ["o0", "o3"], ["o1", "o2"]]);
});

test("collections: Array copyWithin reports the overwritten and copied items", (t) => {
  const { f, bars, events } = listFixture();
  f.items.copyWithin(0, 2);
  t.deepEqual(members(f.items), ["o2", "o3", "o2", "o3"]);
  assertEventsMatchChange(t, bars, [bars[2], bars[3], bars[2], bars[3]], events);
  t.deepEqual(H(getHistory(f, "items")), [[], ["o2", "o3", "o2", "o3"], ["o0", "o1"]]);
});

test("collections: index assignment reports remove then append with the index as key", (t) => {
  const { f, events, x } = listFixture();
  f.items[1] = x;
  t.deepEqual(members(f.items), ["o0", "x", "o2", "o3"]);
  t.deepEqual(evs(events), [
    ["remove", "o1", 1],
    ["append", "x", 1],
  ]);
  t.deepEqual(H(getHistory(f, "items")), [["x"], ["o0", "o2", "o3"], ["o1"]]);
});

test("collections: index assignment at length appends", (t) => {
  const { f, events, x } = listFixture();
  f.items[4] = x;
  t.is(f.items.length, 5);
  t.deepEqual(evsNoKey(events), [["append", "x"]]);
  t.deepEqual(H(getHistory(f, "items")), [["x"], ["o0", "o1", "o2", "o3"], []]);
});

test("collections: length truncation reports a remove per dropped item", (t) => {
  const { f, bars, events } = listFixture();
  f.items.length = 1;
  t.deepEqual(members(f.items), ["o0"]);
  assertEventsMatchChange(t, bars, [bars[0]], events);
  t.is(events.length, 3);
  t.deepEqual(H(getHistory(f, "items")), [[], ["o0"], ["o1", "o2", "o3"]]);
});

test("collections: setting length to its current value reports nothing", (t) => {
  const { f, events } = listFixture();
  f.items.length = 4;
  t.deepEqual(evsNoKey(events), []);
  t.false(getHistory(f, "items").hasChanges());
});

test("collections: list.remove removes one occurrence and throws RangeError when missing", (t) => {
  const { f, events, x } = listFixture();
  f.items.remove(f.items[2]);
  t.deepEqual(members(f.items), ["o0", "o1", "o3"]);
  t.deepEqual(evsNoKey(events), [["remove", "o2"]]);
  t.throws(() => f.items.remove(x), { instanceOf: RangeError });
  t.deepEqual(members(f.items), ["o0", "o1", "o3"]);
});

test("collections: non-mutating Array methods report nothing and return plain results", (t) => {
  const { f, events } = listFixture();
  const mapped = f.items.map((b: Entity) => b.name);
  t.deepEqual(mapped, ["o0", "o1", "o2", "o3"]);
  t.deepEqual(members(f.items.slice(1, 3)), ["o1", "o2"]);
  t.deepEqual(members(f.items.filter((b: Entity) => b.name !== "o1")), ["o0", "o2", "o3"]);
  t.is(f.items.indexOf(f.items[2]), 2);
  t.deepEqual(members([...f.items.concat([])]), ["o0", "o1", "o2", "o3"]);
  t.deepEqual(evsNoKey(events), []);
  t.false(getHistory(f, "items").hasChanges());
});

test("collections: list collections are arrays and InstrumentedList instances", (t) => {
  const { f } = listFixture();
  t.true(Array.isArray(f.items));
  t.true(f.items instanceof InstrumentedList);
  t.is((f.items as unknown[]).length, 4);
  t.not(adapterOf(f.items) ?? undefined, undefined);
});

// ---------------------------------------------------------------------------------------------
// Set and Map mutations

function setFixture() {
  class Foo {
    declare items: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "items", { kind: "collection", collectionClass: Set });
  const events: Rec[] = [];
  recordCollectionEvents(attributeOf(Foo, "items"), events);
  const [a, b, c] = [new Bar("a"), new Bar("b"), new Bar("c")];
  const f = new Foo();
  f.items = new Set([a, b]);
  instanceState(f).commitAll();
  events.length = 0;
  return { f, a, b, c, events };
}

test("collections: Set add reports append for a new member, appendWithoutMutation for an existing one", (t) => {
  const { f, a, c, events } = setFixture();
  t.is(f.items.add(c), f.items);
  f.items.add(a);
  t.deepEqual(members(f.items), ["a", "b", "c"]);
  t.deepEqual(evsNoKey(events), [
    ["append", "c"],
    ["appendWithoutMutation", "a"],
  ]);
  t.deepEqual(H(getHistory(f, "items")), [["c"], ["a", "b"], []]);
});

test("collections: Set delete reports a remove only when the member is present", (t) => {
  const { f, a, c, events } = setFixture();
  t.true(f.items.delete(a));
  t.false(f.items.delete(c));
  t.deepEqual(members(f.items), ["b"]);
  t.deepEqual(evsNoKey(events), [["remove", "a"]]);
  t.deepEqual(H(getHistory(f, "items")), [[], ["b"], ["a"]]);
});

test("collections: Set clear reports a remove per member", (t) => {
  const { f, events } = setFixture();
  f.items.clear();
  t.is(f.items.size, 0);
  t.deepEqual(evsNoKey(events).map((e) => e.join(":")).sort(), ["remove:a", "remove:b"]);
  t.deepEqual(H(getHistory(f, "items")), [[], [], ["a", "b"]]);
});

function mapFixture() {
  class Foo {
    declare items: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "items", { kind: "collection", collectionClass: Map });
  const events: Rec[] = [];
  recordCollectionEvents(attributeOf(Foo, "items"), events);
  const [a, b, c] = [new Bar("a"), new Bar("b"), new Bar("c")];
  const f = new Foo();
  f.items = new Map([
    ["a", a],
    ["b", b],
  ]);
  instanceState(f).commitAll();
  events.length = 0;
  return { f, a, b, c, events };
}

test("collections: Map set of a new key reports an append with the key", (t) => {
  const { f, c, events } = mapFixture();
  t.true(f.items instanceof InstrumentedMap);
  t.is(f.items.set("c", c), f.items);
  t.is(f.items.get("c"), c);
  t.deepEqual(evs(events), [["append", "c", "c"]]);
  t.deepEqual(H(getHistory(f, "items")), [["c"], ["a", "b"], []]);
});

test("collections: Map set of an existing key reports remove of the old value then append", (t) => {
  const { f, c, events } = mapFixture();
  f.items.set("a", c);
  t.is(f.items.get("a"), c);
  t.deepEqual(evs(events), [
    ["remove", "a", "a"],
    ["append", "c", "a"],
  ]);
  const h = H(getHistory(f, "items"));
  t.deepEqual(h[0], ["c"]);
  t.deepEqual(h[2], ["a"]);
});

test("collections: Map delete reports a remove only when the key is present", (t) => {
  const { f, events } = mapFixture();
  t.true(f.items.delete("a"));
  t.false(f.items.delete("zzz"));
  t.deepEqual(evs(events), [["remove", "a", "a"]]);
  t.deepEqual(H(getHistory(f, "items")), [[], ["b"], ["a"]]);
});

test("collections: Map clear reports a remove per value", (t) => {
  const { f, events } = mapFixture();
  f.items.clear();
  t.is(f.items.size, 0);
  t.deepEqual(evsNoKey(events).map((e) => e.join(":")).sort(), ["remove:a", "remove:b"]);
  t.deepEqual(H(getHistory(f, "items")), [[], [], ["a", "b"]]);
});

// ---------------------------------------------------------------------------------------------
// Bulk replace on assignment

test("collections: assigning an array is a bulk replace with an identity diff", (t) => {
  const { f, bars, events, x } = listFixture(3);
  const [o0, o1, o2] = bars;
  const old = f.items;
  const assigned = [o1, o2, x];
  f.items = assigned;
  const impl = (attributeOf as any)(f.constructor, "items").impl as any;
  const lab = labeller({ f, bulk: impl.bulkReplaceToken, NO_KEY });
  t.deepEqual(
    events.map((e) => e.slice(0, 4).map(lab)),
    [
      ["bulkReplace", "f", ["o1", "o2", "x"], "bulk"],
      ["append", "f", "x", "bulk"],
      ["appendWithoutMutation", "f", "o1", "bulk"],
      ["appendWithoutMutation", "f", "o2", "bulk"],
      ["remove", "f", "o0", "bulk"],
    ],
  );
  // the plain array was adapted into a new instrumented collection
  t.not(f.items, assigned);
  t.not(f.items, old);
  t.not(adapterOf(f.items) ?? undefined, undefined);
  t.deepEqual(members(f.items), ["o1", "o2", "x"]);
  // the old collection keeps its contents
  t.deepEqual(members(old), ["o0", "o1", "o2"]);
  t.deepEqual(H(getHistory(f, "items")), [["x"], ["o1", "o2"], ["o0"]]);
  void o0;
});

test("collections: a bulkReplace listener may change the incoming values", (t) => {
  const { f, events, x, y } = listFixture(1);
  listen((attributeOf as any)(f.constructor, "items"), "bulkReplace", (_target: unknown, values: unknown[]) => {
    values.push(y);
  });
  f.items = [x];
  t.deepEqual(members(f.items), ["x", "y"]);
  t.true(evsNoKey(events).some((e) => e[0] === "append" && e[1] === "y"));
});

test("collections: assigning a Set to a set attribute is a bulk replace with an identity diff", (t) => {
  const { f, a, b, c, events } = setFixture();
  f.items = new Set([b, c]);
  t.deepEqual(evsNoKey(events), [
    ["bulkReplace", ["b", "c"]],
    ["append", "c"],
    ["appendWithoutMutation", "b"],
    ["remove", "a"],
  ]);
  t.true(f.items instanceof InstrumentedSet);
  t.deepEqual(members(f.items), ["b", "c"]);
  t.deepEqual(H(getHistory(f, "items")), [["c"], ["b"], ["a"]]);
  void a;
});

test("collections: re-assigning the same collection object is a no-op", (t) => {
  const { f, events } = listFixture(2);
  const same = f.items;
  f.items = same;
  t.is(f.items, same);
  t.deepEqual(
    evsNoKey(events).filter((e) => e[0] !== "bulkReplace"),
    [],
  );
  t.false(getHistory(f, "items").hasChanges());
});

test("collections: assigning the wrong shape throws TypeError 'Incompatible collection type'", (t) => {
  const { f, bars } = listFixture(2);
  const fa = f as any;
  t.throws(() => (fa.items = new Set(bars)), { instanceOf: TypeError, message: /^Incompatible collection type: .* is not list-like/ });
  t.throws(() => (fa.items = null), { instanceOf: TypeError, message: /Incompatible collection type/ });
  t.throws(() => (fa.items = new Map()), { instanceOf: TypeError, message: /Incompatible collection type/ });
  t.throws(() => (fa.items = 5), { instanceOf: TypeError, message: /Incompatible collection type/ });
  // nothing changed
  t.deepEqual(members(f.items), ["o0", "o1"]);
  t.false(getHistory(f, "items").hasChanges());

  const s = setFixture();
  t.throws(() => ((s.f as any).items = [s.a]), { instanceOf: TypeError, message: /Incompatible collection type: .* is not set-like/ });
  const m = mapFixture();
  t.throws(() => ((m.f as any).items = [m.a]), { instanceOf: TypeError, message: /Incompatible collection type/ });
});

// ---------------------------------------------------------------------------------------------
// Custom collection classes

test("collections: an Array subclass as collection class", (t) => {
  class MyList<T> extends Array<T> {
    extra(): string {
      return "mine";
    }
  }
  class Foo {
    declare items: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "items", { kind: "collection", collectionClass: MyList });
  const events: Rec[] = [];
  recordCollectionEvents(attributeOf(Foo, "items"), events);
  const f = new Foo();
  t.true(f.items instanceof MyList);
  t.is(f.items.extra(), "mine");
  const a = new Bar("a");
  f.items.push(a);
  f.items[1] = new Bar("b");
  t.deepEqual(evsNoKey(events), [
    ["append", "a"],
    ["append", "b"],
  ]);
  t.deepEqual(H(getHistory(f, "items")), [["a", "b"], [], []]);
  f.items = [a];
  t.true(f.items instanceof MyList);
});

test("collections: a Set subclass as collection class", (t) => {
  class MySet<T> extends Set<T> {}
  class Foo {
    declare items: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "items", { kind: "collection", collectionClass: MySet });
  const events: Rec[] = [];
  recordCollectionEvents(attributeOf(Foo, "items"), events);
  const f = new Foo();
  t.true(f.items instanceof MySet);
  const a = new Bar("a");
  f.items.add(a);
  f.items.delete(a);
  t.deepEqual(evsNoKey(events), [
    ["append", "a"],
    ["remove", "a"],
  ]);
});

test("collections: a Map subclass as collection class", (t) => {
  class MyMap<K, V> extends Map<K, V> {}
  class Foo {
    declare items: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "items", { kind: "collection", collectionClass: MyMap });
  const events: Rec[] = [];
  recordCollectionEvents(attributeOf(Foo, "items"), events);
  const f = new Foo();
  t.true(f.items instanceof MyMap);
  const a = new Bar("a");
  f.items.set("k", a);
  f.items.delete("k");
  t.deepEqual(evs(events), [
    ["append", "a", "k"],
    ["remove", "a", "k"],
  ]);
});

test("collections: a class declaring its roles with collection.roles", (t) => {
  class Bag {
    private readonly contents: unknown[] = [];
    put(item: unknown): void {
      this.contents.push(item);
    }
    takeOut(item: unknown): void {
      const i = this.contents.indexOf(item);
      if (i >= 0) this.contents.splice(i, 1);
    }
    *each(): IterableIterator<unknown> {
      yield* this.contents;
    }
  }
  collection.roles(Bag, { appender: "put", remover: "takeOut", iterator: "each" });
  class Foo {
    declare items: any;
  }
  class Bar extends Entity {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "items", { kind: "collection", collectionClass: Bag as any });
  const events: Rec[] = [];
  recordCollectionEvents(attributeOf(Foo, "items"), events);
  const f = new Foo();
  t.true(f.items instanceof Bag);
  const [a, b] = [new Bar("a"), new Bar("b")];
  f.items.put(a);
  f.items.put(b);
  t.deepEqual(members(f.items.each()), ["a", "b"]);
  t.deepEqual(H(getHistory(f, "items")), [["a", "b"], [], []]);
  instanceState(f).commitAll();
  f.items.takeOut(a);
  t.deepEqual(evsNoKey(events), [
    ["append", "a"],
    ["append", "b"],
    ["remove", "a"],
  ]);
  t.deepEqual(H(getHistory(f, "items")), [[], ["b"], ["a"]]);
  // the adapter drives the elected roles too
  const adapter = initCollection(f, "items");
  adapter.appendWithoutEvent(a);
  t.deepEqual(members((adapter.data as any).each()), ["a"]);
});

test("collections: a class missing a remover role is rejected with ArgumentError", (t) => {
  class OnlyAdds {
    add(_item: unknown): void {}
    *values(): IterableIterator<unknown> {}
  }
  collection.roles(OnlyAdds, { appender: "add", iterator: "values" } as never);
  class Foo {
    declare items: any;
  }
  registerClass(Foo);
  t.throws(() => registerAttribute(Foo, "items", { kind: "collection", collectionClass: OnlyAdds as any }), {
    instanceOf: ArgumentError,
    message: /Type OnlyAdds must elect a remover method to be a collection class/,
  });
});

test("issue 9 bug 1: setCommittedValue with a list of several members records no history and fires no append", (t) => {
  class Box {
    declare items: string[];
  }
  registerClass(Box);
  registerAttribute(Box, "items", { kind: "collection" });
  const appended: unknown[] = [];
  listen(attributeOf(Box, "items"), "append", (_target, value) => {
    appended.push(value);
  });
  const box = new Box();
  instanceState(box).commitAll();
  setCommittedValue(box, "items", ["a", "b", "c"]);
  t.deepEqual(appended, []);
  t.false(instanceState(box).modified);
  t.deepEqual(hist(getHistory(box, "items")), [[], ["a", "b", "c"], []]);
});

test("issue 9 bug 11: growing a list with length = n reports the new empty slots as added undefined members", (t) => {
  class Box {
    declare items: unknown[];
  }
  registerClass(Box);
  registerAttribute(Box, "items", { kind: "collection" });
  const box = new Box();
  box.items = ["a"];
  instanceState(box).commitAll();
  const appended: unknown[] = [];
  listen(attributeOf(Box, "items"), "append", (_target, value) => {
    appended.push(value);
  });
  box.items.length = 3;
  t.is(box.items.length, 3);
  t.deepEqual(appended, [undefined, undefined]);
  t.true(instanceState(box).modified);
  t.deepEqual(hist(getHistory(box, "items")), [[undefined, undefined], ["a"], []]);
  t.throws(() => {
    box.items.length = -1;
  }, { instanceOf: RangeError });
  t.is(box.items.length, 3);
});

test("issue 9 bug 11: moving a map value to another key is a change (deleted under the old key, added under the new)", (t) => {
  class Box {
    declare byKey: Map<string, object>;
  }
  registerClass(Box);
  registerAttribute(Box, "byKey", { kind: "collection", collectionClass: Map });
  const v = { v: 1 };
  const box = new Box();
  box.byKey = new Map([["a", v]]);
  instanceState(box).commitAll();
  box.byKey.delete("a");
  box.byKey.set("b", v);
  const h = getHistory(box, "byKey");
  t.true(h.hasChanges());
  t.deepEqual(hist(h), [[v], [], [v]]);
  t.deepEqual([...instanceState(box).changedKeys().collections], ["byKey"]);
  box.byKey.delete("b");
  box.byKey.set("a", v);
  t.false(getHistory(box, "byKey").hasChanges(), "moved back: no change");
});

/** A committed Box whose append listener throws at the second append (once). */
function throwingBox(members: string[]) {
  class Box {
    declare items: string[];
  }
  registerClass(Box);
  registerAttribute(Box, "items", { kind: "collection" });
  const box = new Box();
  box.items = members;
  instanceState(box).commitAll();
  let appends = 0;
  listen(attributeOf(Box, "items"), "append", () => {
    if (++appends === 2) throw new Error("listener failed");
  });
  return box;
}

for (const [name, op] of [
  ["sort", (list: string[]) => void list.sort()],
  ["reverse", (list: string[]) => void list.reverse()],
  ["fill", (list: string[]) => void list.fill("z")],
  ["copyWithin", (list: string[]) => void list.copyWithin(0, 2)],
] as const) {
  test(`issue 9 bug 9: a listener that throws midway through ${name} leaves the list unchanged`, (t) => {
    const box = throwingBox(["d", "c", "b", "a"]);
    t.throws(() => op(box.items), { message: "listener failed" });
    t.deepEqual([...box.items], ["d", "c", "b", "a"]);
    t.false(getHistory(box, "items").hasChanges());
  });
}

test("issue 9 bug 9: a listener that throws midway through a bulk replace leaves the old collection in place", (t) => {
  const box = throwingBox(["a", "b"]);
  const before = box.items;
  t.throws(() => {
    box.items = ["x", "y", "z"];
  }, { message: "listener failed" });
  t.is(box.items, before);
  t.deepEqual([...box.items], ["a", "b"]);
  t.false(getHistory(box, "items").hasChanges());
  box.items.push("c"); // still the attribute's instrumented collection
  t.deepEqual(hist(getHistory(box, "items")), [["c"], ["a", "b"], []]);
});
