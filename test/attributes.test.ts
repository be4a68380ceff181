/**
 * Attribute-level behaviour of the instrumentation runtime, ported from SQLAlchemy's
 * `test/orm/test_attributes.py` classes AttributeImplAPITest, AttributesTest, GetNoValueTest and
 * UtilTest (reference §7.3), plus tests for options and errors of this port (compare,
 * sendModifiedEvents, state.attrs, error classes and codes).
 *
 * Every test defines its own classes. Test titles start with the SQLAlchemy class and test name
 * they port ("AttributesTest del_scalar_nonobject"), so coverage can be audited.
 */
import test from "ava";
import type { ExecutionContext } from "ava";
import {
  ATTR_WAS_SET,
  ArgumentError,
  InstrumentationError,
  InvalidRequestError,
  LoaderError,
  NO_VALUE,
  NoValueError,
  ObjectDereferencedError,
  PASSIVE_NO_INITIALIZE,
  PASSIVE_NO_RESULT,
  PASSIVE_OFF,
  PASSIVE_RETURN_NO_VALUE,
  UnmappedInstanceError,
  attributeOf,
  collection,
  delAttribute,
  flagModified,
  getAttribute,
  getHistory,
  getStateHistory,
  hasParent,
  initCollection,
  instanceDict,
  instanceState,
  listen,
  managerOfClass,
  registerAttribute,
  registerClass,
  setAttribute,
  setCommittedValue,
  unregisterAttribute,
  unregisterClass,
} from "../runtime/index.js";
import type { InstanceState } from "../runtime/index.js";
import { collectGarbage, histEq, sameList, show } from "./helpers.js";

// ---------------------------------------------------------------------------------------------
// helpers

/** Asserts a collection's members, in order and by identity. */
function itemsEq(t: ExecutionContext, coll: Iterable<unknown>, expected: readonly unknown[], label = ""): void {
  const actual = Array.from(coll);
  t.true(sameList(actual, expected), `${label}collection ${show(actual)} expected ${show(expected)}`);
}

// ---------------------------------------------------------------------------------------------
// AttributeImplAPITest

function scalarObjFixture() {
  class A {
    declare b: unknown;
  }
  class B {}
  registerClass(A);
  registerClass(B);
  registerAttribute(A, "b", { kind: "object" });
  return { A, B };
}

function collectionObjFixture() {
  class A {
    declare b: unknown[];
  }
  class B {}
  registerClass(A);
  registerClass(B);
  registerAttribute(A, "b", { kind: "collection" });
  return { A, B };
}

test("AttributeImplAPITest scalar_obj_remove_invalid", (t) => {
  const { A, B } = scalarObjFixture();
  const a1 = new A();
  const b1 = new B();
  const b2 = new B();
  const impl = attributeOf(A, "b").impl!;
  impl.append(instanceState(a1), instanceDict(a1), b1, undefined);
  t.is(a1.b, b1);
  t.throws(() => impl.remove(instanceState(a1), instanceDict(a1), b2, undefined), {
    instanceOf: InvalidRequestError,
    message: /Object <B\b[^>]*> not associated with <A\b[^>]*> on attribute 'b'/,
  });
  t.is(a1.b, b1);
});

test("AttributeImplAPITest scalar_obj_pop_invalid", (t) => {
  const { A, B } = scalarObjFixture();
  const a1 = new A();
  const b1 = new B();
  const b2 = new B();
  const impl = attributeOf(A, "b").impl!;
  impl.append(instanceState(a1), instanceDict(a1), b1, undefined);
  t.is(a1.b, b1);
  t.notThrows(() => impl.pop(instanceState(a1), instanceDict(a1), b2, undefined));
  t.is(a1.b, b1);
});

test("AttributeImplAPITest scalar_obj_pop_valid", (t) => {
  const { A, B } = scalarObjFixture();
  const a1 = new A();
  const b1 = new B();
  const impl = attributeOf(A, "b").impl!;
  impl.append(instanceState(a1), instanceDict(a1), b1, undefined);
  t.is(a1.b, b1);
  impl.pop(instanceState(a1), instanceDict(a1), b1, undefined);
  // SQLAlchemy: becomes None (`set(None, check_old=...)`); an absent reference is undefined here
  t.is(a1.b, undefined);
});

test("AttributeImplAPITest collection_obj_remove_invalid", (t) => {
  const { A, B } = collectionObjFixture();
  const a1 = new A();
  const b1 = new B();
  const b2 = new B();
  const impl = attributeOf(A, "b").impl!;
  impl.append(instanceState(a1), instanceDict(a1), b1, undefined);
  itemsEq(t, a1.b, [b1]);
  // the container's own error: InstrumentedList.remove throws RangeError for a missing item
  t.throws(() => impl.remove(instanceState(a1), instanceDict(a1), b2, undefined), { instanceOf: RangeError });
  itemsEq(t, a1.b, [b1]);
});

