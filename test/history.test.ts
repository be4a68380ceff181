/**
 * Attribute history, ported from SQLAlchemy's `test/orm/test_attributes.py` classes HistoryTest
 * and LazyloadHistoryTest (reference §7.3). Titles are "<SQLAlchemy class> <test name without
 * the test_ prefix>".
 *
 * Port conventions: `f.__dict__["k"] = v` is `instanceDict(f).k = v`; `del f.k` is
 * `delAttribute(f, "k")`; `state._commit(dict, keys)` is `state.commit(keys)`; SQLAlchemy's `None`
 * assigned by the user is `null`, and a value that is merely absent (an unset attribute read, a
 * missing committed value) is `undefined`. SQLAlchemy's object fixture `Bar` asserts when
 * coerced to bool; JS never coerces objects for truthiness, so the `Bar` here throws when
 * coerced to a primitive instead (any `==`, `+` or template use by the runtime would fail).
 */
import test from "ava";
import type { ExecutionContext } from "ava";
import {
  InvalidRequestError,
  adapterOf,
  listen,
  PASSIVE_NO_INITIALIZE,
  PASSIVE_OFF,
  attributeOf,
  delAttribute,
  flagDirty,
  flagModified,
  getStateHistory,
  initCollection,
  instanceDict,
  instanceState,
  registerAttribute,
  registerClass,
} from "../runtime/index.js";
import { type HistoryLike, type Triple, hist, histEq, sameItem, show } from "./helpers.js";

// ---------------------------------------------------------------------------------------------
// helpers

/** Same, ignoring order inside each of the three lists (SQLAlchemy compares `set(x)`). */
function histSetEq(t: ExecutionContext, h: HistoryLike, expected: Triple, label = ""): void {
  const actual = hist(h);
  const ok = actual.every((list, i) => {
    const exp = expected[i]!;
    return list.length === exp.length && exp.every((e) => list.some((a) => sameItem(a, e)));
  });
  t.true(ok, `${label}history ${show(actual)} expected (any order) ${show(expected)}`);
}

type Kind = "scalar" | "object" | "collection";

/** SQLAlchemy's `_fixture(uselist, useobject, active_history)`: `Foo.someattr` of the given kind. */
function fixture(kind: Kind, activeHistory: boolean, extra: Record<string, unknown> = {}) {
  class Foo {
    declare someattr: any;
    declare id: any;
    constructor(init?: Record<string, unknown>) {
      if (init) Object.assign(this, init);
    }
  }
  registerClass(Foo);
  registerAttribute(Foo, "someattr", { kind, activeHistory, ...extra });
  return Foo;
}

/** A related-object class that fails if the runtime coerces it (stands in for `__bool__`). */
function makeBar() {
  class Bar {
    declare name: string | undefined;
    declare id: unknown;
    constructor(name?: string) {
      this.name = name;
    }
    [Symbol.toPrimitive](): never {
      throw new Error("Bar instances must not be coerced by the runtime");
    }
  }
  registerClass(Bar);
  return Bar;
}

/** SQLAlchemy's `_two_obj_fixture(uselist, active_history)`. */
function twoObjFixture(kind: "object" | "collection", activeHistory = false) {
  const Foo = fixture(kind, activeHistory);
  const Bar = makeBar();
  return { Foo, Bar };
}

/** `_someattr_history(f, passive=...)`: `true` → PASSIVE_NO_INITIALIZE, else the default. */
function someattrHistory(f: object, passive?: boolean) {
  if (passive === true) return getStateHistory(instanceState(f), "someattr", PASSIVE_NO_INITIALIZE);
  if (passive === false) return getStateHistory(instanceState(f), "someattr", PASSIVE_OFF);
  return getStateHistory(instanceState(f), "someattr");
}

function commitSomeattr(f: object): void {
  instanceState(f).commit(["someattr"]);
}

function someattrCommittedValue(Foo: ReturnType<typeof fixture>, f: object): unknown {
  return attributeOf(Foo, "someattr").impl!.getCommittedValue(instanceState(f), instanceDict(f));
}

