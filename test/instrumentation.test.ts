/**
 * ClassManager / registration tests: the portable parts of SQLAlchemy's
 * test/orm/test_instrumentation.py (NativeInstrumentationTest, MiscTest.test_uninstrument,
 * "no double state" checks) plus the ClassManager contract of API.md.
 *
 * Every test defines its own classes. Instrumentation listeners are attached to the test's own
 * classes (they fire for the class and its subclasses), except where `Object` is the point of the
 * test; those are removed in `t.teardown`.
 */
import test from "ava";
import {
  ClassManager,
  InstrumentationFactory,
  InstrumentedAttribute,
  UnmappedClassError,
  ReservedAttributeError,
  InstrumentationError,
  InvalidRequestError,
  attributeOf,
  getAttribute,
  getHistory,
  getInstrumentationFactory,
  instanceState,
  isInstrumented,
  type Class,
  listen,
  managerOfClass,
  optManagerOfClass,
  registerAttribute,
  registerClass,
  removeListener,
  unregisterAttribute,
  unregisterClass,
} from "../runtime/index.js";
// internal: how the extension swaps the factory in force (not part of the public API)
import { setInstrumentationFactory } from "../runtime/instrumentation.js";

/** Whether `cls.prototype` has an own property `key` (where descriptors are installed). */
function hasDescriptor(cls: Function, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(cls.prototype, key);
}

/** The value `installMember` recorded as the original of `key` (the runtime keeps descriptors). */
function originalValue(manager: ClassManager, key: string): unknown {
  const recorded = manager.originals.get(key);
  return recorded !== undefined && typeof recorded === "object" ? (recorded as PropertyDescriptor).value : recorded;
}

