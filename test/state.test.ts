/**
 * InstanceState tests: expiry and reload (AttributesTest.test_deferred, the reference's §5.8–5.9
 * observations), last-known-value tracking, commit semantics, asynchronous loaders and
 * `loadExpired`, weak reference to the instance, and the derived sets/attrs.
 */
import test from "ava";
import {
  ExpiredAttributeError,
  LoaderError,
  NO_VALUE,
  PASSIVE_NO_FETCH,
  PASSIVE_NO_INITIALIZE,
  PASSIVE_NO_RESULT,
  SQL_OK,
  UnmappedInstanceError,
  type InstanceState,
  delAttribute,
  flagModified,
  getHistory,
  instanceDict,
  instanceState,
  listen,
  loadExpired,
  managerOfClass,
  registerAttribute,
  registerClass,
  removeListener,
  rollback,
  setAttribute,
} from "../runtime/index.js";
import { gcRounds, hist, nextMacrotask } from "./helpers.js";

type LoaderCall = string[];

/** Foo with scalar a, b, c and a loader that fills them from `data`, recording the keys asked. */
function makeFoo(data: Record<string, unknown> = { a: "this is a", b: 12, c: "cc" }) {
  class Foo {
    declare a: unknown;
    declare b: unknown;
    declare c: unknown;
  }
  const calls: LoaderCall[] = [];
  registerClass(Foo, {
    expiredAttributeLoader: (state: InstanceState, keys: Set<string>) => {
      calls.push([...keys].sort());
      for (const k of keys) state.dict[k] = data[k];
    },
  });
  registerAttribute(Foo, "a");
  registerAttribute(Foo, "b");
  registerAttribute(Foo, "c");
  return { Foo, calls, data };
}

// ---------------------------------------------------------------------------------------------
// AttributesTest.test_deferred
// ---------------------------------------------------------------------------------------------

test("deferred: expired attributes reload through the manager's loader", (t) => {
  class Foo {
    declare a: unknown;
    declare b: unknown;
  }
  const data: Record<string, unknown> = { a: "this is a", b: 12 };
  const manager = registerClass(Foo);
  manager.expiredAttributeLoader = (state: InstanceState, keys: Set<string>) => {
    for (const k of keys) state.dict[k] = data[k];
  };
  registerAttribute(Foo, "a");
  registerAttribute(Foo, "b");

  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  t.is(f.a, "this is a");
  t.is(f.b, 12);

  // set then expire: the set is discarded by the reload
  f.a = "this is some new a";
  state.expire();
  t.is(f.a, "this is a");
  t.is(f.b, 12);

  // expire then set: the set is kept, the other attribute loads
  state.expire();
  f.a = "this is another new a";
  t.is(f.a, "this is another new a");
  t.is(f.b, 12);

  state.expire();
  t.is(f.a, "this is a");
  t.is(f.b, 12);

  // deleting a loaded value leaves a pending change that suppresses the loader
  delAttribute(f, "a");
  t.is(f.a, undefined);
  t.is(f.b, 12);

  state.commitAll();
  t.is(f.a, undefined);
  t.is(f.b, 12);
});

// ---------------------------------------------------------------------------------------------
// §5.9 observations
// ---------------------------------------------------------------------------------------------

test("the loader receives every expired key at once and is not called again", (t) => {
  const { Foo, calls } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.commitAll();
  state.expire();
  t.true(state.expired);
  t.deepEqual([...state.expiredAttributes].sort(), ["a", "b", "c"]);
  t.is(f.b, 12);
  t.deepEqual(calls, [["a", "b", "c"]]);
  t.is(f.a, "this is a");
  t.is(f.c, "cc");
  t.is(calls.length, 1);
  t.is(state.expiredAttributes.size, 0);
});

test("keys with pending changes are not given to the loader and keep their value", (t) => {
  const { Foo, calls } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  f.a = 9;
  t.is(f.b, 12);
  t.deepEqual(calls, [["b", "c"]]);
  t.is(f.a, 9);
  t.deepEqual(hist(getHistory(f, "a")), [[9], [], []]);
  t.deepEqual(hist(getHistory(f, "b")), [[], [12], []]);
});

test("expired stays true after a lazy reload until a commit", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  t.false(state.expired);
  state.expire();
  t.true(state.expired);
  t.is(f.a, "this is a");
  t.true(state.expired);
  state.commitAll();
  t.false(state.expired);
});

test("commit(keys) clears the expired flag", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  t.is(f.a, "this is a");
  state.commit(["a"]);
  t.false(state.expired);
});

test("a loader that does not populate the attribute throws LoaderError", (t) => {
  class Foo {
    declare a: unknown;
  }
  registerClass(Foo, { expiredAttributeLoader: () => undefined });
  registerAttribute(Foo, "a");
  const f = new Foo();
  f.a = 1;
  const state = instanceState(f);
  state.commitAll();
  state.expire();
  const err = t.throws(() => f.a, { instanceOf: LoaderError });
  t.regex(err!.message, /Deferred loader for attribute 'a'.*failed to populate correctly/);
});

test("a loaded value counts as committed: history shows it unchanged", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  t.is(f.c, "cc");
  t.deepEqual(hist(getHistory(f, "c")), [[], ["cc"], []]);
  t.false(state.modified);
});