function noSideEffects(t: ExecutionContext, f: object): void {
  t.false("someattr" in instanceDict(f), "no value materialised in the dict");
  t.false(instanceState(f).committedState.has("someattr"), "no committed entry created");
}

// ---------------------------------------------------------------------------------------------
// HistoryTest: committed values

test("HistoryTest committed_value_init", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  t.is(someattrCommittedValue(Foo, f), undefined);
});

test("HistoryTest committed_value_set", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = 3;
  // the recorded "before" is NO_VALUE, reported as absent
  t.is(someattrCommittedValue(Foo, f), undefined);
});

test("HistoryTest committed_value_set_active_hist", (t) => {
  const Foo = fixture("scalar", true);
  const f = new Foo();
  f.someattr = 3;
  t.is(someattrCommittedValue(Foo, f), undefined);
});

test("HistoryTest committed_value_set_commit", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = 3;
  commitSomeattr(f);
  t.is(someattrCommittedValue(Foo, f), 3);
});

// ---------------------------------------------------------------------------------------------
// HistoryTest: fresh objects and passive reads

test("HistoryTest object_init", (t) => {
  const Foo = fixture("object", false);
  histEq(t, someattrHistory(new Foo()), [[], [], []]);
});

test("HistoryTest object_init_active_history", (t) => {
  const Foo = fixture("object", true);
  histEq(t, someattrHistory(new Foo()), [[], [], []]);
});

test("HistoryTest collection_no_value", (t) => {
  const Foo = fixture("collection", true);
  const f = new Foo();
  histEq(t, someattrHistory(f, true), [[], [], []]);
  t.false("someattr" in instanceDict(f));
});

test("HistoryTest scalar_obj_no_value", (t) => {
  const Foo = fixture("object", true);
  histEq(t, someattrHistory(new Foo(), true), [[], [], []]);
});

test("HistoryTest scalar_no_value", (t) => {
  const Foo = fixture("scalar", true);
  histEq(t, someattrHistory(new Foo(), true), [[], [], []]);
});

// ---------------------------------------------------------------------------------------------
// HistoryTest: object references

test("HistoryTest object_replace", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const b1 = new Bar();
  const b2 = new Bar();
  f.someattr = b1;
  commitSomeattr(f);
  f.someattr = b2;
  histEq(t, someattrHistory(f), [[b2], [], [b1]]);
});

test("HistoryTest object_set_none", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const b1 = new Bar();
  f.someattr = b1;
  commitSomeattr(f);
  f.someattr = null;
  histEq(t, someattrHistory(f), [[null], [], [b1]]);
});

test("HistoryTest object_set_none_expired", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const b1 = new Bar();
  f.someattr = b1;
  commitSomeattr(f);
  // what a loader's "expire this attribute" step does
  const state = instanceState(f);
  delete state.dict.someattr;
  state.expiredAttributes.add("someattr");

  f.someattr = null;
  histEq(t, someattrHistory(f), [[null], [], []]);
});

test("HistoryTest object_del", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const b1 = new Bar();
  f.someattr = b1;
  commitSomeattr(f);
  delAttribute(f, "someattr");
  histEq(t, someattrHistory(f), [[], [], [b1]]);
});

test("HistoryTest object_del_expired", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const b1 = new Bar();
  f.someattr = b1;
  commitSomeattr(f);
  // a persistent object (identity key): deleting an unloaded reference is allowed
  instanceState(f).key = ["foo"];
  instanceState(f).expireAttributes(["someattr"]);
  t.notThrows(() => delAttribute(f, "someattr"));
  // "deleted without a known previous value" reads as a None/absent addition
  histEq(t, someattrHistory(f), [[undefined], [], []]);
});

// ---------------------------------------------------------------------------------------------
// HistoryTest: scalars (each case runs with and without active history, as SQLAlchemy's
// test_scalar_* / test_scalar_active_* pairs do)