/** Lets Node deliver queued `process.emitWarning` warnings (they are emitted on a later tick). */
function flushWarnings(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------
// NativeInstrumentationTest.test_register_reserved_attribute
// ---------------------------------------------------------------------------------------------

test("installMember / installDescriptor refuse the reserved STATE_ATTR and MANAGER_ATTR keys", (t) => {
  class T {}
  const manager = registerClass(T);
  const attr = registerAttribute(T, "dummy" as never);
  const reserved = [ClassManager.STATE_ATTR, ClassManager.MANAGER_ATTR];
  t.not(ClassManager.STATE_ATTR as unknown, ClassManager.MANAGER_ATTR as unknown);
  for (const key of reserved) {
    t.throws(() => manager.installMember(key as never, () => 1), { instanceOf: ReservedAttributeError });
    t.throws(() => manager.installDescriptor(key as never, attr), { instanceOf: ReservedAttributeError });
  }
  // The manager is still the class's own, and no instance state was replaced by a member.
  t.is(managerOfClass(T), manager);
  t.is(optManagerOfClass(T), manager);
});

test("a reserved key is never overwritten on the class or prototype by a failed install", (t) => {
  class T {}
  const manager = registerClass(T);
  t.throws(() => manager.installMember(ClassManager.MANAGER_ATTR as never, "junk"), {
    instanceOf: ReservedAttributeError,
  });
  // The manager is still stored under its key.
  t.is(managerOfClass(T), manager);
  const obj = new T();
  const state = instanceState(obj);
  t.throws(() => manager.installMember(ClassManager.STATE_ATTR as never, "junk"), {
    instanceOf: ReservedAttributeError,
  });
  t.is(instanceState(obj), state);
});

// ---------------------------------------------------------------------------------------------
// MiscTest.test_uninstrument
// ---------------------------------------------------------------------------------------------

test("unregisterClass removes the manager and the attribute descriptors", (t) => {
  class A {
    declare x: unknown;
  }
  const manager = registerClass(A);
  registerAttribute(A, "x");
  t.is(managerOfClass(A), manager);
  t.true(hasDescriptor(A, "x"));

  unregisterClass(A);

  t.is(optManagerOfClass(A), undefined);
  t.false(hasDescriptor(A, "x"));
  const err = t.throws(() => managerOfClass(A), { instanceOf: UnmappedClassError });
  t.regex(err!.message, /Can't locate an instrumentation manager for class .*A/);
});

test("after unregisterClass, a plain instance behaves like an ordinary object again", (t) => {
  class A {
    declare x: unknown;
  }
  registerClass(A);
  registerAttribute(A, "x");
  unregisterClass(A);
  const a = new A();
  a.x = 5;
  t.true(Object.prototype.hasOwnProperty.call(a, "x"));
  t.is(a.x, 5);
});

test("unregistering twice throws UnmappedClassError", (t) => {
  class A {}
  registerClass(A);
  unregisterClass(A);
  t.throws(() => unregisterClass(A), { instanceOf: UnmappedClassError, message: /A/ });
});

test("unregisterClass on a class that was never registered throws UnmappedClassError", (t) => {
  class Never {}
  t.throws(() => unregisterClass(Never), { instanceOf: UnmappedClassError, message: /Never/ });
});

test("unregisterClass restores members installed with installMember", (t) => {
  class A {
    greet(): string {
      return "original";
    }
  }
  const original = A.prototype.greet;
  const manager = registerClass(A);
  manager.installMember("greet", () => "replaced");
  manager.installMember("extra", () => "extra");
  t.is(new A().greet(), "replaced");
  unregisterClass(A);
  t.is(A.prototype.greet, original);
  t.is(new A().greet(), "original");
  t.false(Object.prototype.hasOwnProperty.call(A.prototype, "extra"));
});

test("unregisterClass restores a prototype accessor that an attribute descriptor replaced", (t) => {
  class A {
    get x(): string {
      return "plain getter";
    }
  }
  const original = Object.getOwnPropertyDescriptor(A.prototype, "x")!;
  registerClass(A);
  registerAttribute(A, "x");
  const a = new A();
  instanceState(a);
  t.is<unknown, unknown>(a.x, undefined); // the instrumented accessor now answers: nothing set yet
  t.not(Object.getOwnPropertyDescriptor(A.prototype, "x")!.get, original.get);
  unregisterClass(A);
  t.is(Object.getOwnPropertyDescriptor(A.prototype, "x")!.get, original.get);
  t.is(new A().x, "plain getter");
});

test("unregister clears info", (t) => {
  class A {}
  const manager = registerClass(A);
  manager.info["note"] = "x";
  unregisterClass(A);
  t.deepEqual(Object.keys(manager.info), []);
});

test("classUninstrument fires after teardown, once, with the class", (t) => {
  class A {
    declare x: unknown;
  }
  registerClass(A);
  registerAttribute(A, "x");
  const seen: Array<{ cls: Function; manager: unknown; descriptor: boolean }> = [];
  const fn = (cls: Class) => {
    seen.push({ cls, manager: optManagerOfClass(cls), descriptor: hasDescriptor(A, "x") });
  };
  listen(A, "classUninstrument", fn);
  t.teardown(() => removeListener(A, "classUninstrument", fn));

  unregisterClass(A);
  t.is(seen.length, 1);
  t.is(seen[0]!.cls, A);
  t.is(seen[0]!.manager, undefined);
  t.false(seen[0]!.descriptor);
});

test("classUninstrument listened on Object sees every class", (t) => {
  class Mine {}
  registerClass(Mine);
  const seen: Function[] = [];
  const fn = (cls: Function) => {
    if (cls === Mine) seen.push(cls);
  };
  listen(Object, "classUninstrument", fn);
  t.teardown(() => removeListener(Object, "classUninstrument", fn));
  unregisterClass(Mine);
  t.deepEqual(seen, [Mine]);
});

test("unregister leaves subclass managers in place, minus the propagated attributes", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {
    declare y: unknown;
  }
  registerClass(A);
  const mb = registerClass(B);
  registerAttribute(A, "x");
  registerAttribute(B, "y");
  t.deepEqual([...mb.keys()], ["x", "y"]);

  unregisterClass(A);
  t.is(optManagerOfClass(B), mb);
  t.deepEqual([...mb.keys()], ["y"]);
  t.false(mb.has("x"));
});

// ---------------------------------------------------------------------------------------------
// state creation: one state per instance ("no double state")
// ---------------------------------------------------------------------------------------------

test("an instance gets exactly one state, created lazily and reused", (t) => {
  class A {
    declare x: unknown;
  }
  const manager = registerClass(A);
  registerAttribute(A, "x");
  const a = new A();
  const s1 = instanceState(a);
  a.x = 1;
  const s2 = instanceState(a);
  t.is(s1, s2);
  t.is(s1.obj(), a);
  t.is(s1.manager, manager);
  t.is(s1.class_, A);
  t.true(manager.hasState(a));
});

test("constructors up a registered chain share one state, from the most-derived manager", (t) => {
  // JavaScript's form of SQLAlchemy's test_no_double_state: A's constructor body touches an
  // attribute first (creating the state lazily), then B's constructor does; one state results.
  const statesSeen: unknown[] = [];
  class A {
    declare x: unknown;
    constructor() {
      this.x = 1;
      statesSeen.push(instanceState(this));
    }
  }
  class B extends A {
    declare y: unknown;
    constructor() {
      super();
      this.y = 2;
      statesSeen.push(instanceState(this));
    }
  }
  registerClass(A);
  registerAttribute(A, "x");
  const mb = registerClass(B);
  registerAttribute(B, "y");
  const b = new B();
  const state = instanceState(b);
  t.is(statesSeen.length, 2);
  t.is(statesSeen[0], state);
  t.is(statesSeen[1], state);
  t.is(state.manager, mb);
  t.is(state.class_, B);
  t.deepEqual([...state.getHistory("x").added], [1]);
  t.deepEqual([...state.getHistory("y").added], [2]);
});

test("an instance of a registered subclass gets one state from the subclass manager", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  const ma = registerClass(A);
  registerAttribute(A, "x");
  const mb = registerClass(B);
  const b = new B();
  b.x = 3;
  const state = instanceState(b);
  t.is(state, instanceState(b));
  t.is(state.manager, mb);
  t.not(state.manager, ma);
  t.is(state.class_, B);
  t.is(b.x, 3);
  t.deepEqual([...state.getHistory("x").added], [3]);
});

test("an instance of an unregistered subclass gets a working state with class_ = the subclass", (t) => {
  // SQLAlchemy gives such an instance a state whose manager is the superclass manager (reference
  // §9 quirk 12); the intended behaviour is a state that knows its real class and every attribute
  // inherited from the registered ancestor.
  class A {
    declare x: unknown;
  }
  class B extends A {}
  const ma = registerClass(A);
  const ax = registerAttribute(A, "x");
  const b = new B();
  b.x = "v";
  const state = instanceState(b);
  t.is(state.class_, B);
  t.is(state.manager.get("x"), ax);
  t.is(b.x, "v");
  t.deepEqual([...state.getHistory("x").added], ["v"]);
  t.is(instanceState(b), state);
  // A's own manager is untouched and still A's
  t.is(managerOfClass(A), ma);
});

test("attributes reach a registered class through an unregistered intermediate class", (t) => {
  // SQLAlchemy copies only direct bases' managers (reference §2.1 / §9 quirk 7), leaving a gap;
  // the intended behaviour is that C sees A's attribute.
  class A {
    declare x: unknown;
  }
  class B extends A {}
  class C extends B {}
  registerClass(A);
  const ax = registerAttribute(A, "x");
  const mc = registerClass(C);
  t.is(mc.get("x"), ax);
  const c = new C();
  c.x = 1;
  t.deepEqual([...getHistory(c, "x").added], [1]);
  // an attribute added to A later reaches C as well
  const ay = registerAttribute(A, "y" as never);
  t.is(mc.get("y"), ay);
});

