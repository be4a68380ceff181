/**
 * Compile-time typing checks. The point of this file is that it COMPILES under `strict` without
 * casts: typed `attributeOf`, typed listener signatures for each event family, and
 * `@ts-expect-error` on misuse (a wrong key, a wrong listener signature, an unknown identifier).
 * If the runtime's types become looser, the `@ts-expect-error` lines stop erroring and tsc fails
 * ("Unused '@ts-expect-error' directive"); if they become wrong, the positive lines fail.
 *
 * The runtime tests at the bottom run the well-typed calls, so the typed API is also exercised.
 */
import test from "ava";
import {
  type AttributeEventToken,
  type Class,
  type ClassManager,
  type CollectionAdapter,
  type History,
  type InstanceState,
  type InstrumentedAttribute,
  type Sentinel,
  type AttributeKey,
  type ChangedKeys,
  type InstanceChanges,
  IdentityMap,
  attributeOf,
  delAttribute,
  flagModified,
  getAttribute,
  getHistory,
  getStateHistory,
  loadExpired,
  rollback,
  setAttribute,
  setCommittedValue,
  hasListener,
  instanceState,
  listen,
  managerOfClass,
  registerAttribute,
  registerClass,
  removeListener,
} from "../runtime/index.js";

/** `true` iff `A` and `B` are the same type (not merely mutually assignable through `any`). */
type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
/** Compiles only when its type argument is `true`. */
function assertType<_T extends true>(): void {}

class User {
  declare name: string;
  declare age: number;
  declare tags: string[];
  declare roles: Set<string>;
  declare friend: User | null;
}

class Order {
  declare total: number;
  declare reference: string;
}

function setup(): void {
  registerClass(User);
  registerAttribute(User, "name");
  registerAttribute(User, "age");
  registerAttribute(User, "tags", { kind: "collection" });
  registerAttribute(User, "roles", { kind: "collection", collectionClass: Set });
  registerAttribute(User, "friend", { kind: "object" });
  registerClass(Order);
  registerAttribute(Order, "total");
  registerAttribute(Order, "reference");
}
setup();

// ---------------------------------------------------------------------------------------------
// Compile-time checks. Never called: some of these calls would throw at run time by design.
// ---------------------------------------------------------------------------------------------

function typedAttributeOf(): void {
  const nameAttr = attributeOf(User, "name");
  assertType<Equals<typeof nameAttr, InstrumentedAttribute<User, string>>>();
  const tagsAttr = attributeOf(User, "tags");
  assertType<Equals<typeof tagsAttr, InstrumentedAttribute<User, string[]>>>();
  const friendAttr = attributeOf(User, "friend");
  assertType<Equals<typeof friendAttr, InstrumentedAttribute<User, User | null>>>();
  const totalAttr = attributeOf(Order, "total");
  assertType<Equals<typeof totalAttr, InstrumentedAttribute<Order, number>>>();

  const cls: Class<User> = nameAttr.class_;
  const key: string = nameAttr.key;
  const history: History = nameAttr.getHistory(new User());
  void cls;
  void key;
  void history;

  // @ts-expect-error "nope" is not a key of User
  attributeOf(User, "nope");
  // @ts-expect-error "total" is a key of Order, not of User
  attributeOf(User, "total");
  // @ts-expect-error an attribute of User is not an attribute of Order
  const wrong: InstrumentedAttribute<Order, number> = attributeOf(User, "age");
  void wrong;
  // @ts-expect-error the value type is carried: a string attribute is not a number attribute
  const wrongValue: InstrumentedAttribute<User, number> = attributeOf(User, "name");
  void wrongValue;
  // @ts-expect-error getHistory takes an instance of the attribute's class
  nameAttr.getHistory(new Order());
}
void typedAttributeOf;

