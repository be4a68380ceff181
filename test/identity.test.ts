/**
 * IdentityMap: the weak registry of instance states that learns, at the moment a state first
 * becomes modified, that it did (SQLAlchemy's identity-map `_modified` bookkeeping).
 */
import test, { type ExecutionContext } from "ava";
import {
  IdentityMap,
  InstrumentationError,
  type InstanceState,
  flagDirty,
  flagModified,
  getHistory,
  instanceState,
  registerAttribute,
  registerClass,
  setCommittedValue,
} from "../runtime/index.js";
import { forceGc, gcRounds, hist } from "./helpers.js";

/** Same members, any order (ava compares Sets in insertion order). */
function sameMembers(t: ExecutionContext, actual: Iterable<unknown>, expected: unknown[]): void {
  const got = [...actual];
  t.is(got.length, expected.length);
  for (const e of expected) t.true(got.includes(e));
}

function makeFoo() {
  class Foo {
    declare name: unknown;
    declare tags: unknown[];
  }
  registerClass(Foo);
  registerAttribute(Foo, "name");
  registerAttribute(Foo, "tags", { kind: "collection" });
  return Foo;
}

/** A fresh committed (clean) instance. */
function clean<T extends object>(Cls: new () => T, name: string): T {
  const obj = new Cls();
  setCommittedValue(obj as object, "name", name);
  instanceState(obj).commitAll();
  return obj;
}

test("add / has / size / remove", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  const b = clean(Foo, "b");
  t.is(map.size, 0);
  t.false(map.has(a));
  map.add(a);
  t.true(map.has(a));
  t.false(map.has(b));
  t.is(map.size, 1);
  map.add(b);
  t.is(map.size, 2);
  map.remove(a);
  t.false(map.has(a));
  t.true(map.has(b));
  t.is(map.size, 1);
});

test("adding the same instance twice keeps one entry", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  map.add(a);
  map.add(a);
  t.is(map.size, 1);
  t.deepEqual([...map.allStates()], [instanceState(a)]);
});

test("allStates yields the state of every member", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const objs = [clean(Foo, "a"), clean(Foo, "b"), clean(Foo, "c")];
  for (const o of objs) map.add(o);
  sameMembers(t, map.allStates(), objs.map((o) => instanceState(o)));
});

test("modifiedStates yields only modified states and learns of the first modification at once", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  const b = clean(Foo, "b");
  const c = clean(Foo, "c");
  map.add(a);
  map.add(b);
  map.add(c);
  t.deepEqual([...map.modifiedStates()], []);
  t.false(map.checkModified());

  b.name = "B";
  t.deepEqual([...map.modifiedStates()], [instanceState(b)]);
  t.true(map.checkModified());

  // further changes to the same state do not duplicate it
  b.name = "BB";
  b.tags.push("t");
  t.deepEqual([...map.modifiedStates()], [instanceState(b)]);

  c.tags.push("x");
  sameMembers(t, map.modifiedStates(), [instanceState(b), instanceState(c)]);
});

test("collection mutations, flagModified and flagDirty register as modifications", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  const b = clean(Foo, "b");
  const c = clean(Foo, "c");
  for (const o of [a, b, c]) map.add(o);
  a.tags.push("one");
  flagModified(b, "name");
  flagDirty(c);
  sameMembers(t, map.modifiedStates(), [a, b, c].map((o) => instanceState(o)));
});

test("an instance that is already modified when added is reported as modified", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = new Foo();
  a.name = "dirty";
  t.true(instanceState(a).modified);
  map.add(a);
  t.deepEqual([...map.modifiedStates()], [instanceState(a)]);
  t.true(map.checkModified());
});

test("modifications of instances not in the map are not reported", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  const outsider = clean(Foo, "o");
  map.add(a);
  outsider.name = "changed";
  t.deepEqual([...map.modifiedStates()], []);
  t.false(map.checkModified());
});