// ---------------------------------------------------------------------------------------------
// ClassManager: Map semantics, identity
// ---------------------------------------------------------------------------------------------

test("ClassManager is a Map of attribute name to InstrumentedAttribute", (t) => {
  class A {
    declare x: unknown;
    declare y: unknown;
  }
  const manager = registerClass(A);
  t.true(manager instanceof Map);
  t.true(manager instanceof ClassManager);
  t.is(manager.size, 0);
  t.truthy(manager); // an empty manager is still a truthy object
  const ax = registerAttribute(A, "x");
  registerAttribute(A, "y");
  t.is(manager.size, 2);
  t.is(manager.get("x"), ax);
  t.true(manager.get("x") instanceof InstrumentedAttribute);
  t.is(manager.get("x"), attributeOf(A, "x"));
  t.is(manager.class_, A);
});

test("two managers with equal contents are distinct (identity semantics)", (t) => {
  class A {}
  class B {}
  const ma = registerClass(A);
  const mb = registerClass(B);
  t.not(ma, mb);
  const byManager = new Map<ClassManager, string>([
    [ma, "a"],
    [mb, "b"],
  ]);
  t.is(byManager.size, 2);
  t.is(byManager.get(ma), "a");
  t.is(byManager.get(mb), "b");
  t.is(new Set([ma, mb, ma]).size, 2);
});

test("attribute order: base keys first, then keys in the order they are added; re-adding keeps position", (t) => {
  class A {
    declare a: unknown;
    declare b: unknown;
    declare d: unknown;
  }
  class B extends A {
    declare c: unknown;
  }
  const ma = registerClass(A);
  registerAttribute(A, "b");
  registerAttribute(A, "a");
  const mb = registerClass(B);
  t.deepEqual([...mb.keys()], ["b", "a"]);
  registerAttribute(B, "c");
  registerAttribute(A, "d");
  t.deepEqual([...ma.keys()], ["b", "a", "d"]);
  t.deepEqual([...mb.keys()], ["b", "a", "c", "d"]);

  // re-instrumenting an existing key replaces the value but keeps its position
  const replacement = ma.get("b")!;
  ma.instrumentAttribute("b", replacement);
  t.deepEqual([...ma.keys()], ["b", "a", "d"]);
  t.deepEqual([...mb.keys()], ["b", "a", "c", "d"]);
});

test("localAttrs holds only attributes registered on the class itself", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {
    declare y: unknown;
  }
  const ma = registerClass(A);
  const mb = registerClass(B);
  const ax = registerAttribute(A, "x");
  const by = registerAttribute(B, "y");
  t.true(ma.localAttrs instanceof Map);
  t.deepEqual([...ma.localAttrs.keys()], ["x"]);
  t.is(ma.localAttrs.get("x"), ax);
  t.deepEqual([...mb.localAttrs.keys()], ["y"]);
  t.is(mb.localAttrs.get("y"), by);
  t.true(mb.has("x"));
  t.false(mb.localAttrs.has("x"));
});

test("isInstrumented(key) checks local attributes; isInstrumented(key, true) all of them", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {
    declare y: unknown;
  }
  registerClass(A);
  const mb = registerClass(B);
  registerAttribute(A, "x");
  registerAttribute(B, "y");
  t.false(mb.isInstrumented("x"));
  t.false(mb.isInstrumented("x", false));
  t.true(mb.isInstrumented("x", true));
  t.true(mb.isInstrumented("y"));
  t.true(mb.isInstrumented("y", true));
  t.false(mb.isInstrumented("z", true));
});

test("module-level isInstrumented(obj, key) searches inherited attributes", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  registerClass(A);
  registerClass(B);
  registerAttribute(A, "x");
  t.true(isInstrumented(new B(), "x"));
  t.true(isInstrumented(new A(), "x"));
  t.false(isInstrumented(new A(), "nope"));
});

test("module-level isInstrumented on an instance of an unregistered class throws UnmappedClassError", (t) => {
  class Plain {}
  t.throws(() => isInstrumented(new Plain(), "x"), { instanceOf: UnmappedClassError });
});

test("getImpl returns the attribute's impl", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  const ma = registerClass(A);
  const mb = registerClass(B);
  const attr = registerAttribute(A, "x");
  t.truthy(attr.impl);
  t.is(ma.getImpl("x"), attr.impl!);
  t.is(mb.getImpl("x"), attr.impl!);
});

test("attributes iterates the descriptors in map order", (t) => {
  class A {
    declare x: unknown;
    declare y: unknown;
  }
  const manager = registerClass(A);
  const x = registerAttribute(A, "x");
  const y = registerAttribute(A, "y");
  t.deepEqual([...manager.attributes], [x, y]);
  t.deepEqual([...manager.attributes], [...manager.values()]);
});

test("info is a plain object that starts empty and persists", (t) => {
  class A {}
  const manager = registerClass(A);
  t.deepEqual(Object.keys(manager.info), []);
  t.is(Object.getPrototypeOf(manager.info), Object.prototype);
  (manager.info as Record<string, unknown>)["k"] = 1;
  t.is((managerOfClass(A).info as Record<string, unknown>)["k"], 1);
  t.is(manager.info, registerClass(A).info);
});

test("isMapped: false before finalization, true once registered, false after unregister", (t) => {
  class A {}
  const manager = registerClass(A, { finalize: false });
  t.false(manager.isMapped);
  registerClass(A);
  t.true(manager.isMapped);
  unregisterClass(A);
  // SQLAlchemy's unregister() makes is_mapped True (reference §9 quirk 6); not ported.
  t.false(manager.isMapped);
});