for (const active of [false, true]) {
  const n = active ? "scalar_active" : "scalar";

  test(`HistoryTest ${n}_init`, (t) => {
    const Foo = fixture("scalar", active);
    histEq(t, someattrHistory(new Foo()), [[], [], []]);
  });

  test(`HistoryTest ${n}_no_init_side_effect`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    someattrHistory(f);
    noSideEffects(t, f);
  });

  test(`HistoryTest ${n}_set`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    f.someattr = "hi";
    histEq(t, someattrHistory(f), [["hi"], [], []]);
  });

  test(`HistoryTest ${n}_set_None`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    f.someattr = null;
    histEq(t, someattrHistory(f), [[null], [], []]);
  });

  test(`HistoryTest ${n}_set_commit`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    f.someattr = "hi";
    commitSomeattr(f);
    histEq(t, someattrHistory(f), [[], ["hi"], []]);
  });

  test(`HistoryTest ${n}_set_commit_reset`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    f.someattr = "hi";
    commitSomeattr(f);
    f.someattr = "there";
    histEq(t, someattrHistory(f), [["there"], [], ["hi"]]);
  });

  test(`HistoryTest ${n}_set_commit_reset_commit`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    f.someattr = "hi";
    commitSomeattr(f);
    f.someattr = "there";
    commitSomeattr(f);
    histEq(t, someattrHistory(f), [[], ["there"], []]);
  });

  test(`HistoryTest ${n}_set_commit_reset_commit_del`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    f.someattr = "there";
    commitSomeattr(f);
    delAttribute(f, "someattr");
    histEq(t, someattrHistory(f), [[], [], ["there"]]);
  });

  test(`HistoryTest ${n}_set_dict`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    instanceDict(f).someattr = "new";
    histEq(t, someattrHistory(f), [[], ["new"], []]);
  });

  test(`HistoryTest ${n}_set_dict_set`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    instanceDict(f).someattr = "new";
    someattrHistory(f);
    f.someattr = "old";
    histEq(t, someattrHistory(f), [["old"], [], ["new"]]);
  });

  test(`HistoryTest ${n}_set_dict_set_commit`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    instanceDict(f).someattr = "new";
    someattrHistory(f);
    f.someattr = "old";
    commitSomeattr(f);
    histEq(t, someattrHistory(f), [[], ["old"], []]);
  });

  test(`HistoryTest ${n}_set_None_from_dict_set`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    instanceDict(f).someattr = "new";
    f.someattr = null;
    histEq(t, someattrHistory(f), [[null], [], ["new"]]);
  });

  test(`HistoryTest ${n}_set_twice_no_commit`, (t) => {
    const Foo = fixture("scalar", active);
    const f = new Foo();
    f.someattr = "one";
    histEq(t, someattrHistory(f), [["one"], [], []], "after first set: ");
    f.someattr = "two";
    histEq(t, someattrHistory(f), [["two"], [], []], "after second set: ");
  });
}

test("HistoryTest scalar_del", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = 5;
  instanceState(f).key = ["foo"];
  commitSomeattr(f);
  delAttribute(f, "someattr");
  histEq(t, someattrHistory(f), [[], [], [5]]);
});

test("HistoryTest scalar_del_expired", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = 5;
  commitSomeattr(f);
  instanceState(f).expireAttributes(["someattr"]);
  t.notThrows(() => delAttribute(f, "someattr"));
  // deleted without a known previous value
  histEq(t, someattrHistory(f), [[undefined], [], []]);
});

test("HistoryTest scalar_get_first_set_None", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  t.is(f.someattr, undefined);
  f.someattr = null;
  histEq(t, someattrHistory(f), [[null], [], []]);
});

test("HistoryTest scalar_passive_flag", (t) => {
  const Foo = fixture("scalar", true);
  const f = new Foo();
  f.someattr = "one";
  histEq(t, someattrHistory(f), [["one"], [], []]);
  commitSomeattr(f);

  // simulate expiry the way a loader marks an attribute for reload
  const state = instanceState(f);
  delete state.dict.someattr;
  state.expiredAttributes.add("someattr");
  let calls = 0;
  state.manager.expiredAttributeLoader = (st) => {
    calls++;
    st.dict.someattr = "one";
  };

  histEq(t, someattrHistory(f), [[], ["one"], []]);
  t.is(calls, 1, "history with the default passive flags loads the expired value");
});

// ---------------------------------------------------------------------------------------------
// HistoryTest: in-place mutation and flagModified / flagDirty