test("after remove, the instance's modifications are no longer reported", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  const b = clean(Foo, "b");
  map.add(a);
  map.add(b);
  a.name = "x";
  map.remove(a);
  t.deepEqual([...map.modifiedStates()], []);
  b.name = "y";
  a.name = "z";
  t.deepEqual([...map.modifiedStates()], [instanceState(b)]);
});

test("commitAll commits every modified state and empties the modified set", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  const b = clean(Foo, "b");
  map.add(a);
  map.add(b);
  a.name = "A";
  b.tags.push("t");
  t.deepEqual(hist(getHistory(a, "name")), [["A"], [], ["a"]]);
  map.commitAll();
  t.deepEqual([...map.modifiedStates()], []);
  t.false(map.checkModified());
  t.false(instanceState(a).modified);
  t.false(instanceState(b).modified);
  t.deepEqual(hist(getHistory(a, "name")), [[], ["A"], []]);
  t.deepEqual(hist(getHistory(b, "tags")), [[], ["t"], []]);
  // still members
  t.true(map.has(a));
  t.true(map.has(b));
  t.is(map.size, 2);
  // and a new modification is noticed again
  a.name = "again";
  t.deepEqual([...map.modifiedStates()], [instanceState(a)]);
});

test("a state committed on its own leaves the modified set", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  const b = clean(Foo, "b");
  map.add(a);
  map.add(b);
  a.name = "A";
  b.name = "B";
  instanceState(a).commitAll();
  t.deepEqual([...map.modifiedStates()], [instanceState(b)]);
  a.name = "A2";
  sameMembers(t, map.modifiedStates(), [instanceState(a), instanceState(b)]);
});

test("expiring a modified state removes it from the modified set", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  const a = clean(Foo, "a");
  map.add(a);
  a.name = "A";
  t.true(map.checkModified());
  instanceState(a).expire();
  t.deepEqual([...map.modifiedStates()], []);
  t.false(map.checkModified());
});

test("a state belongs to at most one map", (t) => {
  const Foo = makeFoo();
  const m1 = new IdentityMap();
  const m2 = new IdentityMap();
  const a = clean(Foo, "a");
  m1.add(a);
  const err = t.throws(() => m2.add(a));
  t.true(err instanceof InstrumentationError);
  t.true(m1.has(a));
  t.false(m2.has(a));
  t.is(m2.size, 0);
  a.name = "changed";
  t.deepEqual([...m1.modifiedStates()], [instanceState(a)]);
  t.deepEqual([...m2.modifiedStates()], []);
});

test("after removal from one map an instance may join another", (t) => {
  const Foo = makeFoo();
  const m1 = new IdentityMap();
  const m2 = new IdentityMap();
  const a = clean(Foo, "a");
  m1.add(a);
  m1.remove(a);
  m2.add(a);
  t.true(m2.has(a));
  t.false(m1.has(a));
  a.name = "x";
  t.deepEqual([...m2.modifiedStates()], [instanceState(a)]);
  t.deepEqual([...m1.modifiedStates()], []);
});

test("an unmodified instance in a map can be garbage collected", async (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  function addOne(): WeakRef<object> {
    const obj = clean(Foo, "temp");
    map.add(obj);
    return new WeakRef(obj);
  }
  const ref = addOne();
  await gcRounds(ref);
  t.is(ref.deref(), undefined);
  t.deepEqual([...map.modifiedStates()], []);
  // the collected instance drops out of the map (FinalizationRegistry callbacks run on later ticks)
  for (let i = 0; i < 20 && map.size > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    forceGc();
  }
  t.is(map.size, 0);
  t.deepEqual(map.allStates().length, 0);
});