test("expire() resets modified, committed state and the instance dict, and fires expire(target, undefined)", (t) => {
  const { Foo } = makeFoo();
  const seen: Array<[unknown, unknown]> = [];
  const fn = (target: unknown, keys: unknown) => {
    seen.push([target, keys]);
  };
  listen(Foo, "expire", fn);
  t.teardown(() => removeListener(Foo, "expire", fn));
  const f = new Foo();
  f.a = "x";
  const state = instanceState(f);
  t.true(state.modified);
  t.true(state.committedState.size > 0);
  state.expire();
  t.false(state.modified);
  t.is(state.committedState.size, 0);
  t.false("a" in instanceDict(f));
  t.deepEqual(seen, [[f, undefined]]);
});

test("expire() puts every attribute key, collections included, into expiredAttributes", (t) => {
  class Foo {
    declare a: unknown;
    declare items: unknown[];
  }
  const calls: string[][] = [];
  registerClass(Foo, {
    expiredAttributeLoader: (state: InstanceState, keys: Set<string>) => {
      calls.push([...keys].sort());
      if (keys.has("a")) state.dict["a"] = "A";
      if (keys.has("items")) state.dict["items"] = ["one"];
    },
  });
  registerAttribute(Foo, "a");
  registerAttribute(Foo, "items", { kind: "collection" });
  const f = new Foo();
  f.a = "old";
  f.items.push("one");
  const state = instanceState(f);
  state.commitAll();
  state.expire();
  t.deepEqual([...state.expiredAttributes].sort(), ["a", "items"]);
  t.false("items" in instanceDict(f));
  t.is(f.a, "A");
  t.deepEqual(calls, [["a", "items"]]);
});

test("expireAttributes expires only the given keys and leaves flags alone", (t) => {
  const { Foo, calls } = makeFoo();
  const seen: unknown[] = [];
  const fn = (_target: unknown, keys: unknown) => {
    seen.push(keys);
  };
  listen(Foo, "expire", fn);
  t.teardown(() => removeListener(Foo, "expire", fn));
  const f = new Foo();
  f.a = "A1";
  f.b = "B1";
  const state = instanceState(f);
  state.commitAll();
  f.c = "C1";
  t.true(state.modified);
  state.expireAttributes(["a", "c"]);
  t.false(state.expired);
  t.true(state.modified);
  t.deepEqual([...state.expiredAttributes].sort(), ["a", "c"]);
  t.false(state.committedState.has("c"));
  t.false("a" in instanceDict(f));
  t.true("b" in instanceDict(f));
  t.is(seen.length, 1);
  t.deepEqual([...(seen[0] as Iterable<string>)].sort(), ["a", "c"]);

  t.is(f.b, "B1");
  t.deepEqual(calls, []);
  t.is(f.a, "this is a");
  t.deepEqual(calls, [["a", "c"]]);
  t.is(f.c, "cc");
  t.is(calls.length, 1);
});

test("commit(keys) commits only those keys and does not reset modified", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  f.a = 1;
  f.b = 2;
  const state = instanceState(f);
  state.commit(["a"]);
  t.deepEqual(hist(getHistory(f, "a")), [[], [1], []]);
  t.deepEqual(hist(getHistory(f, "b")), [[2], [], []]);
  t.true(state.modified);
  t.false(state.committedState.has("a"));
  t.true(state.committedState.has("b"));
});

test("commit(keys) removes loaded keys from expiredAttributes, not unloaded ones", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  f.a = 1;
  f.b = 2;
  const state = instanceState(f);
  state.commitAll();
  state.expireAttributes(["a", "b"]);
  setAttribute(f, "a", 5);
  state.commit(["a", "b"]);
  t.false(state.expiredAttributes.has("a"));
  t.true(state.expiredAttributes.has("b"));
});

test("commitAll clears committed state, modified and expired flags", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  f.a = 1;
  const state = instanceState(f);
  state.expireAttributes(["b"]);
  t.true(state.modified);
  state.commitAll();
  t.false(state.modified);
  t.false(state.expired);
  t.is(state.committedState.size, 0);
  t.deepEqual(hist(getHistory(f, "a")), [[], [1], []]);
  // b was not loaded: it stays expired
  t.true(state.expiredAttributes.has("b"));
});

test("commitAll keeps per-state callables", (t) => {
  class Foo {
    declare a: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "a");
  const f = new Foo();
  const state = instanceState(f);
  const loader = () => "from callable";
  state.setCallable("a", loader);
  state.commitAll();
  t.true(state.callables.has("a"));
  t.is(f.a, "from callable");
});

test("reset(key) forgets the value and expiry of one key", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  f.a = 1;
  f.b = 2;
  const state = instanceState(f);
  state.commitAll();
  state.expireAttributes(["b"]);
  state.reset("a");
  state.reset("b");
  t.false("a" in instanceDict(f));
  t.false(state.expiredAttributes.has("b"));
});

// ---------------------------------------------------------------------------------------------
// AttributesTest.test_last_known_tracking
// ---------------------------------------------------------------------------------------------