test("HistoryTest scalar_inplace_mutation_set", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = { a: "b" };
  histEq(t, someattrHistory(f), [[{ a: "b" }], [], []]);
});

test("HistoryTest scalar_inplace_mutation_set_commit", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = { a: "b" };
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [{ a: "b" }], []]);
});

test("HistoryTest scalar_inplace_mutation_set_commit_set", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = { a: "b" };
  commitSomeattr(f);
  f.someattr.a = "c";
  // mutation in place is invisible to history
  histEq(t, someattrHistory(f), [[], [{ a: "c" }], []]);
});

test("HistoryTest scalar_inplace_mutation_set_commit_flag_modified", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = { a: "b" };
  commitSomeattr(f);
  flagModified(f, "someattr");
  histEq(t, someattrHistory(f), [[{ a: "b" }], [], []]);
});

test("HistoryTest scalar_inplace_mutation_set_commit_set_flag_modified", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = { a: "b" };
  commitSomeattr(f);
  f.someattr.a = "c";
  flagModified(f, "someattr");
  histEq(t, someattrHistory(f), [[{ a: "c" }], [], []]);
});

test("HistoryTest scalar_inplace_mutation_set_commit_flag_modified_set", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = { a: "b" };
  commitSomeattr(f);
  flagModified(f, "someattr");
  histEq(t, someattrHistory(f), [[{ a: "b" }], [], []]);
  f.someattr = ["a"];
  histEq(t, someattrHistory(f), [[["a"]], [], []]);
});

test("HistoryTest scalar_inplace_mutation_replace_self_flag_modified_set", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = { a: "b" };
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [{ a: "b" }], []]);
  // assigning the value to itself records it as the committed value
  f.someattr = f.someattr;
  histEq(t, someattrHistory(f), [[], [{ a: "b" }], []]);
  flagModified(f, "someattr");
  histEq(t, someattrHistory(f), [[{ a: "b" }], [], []]);
});

test("HistoryTest flag_modified_but_no_value_raises", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = "foo";
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], ["foo"], []]);
  instanceState(f).expireAttributes(["someattr"]);
  t.throws(() => flagModified(f, "someattr"), {
    instanceOf: InvalidRequestError,
    message: /^Can't flag attribute 'someattr' modified; it's not present in the object state/,
  });
});

test("HistoryTest mark_dirty_no_attr", (t) => {
  const Foo = fixture("scalar", false);
  const f = new Foo();
  f.someattr = "foo";
  instanceState(f).commitAll();
  histEq(t, someattrHistory(f), [[], ["foo"], []]);
  instanceState(f).expireAttributes(["someattr"]);
  t.false(instanceState(f).modified);
  flagDirty(f);
  t.true(instanceState(f).modified);
});

// ---------------------------------------------------------------------------------------------
// HistoryTest: use_object (object references with a non-coercible Bar)

test("HistoryTest use_object_init", (t) => {
  const { Foo } = twoObjFixture("object");
  histEq(t, someattrHistory(new Foo()), [[], [], []]);
});

test("HistoryTest use_object_no_init_side_effect", (t) => {
  const { Foo } = twoObjFixture("object");
  const f = new Foo();
  someattrHistory(f);
  noSideEffects(t, f);
});

test("HistoryTest use_object_set", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  f.someattr = hi;
  histEq(t, someattrHistory(f), [[hi], [], []]);
});

test("HistoryTest use_object_set_commit", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  f.someattr = hi;
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [hi], []]);
});

test("HistoryTest use_object_set_commit_set", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  f.someattr = hi;
  commitSomeattr(f);
  const there = new Bar("there");
  f.someattr = there;
  histEq(t, someattrHistory(f), [[there], [], [hi]]);
});

test("HistoryTest use_object_set_commit_set_commit", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  f.someattr = hi;
  commitSomeattr(f);
  const there = new Bar("there");
  f.someattr = there;
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [there], []]);
});

test("HistoryTest use_object_set_commit_del", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  f.someattr = hi;
  commitSomeattr(f);
  delAttribute(f, "someattr");
  histEq(t, someattrHistory(f), [[], [], [hi]]);
});