function typedAttributeListeners(): void {
  const nameAttr = attributeOf(User, "name");
  const tagsAttr = attributeOf(User, "tags");
  const rolesAttr = attributeOf(User, "roles");

  // set: (target, value, oldValue, initiator), inferred from the attribute
  listen(nameAttr, "set", (target, value, oldValue, initiator) => {
    assertType<Equals<typeof target, User>>();
    assertType<Equals<typeof value, string>>();
    const old: string | Sentinel | undefined = oldValue;
    const token: AttributeEventToken = initiator;
    void old;
    void token;
  });
  // retval: the listener may return a replacement value of the attribute's type
  listen(nameAttr, "set", (_target, value) => value.toUpperCase(), { retval: true });
  // raw: the target is the InstanceState
  listen(
    nameAttr,
    "set",
    (state, value) => {
      assertType<Equals<typeof state, InstanceState<User>>>();
      const obj: User | undefined = state.obj();
      const v: string = value;
      void obj;
      void v;
    },
    { raw: true },
  );
  // collection events carry the member type
  listen(tagsAttr, "append", (target, value, initiator) => {
    assertType<Equals<typeof target, User>>();
    assertType<Equals<typeof value, string>>();
    const token: AttributeEventToken = initiator;
    void token;
  });
  listen(rolesAttr, "remove", (_target, value) => {
    assertType<Equals<typeof value, string>>();
  });
  listen(tagsAttr, "bulkReplace", (_target, values) => {
    assertType<Equals<typeof values, string[]>>();
  });
  listen(tagsAttr, "initCollection", (_target, collection, adapter) => {
    const c: string[] = collection;
    const a: CollectionAdapter = adapter;
    void c;
    void a;
  });
  listen(nameAttr, "initScalar", (_target, value) => {
    const v: string | undefined = value;
    void v;
  });
  listen(nameAttr, "modified", (target, initiator) => {
    const u: User = target;
    const token: AttributeEventToken = initiator;
    void u;
    void token;
  });

  // @ts-expect-error unknown attribute event identifier
  listen(nameAttr, "frobnicate", () => undefined);
  // @ts-expect-error an instance event is not an attribute event
  listen(nameAttr, "init", () => undefined);
  // @ts-expect-error the value of "name" is a string, not a number
  listen(nameAttr, "set", (_target: User, _value: number) => undefined);
  // @ts-expect-error the target of a non-raw listener is the instance, not another class
  listen(nameAttr, "set", (_target: Order) => undefined);
  // @ts-expect-error with raw: true the target is the InstanceState, not the instance
  listen(nameAttr, "set", (_target: User) => undefined, { raw: true });
  // @ts-expect-error a retval listener must return the attribute's value type
  listen(nameAttr, "set", () => 42, { retval: true });
  // @ts-expect-error members of a string[] collection are strings
  listen(tagsAttr, "append", (_target: User, _value: number) => undefined);
  // @ts-expect-error set has four parameters; a fifth required one cannot be supplied
  listen(nameAttr, "set", (_t: User, _v: string, _o: unknown, _i: AttributeEventToken, _extra: string) => undefined);
}
void typedAttributeListeners;

function typedInstanceListeners(): void {
  listen(User, "init", (target, args) => {
    assertType<Equals<typeof target, User>>();
    const a: unknown[] = args;
    void a;
  });
  listen(User, "initFailure", (target, args, error) => {
    const u: User = target;
    const a: unknown[] = args;
    const e: unknown = error;
    void u;
    void a;
    void e;
  });
  listen(User, "expire", (target, keys) => {
    const u: User = target;
    const k: ReadonlySet<string> | undefined = keys;
    void u;
    void k;
  });
  listen(User, "load", (target) => {
    const u: User = target;
    void u;
  });
  listen(
    User,
    "init",
    (state) => {
      assertType<Equals<typeof state, InstanceState<User>>>();
    },
    { raw: true },
  );
  const manager: ClassManager<User> = managerOfClass(User);
  listen(manager, "refresh", (target) => {
    const u: User = target;
    void u;
  });

  // @ts-expect-error unknown instance event identifier
  listen(User, "constructed", () => undefined);
  // @ts-expect-error an attribute event is not an instance event
  listen(User, "append", () => undefined);
  // @ts-expect-error the target of a User instance event is a User, not an Order
  listen(User, "init", (_target: Order) => undefined);
  // @ts-expect-error init's arguments are an array
  listen(User, "init", (_target: User, _args: string) => undefined);
  // @ts-expect-error with raw: true the target is the state
  listen(User, "init", (_target: User) => undefined, { raw: true });
}
void typedInstanceListeners;