test("last known values: tracked on request, filled by expiry, reset by modification", (t) => {
  class Foo {
    declare a: unknown;
    declare b: unknown;
    declare c: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "a");
  registerAttribute(Foo, "b");
  registerAttribute(Foo, "c");
  const f = new Foo();
  const state = instanceState(f);
  f.a = "a1";
  f.b = "b1";
  f.c = "c1";
  const known = () => new Map(state.lastKnownValues ?? []);
  t.is(known().size, 0);

  state.trackLastKnownValue("a");
  state.trackLastKnownValue("b");
  t.deepEqual(
    known(),
    new Map<string, unknown>([
      ["a", NO_VALUE],
      ["b", NO_VALUE],
    ]),
  );

  state.expireAttributes(["c"]);
  t.deepEqual(
    known(),
    new Map<string, unknown>([
      ["a", NO_VALUE],
      ["b", NO_VALUE],
    ]),
  );

  state.expireAttributes(["a"]);
  t.deepEqual(
    known(),
    new Map<string, unknown>([
      ["a", "a1"],
      ["b", NO_VALUE],
    ]),
  );

  f.a = "a2";
  t.deepEqual(
    known(),
    new Map<string, unknown>([
      ["a", NO_VALUE],
      ["b", NO_VALUE],
    ]),
  );

  state.expire();
  t.deepEqual(
    known(),
    new Map<string, unknown>([
      ["a", "a2"],
      ["b", "b1"],
    ]),
  );
});

// ---------------------------------------------------------------------------------------------
// asynchronous loaders and loadExpired
// ---------------------------------------------------------------------------------------------

function makeAsyncFoo() {
  class AsyncFoo {
    declare a: unknown;
    declare b: unknown;
  }
  const calls: string[][] = [];
  registerClass(AsyncFoo, {
    expiredAttributeLoader: async (state: InstanceState, keys: Set<string>) => {
      calls.push([...keys].sort());
      await nextMacrotask();
      for (const k of keys) state.dict[k] = `loaded ${k}`;
    },
  });
  registerAttribute(AsyncFoo, "a");
  registerAttribute(AsyncFoo, "b");
  return { AsyncFoo, calls };
}

test("async loader: reading an expired attribute throws ExpiredAttributeError naming class and attribute", (t) => {
  const { AsyncFoo } = makeAsyncFoo();
  const f = new AsyncFoo();
  f.a = 1;
  f.b = 2;
  const state = instanceState(f);
  state.commitAll();
  state.expire();
  const err = t.throws(() => f.a, { instanceOf: ExpiredAttributeError });
  t.regex(err!.message, /AsyncFoo/);
  t.regex(err!.message, /\ba\b/);
  t.regex(err!.message, /loadExpired/);
});

test("async loader: await loadExpired(obj) loads every expired attribute", async (t) => {
  const { AsyncFoo, calls } = makeAsyncFoo();
  const f = new AsyncFoo();
  const state = instanceState(f);
  state.expire();
  t.throws(() => f.b, { instanceOf: ExpiredAttributeError });
  await loadExpired(f);
  t.deepEqual(calls[calls.length - 1], ["a", "b"]);
  t.is(f.a, "loaded a");
  t.is(f.b, "loaded b");
  t.is(state.expiredAttributes.size, 0);
  t.deepEqual(hist(getHistory(f, "a")), [[], ["loaded a"], []]);
});

test("async loader: loadExpired(obj, keys) loads the requested keys", async (t) => {
  const { AsyncFoo, calls } = makeAsyncFoo();
  const f = new AsyncFoo();
  const state = instanceState(f);
  state.expireAttributes(["a", "b"]);
  await loadExpired(f, ["a"]);
  t.is(calls.length, 1);
  t.true(calls[0]!.includes("a"));
  t.is(f.a, "loaded a");
  if (!calls[0]!.includes("b")) {
    // b was not asked for: still expired, still needs loading
    t.true(state.expiredAttributes.has("b"));
    t.throws(() => f.b, { instanceOf: ExpiredAttributeError });
  }
});

test("async loader: pending changes survive loadExpired", async (t) => {
  const { AsyncFoo, calls } = makeAsyncFoo();
  const f = new AsyncFoo();
  const state = instanceState(f);
  state.expire();
  f.a = "mine";
  await loadExpired(f);
  t.deepEqual(calls, [["b"]]);
  t.is(f.a, "mine");
  t.is(f.b, "loaded b");
});

test("loadExpired with nothing expired does not call the loader", async (t) => {
  const { AsyncFoo, calls } = makeAsyncFoo();
  const f = new AsyncFoo();
  f.a = 1;
  await loadExpired(f);
  t.deepEqual(calls, []);
  t.is(f.a, 1);
});

test("loadExpired works with a synchronous loader", async (t) => {
  const { Foo, calls } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  const p = loadExpired(f);
  t.true(p instanceof Promise);
  await p;
  t.deepEqual(calls, [["a", "b", "c"]]);
  t.is(state.expiredAttributes.size, 0);
  t.true("a" in instanceDict(f));
  t.is(f.a, "this is a");
  t.is(calls.length, 1);
});

test("a rejected async loader rejects loadExpired and leaves the attribute expired", async (t) => {
  class Foo {
    declare a: unknown;
  }
  registerClass(Foo, {
    expiredAttributeLoader: async () => {
      throw new Error("backend down");
    },
  });
  registerAttribute(Foo, "a");
  const f = new Foo();
  instanceState(f).expire();
  await t.throwsAsync(() => loadExpired(f), { message: "backend down" });
  t.throws(() => f.a, { instanceOf: ExpiredAttributeError });
});

// ---------------------------------------------------------------------------------------------
// weak reference to the instance
// ---------------------------------------------------------------------------------------------