test("HistoryTest use_object_set_dict", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  instanceDict(f).someattr = hi;
  histEq(t, someattrHistory(f), [[], [hi], []]);
});

test("HistoryTest use_object_set_dict_set", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  instanceDict(f).someattr = hi;
  const there = new Bar("there");
  f.someattr = there;
  histEq(t, someattrHistory(f), [[there], [], [hi]]);
});

test("HistoryTest use_object_set_dict_set_commit", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  instanceDict(f).someattr = hi;
  const there = new Bar("there");
  f.someattr = there;
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [there], []]);
});

test("HistoryTest use_object_set_None", (t) => {
  const { Foo } = twoObjFixture("object");
  const f = new Foo();
  f.someattr = null;
  histEq(t, someattrHistory(f), [[null], [], []]);
});

test("HistoryTest use_object_get_first_set_None", (t) => {
  const { Foo } = twoObjFixture("object");
  const f = new Foo();
  t.is(f.someattr, undefined);
  f.someattr = null;
  histEq(t, someattrHistory(f), [[null], [], []]);
});

test("HistoryTest use_object_set_dict_set_None", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  instanceDict(f).someattr = hi;
  f.someattr = null;
  histEq(t, someattrHistory(f), [[null], [], [hi]]);
});

test("HistoryTest use_object_set_value_twice", (t) => {
  const { Foo, Bar } = twoObjFixture("object");
  const f = new Foo();
  const hi = new Bar("hi");
  const there = new Bar("there");
  f.someattr = hi;
  f.someattr = there;
  histEq(t, someattrHistory(f), [[there], [], []]);
});

// ---------------------------------------------------------------------------------------------
// HistoryTest: collections

test("HistoryTest object_collections_set", (t) => {
  const { Foo, Bar } = twoObjFixture("collection");
  const hi = new Bar("hi");
  const there = new Bar("there");
  const old = new Bar("old");
  const nu = new Bar("new");

  // a new object, bulk assignments
  let f = new Foo();
  histEq(t, someattrHistory(f), [[], [], []], "fresh: ");
  f.someattr = [hi];
  histEq(t, someattrHistory(f), [[hi], [], []], "[hi]: ");
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [hi], []], "commit: ");
  f.someattr = [there];
  histEq(t, someattrHistory(f), [[there], [], [hi]], "[there]: ");
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [there], []], "commit 2: ");
  f.someattr = [hi];
  histEq(t, someattrHistory(f), [[hi], [], [there]], "[hi] again: ");
  f.someattr = [old, nu];
  histEq(t, someattrHistory(f), [[old, nu], [], [there]], "[old, new]: ");

  // an object populated directly, as a load would
  f = new Foo();
  const adapter = initCollection(f, "someattr");
  adapter.appendWithoutEvent(nu);
  instanceState(f).commitAll();
  histEq(t, someattrHistory(f), [[], [nu], []], "loaded: ");
  f.someattr = [old];
  histEq(t, someattrHistory(f), [[old], [], [nu]], "loaded then [old]: ");
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [old], []], "loaded, commit: ");
});

test("HistoryTest object_collections_set: every assignment stores an instrumented collection", (t) => {
  // the history rows above only read members, which a plain array also yields; this checks that
  // repeated assignments (second one onwards, when a committed entry already exists) still go
  // through bulk replace: the stored collection is instrumented and fires events
  const { Foo, Bar } = twoObjFixture("collection");
  const hi = new Bar("hi");
  const there = new Bar("there");
  const old = new Bar("old");
  const appended: unknown[] = [];
  listen(attributeOf(Foo, "someattr"), "append", (_target: unknown, value: unknown) => {
    appended.push(value);
  });
  const f = new Foo();
  f.someattr = [hi];
  t.truthy(adapterOf(f.someattr), "first assignment is instrumented");
  f.someattr = [there];
  t.truthy(adapterOf(f.someattr), "second assignment (uncommitted change pending) is instrumented");
  t.true(Array.isArray(f.someattr));
  f.someattr.push(old);
  t.deepEqual(appended.length, 3, "append events for hi, there and the pushed old");
  histEq(t, someattrHistory(f), [[there, old], [], []]);
});