// issue 9: typed keys everywhere a key is taken.
function typedKeys(u: User, o: Order, state: InstanceState<User>): void {
  assertType<Equals<AttributeKey<Order>, "total" | "reference">>();
  // A type with no string keys (object, a class whose attributes are registered at run time)
  // takes any string: nothing is known to check it against.
  assertType<Equals<AttributeKey<object>, string>>();

  getHistory(u, "name");
  getAttribute(u, "age");
  setAttribute(u, "name", "x");
  delAttribute(u, "name");
  setCommittedValue(u, "tags", []);
  flagModified(u, "roles");
  rollback(u);
  rollback(u, ["name", "tags"]);
  void loadExpired(u, ["name"]);
  state.commit(["name"]);
  state.expireAttributes(["age"]);
  state.rollback(["friend"]);
  getStateHistory(state, "age");
  const view = state.attrs.name;
  void view;

  // @ts-expect-error "nmae" is a typo of "name"
  getHistory(u, "nmae");
  // @ts-expect-error "total" belongs to Order
  getAttribute(u, "total");
  // @ts-expect-error not a key of User
  setAttribute(u, "nope", 1);
  // @ts-expect-error not a key of User
  delAttribute(u, "nope");
  // @ts-expect-error not a key of User
  setCommittedValue(u, "nope", 1);
  // @ts-expect-error not a key of User
  flagModified(u, "nope");
  // @ts-expect-error not a key of User
  rollback(u, ["nope"]);
  // @ts-expect-error not a key of User
  void loadExpired(u, ["nope"]);
  // @ts-expect-error not a key of Order
  getHistory(o, "name");
  // @ts-expect-error not a key of User
  state.commit(["nope"]);
  // @ts-expect-error not a key of User
  state.expireAttributes(["nope"]);
  // @ts-expect-error not a key of User
  state.rollback(["nope"]);
  // @ts-expect-error not a key of User
  getStateHistory(state, "nope");
  // @ts-expect-error not a key of User
  void state.attrs.nope;
}
void typedKeys;

// issue 9: changedKeys and IdentityMap<T> changes are typed by the instance type.
function typedChanges(state: InstanceState<User>): void {
  const changed = state.changedKeys();
  assertType<Equals<typeof changed, ChangedKeys<AttributeKey<User>>>>();
  const first: AttributeKey<User> | undefined = changed.values[0];
  void first;

  // An InstanceState<User> is still an InstanceState (loaders and listeners take either).
  const plain: InstanceState = state;
  void plain;

  const map = new IdentityMap<User | Order>();
  const added: InstanceState<User> = map.add(new User());
  void added;
  for (const change of map.changes()) {
    assertType<Equals<typeof change, InstanceChanges<User> | InstanceChanges<Order>>>();
    if (change.obj instanceof User) {
      const obj: User = change.obj;
      void obj;
    }
  }
  for (const change of map.changesOf(Order)) {
    const keys: readonly ("total" | "reference")[] = change.values;
    const obj: Order = change.obj;
    void keys;
    void obj;
  }
  // @ts-expect-error a map of Users and Orders holds no plain objects
  map.add({});
  // @ts-expect-error Order has no "name"
  for (const change of map.changesOf(Order)) void (change.values[0] === "name");
}
void typedChanges;

function typedInstrumentationListeners(): void {
  listen(User, "classInstrument", (cls) => {
    const c: Class = cls;
    void c;
  });
  listen(Object, "classUninstrument", (cls) => {
    const c: Class = cls;
    void c;
  });
  listen(User, "attributeInstrument", (cls, key, attr) => {
    const c: Class = cls;
    const k: string = key;
    const a: InstrumentedAttribute = attr;
    void c;
    void k;
    void a;
  });

  // @ts-expect-error unknown instrumentation event identifier
  listen(User, "classInstrumented", () => undefined);
  // @ts-expect-error classInstrument passes one argument
  listen(User, "classInstrument", (_cls: Class, _extra: string) => undefined);
  // @ts-expect-error attributeInstrument's key is a string
  listen(User, "attributeInstrument", (_cls: Class, _key: number) => undefined);
  // @ts-expect-error instrumentation events need a class target, not an attribute
  listen(attributeOf(User, "name"), "classInstrument", () => undefined);
}
void typedInstrumentationListeners;