test("state.obj() is undefined once the instance is collected: the state does not keep it alive", async (t) => {
  class Foo {
    declare a: unknown;
    declare items: unknown[];
  }
  registerClass(Foo);
  registerAttribute(Foo, "a");
  registerAttribute(Foo, "items", { kind: "collection" });
  function make(): { state: InstanceState; ref: WeakRef<object> } {
    const f = new Foo();
    f.a = "value";
    f.items.push("x");
    const state = instanceState(f);
    t.is(state.obj(), f);
    return { state, ref: new WeakRef(f) };
  }
  const { state, ref } = make();
  await gcRounds(ref);
  t.is(ref.deref(), undefined);
  t.is(state.obj(), undefined);
});

// ---------------------------------------------------------------------------------------------
// derived sets and attrs
// ---------------------------------------------------------------------------------------------

test("unmodified is the attribute keys without a committed (pending) entry", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  t.deepEqual([...state.unmodified].sort(), ["a", "b", "c"]);
  f.a = 1;
  t.deepEqual([...state.unmodified].sort(), ["b", "c"]);
  t.deepEqual([...state.unmodifiedIntersection(["a", "b"])].sort(), ["b"]);
  state.commitAll();
  t.deepEqual([...state.unmodified].sort(), ["a", "b", "c"]);
});

test("unloaded is the attribute keys neither loaded nor pending", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  t.deepEqual([...state.unloaded].sort(), ["a", "b", "c"]);
  f.a = 1;
  t.deepEqual([...state.unloaded].sort(), ["b", "c"]);
  state.commitAll();
  t.deepEqual([...state.unloaded].sort(), ["b", "c"]);
  state.expireAttributes(["a"]);
  t.deepEqual([...state.unloaded].sort(), ["a", "b", "c"]);
  t.is(f.a, "this is a");
  t.deepEqual([...state.unloaded].sort(), ["b", "c"]);
});

test("attrs[key] exposes value, loadedValue and history", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  t.is(state.attrs["a"]!.loadedValue, NO_VALUE);
  f.a = "first";
  state.commitAll();
  f.a = "second";
  const a = state.attrs["a"]!;
  t.is(a.value, "second");
  t.is(a.loadedValue, "second");
  t.deepEqual(hist(a.history), [["second"], [], ["first"]]);
  // history is passive: an unloaded attribute does not load
  state.expireAttributes(["b"]);
  t.deepEqual(hist(state.attrs["b"]!.history), [[], [], []]);
  t.true(state.expiredAttributes.has("b"));
  // value loads
  t.is(state.attrs["b"]!.value, 12);
});

test("attrs[key].loadHistory() loads an expired attribute before computing history", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  t.deepEqual(hist(state.attrs["b"]!.loadHistory()), [[], [12], []]);
});

test("getHistory with PASSIVE_NO_INITIALIZE does not call the loader", (t) => {
  const { Foo, calls } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  t.deepEqual(hist(state.getHistory("a", PASSIVE_NO_INITIALIZE)), [[], [], []]);
  t.deepEqual(calls, []);
});

test("state exposes manager, class_, dict and key", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  f.a = 3;
  const state = instanceState(f);
  t.is(state.manager, managerOfClass(Foo));
  t.is(state.class_, Foo);
  // SQLAlchemy's state.dict is instance_dict(obj); here both are views of the instance's values.
  t.deepEqual({ ...state.dict }, { ...instanceDict(f) });
  instanceDict(f)["a"] = 4;
  t.is(state.dict["a"], 4);
  t.is(f.a, 4);
  state.dict["a"] = 3;
  t.is(state.dict["a"], 3);
  t.is(state.key, undefined);
  state.key = ["Foo", 1];
  t.deepEqual(state.key, ["Foo", 1]);
  t.is(state.getImpl("a"), managerOfClass(Foo).getImpl("a"));
});

test("an unset attribute reads as undefined without touching history or the dict", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  t.is(f.a, undefined);
  t.false("a" in state.dict);
  t.false(state.modified);
  t.deepEqual(hist(getHistory(f, "a")), [[], [], []]);
});

// ---------------------------------------------------------------------------------------------
// further §5.8–5.9 details
// ---------------------------------------------------------------------------------------------

test("expire() invalidates the old collection: mutating it warns", async (t) => {
  class Foo {
    declare items: unknown[];
  }
  registerClass(Foo, { expiredAttributeLoader: () => undefined });
  registerAttribute(Foo, "items", { kind: "collection" });
  const f = new Foo();
  const old = f.items;
  old.push("a");
  const warnings: string[] = [];
  const onWarning = (w: Error) => {
    if (/invalidated/.test(w.message)) warnings.push(w.message);
  };
  process.on("warning", onWarning);
  t.teardown(() => {
    process.off("warning", onWarning);
  });
  instanceState(f).expire();
  old.push("b");
  await nextMacrotask();
  t.true(warnings.some((m) => m.includes("This collection has been invalidated.")));
});

test("expire() forgets parent-tracking records", (t) => {
  class Parent {
    declare child: unknown;
  }
  class Child {}
  registerClass(Parent);
  registerClass(Child);
  const attr = registerAttribute(Parent, "child", { kind: "object", trackParent: true });
  const p = new Parent();
  const c = new Child();
  p.child = c;
  const cs = instanceState(c);
  t.true(attr.hasParent(cs));
  cs.expire();
  t.false(attr.hasParent(cs));
  t.true(attr.hasParent(cs, true));
});