test("getImpl of an unknown key throws InvalidRequestError naming class and attribute", (t) => {
  class A {}
  const manager = registerClass(A);
  t.throws(() => manager.getImpl("missing"), { instanceOf: InvalidRequestError, message: /A\.missing is not an instrumented attribute/ });
});

// ---------------------------------------------------------------------------------------------
// originals: installMember / uninstallMember
// ---------------------------------------------------------------------------------------------

test("installMember records the class's own previous member; the first original wins", (t) => {
  class A {
    hello(): string {
      return "orig";
    }
  }
  const orig = A.prototype.hello;
  const manager = registerClass(A);
  const first = () => "first";
  const second = () => "second";
  manager.installMember("hello", first);
  t.is(originalValue(manager, "hello"), orig);
  t.is(new A().hello(), "first");
  manager.installMember("hello", second);
  t.is(originalValue(manager, "hello"), orig);
  t.is(new A().hello(), "second");

  manager.uninstallMember("hello");
  t.is(A.prototype.hello, orig);
  t.false(manager.originals.has("hello"));
  t.is(new A().hello(), "orig");
});

test("uninstallMember deletes a member the class did not have before", (t) => {
  class A {}
  const manager = registerClass(A);
  manager.installMember("added", 42);
  t.true(manager.originals.has("added"));
  t.is((new A() as unknown as { added: number }).added, 42);
  manager.uninstallMember("added");
  t.false(Object.prototype.hasOwnProperty.call(A.prototype, "added"));
  t.false("added" in new A());
  t.false(manager.originals.has("added"));
});

test("installMember records only the class's OWN previous value, not an inherited one", (t) => {
  class Base {
    hello(): string {
      return "base";
    }
  }
  class A extends Base {}
  const manager = registerClass(A);
  manager.installMember("hello", () => "mine");
  t.is(new A().hello(), "mine");
  manager.uninstallMember("hello");
  // A had no own `hello`: after uninstall, the inherited one shows through again
  t.false(Object.prototype.hasOwnProperty.call(A.prototype, "hello"));
  t.is(new A().hello(), "base");
  t.is(new Base().hello(), "base");
});

// ---------------------------------------------------------------------------------------------
// propagation
// ---------------------------------------------------------------------------------------------

test("attributes propagate to subclasses registered before the attribute", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  class C extends B {}
  registerClass(A);
  const mb = registerClass(B);
  const mc = registerClass(C);
  const ax = registerAttribute(A, "x");
  t.is(mb.get("x"), ax);
  t.is(mc.get("x"), ax);
  t.false(mb.localAttrs.has("x"));
  t.false(mc.localAttrs.has("x"));
  // nothing is installed on the subclasses: the base descriptor is inherited
  t.false(hasDescriptor(B, "x"));
  t.false(hasDescriptor(C, "x"));
  const c = new C();
  c.x = 10;
  t.is(c.x, 10);
  t.deepEqual([...instanceState(c).getHistory("x").added], [10]);
});

test("attributes are inherited by subclasses registered after the attribute", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  registerClass(A);
  const ax = registerAttribute(A, "x");
  const mb = registerClass(B);
  t.is(mb.get("x"), ax);
  t.false(mb.localAttrs.has("x"));
  const b = new B();
  b.x = "q";
  t.deepEqual([...instanceState(b).getHistory("x").added], ["q"]);
});

test("a local attribute on a subclass is not replaced by propagation from the base", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  class C extends B {}
  registerClass(A);
  const mb = registerClass(B);
  const mc = registerClass(C);
  const bx = registerAttribute(B, "x");
  t.is(mc.get("x"), bx);
  const ax = registerAttribute(A, "x");
  t.not(ax, bx);
  t.is(managerOfClass(A).get("x"), ax);
  t.is(mb.get("x"), bx);
  t.is(mb.localAttrs.get("x"), bx);
  // propagation stops at the local override: C keeps B's attribute
  t.is(mc.get("x"), bx);
});

test("a subclass attribute registered after the base one overrides it locally", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  registerClass(A);
  const mb = registerClass(B);
  const ax = registerAttribute(A, "x");
  t.is(mb.get("x"), ax);
  const bx = registerAttribute(B, "x");
  t.is(mb.get("x"), bx);
  t.is(managerOfClass(A).get("x"), ax);
  t.true(hasDescriptor(B, "x"));
});

test("unregisterAttribute removes the attribute from the class and its subclasses", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  class C extends B {}
  const ma = registerClass(A);
  const mb = registerClass(B);
  const mc = registerClass(C);
  registerAttribute(A, "x");
  t.true(mc.has("x"));
  unregisterAttribute(A, "x");
  t.false(ma.has("x"));
  t.false(ma.localAttrs.has("x"));
  t.false(mb.has("x"));
  t.false(mc.has("x"));
  t.false(hasDescriptor(A, "x"));
});

test("uninstrumenting a base attribute keeps a subclass's local override", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  class C extends B {}
  const ma = registerClass(A);
  const mb = registerClass(B);
  const mc = registerClass(C);
  registerAttribute(A, "x");
  const bx = registerAttribute(B, "x");
  ma.uninstrumentAttribute("x");
  t.false(ma.has("x"));
  t.is(mb.get("x"), bx);
  t.is(mc.get("x"), bx);
  t.true(hasDescriptor(B, "x"));
});

test("uninstrumentAttribute of an unknown key is a no-op", (t) => {
  class A {
    declare x: unknown;
  }
  const manager = registerClass(A);
  const x = registerAttribute(A, "x");
  t.notThrows(() => manager.uninstrumentAttribute("nothing"));
  t.is(manager.get("x"), x);
  t.is(manager.size, 1);
});