test("AttributeImplAPITest collection_obj_pop_invalid", (t) => {
  const { A, B } = collectionObjFixture();
  const a1 = new A();
  const b1 = new B();
  const b2 = new B();
  const impl = attributeOf(A, "b").impl!;
  impl.append(instanceState(a1), instanceDict(a1), b1, undefined);
  itemsEq(t, a1.b, [b1]);
  t.notThrows(() => impl.pop(instanceState(a1), instanceDict(a1), b2, undefined));
  itemsEq(t, a1.b, [b1]);
});

test("AttributeImplAPITest collection_obj_pop_valid", (t) => {
  const { A, B } = collectionObjFixture();
  const a1 = new A();
  const b1 = new B();
  const impl = attributeOf(A, "b").impl!;
  impl.append(instanceState(a1), instanceDict(a1), b1, undefined);
  itemsEq(t, a1.b, [b1]);
  impl.pop(instanceState(a1), instanceDict(a1), b1, undefined);
  itemsEq(t, a1.b, []);
});

// ---------------------------------------------------------------------------------------------
// AttributesTest

test("AttributesTest basic", (t) => {
  class User {
    declare user_id: unknown;
    declare user_name: unknown;
    declare email_address: unknown;
  }
  registerClass(User);
  registerAttribute(User, "user_id");
  registerAttribute(User, "user_name");
  registerAttribute(User, "email_address");

  const u = new User();
  u.user_id = 7;
  u.user_name = "john";
  u.email_address = "lala@123.com";
  t.deepEqual([u.user_id, u.user_name, u.email_address], [7, "john", "lala@123.com"]);

  instanceState(u).commitAll();
  t.deepEqual([u.user_id, u.user_name, u.email_address], [7, "john", "lala@123.com"]);

  u.user_name = "heythere";
  u.email_address = "foo@bar.com";
  t.deepEqual([u.user_id, u.user_name, u.email_address], [7, "heythere", "foo@bar.com"]);
  // the values live in the instance dict, not as own data properties
  t.deepEqual(Object.fromEntries(Object.entries(instanceDict(u))), { user_id: 7, user_name: "heythere", email_address: "foo@bar.com" });
});

test.skip("AttributesTest pickleness (skipped: the runtime exposes no serialization API to round-trip instances and states through)", (t) => {
  t.pass();
});

test("AttributesTest state_gc", async (t) => {
  class Foo {
    declare bar: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "bar");

  // create the instance in a scope that is left before collecting
  const { state, ref } = (() => {
    const f = new Foo();
    const s = instanceState(f);
    f.bar = "foo";
    return { state: s, ref: new WeakRef(f) };
  })();
  // SQLAlchemy also finds the state under STATE_ATTR in __dict__; here the dict is a separate
  // record whose string keys are exactly the attribute values.
  t.deepEqual(Object.fromEntries(Object.entries(state.dict)), { bar: "foo" });

  await collectGarbage();
  t.is(ref.deref(), undefined, "the state must not keep its instance alive");
  t.is(state.obj(), undefined);
  t.deepEqual(Object.fromEntries(Object.entries(state.dict)), {});
});

test("AttributesTest object_dereferenced_error", async (t) => {
  class Foo {
    declare bars: Bar[];
  }
  class Bar {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "bars", { kind: "collection" });

  // SQLAlchemy collects inside Bar.__init__ during `Foo().bars.append(Bar())`; JS keeps WeakRef
  // targets alive for the current job, so the parent is dropped between jobs instead.
  const { bars, ref } = (() => {
    const f = new Foo();
    return { bars: f.bars, ref: new WeakRef(f) };
  })();
  await collectGarbage();
  t.is(ref.deref(), undefined, "the collection must not keep its owner alive");

  const err = t.throws(() => bars.push(new Bar()), {
    instanceOf: ObjectDereferencedError,
    message: /Can't emit change event for attribute 'Foo\.bars' - parent object of type <?Foo>? has been garbage collected/,
  });
  t.is(err?.code, "CI_OBJECT_DEREFERENCED");
});

test("AttributesTest unmapped_instance_raises", (t) => {
  class User {
    declare user_name: unknown;
  }
  registerClass(User);
  registerAttribute(User, "user_name");

  class Blog {
    declare name: unknown;
  }
  // copy User's attribute descriptor onto an unrelated, uninstrumented class
  let owner: object | null = User.prototype;
  let desc: PropertyDescriptor | undefined;
  while (owner && !desc) {
    desc = Object.getOwnPropertyDescriptor(owner, "user_name");
    owner = Object.getPrototypeOf(owner);
  }
  t.truthy(desc, "User.user_name should be an accessor on the class");
  Object.defineProperty(Blog.prototype, "name", desc!);

  t.throws(() => new Blog().name, { instanceOf: UnmappedInstanceError });
});