test("expire() leaves keys of the dict that are not attributes", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  f.a = 1;
  const state = instanceState(f);
  state.dict["notAnAttribute"] = "kept";
  state.expire();
  t.is(state.dict["notAnAttribute"], "kept");
  t.false("a" in state.dict);
});

test("expireAttributes(keys, noLoader) skips attributes that have a loader callable", (t) => {
  class Foo {
    declare a: unknown;
    declare b: unknown;
    declare c: unknown;
  }
  registerClass(Foo, { expiredAttributeLoader: () => undefined });
  registerAttribute(Foo, "a", { callable: () => "class-level" });
  registerAttribute(Foo, "b");
  registerAttribute(Foo, "c");
  const f = new Foo();
  f.a = 1;
  f.b = 2;
  f.c = 3;
  const state = instanceState(f);
  state.commitAll();
  state.setCallable("c", () => "per-state");
  state.expireAttributes(["a", "b", "c"], true);
  t.deepEqual([...state.expiredAttributes], ["b"]);
  t.is(state.dict["a"], 1);
  t.is(state.dict["c"], 3);
  t.false("b" in state.dict);
});

test("expireAttributes on an object attribute unloads it; it reloads through its callable", (t) => {
  class Other {}
  class Foo {
    declare other: unknown;
  }
  registerClass(Other);
  const loaded = new Other();
  let calls = 0;
  registerClass(Foo, { expiredAttributeLoader: () => undefined });
  registerAttribute(Foo, "other", {
    kind: "object",
    // a loader honours the passive flags: without SQL_OK (e.g. the "old value" lookup of a set)
    // it may not fetch
    callable: (_state, passive) => {
      if ((passive & SQL_OK) === 0) return PASSIVE_NO_RESULT;
      calls++;
      return loaded;
    },
  });
  const f = new Foo();
  f.other = new Other();
  const state = instanceState(f);
  state.commitAll();
  state.expireAttributes(["other"]);
  t.false(state.expiredAttributes.has("other"));
  t.false("other" in state.dict);
  t.is(f.other, loaded);
  t.is(calls, 1);
});

test("a read that may not fetch does not run the expired-attribute loader", (t) => {
  const { Foo, calls } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  const impl = state.getImpl("a");
  t.is(impl.get(state, state.dict, PASSIVE_NO_FETCH), PASSIVE_NO_RESULT);
  t.deepEqual(calls, []);
  t.true(state.expiredAttributes.has("a"));
});

test("attributes with loadOnUnexpire:false are not given to the loader", (t) => {
  class Foo {
    declare a: unknown;
    declare b: unknown;
  }
  const calls: string[][] = [];
  registerClass(Foo, {
    expiredAttributeLoader: (state: InstanceState, keys: ReadonlySet<string>) => {
      calls.push([...keys].sort());
      for (const k of keys) state.dict[k] = k.toUpperCase();
    },
  });
  registerAttribute(Foo, "a");
  registerAttribute(Foo, "b", { loadOnUnexpire: false });
  const f = new Foo();
  instanceState(f).expire();
  t.is(f.a, "A");
  t.deepEqual(calls, [["a"]]);
});

test("commit(keys) drops per-state callables of keys that are loaded", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  const state = instanceState(f);
  state.setCallable("a", () => "x");
  state.setCallable("b", () => "y");
  f.a = 1;
  state.commit(["a", "b"]);
  t.false(state.callables.has("a"));
  t.true(state.callables.has("b"));
});

test("a synchronous loader that throws leaves the attributes expired", (t) => {
  class Foo {
    declare a: unknown;
  }
  let fail = true;
  registerClass(Foo, {
    expiredAttributeLoader: (state: InstanceState, keys: ReadonlySet<string>) => {
      if (fail) throw new Error("boom");
      for (const k of keys) state.dict[k] = "ok";
    },
  });
  registerAttribute(Foo, "a");
  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  t.throws(() => f.a, { message: "boom" });
  t.true(state.expiredAttributes.has("a"));
  fail = false;
  t.is(f.a, "ok");
});

test("deleting an expired scalar attribute is not an error", (t) => {
  const { Foo } = makeFoo();
  const f = new Foo();
  f.a = 1;
  const state = instanceState(f);
  state.commitAll();
  state.expire();
  t.notThrows(() => delAttribute(f, "a"));
});

test("loadExpired rejects for an object that is not instrumented", async (t) => {
  await t.throwsAsync(loadExpired({}), { instanceOf: UnmappedInstanceError });
});

test("async loader: a value set while a load is in flight is not overwritten by the load", async (t) => {
  const { AsyncFoo } = makeAsyncFoo();
  const f = new AsyncFoo();
  const state = instanceState(f);
  state.expire();
  t.throws(() => f.a, { instanceOf: ExpiredAttributeError }); // starts (or requests) the load
  f.b = "mine";
  await loadExpired(f);
  t.is(f.b, "mine");
  t.is(f.a, "loaded a");
  t.deepEqual(hist(getHistory(f, "b")), [["mine"], [], []]);
});