test("instrumentAttribute with propagated=true does not install a descriptor or a local attr", (t) => {
  class A {
    declare x: unknown;
  }
  class B {}
  registerClass(A);
  const mb = registerClass(B);
  const ax = registerAttribute(A, "x");
  mb.instrumentAttribute("x", ax, true);
  t.is(mb.get("x"), ax);
  t.false(mb.localAttrs.has("x"));
  t.false(hasDescriptor(B, "x"));
  mb.uninstrumentAttribute("x", true);
  t.false(mb.has("x"));
});

test("a base registered after its subclass still propagates attributes to it", (t) => {
  // SQLAlchemy finds existing subclasses through __subclasses__() whenever a base attribute is
  // instrumented; a subclass registered before its base must therefore receive the attribute.
  class A {
    declare x: unknown;
  }
  class B extends A {}
  const mb = registerClass(B);
  const ma = registerClass(A);
  const ax = registerAttribute(A, "x");
  t.is(mb.get("x"), ax);
  t.true([...ma.subclassManagers(false)].includes(mb));
  const b = new B();
  b.x = 5;
  t.is(b.x, 5);
  t.deepEqual([...getHistory(b, "x").added], [5]);
});

test("re-registering an unregistered base propagates new attributes to its existing subclass managers", (t) => {
  class A {
    declare x: unknown;
    declare z: unknown;
  }
  class B extends A {}
  registerClass(A);
  registerAttribute(A, "x");
  const mb = registerClass(B);
  unregisterClass(A);
  t.false(mb.has("x"));
  const ma2 = registerClass(A);
  const az = registerAttribute(A, "z");
  t.is(mb.get("z"), az);
  t.true([...ma2.subclassManagers(false)].includes(mb));
  const b = new B();
  b.z = "zz";
  t.deepEqual([...getHistory(b, "z").added], ["zz"]);
});

test("uninstallMember of a key that was never installed leaves the class alone", (t) => {
  // SQLAlchemy sets the class attribute to None in this case (reference §9 quirk 9); not ported.
  class A {}
  const manager = registerClass(A);
  t.notThrows(() => manager.uninstallMember("never"));
  t.false(Object.prototype.hasOwnProperty.call(A.prototype, "never"));
  t.false(Object.prototype.hasOwnProperty.call(A, "never"));
});

test("a failed reserved-key instrumentAttribute leaves no stale localAttrs entry", (t) => {
  // SQLAlchemy records local_attrs[key] before install_descriptor raises (reference §2.5 and §9
  // quirk 8); the intended behaviour is that a failed registration records nothing.
  class A {
    declare x: unknown;
  }
  const manager = registerClass(A);
  const attr = registerAttribute(A, "x");
  t.throws(() => manager.instrumentAttribute(ClassManager.STATE_ATTR as never, attr), {
    instanceOf: ReservedAttributeError,
  });
  t.false(manager.localAttrs.has(ClassManager.STATE_ATTR as never));
  t.false(manager.has(ClassManager.STATE_ATTR as never));
  t.deepEqual([...manager.localAttrs.keys()], ["x"]);
});

test("subclassManagers lists direct subclasses, or the whole managed subtree pre-order", (t) => {
  class A {}
  class B extends A {}
  class C extends B {}
  class D extends A {}
  const ma = registerClass(A);
  const mb = registerClass(B);
  const mc = registerClass(C);
  const md = registerClass(D);
  const direct = [...ma.subclassManagers(false)];
  t.is(direct.length, 2);
  t.is(direct.length, 2);
  t.true(direct.includes(mb) && direct.includes(md));
  t.false(direct.includes(ma));

  const all = [...ma.subclassManagers(true)];
  t.is(all.length, 3);
  t.true(all.includes(mb) && all.includes(mc) && all.includes(md));
  // pre-order: C directly follows B
  t.is(all.indexOf(mc), all.indexOf(mb) + 1);
  t.deepEqual([...mc.subclassManagers(true)], []);
  t.deepEqual([...mb.subclassManagers(false)], [mc]);
});

test("subclassManagers skips subclasses without a manager of their own", (t) => {
  class A {}
  class B extends A {}
  const ma = registerClass(A);
  const mb = registerClass(B);
  t.deepEqual([...ma.subclassManagers(true)], [mb]);
  unregisterClass(B);
  t.deepEqual([...ma.subclassManagers(true)], []);
});

// ---------------------------------------------------------------------------------------------
// registration and lookup
// ---------------------------------------------------------------------------------------------

test("managerOfClass never returns a superclass's manager", (t) => {
  class A {}
  class B extends A {}
  const ma = registerClass(A);
  t.is(managerOfClass(A), ma);
  t.is(optManagerOfClass(B), undefined);
  t.throws(() => managerOfClass(B), { instanceOf: UnmappedClassError, message: /B/ });
  const mb = registerClass(B);
  t.not(mb, ma);
  t.is(managerOfClass(B), mb);
  t.is(managerOfClass(A), ma);
});

test("optManagerOfClass returns undefined for non-classes", (t) => {
  t.is(optManagerOfClass({} as never), undefined);
  class Plain {}
  t.is(optManagerOfClass(Plain), undefined);
});

test("registerClass is idempotent and fires classInstrument once", (t) => {
  class A {}
  const seen: Function[] = [];
  const fn = (cls: Function) => {
    seen.push(cls);
  };
  listen(A, "classInstrument", fn);
  t.teardown(() => removeListener(A, "classInstrument", fn));
  const m1 = registerClass(A);
  const m2 = registerClass(A);
  const m3 = registerClass(A, { finalize: true });
  t.is(m1, m2);
  t.is(m1, m3);
  t.deepEqual(seen, [A]);
});