test("AttributesTest del_scalar_nonobject", (t) => {
  class Foo {
    declare b: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "b");

  let f1 = new Foo();
  t.is(f1.b, undefined);
  f1.b = 5;
  delAttribute(f1, "b");
  t.is(f1.b, undefined);

  f1 = new Foo();
  const f2 = f1;
  t.throws(() => delAttribute(f2, "b"), {
    instanceOf: NoValueError,
    message: /^Foo\.b object does not have a value/,
  });
});

test("AttributesTest del_scalar_object", (t) => {
  class Foo {
    declare b: unknown;
  }
  class Bar {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "b", { kind: "object" });

  const f1 = new Foo();
  t.is(f1.b, undefined);
  f1.b = new Bar();
  delAttribute(f1, "b");
  t.is(f1.b, undefined);
  t.throws(() => delAttribute(f1, "b"), {
    instanceOf: NoValueError,
    message: /^Foo\.b object does not have a value/,
  });
});

test("AttributesTest del_collection_object", (t) => {
  class Foo {
    declare b: unknown[];
  }
  class Bar {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "b", { kind: "collection" });

  const f1 = new Foo();
  itemsEq(t, f1.b, []);
  const bar = new Bar();
  f1.b = [bar];
  itemsEq(t, f1.b, [bar]);
  delAttribute(f1, "b");
  itemsEq(t, f1.b, []);
  t.notThrows(() => delAttribute(f1, "b"));
  itemsEq(t, f1.b, []);
});

test("AttributesTest deferred", (t) => {
  class Foo {
    declare a: unknown;
    declare b: unknown;
  }
  const data: Record<string, unknown> = { a: "this is a", b: 12 };
  const loads: string[][] = [];
  registerClass(Foo);
  managerOfClass(Foo).expiredAttributeLoader = (state, keys) => {
    loads.push([...keys].sort());
    for (const k of keys) state.dict[k] = data[k];
  };
  registerAttribute(Foo, "a");
  registerAttribute(Foo, "b");

  const f = new Foo();
  const state = instanceState(f);
  state.expire();
  t.is(f.a, "this is a");
  t.is(f.b, 12);
  t.deepEqual(loads, [["a", "b"]], "one loader call for all expired keys");

  f.a = "this is some new a";
  state.expire();
  t.is(f.a, "this is a");
  t.is(f.b, 12);

  state.expire();
  f.a = "this is another new a";
  t.is(f.a, "this is another new a");
  t.is(f.b, 12);

  state.expire();
  t.is(f.a, "this is a");
  t.is(f.b, 12);

  // a pending change (the delete) suppresses the loader
  delAttribute(f, "a");
  t.is(f.a, undefined);
  t.is(f.b, 12);

  state.commitAll();
  t.is(f.a, undefined);
  t.is(f.b, 12);
});

test.skip("AttributesTest deferred_pickleable (skipped: the runtime exposes no serialization API to round-trip an expired instance through)", (t) => {
  t.pass();
});

test("AttributesTest list", (t) => {
  class User {
    declare user_id: unknown;
    declare user_name: unknown;
    declare addresses: Address[];
  }
  class Address {
    declare address_id: unknown;
    declare email_address: unknown;
  }
  registerClass(User);
  registerClass(Address);
  registerAttribute(User, "user_id");
  registerAttribute(User, "user_name");
  registerAttribute(User, "addresses", { kind: "collection" });
  registerAttribute(Address, "address_id");
  registerAttribute(Address, "email_address");

  const u = new User();
  u.user_id = 7;
  u.user_name = "john";
  u.addresses = [];
  let a = new Address();
  a.address_id = 10;
  a.email_address = "lala@123.com";
  u.addresses.push(a);
  t.deepEqual([u.user_id, u.user_name, u.addresses[0]!.email_address], [7, "john", "lala@123.com"]);

  instanceState(a).commitAll();
  t.deepEqual([u.user_id, u.user_name, u.addresses[0]!.email_address], [7, "john", "lala@123.com"]);

  u.user_name = "heythere";
  a = new Address();
  a.address_id = 11;
  a.email_address = "foo@bar.com";
  u.addresses.push(a);
  t.is(u.user_id, 7);
  t.is(u.user_name, "heythere");
  t.is(u.addresses.length, 2);
  t.is(u.addresses[0]!.email_address, "lala@123.com");
  t.is(u.addresses[1]!.email_address, "foo@bar.com");
});