test("async loader: concurrent loadExpired calls share one load", async (t) => {
  const { AsyncFoo, calls } = makeAsyncFoo();
  const f = new AsyncFoo();
  instanceState(f).expire();
  await Promise.all([loadExpired(f), loadExpired(f), loadExpired(f, ["a"])]);
  t.is(calls.length, 1);
  t.is(f.a, "loaded a");
  t.is(f.b, "loaded b");
});

// ---------------------------------------------------------------------------------------------
// issue 9: changedKeys() and rollback()
// ---------------------------------------------------------------------------------------------

/** Account with scalars, an object reference and list/set/map collections, committed clean. */
function makeAccount() {
  class Account {
    declare name: string;
    declare age: number;
    declare owner: object | null;
    declare tags: string[];
    declare roles: Set<string>;
    declare byKey: Map<string, string>;
  }
  registerClass(Account);
  registerAttribute(Account, "name");
  registerAttribute(Account, "age");
  registerAttribute(Account, "owner", { kind: "object" });
  registerAttribute(Account, "tags", { kind: "collection" });
  registerAttribute(Account, "roles", { kind: "collection", collectionClass: Set });
  registerAttribute(Account, "byKey", { kind: "collection", collectionClass: Map });
  const make = () => {
    const a = new Account();
    a.name = "ada";
    a.age = 36;
    a.owner = null;
    a.tags = ["x", "y"];
    a.roles = new Set(["admin"]);
    a.byKey = new Map([["k", "v"]]);
    instanceState(a).commitAll();
    return a;
  };
  return { Account, make };
}

test("issue 9 api: changedKeys tells scalar and object changes from collection changes, in attribute order", (t) => {
  const { make } = makeAccount();
  const a = make();
  const state = instanceState(a);
  t.deepEqual(state.changedKeys(), { values: [], collections: [] });
  a.tags.push("z");
  a.age = 37;
  a.owner = {};
  a.name = "grace";
  a.roles.delete("admin");
  const changed = state.changedKeys();
  t.deepEqual([...changed.values], ["name", "age", "owner"]);
  t.deepEqual([...changed.collections], ["tags", "roles"]);
});

test("issue 9 api: changedKeys leaves out a same-value write and a change changed back", (t) => {
  const { make } = makeAccount();
  const a = make();
  const state = instanceState(a);
  a.name = "ada";
  a.age = 40;
  a.age = 36;
  a.tags.push("z");
  a.tags.pop();
  a.roles.add("guest");
  a.roles.delete("guest");
  t.true(state.modified);
  t.deepEqual(state.changedKeys(), { values: [], collections: [] });
});

test("issue 9 api: changedKeys lists flagModified attributes and a collection first filled after the commit", (t) => {
  const { Account } = makeAccount();
  const b = new Account();
  b.name = "x";
  instanceState(b).commitAll();
  flagModified(b, "name");
  t.deepEqual([...instanceState(b).changedKeys().values], ["name"]);
  b.tags.push("queued");
  t.deepEqual([...instanceState(b).changedKeys().collections], ["tags"]);
});

test("issue 9 api: rollback puts committed scalars, references and collections back and clears modified", (t) => {
  const { make } = makeAccount();
  const a = make();
  const state = instanceState(a);
  const tags = a.tags;
  const owner = {};
  a.name = "grace";
  a.age = 1;
  a.owner = owner;
  a.tags.push("z");
  a.tags[0] = "q";
  a.roles.add("guest");
  a.byKey.set("k2", "v");
  a.byKey.delete("k");
  state.rollback();
  t.is(a.name, "ada");
  t.is(a.age, 36);
  t.is(a.owner as unknown, null);
  t.deepEqual([...a.tags], ["x", "y"]);
  t.is(a.tags, tags, "the same instrumented list object holds the committed members");
  t.deepEqual([...a.roles], ["admin"]);
  t.deepEqual([...a.byKey], [["k", "v"]]);
  t.false(state.modified);
  t.is(state.committedState.size, 0);
  t.deepEqual(hist(getHistory(a, "tags")), [[], ["x", "y"], []]);
  t.deepEqual(hist(getHistory(a, "name")), [[], ["ada"], []]);
  // The restored collection is still instrumented.
  a.tags.push("w");
  t.deepEqual(hist(getHistory(a, "tags")), [["w"], ["x", "y"], []]);
});

test("issue 9 api: rollback of a replaced collection gives a fresh instrumented collection with the committed members", (t) => {
  const { make } = makeAccount();
  const a = make();
  const old = a.roles;
  a.roles = new Set(["other"]);
  rollback(a, ["roles"]);
  t.deepEqual([...a.roles], ["admin"]);
  a.roles.add("later");
  t.deepEqual(hist(getHistory(a, "roles")), [["later"], ["admin"], []]);
  t.not(a.roles, old);
});

test("issue 9 api: rollback(keys) restores only those keys; modified stays while others are changed", (t) => {
  const { make } = makeAccount();
  const a = make();
  const state = instanceState(a);
  a.name = "grace";
  a.age = 1;
  rollback(a, ["name"]);
  t.is(a.name, "ada");
  t.is(a.age, 1);
  t.true(state.modified);
  t.deepEqual([...state.changedKeys().values], ["age"]);
  rollback(a, ["age"]);
  t.false(state.modified, "nothing left changed");
});