test("registerClass with finalize:false fires no classInstrument until finalized", (t) => {
  class A {}
  const seen: Function[] = [];
  const fn = (cls: Function) => {
    seen.push(cls);
  };
  listen(A, "classInstrument", fn);
  t.teardown(() => removeListener(A, "classInstrument", fn));
  const m1 = registerClass(A, { finalize: false });
  t.is(optManagerOfClass(A), m1);
  t.deepEqual(seen, []);
  const m2 = registerClass(A, { finalize: false });
  t.is(m2, m1);
  t.deepEqual(seen, []);
  const m3 = registerClass(A);
  t.is(m3, m1);
  t.deepEqual(seen, [A]);
  registerClass(A);
  t.deepEqual(seen, [A]);
});

test("classInstrument listened on a base class fires for subclasses; propagate:false only for the class", (t) => {
  class A {}
  class B extends A {}
  class C {}
  const all: Function[] = [];
  const own: Function[] = [];
  const fnAll = (cls: Function) => {
    all.push(cls);
  };
  const fnOwn = (cls: Function) => {
    own.push(cls);
  };
  listen(A, "classInstrument", fnAll);
  listen(A, "classInstrument", fnOwn, { propagate: false });
  t.teardown(() => {
    removeListener(A, "classInstrument", fnAll);
    removeListener(A, "classInstrument", fnOwn);
  });
  registerClass(A);
  registerClass(B);
  registerClass(C);
  t.deepEqual(all, [A, B]);
  t.deepEqual(own, [A]);
});

test("classInstrument listened on Object fires for any class", (t) => {
  class Anything {}
  const seen: Function[] = [];
  const fn = (cls: Function) => {
    if (cls === Anything) seen.push(cls);
  };
  listen(Object, "classInstrument", fn);
  t.teardown(() => removeListener(Object, "classInstrument", fn));
  registerClass(Anything);
  t.deepEqual(seen, [Anything]);
});

test("attributeInstrument fires once per registration, on the owning class only", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  registerClass(A);
  registerClass(B);
  const seen: Array<[Function, string, unknown]> = [];
  const fn = (cls: Function, key: string, attr: unknown) => {
    seen.push([cls, key, attr]);
  };
  listen(A, "attributeInstrument", fn);
  t.teardown(() => removeListener(A, "attributeInstrument", fn));
  const ax = registerAttribute(A, "x");
  t.is(seen.length, 1);
  t.is(seen[0]![0], A);
  t.is(seen[0]![1], "x");
  t.is(seen[0]![2], ax);
});

test("manager.expiredAttributeLoader comes from registerClass options", (t) => {
  class A {}
  const loader = () => undefined;
  const manager = registerClass(A, { expiredAttributeLoader: loader });
  t.is(manager.expiredAttributeLoader, loader);
  // a later registerClass with a loader updates it (SQLAlchemy _update_state)
  const other = () => undefined;
  registerClass(A, { expiredAttributeLoader: other });
  t.is(manager.expiredAttributeLoader, other);
});

test.serial("deferredScalarLoader is a deprecated alias of expiredAttributeLoader, warning on get and set", async (t) => {
  class A {}
  const manager = registerClass(A);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => {
    if (/deferredScalarLoader/.test(w.message)) warnings.push(w);
  };
  process.on("warning", onWarning);
  t.teardown(() => {
    process.off("warning", onWarning);
  });

  const loader = () => undefined;
  manager.deferredScalarLoader = loader;
  t.is(manager.expiredAttributeLoader, loader);
  await flushWarnings();
  t.is(warnings.length, 1);

  const other = () => undefined;
  manager.expiredAttributeLoader = other;
  t.is(manager.deferredScalarLoader, other);
  await flushWarnings();
  t.is(warnings.length, 2);

  t.is(manager.deferredScalarLoader, other);
  await flushWarnings();
  t.is(warnings.length, 3);
  for (const w of warnings) {
    t.is(w.name, "DeprecationWarning");
    t.is(w.message, "ClassManager.deferredScalarLoader is now named expiredAttributeLoader");
  }
});

test.serial("expiredAttributeLoader is not a deprecated name: using it emits no warning", async (t) => {
  class A {}
  const manager = registerClass(A);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => {
    if (/expiredAttributeLoader|deferredScalarLoader/.test(w.message)) warnings.push(w);
  };
  process.on("warning", onWarning);
  t.teardown(() => {
    process.off("warning", onWarning);
  });
  const loader = () => undefined;
  manager.expiredAttributeLoader = loader;
  t.is(manager.expiredAttributeLoader, loader);
  await flushWarnings();
  t.deepEqual(warnings, []);
});

// ---------------------------------------------------------------------------------------------
// instances: newInstance / setupInstance / teardownInstance / hasState / hasParent
// ---------------------------------------------------------------------------------------------

test("newInstance creates an instance without running the constructor, state attached", (t) => {
  let constructed = 0;
  class A {
    declare x: unknown;
    initialized = "yes";
    constructor() {
      constructed++;
    }
  }
  const manager = registerClass(A);
  registerAttribute(A, "x");
  const a = manager.newInstance();
  t.is(constructed, 0);
  t.true(a instanceof A);
  t.false(Object.prototype.hasOwnProperty.call(a, "initialized"));
  t.true(manager.hasState(a));
  const state = instanceState(a);
  t.is(state.obj(), a);
  t.is(state.manager, manager);
  t.is(state.class_, A);
  a.x = 1;
  t.deepEqual([...state.getHistory("x").added], [1]);
});

test("newInstance(state) attaches the given state", (t) => {
  class A {}
  const manager = registerClass(A);
  const first = manager.newInstance();
  const state = instanceState(first);
  manager.teardownInstance(first);
  const second = manager.newInstance(state);
  t.is(instanceState(second), state);
});