function typedRegistration(): void {
  const manager = registerClass(User, {
    expiredAttributeLoader: (state, keys, passive) => {
      assertType<Equals<typeof state, InstanceState<User>>>();
      const k: ReadonlySet<string> = keys;
      const p: number = passive;
      void k;
      void p;
    },
  });
  assertType<Equals<typeof manager, ClassManager<User>>>();
  const fresh: User = manager.newInstance();
  const state: InstanceState<User> = instanceState(fresh);
  const obj: User | undefined = state.obj();
  void obj;
  const h: History = getHistory(fresh, "name");
  void h;

  // @ts-expect-error keys are a set of strings
  registerClass(User, { expiredAttributeLoader: (_state, _keys: number[]) => undefined });
  // @ts-expect-error newInstance produces the manager's class
  const notOrder: Order = managerOfClass(User).newInstance();
  void notOrder;
}
void typedRegistration;

// ---------------------------------------------------------------------------------------------
// Run-time: the typed calls above behave as typed.
// ---------------------------------------------------------------------------------------------

test("attributeOf returns the registered descriptor for the typed key", (t) => {
  const nameAttr = attributeOf(User, "name");
  t.is(nameAttr.key, "name");
  t.is(nameAttr.class_, User);
  t.is<unknown, unknown>(nameAttr, managerOfClass(User).get("name"));
});

test("a typed set listener receives the instance and a string value; retval replaces it", (t) => {
  const nameAttr = attributeOf(User, "name");
  const seen: Array<[User, string]> = [];
  const observe = (target: User, value: string) => {
    seen.push([target, value]);
  };
  const upper = (_target: User, value: string) => value.toUpperCase();
  listen(nameAttr, "set", observe);
  listen(nameAttr, "set", upper, { retval: true });
  t.teardown(() => {
    removeListener(nameAttr, "set", observe);
    removeListener(nameAttr, "set", upper);
  });
  t.true(hasListener(nameAttr, "set", observe));
  const u = new User();
  u.name = "ada";
  t.is(seen.length, 1);
  t.is(seen[0]![0], u);
  t.is(seen[0]![1], "ada");
  t.is(u.name, "ADA");
});

test("a raw typed listener receives the InstanceState", (t) => {
  const ageAttr = attributeOf(User, "age");
  const states: Array<InstanceState<User>> = [];
  const fn = (state: InstanceState<User>, _value: number) => {
    states.push(state);
  };
  listen(ageAttr, "set", fn, { raw: true });
  t.teardown(() => removeListener(ageAttr, "set", fn));
  const u = new User();
  u.age = 3;
  t.is(states.length, 1);
  t.is(states[0], instanceState(u));
  t.is(states[0]!.obj(), u);
});

test("a typed append listener receives string members of a string[] collection", (t) => {
  const tagsAttr = attributeOf(User, "tags");
  const seen: string[] = [];
  const fn = (_target: User, value: string) => {
    seen.push(value);
  };
  listen(tagsAttr, "append", fn);
  t.teardown(() => removeListener(tagsAttr, "append", fn));
  const u = new User();
  u.tags.push("a", "b");
  t.deepEqual(seen, ["a", "b"]);
});

test("typed instance and instrumentation listeners fire with their typed arguments", (t) => {
  class Local {
    declare title: string;
  }
  const instrumented: Class[] = [];
  const attrs: Array<[Class, string]> = [];
  const onClass = (cls: Class) => {
    instrumented.push(cls);
  };
  const onAttr = (cls: Class, key: string) => {
    attrs.push([cls, key]);
  };
  listen(Local, "classInstrument", onClass);
  listen(Local, "attributeInstrument", onAttr);
  t.teardown(() => {
    removeListener(Local, "classInstrument", onClass);
    removeListener(Local, "attributeInstrument", onAttr);
  });
  registerClass(Local);
  registerAttribute(Local, "title");
  t.deepEqual(instrumented, [Local]);
  t.deepEqual(attrs, [[Local, "title"]]);

  const expired: Array<ReadonlySet<string> | undefined> = [];
  const onExpire = (_target: Local, keys: ReadonlySet<string> | undefined) => {
    expired.push(keys);
  };
  listen(Local, "expire", onExpire);
  t.teardown(() => removeListener(Local, "expire", onExpire));
  const obj = new Local();
  obj.title = "x";
  instanceState(obj).expireAttributes(["title"]);
  t.is(expired.length, 1);
  t.deepEqual([...(expired[0] ?? [])], ["title"]);
});