test("AttributesTest lazytrackparent", (t) => {
  class Post {
    declare blog: Blog | null;
  }
  class Blog {
    declare posts: Post[];
  }
  registerClass(Post);
  registerClass(Blog);
  registerAttribute(Post, "blog", { kind: "object", backref: "posts", trackParent: true });
  registerAttribute(Blog, "posts", { kind: "collection", backref: "blog", trackParent: true });

  // objects as if freshly loaded: per-instance lazy loaders, no history
  const b = new Blog();
  const p1 = new Post();
  instanceState(b).setCallable("posts", () => [p1]);
  instanceState(p1).setCallable("blog", () => b);
  instanceState(b).commitAll();

  // optimistic: nothing recorded yet counts as "has a parent" (no orphans before loading)
  t.true(hasParent(Blog, p1, "posts", true));
  t.true(hasParent(Post, b, "blog", true));

  t.is(p1.blog, b);
  t.true(b.posts.includes(p1));

  const b2 = new Blog();
  const p2 = new Post();
  b2.posts.push(p2);
  t.true(hasParent(Blog, p2, "posts"));
  t.true(hasParent(Post, b2, "blog"));
  t.is(p2.blog, b2);
});

test("AttributesTest illegal_trackparent", (t) => {
  class Post {
    declare blog: unknown;
  }
  class Blog {}
  registerClass(Post);
  registerClass(Blog);
  registerAttribute(Post, "blog", { kind: "object" });

  t.throws(() => hasParent(Post, new Blog(), "blog"), {
    instanceOf: InvalidRequestError,
    message: /This AttributeImpl is not configured to track parents/,
  });
  const impl = attributeOf(Post, "blog").impl!;
  const state = instanceState(new Post());
  t.throws(() => impl.setHasParent(state, state, true), {
    instanceOf: InvalidRequestError,
    message: /This AttributeImpl is not configured to track parents/,
  });
});

test("AttributesTest inheritance", (t) => {
  class Foo {
    declare element: unknown;
    declare element2: unknown;
  }
  class Bar extends Foo {}
  registerClass(Foo);
  registerClass(Bar);

  registerAttribute(Foo, "element", { kind: "object", callable: () => "this is the foo attr" });
  registerAttribute(Foo, "element2", { kind: "object", callable: () => "this is the shared attr" });
  registerAttribute(Bar, "element", { kind: "object", callable: () => "this is the bar attr" });

  const x = new Foo();
  const y = new Bar();
  t.is(x.element, "this is the foo attr");
  t.is(y.element, "this is the bar attr");
  t.is(x.element2, "this is the shared attr");
  t.is(y.element2, "this is the shared attr");
});

test("AttributesTest no_double_state", (t) => {
  const states = new Set<InstanceState>();
  class Foo {
    constructor() {
      states.add(instanceState(this));
    }
  }
  class Bar extends Foo {
    constructor() {
      super();
      states.add(instanceState(this));
    }
  }
  registerClass(Foo);
  registerClass(Bar);

  const b = new Bar();
  t.is(states.size, 1);
  const [state] = [...states];
  t.is(state!.obj(), b);
  t.is(instanceState(b), state);
});

test("AttributesTest inheritance2", (t) => {
  class Foo {
    declare element: unknown;
  }
  class Bar extends Foo {}
  class Element {
    readonly _state = true;
  }
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "element", { kind: "object" });

  const el = new Element();
  const x = new Bar();
  x.element = el;
  histEq(t, getStateHistory(instanceState(x), "element"), [[el], [], []]);
  instanceState(x).commitAll();
  histEq(t, getStateHistory(instanceState(x), "element"), [[], [el], []]);
});

test("AttributesTest lazyhistory", (t) => {
  class Foo {
    declare col1: unknown;
    declare col2: Bar[];
  }
  class Bar {
    declare id: unknown;
  }
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Bar, "id", { kind: "object" });
  const [bar1, bar2, bar3, bar4] = [1, 2, 3, 4].map((id) => {
    const b = new Bar();
    b.id = id;
    return b;
  }) as [Bar, Bar, Bar, Bar];
  registerAttribute(Foo, "col1", { kind: "object", callable: () => "this is func 1" });
  registerAttribute(Foo, "col2", { kind: "collection", callable: () => [bar1, bar2, bar3] });

  const x = new Foo();
  instanceState(x).commitAll();
  x.col2.push(bar4);
  histEq(t, getStateHistory(instanceState(x), "col2"), [[bar4], [bar1, bar2, bar3], []]);
  t.is(x.col1, "this is func 1");
});

test("AttributesTest parenttrack", (t) => {
  class Foo {
    declare element: unknown;
  }
  class Bar {
    declare element: unknown;
  }
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "element", { kind: "object", trackParent: true });
  registerAttribute(Bar, "element", { kind: "object", trackParent: true });

  const f1 = new Foo();
  const f2 = new Foo();
  const b1 = new Bar();
  const b2 = new Bar();
  f1.element = b1;
  b2.element = f2;
  t.true(hasParent(Foo, b1, "element"));
  t.false(hasParent(Foo, b2, "element"));
  t.false(hasParent(Foo, f2, "element"));
  t.true(hasParent(Bar, f2, "element"));
  b2.element = null;
  t.false(hasParent(Bar, f2, "element"));

  // assigning the same object twice keeps the flag
  const b3 = new Bar();
  const f4 = new Foo();
  b3.element = f4;
  t.true(hasParent(Bar, f4, "element"));
  b3.element = f4;
  t.true(hasParent(Bar, f4, "element"));
});