test("issue 9 api: rollback of a never-committed attribute makes it unset again", (t) => {
  const { Account } = makeAccount();
  const a = new Account();
  instanceState(a).commitAll();
  a.name = "new";
  rollback(a);
  t.is(a.name as unknown, undefined);
  t.false("name" in instanceDict(a));
  t.deepEqual(hist(getHistory(a, "name")), [[], [], []]);
});

test("issue 9 api: reset and rollback differ: reset forgets the value, rollback restores it", (t) => {
  const { make } = makeAccount();
  const a = make();
  a.name = "grace";
  instanceState(a).rollback(["name"]);
  t.is(a.name, "ada");
  t.false(instanceState(a).modified);
});

test("issue 9 api: an unknown key suggests the attribute it is a typo of", (t) => {
  const { make } = makeAccount();
  const a = make();
  const error = t.throws(() => getHistory(a as object, "nmae"));
  t.regex(error!.message, /did you mean 'name'\?/);
  t.notRegex(error!.message, /registerAttribute/);
  const other = t.throws(() => rollback(a as object, ["zzzzzz"]));
  t.regex(other!.message, /'name'/, "without a close match the known attributes are listed");
});

// ---------------------------------------------------------------------------------------------
// issue 9: loader contract and load races (bugs 1-4)
// ---------------------------------------------------------------------------------------------

/** Item with a scalar and list/set/map collections, and a loader that copies `row` (sync or async). */
function makeItem(row: Record<string, unknown>, options: { async?: boolean } = {}) {
  class Item {
    declare title: string;
    declare tags: string[];
    declare roles: Set<string>;
    declare byKey: Map<string, string>;
  }
  const calls: string[][] = [];
  const fill = (state: InstanceState, keys: ReadonlySet<string>) => {
    for (const k of keys) if (k in row) state.dict[k] = row[k];
  };
  registerClass(Item, {
    expiredAttributeLoader: options.async
      ? async (state: InstanceState, keys: ReadonlySet<string>) => {
          calls.push([...keys].sort());
          await nextMacrotask();
          fill(state, keys);
        }
      : (state: InstanceState, keys: ReadonlySet<string>) => {
          calls.push([...keys].sort());
          fill(state, keys);
        },
  });
  registerAttribute(Item, "title");
  registerAttribute(Item, "tags", { kind: "collection" });
  registerAttribute(Item, "roles", { kind: "collection", collectionClass: Set });
  registerAttribute(Item, "byKey", { kind: "collection", collectionClass: Map });
  const make = () => {
    const item = new Item();
    item.title = String(row["title"]);
    instanceState(item).commitAll();
    return item;
  };
  return { Item, make, calls };
}

const ROW = { title: "T", tags: ["x", "y"], roles: new Set(["admin"]), byKey: new Map([["k", "v"]]) };

test("issue 9 bug 1: reading an expired collection first loads it through the loader instead of returning an empty list", (t) => {
  const { make, calls } = makeItem(ROW);
  const item = make();
  instanceState(item).expire();
  t.deepEqual([...item.tags], ["x", "y"]);
  t.deepEqual(calls, [["byKey", "roles", "tags", "title"]]);
  t.is(item.title, "T");
});

test("issue 9 bug 1: expireAttributes on a collection reloads it through the loader", (t) => {
  const { make, calls } = makeItem(ROW);
  const item = make();
  item.tags = ["old"];
  instanceState(item).commitAll();
  instanceState(item).expireAttributes(["tags"]);
  t.deepEqual([...item.tags], ["x", "y"]);
  t.deepEqual(calls, [["tags"]]);
});

test("issue 9 bug 1: plain arrays, Sets and Maps a loader stores become instrumented, committed collections", (t) => {
  const { make } = makeItem(ROW);
  const item = make();
  const state = instanceState(item);
  state.expire();
  t.is(item.title, "T");
  t.deepEqual(hist(getHistory(item, "tags")), [[], ["x", "y"], []], "a loaded collection has no pending history");
  t.false(state.modified);
  item.tags.push("z");
  item.roles.add("guest");
  item.byKey.set("k2", "v2");
  t.deepEqual(hist(getHistory(item, "tags")), [["z"], ["x", "y"], []]);
  t.deepEqual(hist(getHistory(item, "roles")), [["guest"], ["admin"], []]);
  t.deepEqual(hist(getHistory(item, "byKey")), [["v2"], ["v"], []]);
  t.deepEqual([...item.byKey], [["k", "v"], ["k2", "v2"]], "map keys are kept");
  t.not(item.roles, ROW.roles, "the loader's own Set is copied, not instrumented in place");
  t.deepEqual([...ROW.roles], ["admin"]);
});

test("issue 9 bug 1: an asynchronous loader's plain collections become instrumented too", async (t) => {
  const { make } = makeItem(ROW, { async: true });
  const item = make();
  instanceState(item).expire();
  await loadExpired(item);
  item.tags.push("z");
  t.deepEqual(hist(getHistory(item, "tags")), [["z"], ["x", "y"], []]);
});

test("issue 9 bug 2: a write made and committed while a load is pending is not overwritten by the load", async (t) => {
  const { make } = makeItem({ ...ROW, title: "stale" }, { async: true });
  const item = make();
  const state = instanceState(item);
  state.expire();
  const pending = loadExpired(item);
  item.title = "fresh";
  state.commitAll();
  await pending;
  t.is(item.title, "fresh");
  t.deepEqual([...item.tags], ["x", "y"], "the other keys still load");
});