test("HistoryTest dict_collections", (t) => {
  // SQLAlchemy keys the dict by the members' `name` (attribute_keyed_dict); the port's keyed
  // collection is a Map whose keys the user supplies
  const Foo = fixture("collection", false, { collectionClass: Map });
  const Bar = makeBar();
  const hi = new Bar("hi");
  const there = new Bar("there");
  const f = new Foo();
  histEq(t, someattrHistory(f), [[], [], []], "fresh: ");
  f.someattr.set("hi", hi);
  histEq(t, someattrHistory(f), [[hi], [], []], "one item: ");
  f.someattr.set("there", there);
  histSetEq(t, someattrHistory(f), [[hi, there], [], []], "two items: ");
  commitSomeattr(f);
  histSetEq(t, someattrHistory(f), [[], [hi, there], []], "commit: ");
});

test("HistoryTest object_collections_mutate", (t) => {
  const Foo = fixture("collection", false);
  registerAttribute(Foo, "id");
  const Bar = makeBar();
  const hi = new Bar("hi");
  const there = new Bar("there");
  const old = new Bar("old");
  const nu = new Bar("new");

  // case 1: a new object
  let f = new Foo({ id: 1 });
  histEq(t, someattrHistory(f), [[], [], []], "1 fresh: ");
  f.someattr.push(hi);
  histEq(t, someattrHistory(f), [[hi], [], []], "1 push hi: ");
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [hi], []], "1 commit: ");
  f.someattr.push(there);
  histEq(t, someattrHistory(f), [[there], [hi], []], "1 push there: ");
  commitSomeattr(f);
  histEq(t, someattrHistory(f), [[], [hi, there], []], "1 commit 2: ");
  f.someattr.remove(there);
  histEq(t, someattrHistory(f), [[], [hi], [there]], "1 remove there: ");
  f.someattr.push(old);
  f.someattr.push(nu);
  histEq(t, someattrHistory(f), [[old, nu], [hi], [there]], "1 push old, new: ");
  instanceState(f).commit(["someattr"]);
  histEq(t, someattrHistory(f), [[], [hi, old, nu], []], "1 commit 3: ");
  f.someattr.shift(); // SQLAlchemy: pop(0)
  histEq(t, someattrHistory(f), [[], [old, nu], [hi]], "1 pop(0): ");

  // case 2: objects populated directly, as a load would
  f = new Foo();
  instanceDict(f).id = 1;
  let adapter = initCollection(f, "someattr");
  adapter.appendWithoutEvent(nu);
  instanceState(f).commitAll();
  histEq(t, someattrHistory(f), [[], [nu], []], "2 loaded: ");
  f.someattr.push(old);
  histEq(t, someattrHistory(f), [[old], [nu], []], "2 push old: ");
  instanceState(f).commit(["someattr"]);
  histEq(t, someattrHistory(f), [[], [nu, old], []], "2 commit: ");

  f = new Foo();
  adapter = initCollection(f, "someattr");
  adapter.appendWithoutEvent(nu);
  instanceState(f).commitAll();
  histEq(t, someattrHistory(f), [[], [nu], []], "2b loaded: ");
  f.id = 1;
  f.someattr.remove(nu);
  histEq(t, someattrHistory(f), [[], [], [nu]], "2b remove: ");

  // case 3: appends mixed with assignment
  f = new Foo();
  f.someattr.push(hi);
  histEq(t, someattrHistory(f), [[hi], [], []], "3 push hi: ");
  f.someattr.push(there);
  histEq(t, someattrHistory(f), [[hi, there], [], []], "3 push there: ");
  f.someattr = [there];
  histEq(t, someattrHistory(f), [[there], [], []], "3 assign [there]: ");

  // case 4: duplicates show up, order is kept
  f = new Foo();
  f.someattr.push(hi);
  f.someattr.push(there);
  f.someattr.push(hi);
  histEq(t, someattrHistory(f), [[hi, there, hi], [], []], "4 duplicates: ");
  instanceState(f).commitAll();
  histEq(t, someattrHistory(f), [[], [hi, there, hi], []], "4 commit: ");
  f.someattr = [];
  histEq(t, someattrHistory(f), [[], [], [hi, there, hi]], "4 assign []: ");
});