test("AttributesTest parenttrack: replacing a reference after the first change clears the old parent flag", (t) => {
  // parenttrack's second half re-assigns the same object; this replaces it with another one
  // once the attribute already has a committed entry
  class Foo {
    declare element: unknown;
  }
  class Bar {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "element", { kind: "object", trackParent: true });
  const f = new Foo();
  const b1 = new Bar();
  const b2 = new Bar();
  f.element = b1;
  t.true(hasParent(Foo, b1, "element"));
  f.element = b2;
  t.false(hasParent(Foo, b1, "element"), "b1 lost its parent");
  t.true(hasParent(Foo, b2, "element"), "b2 gained a parent");
});

test("AttributesTest descriptorattributes", (t) => {
  let calls = 0;
  class Foo {
    get A(): never {
      calls++;
      throw new Error("fake attribute");
    }
  }
  t.notThrows(() => registerClass(Foo));
  t.notThrows(() => unregisterClass(Foo));
  t.is(calls, 0, "instrumentation must not trigger the class's own accessors");
});

test("AttributesTest collectionclasses", (t) => {
  class Foo {
    declare collection: any;
  }
  registerClass(Foo);

  registerAttribute(Foo, "collection", { kind: "collection", collectionClass: Set });
  t.true(managerOfClass(Foo).isInstrumented("collection"));
  t.true(new Foo().collection instanceof Set);
  unregisterAttribute(Foo, "collection");
  t.false(managerOfClass(Foo).isInstrumented("collection"));

  // SQLAlchemy's plain `dict` has no appender and is refused; this port's keyed collection is
  // `Map` (API.md), which is accepted.
  registerAttribute(Foo, "collection", { kind: "collection", collectionClass: Map });
  t.true(new Foo().collection instanceof Map);
  unregisterAttribute(Foo, "collection");

  // a Map subclass electing its own appender / remover
  class MyDict extends Map<unknown, { foo: unknown }> {
    append(item: { foo: unknown }): void {
      this.set(item.foo, item);
    }
    remove(item: { foo: unknown }): void {
      this.delete(item.foo);
    }
  }
  collection.roles(MyDict, { appender: "append", remover: "remove", iterator: "values", emulates: "map" });
  registerAttribute(Foo, "collection", { kind: "collection", collectionClass: MyDict });
  const withDict = new Foo();
  t.true(withDict.collection instanceof MyDict);
  const item = { foo: "k1" };
  withDict.collection.append(item);
  t.is(withDict.collection.get("k1"), item);
  unregisterAttribute(Foo, "collection");

  // a class with no roles at all
  class MyColl {}
  t.throws(() => registerAttribute(Foo, "collection", { kind: "collection", collectionClass: MyColl as never }), {
    instanceOf: ArgumentError,
    message: /^Type MyColl must elect an appender method to be a collection class/,
  });

  // a class electing iterator / appender / remover
  class MyColl2 {
    iter(): IterableIterator<unknown> {
      return [][Symbol.iterator]();
    }
    add(_item: unknown): void {}
    discard(_item: unknown): void {}
  }
  collection.roles(MyColl2, { iterator: "iter", appender: "add", remover: "discard" });
  registerAttribute(Foo, "collection", { kind: "collection", collectionClass: MyColl2 as never });
  t.notThrows(() => new Foo().collection);
  t.true(new Foo().collection instanceof MyColl2);
});

test("AttributesTest last_known_tracking", (t) => {
  class Foo {
    declare a: unknown;
    declare b: unknown;
    declare c: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "a");
  registerAttribute(Foo, "b");
  registerAttribute(Foo, "c");

  const f1 = new Foo();
  const state = instanceState(f1);
  f1.a = "a1";
  f1.b = "b1";
  f1.c = "c1";
  t.is(state.lastKnownValues.size, 0);

  state.trackLastKnownValue("b");
  state.trackLastKnownValue("c");
  t.deepEqual(state.lastKnownValues, new Map<string, unknown>([["b", NO_VALUE], ["c", NO_VALUE]]));

  state.expireAttributes(["b"]);
  t.deepEqual(state.lastKnownValues, new Map<string, unknown>([["b", "b1"], ["c", NO_VALUE]]));

  state.expire();
  t.deepEqual(state.lastKnownValues, new Map<string, unknown>([["b", "b1"], ["c", "c1"]]));

  f1.b = "b2";
  t.deepEqual(state.lastKnownValues, new Map<string, unknown>([["b", NO_VALUE], ["c", "c1"]]));

  f1.c = "c2";
  t.deepEqual(state.lastKnownValues, new Map<string, unknown>([["b", NO_VALUE], ["c", NO_VALUE]]));

  state.expire();
  t.deepEqual(state.lastKnownValues, new Map<string, unknown>([["b", "b2"], ["c", "c2"]]));
});