test("issue 9 bug 2: expiring again while a load is pending discards the old load's values", async (t) => {
  let version = 1;
  class Doc {
    declare body: string;
  }
  registerClass(Doc, {
    expiredAttributeLoader: async (state: InstanceState, keys: ReadonlySet<string>) => {
      const seen = version;
      await nextMacrotask();
      for (const k of keys) state.dict[k] = `v${seen}`;
    },
  });
  registerAttribute(Doc, "body");
  const doc = new Doc();
  doc.body = "v0";
  const state = instanceState(doc);
  state.commitAll();
  state.expire();
  const first = loadExpired(doc);
  version = 2;
  state.expire();
  await first;
  t.is(doc.body, "v2", "the stale v1 is not taken as fresh: the awaited load fetched again");
});

test("issue 9 bug 2: a value set after the expiry wins over the loaded one (synchronous loader, deleted key)", (t) => {
  const { make } = makeItem({ ...ROW, title: "loaded" });
  const item = make();
  const state = instanceState(item);
  state.expire();
  item.title = "mine";
  t.deepEqual([...item.tags], ["x", "y"]);
  t.is(item.title, "mine");
});

test("issue 9 bug 3: a key the loader was given but did not fill throws LoaderError naming class and attribute", (t) => {
  class Gizmo {
    declare a: unknown;
    declare b: unknown;
  }
  registerClass(Gizmo, {
    expiredAttributeLoader: (state: InstanceState) => {
      state.dict["a"] = 1; // forgets b
    },
  });
  registerAttribute(Gizmo, "a");
  registerAttribute(Gizmo, "b");
  const g = new Gizmo();
  instanceState(g).commitAll();
  instanceState(g).expire();
  const error = t.throws(() => g.b, { instanceOf: LoaderError });
  t.regex(error!.message, /Gizmo\.b/);
  t.true(instanceState(g).expiredAttributes.has("b"), "the unfilled key stays expired");
});

test("issue 9 bug 3: an asynchronous loader that does not fill a key rejects loadExpired with LoaderError", async (t) => {
  class Gizmo {
    declare a: unknown;
    declare b: unknown;
  }
  registerClass(Gizmo, {
    expiredAttributeLoader: async (state: InstanceState) => {
      await nextMacrotask();
      state.dict["a"] = 1;
    },
  });
  registerAttribute(Gizmo, "a");
  registerAttribute(Gizmo, "b");
  const g = new Gizmo();
  instanceState(g).commitAll();
  instanceState(g).expire();
  await t.throwsAsync(loadExpired(g), { instanceOf: LoaderError, message: /Gizmo\.b/ });
  t.is(g.a, 1, "what the loader did store is kept");
  t.throws(() => g.b, { instanceOf: ExpiredAttributeError }, "b is still expired: it never reads a silent undefined");
});

test("issue 9 bug 4: a loader reading an expired attribute of its own object gets a LoaderError, not endless recursion", (t) => {
  class Rec {
    declare id: number;
    declare name: string;
  }
  const rows = new Map([[7, { id: 7, name: "seven" }]]);
  registerClass(Rec, {
    expiredAttributeLoader: (state: InstanceState<Rec>, keys: ReadonlySet<string>) => {
      const row = rows.get(state.obj()!.id)!; // the recursive pattern
      for (const k of keys) state.dict[k] = row[k as keyof typeof row];
    },
  });
  registerAttribute(Rec, "id");
  registerAttribute(Rec, "name");
  const r = new Rec();
  r.id = 7;
  r.name = "seven";
  instanceState(r).commitAll();
  instanceState(r).expire();
  const error = t.throws(() => r.name, { instanceOf: LoaderError });
  t.regex(error!.message, /Rec\.id/);
  t.regex(error!.message, /state\.key/);
});

test("issue 9 bug 4: the loader pattern the docs teach: identity from state.key", (t) => {
  class Rec {
    declare id: number;
    declare name: string;
  }
  const rows = new Map([[7, { id: 7, name: "seven (db)" }]]);
  registerClass(Rec, {
    expiredAttributeLoader: (state: InstanceState<Rec>, keys: ReadonlySet<string>) => {
      const row = rows.get(state.key as number)!;
      for (const k of keys) state.dict[k] = row[k as keyof typeof row];
    },
  });
  registerAttribute(Rec, "id");
  registerAttribute(Rec, "name");
  const r = new Rec();
  r.id = 7;
  const state = instanceState(r);
  state.key = 7;
  state.commitAll();
  state.expire();
  t.is(r.name, "seven (db)");
  t.is(r.id, 7);
});

test("issue 9 bug 7: writing through a Proxy of an instance tracks the instance and keeps its history", (t) => {
  const { make } = makeAccount();
  const a = make();
  const state = instanceState(a);
  a.name = "grace";
  const view = new Proxy(a, {});
  view.age = 40;
  t.is(instanceState(a), state, "the instance keeps its state");
  t.is(instanceState(view), state, "the proxy stands for the instance");
  t.deepEqual(hist(getHistory(a, "name")), [["grace"], [], ["ada"]], "earlier history survives");
  t.deepEqual(hist(getHistory(a, "age")), [[40], [], [36]]);
  t.is(view.name, "grace");
  t.is(a.age, 40);
  view.tags.push("z");
  t.deepEqual(hist(getHistory(view, "tags")), [["z"], ["x", "y"], []]);
});