test("setupInstance attaches a new state to an existing instance, replacing any old one", (t) => {
  class A {
    declare x: unknown;
  }
  const manager = registerClass(A);
  registerAttribute(A, "x");
  const a = Object.create(A.prototype) as A;
  manager.setupInstance(a);
  t.true(manager.hasState(a));
  const s1 = instanceState(a);
  t.is(s1.obj(), a);
  manager.setupInstance(a);
  const s2 = instanceState(a);
  t.not(s1, s2);
  t.is(s2.obj(), a);
});

test("setupInstance(instance, state) attaches the given state", (t) => {
  class A {}
  const manager = registerClass(A);
  const donor = manager.newInstance();
  const state = instanceState(donor);
  const a = Object.create(A.prototype) as A;
  manager.setupInstance(a, state);
  t.is(instanceState(a), state);
});

test("teardownInstance removes the state; hasState reflects it", (t) => {
  class A {
    declare x: unknown;
  }
  const manager = registerClass(A);
  registerAttribute(A, "x");
  const a = manager.newInstance();
  t.true(manager.hasState(a));
  const s1 = instanceState(a);
  manager.teardownInstance(a);
  t.false(manager.hasState(a));
  // a fresh state is created lazily on the next use
  const s2 = instanceState(a);
  t.not(s1, s2);
  t.true(manager.hasState(a));
});

test("hasState is false for a fresh `new` instance until its state is needed", (t) => {
  class A {
    declare x: unknown;
  }
  const manager = registerClass(A);
  registerAttribute(A, "x");
  const a = new A();
  t.false(manager.hasState(a));
  instanceState(a);
  t.true(manager.hasState(a));
});

test("manager.hasParent tracks the parent of an object attribute with trackParent", (t) => {
  class Parent {
    declare child: Child | null;
  }
  class Child {}
  const mp = registerClass(Parent);
  registerClass(Child);
  registerAttribute(Parent, "child", { kind: "object", trackParent: true });
  const p = new Parent();
  const c = new Child();
  const cs = instanceState(c);
  t.false(mp.hasParent(cs, "child"));
  t.true(mp.hasParent(cs, "child", true)); // never recorded: optimistic says yes
  p.child = c;
  t.true(mp.hasParent(cs, "child"));
  p.child = null;
  t.false(mp.hasParent(cs, "child"));
  t.false(mp.hasParent(cs, "child", true));
});

test("manager.hasParent on an attribute without trackParent throws InvalidRequestError", (t) => {
  class Parent {
    declare child: unknown;
  }
  class Child {}
  const mp = registerClass(Parent);
  registerClass(Child);
  registerAttribute(Parent, "child", { kind: "object" });
  const c = new Child();
  t.throws(() => mp.hasParent(instanceState(c), "child"), {
    instanceOf: InvalidRequestError,
    message: /not configured to track parents/,
  });
});

// ---------------------------------------------------------------------------------------------
// getters, manage / dispose
// ---------------------------------------------------------------------------------------------

test("stateGetter / dictGetter / managerGetter return working lookup functions", (t) => {
  class A {
    declare x: unknown;
  }
  const manager = registerClass(A);
  registerAttribute(A, "x");
  const a = new A();
  a.x = 7;
  const getState = manager.stateGetter() as (o: object) => unknown;
  const getDict = manager.dictGetter() as (o: object) => Record<string, unknown>;
  const getManager = manager.managerGetter() as (c: Function) => unknown;
  // The state of an instance of a class registered at run time is created on first use;
  // the getter is a plain lookup and creates nothing.
  t.is(getState(a), undefined);
  const state = instanceState(a);
  t.is(getState(a), state);
  t.is(getDict(a)["x"], 7);
  t.is(getManager(A), manager);
  class Plain {}
  t.throws(() => getManager(Plain), { instanceOf: UnmappedClassError });
});

test("dispose removes the manager from the class; manage puts it back", (t) => {
  class A {}
  const manager = registerClass(A);
  manager.dispose();
  t.is(optManagerOfClass(A), undefined);
  manager.manage();
  t.is(optManagerOfClass(A), manager);
});

// ---------------------------------------------------------------------------------------------
// InstrumentationFactory
// ---------------------------------------------------------------------------------------------

test("getInstrumentationFactory returns an InstrumentationFactory; managers record it", (t) => {
  const factory = getInstrumentationFactory();
  t.true(factory instanceof InstrumentationFactory);
  t.is(getInstrumentationFactory(), factory);
  class A {}
  const manager = registerClass(A);
  t.truthy(manager.factory);
});

test("the default factory's hooks: locateExtendedFactory finds nothing, checkConflicts accepts", (t) => {
  const factory = getInstrumentationFactory();
  class A {}
  const located = factory.locateExtendedFactory(A);
  t.deepEqual([...located], [undefined, undefined]);
  t.notThrows(() => factory.checkConflicts(A, ClassManager as never));
});

test("registerClass consults the factory hooks of the factory in force", (t) => {
  const factory = getInstrumentationFactory();
  class A {}
  const located: Function[] = [];
  const checked: Array<[Function, unknown]> = [];
  const origLocate = factory.locateExtendedFactory;
  const origCheck = factory.checkConflicts;
  factory.locateExtendedFactory = function (this: InstrumentationFactory, cls) {
    if (cls === A) located.push(cls);
    return origLocate.call(this, cls);
  };
  factory.checkConflicts = function (this: InstrumentationFactory, cls, f) {
    if (cls === A) checked.push([cls, f]);
    return origCheck.call(this, cls, f);
  };
  t.teardown(() => {
    delete (factory as Partial<InstrumentationFactory>).locateExtendedFactory;
    delete (factory as Partial<InstrumentationFactory>).checkConflicts;
    if (factory.locateExtendedFactory !== origLocate) factory.locateExtendedFactory = origLocate;
    if (factory.checkConflicts !== origCheck) factory.checkConflicts = origCheck;
  });
  const manager = registerClass(A);
  t.deepEqual(located, [A]);
  t.is(checked.length, 1);
  t.is(checked[0]![0], A);
  t.is(checked[0]![1], manager.factory);
  // idempotent registration does not create (or check) again
  registerClass(A);
  t.deepEqual(located, [A]);
  t.is(checked.length, 1);
});