// ---------------------------------------------------------------------------------------------
// GetNoValueTest

const NO_CALLABLE = Symbol("no callable");

function getNoValueFixture(expected: unknown) {
  class Foo {
    declare attr: unknown;
  }
  class Bar {}
  registerClass(Foo);
  registerClass(Bar);
  if (expected === NO_CALLABLE) {
    registerAttribute(Foo, "attr", { kind: "object" });
  } else {
    registerAttribute(Foo, "attr", { kind: "object", callable: () => expected });
  }
  const f1 = new Foo();
  return { impl: attributeOf(Foo, "attr").impl!, state: instanceState(f1), dict: instanceDict(f1) };
}

test("GetNoValueTest passive_no_result", (t) => {
  const { impl, state, dict } = getNoValueFixture(PASSIVE_NO_RESULT);
  t.is(impl.get(state, dict, PASSIVE_NO_INITIALIZE), PASSIVE_NO_RESULT);
  t.false("attr" in dict);
});

test("GetNoValueTest passive_no_result_no_value", (t) => {
  const { impl, state, dict } = getNoValueFixture(NO_VALUE);
  t.is(impl.get(state, dict, PASSIVE_NO_INITIALIZE), PASSIVE_NO_RESULT);
  t.false("attr" in dict);
});

test("GetNoValueTest passive_ret_no_value", (t) => {
  const { impl, state, dict } = getNoValueFixture(NO_VALUE);
  t.is(impl.get(state, dict, PASSIVE_RETURN_NO_VALUE), NO_VALUE);
  t.false("attr" in dict);
});

test("GetNoValueTest passive_ret_no_value_empty", (t) => {
  const { impl, state, dict } = getNoValueFixture(NO_CALLABLE);
  t.is(impl.get(state, dict, PASSIVE_RETURN_NO_VALUE), NO_VALUE);
  t.false("attr" in dict);
});

test("GetNoValueTest off_empty", (t) => {
  const { impl, state, dict } = getNoValueFixture(NO_CALLABLE);
  t.is(impl.get(state, dict, PASSIVE_OFF), undefined);
  t.false("attr" in dict);
});

// ---------------------------------------------------------------------------------------------
// UtilTest

test("UtilTest helpers", (t) => {
  class Foo {
    declare coll: Bar[];
  }
  class Bar {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "coll", { kind: "collection" });

  const f1 = new Foo();
  const b1 = new Bar();
  const b2 = new Bar();
  const adapter = initCollection(f1, "coll");
  t.is(adapter.data, f1.coll);
  t.is(getAttribute(f1, "coll"), f1.coll);

  setAttribute(f1, "coll", [b1]);
  itemsEq(t, f1.coll, [b1]);
  histEq(t, getHistory(f1, "coll"), [[b1], [], []]);

  setCommittedValue(f1, "coll", [b2]);
  histEq(t, getHistory(f1, "coll"), [[], [b2], []]);

  delAttribute(f1, "coll");
  t.false("coll" in instanceDict(f1));
});

test("UtilTest set_committed_value_none_uselist", (t) => {
  class Foo {
    declare col_list: unknown[];
    declare col_set: Set<unknown>;
  }
  class Bar {}
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "col_list", { kind: "collection" });
  registerAttribute(Foo, "col_set", { kind: "collection", collectionClass: Set });

  const f1 = new Foo();
  setCommittedValue(f1, "col_list", null);
  t.true(Array.isArray(f1.col_list));
  itemsEq(t, f1.col_list, []);

  setCommittedValue(f1, "col_set", null);
  t.true(f1.col_set instanceof Set);
  t.is(f1.col_set.size, 0);
});

test("UtilTest initiator_arg", (t) => {
  class Foo {
    declare a: unknown;
    declare bar: Bar;
  }
  class Bar {
    declare b: unknown;
    declare foo: Foo;
  }
  registerClass(Foo);
  registerClass(Bar);
  registerAttribute(Foo, "a");
  registerAttribute(Bar, "b");

  // each listener forwards the change to the other side, passing its initiator along; the
  // initiator's parent token tells the other listener where the change started, which stops
  // the ping-pong
  listen(attributeOf(Foo, "a"), "set", (target: Foo, value: unknown, _old: unknown, initiator: any) => {
    if (initiator.parentToken.class_ === Foo) setAttribute(target.bar, "b", value, initiator);
  });
  listen(attributeOf(Bar, "b"), "set", (target: Bar, value: unknown, _old: unknown, initiator: any) => {
    if (initiator.parentToken.class_ === Bar) setAttribute(target.foo, "a", value, initiator);
  });

  const f1 = new Foo();
  const b1 = new Bar();
  f1.bar = b1;
  b1.foo = f1;

  f1.a = "x";
  t.is(b1.b, "x");
  b1.b = "y";
  t.is(f1.a, "y");
});