test("HistoryTest collections_via_backref", (t) => {
  class Foo {
    declare bars: Bar[];
  }
  class Bar {
    declare foo: Foo | null;
  }
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "bars", { kind: "collection", backref: "foo", trackParent: true });
  registerAttribute(Bar, "foo", { kind: "object", backref: "bars", trackParent: true });

  const f1 = new Foo();
  const b1 = new Bar();
  histEq(t, getStateHistory(instanceState(f1), "bars"), [[], [], []]);
  histEq(t, getStateHistory(instanceState(b1), "foo"), [[], [], []]);

  f1.bars.push(b1);
  histEq(t, getStateHistory(instanceState(f1), "bars"), [[b1], [], []], "f1.bars: ");
  histEq(t, getStateHistory(instanceState(b1), "foo"), [[f1], [], []], "b1.foo: ");

  const b2 = new Bar();
  f1.bars.push(b2);
  histEq(t, getStateHistory(instanceState(f1), "bars"), [[b1, b2], [], []], "f1.bars 2: ");
  histEq(t, getStateHistory(instanceState(b1), "foo"), [[f1], [], []], "b1.foo 2: ");
  histEq(t, getStateHistory(instanceState(b2), "foo"), [[f1], [], []], "b2.foo: ");
});

// ---------------------------------------------------------------------------------------------
// LazyloadHistoryTest

function makeIdBars(Bar: new () => { id: unknown }, n: number) {
  return Array.from({ length: n }, (_, i) => {
    const b = new Bar();
    b.id = i + 1;
    return b;
  });
}

test("LazyloadHistoryTest lazy_backref_collections", (t) => {
  let lazyLoad: unknown = [];
  class Foo {
    declare bars: Bar[];
  }
  class Bar {
    declare foo: Foo | null;
    declare id: unknown;
  }
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "bars", {
    kind: "collection",
    backref: "foo",
    trackParent: true,
    callable: () => lazyLoad,
  });
  registerAttribute(Bar, "foo", { kind: "object", backref: "bars", trackParent: true });
  const [bar1, bar2, bar3] = makeIdBars(Bar, 3) as [Bar, Bar, Bar];

  lazyLoad = [bar1, bar2, bar3];
  let f = new Foo();
  let bar4 = new Bar();
  bar4.foo = f;
  histEq(t, getStateHistory(instanceState(f), "bars"), [[bar4], [bar1, bar2, bar3], []], "loaded: ");

  lazyLoad = null; // SQLAlchemy's loader returning None: an empty collection
  f = new Foo();
  bar4 = new Bar();
  bar4.foo = f;
  histEq(t, getStateHistory(instanceState(f), "bars"), [[bar4], [], []], "loader gave null: ");

  lazyLoad = [bar1, bar2, bar3];
  instanceState(f).expireAttributes(["bars"]);
  histEq(t, getStateHistory(instanceState(f), "bars"), [[], [bar1, bar2, bar3], []], "after expiry: ");
});

test("LazyloadHistoryTest collections_via_lazyload", (t) => {
  let lazyLoad: unknown = [];
  class Foo {
    declare bars: any;
  }
  class Bar {
    declare id: unknown;
  }
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "bars", { kind: "collection", trackParent: true, callable: () => lazyLoad });
  const [bar1, bar2, bar3, bar4] = makeIdBars(Bar, 4) as [Bar, Bar, Bar, Bar];

  lazyLoad = [bar1, bar2, bar3];
  let f = new Foo();
  f.bars = [];
  histEq(t, getStateHistory(instanceState(f), "bars"), [[], [], [bar1, bar2, bar3]], "assign []: ");

  f = new Foo();
  f.bars.push(bar4);
  histEq(t, getStateHistory(instanceState(f), "bars"), [[bar4], [bar1, bar2, bar3], []], "push: ");

  f = new Foo();
  f.bars.remove(bar2);
  histEq(t, getStateHistory(instanceState(f), "bars"), [[], [bar1, bar3], [bar2]], "remove: ");
  f.bars.push(bar4);
  histEq(t, getStateHistory(instanceState(f), "bars"), [[bar4], [bar1, bar3], [bar2]], "remove, push: ");

  f = new Foo();
  f.bars.splice(1, 1); // SQLAlchemy: del f.bars[1]
  histEq(t, getStateHistory(instanceState(f), "bars"), [[], [bar1, bar3], [bar2]], "del [1]: ");

  lazyLoad = null;
  f = new Foo();
  f.bars.push(bar2);
  histEq(t, getStateHistory(instanceState(f), "bars"), [[bar2], [], []], "loader gave null: ");
});