test("a conflict raised by checkConflicts aborts registerClass", (t) => {
  const factory = getInstrumentationFactory();
  class A {}
  const origCheck = factory.checkConflicts;
  factory.checkConflicts = function (this: InstrumentationFactory, cls, f) {
    if (cls === A) throw new InvalidRequestError("conflict for A");
    return origCheck.call(this, cls, f);
  };
  t.teardown(() => {
    delete (factory as Partial<InstrumentationFactory>).checkConflicts;
    if (factory.checkConflicts !== origCheck) factory.checkConflicts = origCheck;
  });
  t.throws(() => registerClass(A), { instanceOf: InvalidRequestError, message: /conflict for A/ });
});

test("locateExtendedFactory can supply the manager and the factory recorded on it", (t) => {
  const factory = getInstrumentationFactory();
  class A {}
  const custom = (cls: Function) => cls;
  let made: ClassManager | undefined;
  const origLocate = factory.locateExtendedFactory;
  factory.locateExtendedFactory = function (this: InstrumentationFactory, cls) {
    if (cls === A) {
      made = new ClassManager(cls);
      return [made, custom];
    }
    return origLocate.call(this, cls);
  };
  t.teardown(() => {
    delete (factory as Partial<InstrumentationFactory>).locateExtendedFactory;
    if (factory.locateExtendedFactory !== origLocate) factory.locateExtendedFactory = origLocate;
  });
  const manager = registerClass(A);
  t.is<unknown, unknown>(manager, made);
  t.is<unknown, unknown>(manager.factory, custom);
  t.is<unknown, unknown>(managerOfClass(A), made);
});

test.serial("a subclass of InstrumentationFactory put in force is used by registerClass", (t) => {
  const original = getInstrumentationFactory();
  const created: Function[] = [];
  class CountingFactory extends InstrumentationFactory {
    override createManagerForCls<T extends object>(cls: Class<T>): ClassManager<T> {
      created.push(cls);
      return super.createManagerForCls(cls);
    }
  }
  const counting = new CountingFactory();
  setInstrumentationFactory(counting);
  t.teardown(() => setInstrumentationFactory(original));
  t.is(getInstrumentationFactory(), counting);
  class A {}
  const manager = registerClass(A);
  t.deepEqual(created, [A]);
  t.is(managerOfClass(A), manager);
  registerClass(A);
  t.deepEqual(created, [A]);
});

test("factory.unregister(cls) tears the class down like unregisterClass", (t) => {
  class A {
    declare x: unknown;
  }
  registerClass(A);
  registerAttribute(A, "x");
  getInstrumentationFactory().unregister(A);
  t.is(optManagerOfClass(A), undefined);
  t.false(hasDescriptor(A, "x"));
  t.throws(() => getInstrumentationFactory().unregister(A), { instanceOf: UnmappedClassError });
});

test("createManagerForCls creates and stores a manager for an uninstrumented class", (t) => {
  class A {}
  const manager = getInstrumentationFactory().createManagerForCls(A);
  t.true(manager instanceof ClassManager);
  t.is(manager.class_, A);
  t.is(optManagerOfClass(A), manager);
  t.is(registerClass(A), manager);
});

// ---------------------------------------------------------------------------------------------
// InstrumentedAttribute basics (as far as ClassManager hands them out)
// ---------------------------------------------------------------------------------------------

test("InstrumentedAttribute: class_, key, toString", (t) => {
  class Widget {
    declare size: unknown;
  }
  registerClass(Widget);
  const attr = registerAttribute(Widget, "size");
  t.is(attr.class_, Widget);
  t.is(attr.key, "size");
  t.is(attr.toString(), "Widget.size");
  t.is(String(attr), "Widget.size");
});

test("getAttribute works through the manager's attribute for inherited attributes", (t) => {
  class A {
    declare x: unknown;
  }
  class B extends A {}
  registerClass(A);
  registerClass(B);
  registerAttribute(A, "x");
  const b = new B();
  b.x = 4;
  t.is(getAttribute(b, "x"), 4);
});

test("errors thrown by the registration layer are InstrumentationErrors", (t) => {
  class Nope {}
  const err = t.throws(() => managerOfClass(Nope));
  t.true(err instanceof InstrumentationError);
});

test("issue 9 bug 8: after unregisterClass, existing instances still read their values", (t) => {
  class A {
    declare x: unknown;
    declare items: unknown[];
  }
  class B extends A {}
  registerClass(A);
  registerAttribute(A, "x");
  registerAttribute(A, "items", { kind: "collection" });
  const a = new A();
  a.x = 5;
  a.items.push("i");
  const b = new B();
  b.x = "sub";
  unregisterClass(A);
  t.false(hasDescriptor(A, "x"), "the prototype itself is restored");
  t.is(a.x, 5);
  t.deepEqual([...a.items], ["i"]);
  t.is(b.x, "sub");
  a.x = 6;
  t.is(a.x, 6);
  t.true(Object.prototype.hasOwnProperty.call(a, "x"), "a write after unregistering makes an ordinary property");
  const fresh = new A();
  t.is(fresh.x, undefined);
  fresh.x = 1;
  t.true(Object.prototype.hasOwnProperty.call(fresh, "x"));
});