// ---------------------------------------------------------------------------------------------
// Options of this port: compare, sendModifiedEvents, state.attrs

test("scalar compare option decides 'unchanged' in history", (t) => {
  class Foo {
    declare name: unknown;
    declare plain: unknown;
  }
  registerClass(Foo);
  const ci = (a: unknown, b: unknown) => String(a).toLowerCase() === String(b).toLowerCase();
  registerAttribute(Foo, "name", { compare: ci });
  registerAttribute(Foo, "plain");

  const f = new Foo();
  f.name = "hi";
  f.plain = "hi";
  instanceState(f).commitAll();
  f.name = "HI";
  f.plain = "HI";
  // equal under the custom comparison: reported as unchanged (with the current value)
  histEq(t, getHistory(f, "name"), [[], ["HI"], []]);
  // default comparison: a change
  histEq(t, getHistory(f, "plain"), [["HI"], [], ["hi"]]);

  f.name = "there";
  histEq(t, getHistory(f, "name"), [["there"], [], ["hi"]]);
});

test("scalar compare option: default comparison is by value for primitives", (t) => {
  class Foo {
    declare n: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "n");
  const f = new Foo();
  f.n = 5;
  instanceState(f).commitAll();
  f.n = 5;
  histEq(t, getHistory(f, "n"), [[], [5], []]);
  // as in SQLAlchemy, re-setting records the old value and marks the state modified
  t.true(instanceState(f).modified);
});

test("sendModifiedEvents: false records no history and does not mark the state modified", (t) => {
  class Foo {
    declare quiet: unknown;
    declare loud: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "quiet", { sendModifiedEvents: false });
  registerAttribute(Foo, "loud");

  const f = new Foo();
  const state = instanceState(f);
  f.quiet = "x";
  t.is(f.quiet, "x");
  t.false(state.modified);
  t.false(state.committedState.has("quiet"));
  // no committed entry: the current value reads as unchanged
  histEq(t, getHistory(f, "quiet"), [[], ["x"], []]);

  f.loud = "y";
  t.true(state.modified);
  t.true(state.committedState.has("loud"));
  histEq(t, getHistory(f, "loud"), [["y"], [], []]);
});

test("sendModifiedEvents: false still fires set listeners", (t) => {
  class Foo {
    declare quiet: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "quiet", { sendModifiedEvents: false });
  const seen: unknown[] = [];
  listen(attributeOf(Foo, "quiet"), "set", (_target: Foo, value: unknown) => {
    seen.push(value);
  });
  const f = new Foo();
  f.quiet = 1;
  f.quiet = 2;
  t.deepEqual(seen, [1, 2]);
  t.false(instanceState(f).modified);
});

test("state.attrs[key] value / loadedValue / history", (t) => {
  class Foo {
    declare x: unknown;
    declare lazy: unknown;
  }
  registerClass(Foo);
  registerAttribute(Foo, "x");
  let loaderCalls = 0;
  registerAttribute(Foo, "lazy", {
    callable: () => {
      loaderCalls++;
      return "loaded";
    },
  });

  const f = new Foo();
  const state = instanceState(f);
  const x = state.attrs.x!;
  t.is(x.loadedValue, NO_VALUE);
  histEq(t, x.history, [[], [], []]);
  t.is(x.value, undefined);
  t.false("x" in instanceDict(f), "reading .value of an unset scalar does not store a default");

  f.x = "a";
  t.is(state.attrs.x!.value, "a");
  t.is(state.attrs.x!.loadedValue, "a");
  histEq(t, state.attrs.x!.history, [["a"], [], []]);
  state.commitAll();
  histEq(t, state.attrs.x!.history, [[], ["a"], []]);
  f.x = "b";
  histEq(t, state.attrs.x!.history, [["b"], [], ["a"]]);

  // history is passive (no loaders); loadHistory() may load
  const lazy = state.attrs.lazy!;
  t.is(lazy.loadedValue, NO_VALUE);
  histEq(t, lazy.history, [[], [], []]);
  t.is(loaderCalls, 0);
  histEq(t, lazy.loadHistory(), [[], ["loaded"], []]);
  t.is(loaderCalls, 1);
  t.is(state.attrs.lazy!.loadedValue, "loaded");
  t.is(state.attrs.lazy!.value, "loaded");
  t.is(loaderCalls, 1);
});