test("a modified instance is kept alive until committed, then becomes collectable", async (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  function addModified(): { ref: WeakRef<object>; state: InstanceState } {
    const obj = clean(Foo, "before");
    map.add(obj);
    obj.name = "after";
    return { ref: new WeakRef(obj), state: instanceState(obj) };
  }
  const { ref, state } = addModified();
  await gcRounds(ref, 5);
  t.not(ref.deref(), undefined, "a modified instance must not be lost before it is committed");
  t.deepEqual([...map.modifiedStates()], [state]);
  t.is(state.obj(), ref.deref());
  t.deepEqual(hist(state.getHistory("name")), [["after"], [], ["before"]]);

  map.commitAll();
  await gcRounds(ref);
  t.is(ref.deref(), undefined);
  t.is(state.obj(), undefined);
});

test("a modified instance is released when its state is committed directly", async (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  function addModified(): { ref: WeakRef<object>; state: InstanceState } {
    const obj = clean(Foo, "before");
    map.add(obj);
    obj.name = "after";
    return { ref: new WeakRef(obj), state: instanceState(obj) };
  }
  const { ref, state } = addModified();
  await gcRounds(ref, 3);
  t.not(ref.deref(), undefined);
  state.commitAll();
  await gcRounds(ref);
  t.is(ref.deref(), undefined);
});

test("a modified instance removed from the map is no longer held", async (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap();
  let keep: object | undefined = clean(Foo, "x");
  map.add(keep);
  (keep as InstanceType<typeof Foo>).name = "y";
  const ref = new WeakRef(keep);
  map.remove(keep);
  keep = undefined;
  await gcRounds(ref);
  t.is(ref.deref(), undefined);
});

// ---------------------------------------------------------------------------------------------
// issue 9: changes(), changesOf(), rollbackAll()
// ---------------------------------------------------------------------------------------------

test("issue 9 api: changes() yields each modified instance with its changed keys, told apart by kind", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap<InstanceType<typeof Foo>>();
  const a = clean(Foo, "a");
  const b = clean(Foo, "b");
  const c = clean(Foo, "c");
  map.add(a);
  map.add(b);
  map.add(c);
  a.name = "a2";
  b.tags.push("t");
  const changes = [...map.changes()];
  t.deepEqual(
    changes.map((ch) => [ch.obj, [...ch.values], [...ch.collections]]),
    [
      [a, ["name"], []],
      [b, [], ["tags"]],
    ],
  );
  t.is(changes[0]!.state, instanceState(a));
});

test("issue 9 api: changes() skips a modified state whose changes were all reverted", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap<InstanceType<typeof Foo>>();
  const a = clean(Foo, "a");
  map.add(a);
  a.name = "other";
  a.name = "a";
  flagDirty(a);
  t.is([...map.modifiedStates()].length, 1);
  t.deepEqual([...map.changes()], []);
});

test("issue 9 api: changesOf(cls) keeps the instances of one class", (t) => {
  const Foo = makeFoo();
  const Bar = makeFoo();
  const map = new IdentityMap<InstanceType<typeof Foo> | InstanceType<typeof Bar>>();
  const f = clean(Foo, "f");
  const b = clean(Bar, "b");
  map.add(f);
  map.add(b);
  f.name = "f2";
  b.name = "b2";
  t.deepEqual([...map.changesOf(Bar)].map((ch) => ch.obj), [b]);
  t.deepEqual([...map.changesOf(Foo)].map((ch) => ch.obj), [f]);
});

test("issue 9 api: rollbackAll restores every modified instance and empties the modified set", (t) => {
  const Foo = makeFoo();
  const map = new IdentityMap<InstanceType<typeof Foo>>();
  const a = clean(Foo, "a");
  const b = clean(Foo, "b");
  map.add(a);
  map.add(b);
  a.name = "a2";
  b.tags.push("t");
  map.rollbackAll();
  t.is(a.name, "a");
  t.deepEqual([...b.tags], []);
  t.false(map.checkModified());
  t.deepEqual([...map.modifiedStates()], []);
  a.name = "again";
  t.deepEqual([...map.modifiedStates()].map((s) => s.obj()), [a], "a rolled-back state is reported again on its next change");
});