test("LazyloadHistoryTest scalar_via_lazyload", (t) => {
  let lazyLoad: unknown = null;
  let calls = 0;
  class Foo {
    declare bar: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "bar", {
    callable: () => {
      calls++;
      return lazyLoad;
    },
  });
  lazyLoad = "hi";

  // scalar without active history: the loader runs on reads, never on sets
  let f = new Foo();
  t.is(f.bar, "hi");
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], ["hi"], []], "read: ");

  f = new Foo();
  calls = 0;
  f.bar = null;
  histEq(t, getStateHistory(instanceState(f), "bar"), [[null], [], []], "set null: ");
  t.is(calls, 0, "setting does not run the loader");

  f = new Foo();
  f.bar = "there";
  histEq(t, getStateHistory(instanceState(f), "bar"), [["there"], [], []], "set there: ");
  f.bar = "hi";
  histEq(t, getStateHistory(instanceState(f), "bar"), [["hi"], [], []], "set hi: ");
  t.is(calls, 0, "history of a set value does not run the loader");

  f = new Foo();
  t.is(f.bar, "hi");
  delAttribute(f, "bar");
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], [], ["hi"]], "read, del: ");
  t.is(f.bar, undefined);
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], [], ["hi"]], "read after del: ");
});

test("LazyloadHistoryTest scalar_via_lazyload_with_active", (t) => {
  let lazyLoad: unknown = null;
  class Foo {
    declare bar: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "bar", { activeHistory: true, callable: () => lazyLoad });
  lazyLoad = "hi";

  // active history: the loader runs on set too, so the old value shows up
  let f = new Foo();
  t.is(f.bar, "hi");
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], ["hi"], []], "read: ");

  f = new Foo();
  f.bar = null;
  histEq(t, getStateHistory(instanceState(f), "bar"), [[null], [], ["hi"]], "set null: ");

  f = new Foo();
  f.bar = "there";
  histEq(t, getStateHistory(instanceState(f), "bar"), [["there"], [], ["hi"]], "set there: ");
  f.bar = "hi";
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], ["hi"], []], "set back to hi: ");

  f = new Foo();
  t.is(f.bar, "hi");
  delAttribute(f, "bar");
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], [], ["hi"]], "read, del: ");
  t.is(f.bar, undefined);
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], [], ["hi"]], "read after del: ");
});

test("LazyloadHistoryTest scalar_object_via_lazyload", (t) => {
  let lazyLoad: unknown = null;
  class Foo {
    declare bar: unknown;
  }
  registerClass(Foo);
  const Bar = makeBar();
  registerAttribute(Foo, "bar", { kind: "object", trackParent: true, callable: () => lazyLoad });
  const bar1 = new Bar();
  bar1.id = 1;
  const bar2 = new Bar();
  bar2.id = 2;
  lazyLoad = bar1;

  // object references: the loader runs on reads and on history
  let f = new Foo();
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], [bar1], []], "history: ");

  f = new Foo();
  f.bar = null;
  histEq(t, getStateHistory(instanceState(f), "bar"), [[null], [], [bar1]], "set null: ");

  f = new Foo();
  f.bar = bar2;
  histEq(t, getStateHistory(instanceState(f), "bar"), [[bar2], [], [bar1]], "set bar2: ");
  f.bar = bar1;
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], [bar1], []], "back to bar1: ");

  f = new Foo();
  t.is(f.bar, bar1);
  delAttribute(f, "bar");
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], [], [bar1]], "read, del: ");
  t.is(f.bar, undefined);
  histEq(t, getStateHistory(instanceState(f), "bar"), [[], [], [bar1]], "read after del: ");
});