// ---------------------------------------------------------------------------------------------
// Errors: classes, codes, messages naming class and attribute

test("errors: NoValueError for deleting an unset scalar names class and attribute", (t) => {
  class Widget {
    declare size: unknown;
  }
  registerClass(Widget);
  registerAttribute(Widget, "size");
  const w = new Widget();
  const err = t.throws(() => delAttribute(w, "size"), { instanceOf: NoValueError });
  t.true(err instanceof InstrumentationError);
  t.true(err instanceof Error);
  t.is(err?.code, "CI_NO_VALUE");
  t.is(err?.name, "NoValueError");
  t.regex(err?.message ?? "", /Widget\.size/);
  t.regex(err?.message ?? "", /^Widget\.size object does not have a value/);
});

test("errors: NoValueError for deleting an unset object reference (no identity key)", (t) => {
  class Owner {
    declare pet: unknown;
  }
  registerClass(Owner);
  registerAttribute(Owner, "pet", { kind: "object" });
  const o = new Owner();
  const err = t.throws(() => delAttribute(o, "pet"), { instanceOf: NoValueError, code: "CI_NO_VALUE" });
  t.regex(err?.message ?? "", /Owner\.pet object does not have a value/);
});

test("errors: deleting an unset object reference with an identity key is allowed", (t) => {
  class Owner {
    declare pet: unknown;
  }
  registerClass(Owner);
  registerAttribute(Owner, "pet", { kind: "object" });
  const o = new Owner();
  instanceState(o).key = ["owner", 1];
  t.notThrows(() => delAttribute(o, "pet"));
});

test("errors: failed scalar delete fires and records nothing (reference quirk 10 not ported)", (t) => {
  // SQLAlchemy fires `remove` and records a modification before raising (§9 quirk 10, an
  // accident); the port's intended behaviour is that a rejected delete leaves no trace.
  class Widget {
    declare size: unknown;
  }
  registerClass(Widget);
  registerAttribute(Widget, "size");
  const removed: unknown[] = [];
  listen(attributeOf(Widget, "size"), "remove", (_target: Widget, value: unknown) => {
    removed.push(value);
  });
  const w = new Widget();
  t.throws(() => delAttribute(w, "size"), { instanceOf: NoValueError });
  t.deepEqual(removed, []);
  t.false(instanceState(w).modified);
  t.false(instanceState(w).committedState.has("size"));
});

test("errors: deleting an expired unset scalar does not raise", (t) => {
  class Widget {
    declare size: unknown;
  }
  registerClass(Widget);
  registerAttribute(Widget, "size");
  const w = new Widget();
  w.size = 3;
  instanceState(w).commitAll();
  instanceState(w).expireAttributes(["size"]);
  t.notThrows(() => delAttribute(w, "size"));
});

test("errors: LoaderError when an expired-attribute loader does not populate the key", (t) => {
  class Gadget {
    declare color: unknown;
    declare weight: unknown;
  }
  registerClass(Gadget, {
    expiredAttributeLoader: (state) => {
      state.dict.weight = 10; // forgets "color"
    },
  });
  registerAttribute(Gadget, "color");
  registerAttribute(Gadget, "weight");
  const g = new Gadget();
  instanceState(g).expire();
  const err = t.throws(() => g.color, { instanceOf: LoaderError });
  t.true(err instanceof InstrumentationError);
  t.is(err?.code, "CI_LOADER");
  t.regex(err?.message ?? "", /Deferred loader for attribute 'color'.* failed to populate correctly/);
  t.regex(err?.message ?? "", /Gadget/, "the message names the class");
});

test("errors: LoaderError when a per-state callable returns ATTR_WAS_SET without setting", (t) => {
  class Gadget {
    declare color: unknown;
  }
  registerClass(Gadget);
  registerAttribute(Gadget, "color");
  const g = new Gadget();
  instanceState(g).setCallable("color", () => ATTR_WAS_SET);
  t.throws(() => g.color, { instanceOf: LoaderError, code: "CI_LOADER", message: /'color'/ });
});

test("errors: flagModified on an absent attribute is InvalidRequestError naming the attribute", (t) => {
  class Widget {
    declare size: unknown;
  }
  registerClass(Widget);
  registerAttribute(Widget, "size");
  const w = new Widget();
  const err = t.throws(() => flagModified(w, "size"), { instanceOf: InvalidRequestError, code: "CI_INVALID_REQUEST" });
  t.regex(err?.message ?? "", /Can't flag attribute 'size' modified; it's not present in the object state/);
});

test("errors: unmapped instance read is UnmappedInstanceError with its code", (t) => {
  class Plain {}
  t.throws(() => instanceState(new Plain()), { instanceOf: UnmappedInstanceError, code: "CI_UNMAPPED_INSTANCE" });
  t.throws(() => instanceState(null as never), { instanceOf: UnmappedInstanceError });
});
