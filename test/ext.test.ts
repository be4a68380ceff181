/**
 * Alternate instrumentation (`class-instrumentation/ext`): the portable tests of SQLAlchemy's
 * test/ext/test_extendedattr.py (UserDefinedExtensionTest, FinderTest,
 * InstrumentationCollisionTest, DisposeTest through registerClass / unregisterClass), plus the
 * behaviour API.md adds: listeners survive the import, idempotent install, default lookups
 * restored, conflicts rolled back, adapter-managed classes torn down on unregister, and the
 * runtime functions working on a user-managed class.
 *
 * Three bases are exercised by the UserDefinedExtensionTest ports:
 * - "plain": no base class, the default ClassManager;
 * - "hook": `MyBaseClass`, whose `__sa_instrumentation_manager__` is `InstrumentationManager`
 *   (descriptors installed, manager/state/dict under the extension's own keys);
 * - "custom": `MyClass`, whose hook is a plain function returning a `MyTypesManager` — no
 *   descriptors at all, the values in the instance's own `_goofyDict`, the state in `_myState`,
 *   collections of its own class. Instances are Proxies that route attribute access through
 *   `isInstrumented` + `getAttribute` / `setAttribute` / `delAttribute`, as SQLAlchemy's
 *   `__getattr__` / `__setattr__` / `__delattr__` do.
 *
 * Global state (lookups, finder list) is shared by every test of this file, so all tests are
 * serial and each one restores it afterwards.
 */
import test from "ava";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import {
  ClassManager,
  ExpiredAttributeError,
  InstrumentationConflictError,
  UnmappedClassError,
  UnmappedInstanceError,
  type Class,
  type InstanceState,
  attributeOf,
  collection,
  delAttribute,
  getAttribute,
  getHistory,
  getInstrumentationFactory,
  getStateHistory,
  instanceDict,
  instanceState,
  isInstrumented,
  listen,
  loadExpired,
  managerOfClass,
  optManagerOfClass,
  prepareInstrumentation,
  registerAttribute,
  registerClass,
  removeListener,
  setAttribute,
  unregisterClass,
} from "../runtime/index.js";
import {
  ClassInstrumentationAdapter,
  ExtendedInstrumentationRegistry,
  INSTRUMENTATION_MANAGER,
  InstrumentationManager,
  findNativeUserInstrumentationHook,
  installExtendedInstrumentation,
  instrumentationFinders,
  reinstallDefaultLookups,
} from "../runtime/ext/index.js";
import { hist } from "./helpers.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- instances of generated classes are untyped */
type AnyClass = new (...args: any[]) => any;

// ---------------------------------------------------------------------------------------------
// global-state hygiene
// ---------------------------------------------------------------------------------------------

const pristineFinders = [...instrumentationFinders];

test.afterEach.always(() => {
  reinstallDefaultLookups();
  instrumentationFinders.splice(0, instrumentationFinders.length, ...pristineFinders);
});

function registry(): ExtendedInstrumentationRegistry {
  const factory = getInstrumentationFactory();
  if (!(factory instanceof ExtendedInstrumentationRegistry)) throw new Error("the extended registry is not installed");
  return factory;
}

// ---------------------------------------------------------------------------------------------
// fixtures: MyTypesManager, MyListLike, MyBaseClass, MyClass
// ---------------------------------------------------------------------------------------------

/** A list-like collection that is not an Array: members kept in a private array. */
class MyListLike {
  private readonly members: unknown[] = [];
  push(item: unknown): void {
    this.members.push(item);
  }
  remove(item: unknown): void {
    const i = this.members.indexOf(item);
    if (i < 0) throw new RangeError("MyListLike.remove(x): x not in collection");
    this.members.splice(i, 1);
  }
  values(): IterableIterator<unknown> {
    return this.members.values();
  }
  [Symbol.iterator](): IterableIterator<unknown> {
    return this.members.values();
  }
  get length(): number {
    return this.members.length;
  }
}
collection.roles(MyListLike, { appender: "push", remover: "remove", iterator: "values" });

function defineSlot(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: true });
}

/**
 * SQLAlchemy's `MyTypesManager`: no descriptors, values in `instance._goofyDict`, state in
 * `instance._myState`, collections are `MyListLike` whatever the attribute asked for.
 */
class MyTypesManager extends InstrumentationManager {
  override instrumentAttribute(): void {}
  override installDescriptor(): void {}
  override uninstallDescriptor(): void {}
  override instrumentCollectionClass(): () => object {
    return prepareInstrumentation(MyListLike);
  }
  override getInstanceDict(_cls: Class, instance: object): Record<string, unknown> {
    return (instance as { _goofyDict: Record<string, unknown> })._goofyDict;
  }
  override initializeInstanceDict(_cls: Class, instance: object): void {
    defineSlot(instance, "_goofyDict", {});
  }
  override installState(_cls: Class, instance: object, state: InstanceState): void {
    defineSlot(instance, "_myState", state);
  }
  override removeState(_cls: Class, instance: object): void {
    delete (instance as { _myState?: unknown })._myState;
  }
  override stateGetter(): (instance: object) => InstanceState | undefined {
    return (instance) => (instance as { _myState?: InstanceState })._myState;
  }
}

/** Base whose hook is the `InstrumentationManager` class itself. */
class MyBaseClass {
  static readonly __sa_instrumentation_manager__ = InstrumentationManager;
}

/** Whether `key` of `obj` is an instrumented attribute of its (registered) class. */
function routesToAttribute(obj: object, key: PropertyKey): key is string {
  if (typeof key !== "string") return false;
  const cls = (Object.getPrototypeOf(obj) as { constructor?: Class } | null)?.constructor;
  return cls !== undefined && optManagerOfClass(cls) !== undefined && isInstrumented(obj, key);
}

/**
 * Base whose hook is a plain function (SQLAlchemy: a staticmethod) returning a MyTypesManager.
 * Instances are Proxies: instrumented keys go through get/set/delAttribute, other keys live in
 * `_goofyDict` (SQLAlchemy's `__getattr__` / `__setattr__` / `__delattr__`).
 */
class MyClass {
  static readonly __sa_instrumentation_manager__ = (cls: Class) => new MyTypesManager(cls);

  constructor(init: Record<string, unknown> = {}) {
    const self = new Proxy(this, {
      get(target, key, receiver) {
        if (key in target) return Reflect.get(target, key, receiver);
        if (routesToAttribute(receiver, key)) return getAttribute(receiver, key);
        const dict = (target as { _goofyDict?: Record<PropertyKey, unknown> })._goofyDict;
        return dict === undefined ? undefined : dict[key];
      },
      set(target, key, value, receiver) {
        if (routesToAttribute(receiver, key)) {
          setAttribute(receiver, key, value);
          return true;
        }
        const cls = (Object.getPrototypeOf(target) as { constructor: Class }).constructor;
        if (optManagerOfClass(cls) === undefined) return Reflect.set(target, key, value, receiver);
        instanceState(receiver); // creates _goofyDict
        (target as unknown as { _goofyDict: Record<PropertyKey, unknown> })._goofyDict[key] = value;
        return true;
      },
      deleteProperty(target, key) {
        if (routesToAttribute(self, key)) {
          delAttribute(self as object, key);
          return true;
        }
        const dict = (target as { _goofyDict?: Record<PropertyKey, unknown> })._goofyDict;
        if (dict !== undefined && key in dict) return delete dict[key];
        return Reflect.deleteProperty(target, key);
      },
    });
    for (const key of Object.keys(init)) (self as Record<string, unknown>)[key] = init[key];
    return self;
  }
}

type BaseCase = { label: string; base: AnyClass | undefined };

const BASES: readonly BaseCase[] = [
  { label: "plain", base: undefined },
  { label: "InstrumentationManager hook", base: MyBaseClass },
  { label: "MyTypesManager", base: MyClass },
];

/** A fresh class named `name`, derived from `base` (or from nothing). */
function derive(base: AnyClass | undefined, name: string): AnyClass {
  const made = base === undefined ? { [name]: class {} }[name] : { [name]: class extends base {} }[name];
  return made as AnyClass;
}

// ---------------------------------------------------------------------------------------------
// module surface
// ---------------------------------------------------------------------------------------------

test.serial("importing the extension installs the ExtendedInstrumentationRegistry; finders start with the native hook", (t) => {
  t.is(INSTRUMENTATION_MANAGER, "__sa_instrumentation_manager__");
  t.true(getInstrumentationFactory() instanceof ExtendedInstrumentationRegistry);
  t.deepEqual(pristineFinders, [findNativeUserInstrumentationHook]);
  class Hooked {
    static readonly __sa_instrumentation_manager__ = InstrumentationManager;
  }
  class Sub extends Hooked {}
  class Bare {}
  t.is(findNativeUserInstrumentationHook(Hooked), InstrumentationManager);
  t.is(findNativeUserInstrumentationHook(Sub), InstrumentationManager, "the hook is inherited");
  t.is(findNativeUserInstrumentationHook(Bare), undefined);
});

test.serial("installExtendedInstrumentation() is idempotent: the same registry, managers kept", (t) => {
  const before = registry();
  class Known extends MyBaseClass {}
  const manager = registerClass(Known);
  const k = new Known();
  const state = instanceState(k);
  t.is(installExtendedInstrumentation(), before);
  t.is(installExtendedInstrumentation(), before);
  t.is(getInstrumentationFactory(), before);
  t.is(optManagerOfClass(Known), manager);
  t.is(instanceState(k), state);
});

test.serial("importing the extension after instrumentation listeners were registered keeps them firing", (t) => {
  const runtime = path.join(__dirname, "../runtime/index.js");
  const ext = path.join(__dirname, "../runtime/ext/index.js");
  const script = `
    const rt = require(${JSON.stringify(runtime)});
    const seen = [];
    rt.listen(Object, "classInstrument", (cls) => seen.push("instrument " + cls.name));
    rt.listen(Object, "attributeInstrument", (cls, key) => seen.push("attribute " + cls.name + "." + key));
    rt.listen(Object, "classUninstrument", (cls) => seen.push("uninstrument " + cls.name));
    class Before {}
    rt.registerClass(Before);
    rt.registerAttribute(Before, "x");
    const before = new Before();
    before.x = 1;
    const factoryBefore = rt.getInstrumentationFactory();
    const ext = require(${JSON.stringify(ext)});
    const swapped = rt.getInstrumentationFactory() !== factoryBefore &&
      rt.getInstrumentationFactory() instanceof ext.ExtendedInstrumentationRegistry;
    class After {}
    rt.registerClass(After);
    rt.registerAttribute(After, "y");
    class Hooked { static __sa_instrumentation_manager__ = ext.InstrumentationManager; }
    rt.registerClass(Hooked);
    rt.registerAttribute(Hooked, "z");
    rt.unregisterClass(Hooked);
    const stillReachable = rt.instanceState(before).dict.x === 1 && rt.getAttribute(before, "x") === 1;
    process.stdout.write(JSON.stringify({ seen, swapped, stillReachable }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" })) as {
    seen: string[];
    swapped: boolean;
    stillReachable: boolean;
  };
  t.true(out.swapped, "the import replaced the factory");
  t.true(out.stillReachable, "a manager created before the import is untouched");
  t.deepEqual(out.seen, [
    "instrument Before",
    "attribute Before.x",
    "instrument After",
    "attribute After.y",
    "instrument Hooked",
    "attribute Hooked.z",
    "uninstrument Hooked",
  ]);
});

// ---------------------------------------------------------------------------------------------
// DisposeTest.test_unregister (via registerClass / unregisterClass instead of a registry)
// ---------------------------------------------------------------------------------------------

test.serial("DisposeTest: a hook manager storing the manager in a class member is found, then forgotten on unregister", (t) => {
  class MyClassState extends InstrumentationManager {
    override manage(cls: Class, manager: ClassManager): void {
      (cls as unknown as { xyz?: ClassManager }).xyz = manager;
    }
    override unregister(cls: Class): void {
      delete (cls as unknown as { xyz?: ClassManager }).xyz;
    }
    override managerGetter(): (cls: unknown) => ClassManager {
      return (cls) => (cls as { xyz: ClassManager }).xyz;
    }
  }
  class DisposeMe {
    static readonly __sa_instrumentation_manager__ = MyClassState;
    static xyz?: ClassManager;
  }
  t.is(optManagerOfClass(DisposeMe), undefined);
  t.throws(() => managerOfClass(DisposeMe), {
    instanceOf: UnmappedClassError,
    message: /Can't locate an instrumentation manager for class .*DisposeMe/,
  });

  const manager = registerClass(DisposeMe);
  t.not(optManagerOfClass(DisposeMe), undefined);
  t.is(optManagerOfClass(DisposeMe) as unknown, DisposeMe.xyz as unknown);
  t.is(manager as unknown, DisposeMe.xyz as unknown);

  const uninstrumented: Function[] = [];
  const onUninstrument = (cls: Class) => void uninstrumented.push(cls);
  listen(DisposeMe, "classUninstrument", onUninstrument);
  t.teardown(() => removeListener(DisposeMe, "classUninstrument", onUninstrument));

  unregisterClass(DisposeMe);
  t.is(optManagerOfClass(DisposeMe), undefined);
  t.false("xyz" in DisposeMe);
  t.false(registry().managerFinders.has(DisposeMe));
  t.deepEqual(uninstrumented, [DisposeMe]);
});

// ---------------------------------------------------------------------------------------------
// UserDefinedExtensionTest
// ---------------------------------------------------------------------------------------------

test.serial("test_instance_dict: a MyTypesManager instance holds only _goofyDict and _myState", (t) => {
  class User extends MyClass {}
  registerClass(User);
  registerAttribute(User, "user_id");
  registerAttribute(User, "user_name");
  registerAttribute(User, "email_address");

  const u = new User() as any;
  u.user_id = 7;
  u.user_name = "john";
  u.email_address = "lala@123.com";

  t.deepEqual(Reflect.ownKeys(u).sort(), ["_goofyDict", "_myState"]);
  t.is(u._myState, instanceState(u));
  t.deepEqual({ ...u._goofyDict }, { user_id: 7, user_name: "john", email_address: "lala@123.com" });
  t.is(instanceDict(u), u._goofyDict);
  t.is(instanceState(u).dict, u._goofyDict);
  // No descriptor was installed on the class.
  t.deepEqual(Object.getOwnPropertyNames(User.prototype), ["constructor"]);
  t.true(instanceState(u).manager instanceof ClassInstrumentationAdapter);
});

for (const { label, base } of BASES) {
  test.serial(`test_basic (${label}): scalars set, committed and set again read back`, (t) => {
    const User = derive(base, "User");
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
    t.deepEqual(hist(getHistory(u, "user_name")), [["heythere"], [], ["john"]]);
  });

  test.serial(`test_deferred (${label}): expired attributes reload through the manager's loader`, (t) => {
    const Foo = derive(base, "Foo");
    const data: Record<string, unknown> = { a: "this is a", b: 12 };
    const loads: string[][] = [];
    const manager = registerClass(Foo);
    manager.expiredAttributeLoader = (state, keys) => {
      loads.push([...keys].sort());
      for (const k of keys) state.dict[k] = data[k];
    };
    registerAttribute(Foo, "a");
    registerAttribute(Foo, "b");

    // Only user-defined instrumentation records per-class finders.
    t.is(registry().stateFinders.has(Foo), base !== undefined);

    const f = new Foo();
    instanceState(f).expire();
    t.is(f.a, "this is a");
    t.is(f.b, 12);
    t.deepEqual(loads, [["a", "b"]]);

    f.a = "this is some new a";
    instanceState(f).expire();
    t.is(f.a, "this is a");
    t.is(f.b, 12);

    instanceState(f).expire();
    f.a = "this is another new a";
    t.is(f.a, "this is another new a");
    t.is(f.b, 12);

    instanceState(f).expire();
    t.is(f.a, "this is a");
    t.is(f.b, 12);

    delAttribute(f, "a");
    t.is(f.a, undefined);
    t.is(f.b, 12);

    instanceState(f).commitAll();
    t.is(f.a, undefined);
    t.is(f.b, 12);
  });

  test.serial(`test_inheritance (${label}): class-level loaders are polymorphic`, (t) => {
    const Foo = derive(base, "Foo");
    const Bar = derive(Foo, "Bar");
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

  test.serial(`test_collection_with_backref (${label}): one-to-many backref stays in sync`, (t) => {
    const Post = derive(base, "Post");
    const Blog = derive(base, "Blog");
    registerClass(Post);
    registerClass(Blog);
    registerAttribute(Post, "blog", { kind: "object", backref: "posts", trackParent: true });
    registerAttribute(Blog, "posts", { kind: "collection", backref: "blog", trackParent: true });

    const b = new Blog();
    const [p1, p2, p3] = [new Post(), new Post(), new Post()];
    b.posts.push(p1);
    b.posts.push(p2);
    b.posts.push(p3);
    t.deepEqual([...b.posts], [p1, p2, p3]);
    t.is(p2.blog, b);

    p3.blog = null;
    t.deepEqual([...b.posts], [p1, p2]);
    const p4 = new Post();
    p4.blog = b;
    t.deepEqual([...b.posts], [p1, p2, p4]);

    p4.blog = b;
    p4.blog = b;
    t.deepEqual([...b.posts], [p1, p2, p4]);

    // Removing a null value does not fail.
    const p5 = new Post();
    p5.blog = null;
    t.notThrows(() => delAttribute(p5, "blog"));

    if (base === MyClass) t.true(b.posts instanceof MyListLike, "MyTypesManager's collection class is used");
  });

  test.serial(`test_history (${label}): scalar and collection history across commits`, (t) => {
    const Foo = derive(base, "Foo");
    const Bar = derive(base, "Bar");
    registerClass(Foo);
    registerClass(Bar);
    registerAttribute(Foo, "name");
    registerAttribute(Foo, "bars", { kind: "collection", trackParent: true });
    registerAttribute(Bar, "name");

    const f1 = new Foo();
    f1.name = "f1";
    t.deepEqual(hist(getStateHistory(instanceState(f1), "name")), [["f1"], [], []]);

    const b1 = new Bar();
    b1.name = "b1";
    f1.bars.push(b1);
    t.deepEqual(hist(getStateHistory(instanceState(f1), "bars")), [[b1], [], []]);

    instanceState(f1).commitAll();
    instanceState(b1).commitAll();
    t.deepEqual(hist(getStateHistory(instanceState(f1), "name")), [[], ["f1"], []]);
    t.deepEqual(hist(getStateHistory(instanceState(f1), "bars")), [[], [b1], []]);

    f1.name = "f1mod";
    const b2 = new Bar();
    b2.name = "b2";
    f1.bars.push(b2);
    t.deepEqual(hist(getStateHistory(instanceState(f1), "name")), [["f1mod"], [], ["f1"]]);
    t.deepEqual(hist(getStateHistory(instanceState(f1), "bars")), [[b2], [b1], []]);

    f1.bars.remove(b1);
    t.deepEqual(hist(getStateHistory(instanceState(f1), "bars")), [[b2], [], [b1]]);
  });
}

test.serial("test_null_instrumentation: the default InstrumentationManager installs working descriptors", (t) => {
  class Foo extends MyBaseClass {
    declare name: string;
    declare bars: unknown[];
  }
  registerClass(Foo);
  registerAttribute(Foo, "name");
  registerAttribute(Foo, "bars", { kind: "collection", trackParent: true });

  const manager = managerOfClass(Foo);
  t.is(attributeOf(Foo, "name") as unknown, manager.get("name") as unknown);
  t.is(attributeOf(Foo, "bars") as unknown, manager.get("bars") as unknown);
  for (const key of ["name", "bars"]) {
    const descriptor = Object.getOwnPropertyDescriptor(Foo.prototype, key);
    t.is(typeof descriptor?.get, "function", `Foo.prototype.${key} is an accessor`);
  }
  const f = new Foo();
  f.name = "n";
  t.is(instanceDict(f).name, "n");
  t.false(Object.prototype.hasOwnProperty.call(f, "name"));
});

test.serial("test_alternate_finders: the finder front end handles unknown classes and null", (t) => {
  class Unknown {}
  class Known extends MyBaseClass {}
  registerClass(Known);
  const k = new Known();
  const u = new Unknown();

  t.is(optManagerOfClass(Unknown), undefined);
  t.not(optManagerOfClass(Known), undefined);
  t.is(optManagerOfClass(null as never), undefined);

  t.truthy(instanceState(k));
  t.throws(() => instanceState(u), { instanceOf: UnmappedInstanceError });
  t.throws(() => instanceState(null as never), { instanceOf: UnmappedInstanceError });
});

test.serial("MyTypesManager: `delete obj.attr` through the Proxy deletes the attribute value", (t) => {
  class User extends MyClass {}
  registerClass(User);
  registerAttribute(User, "name");
  const u = new User({ name: "ed", nickname: "eddie" }) as any;
  t.is(u.name, "ed");
  t.is(u.nickname, "eddie", "a non-instrumented key lives in _goofyDict");
  t.deepEqual({ ...u._goofyDict }, { name: "ed", nickname: "eddie" });
  instanceState(u).commitAll();
  t.true(delete u.name);
  t.false("name" in u._goofyDict);
  t.deepEqual(hist(getHistory(u, "name")), [[], [], ["ed"]]);
  t.is(u.name, undefined);
});

// ---------------------------------------------------------------------------------------------
// FinderTest
// ---------------------------------------------------------------------------------------------

test.serial("FinderTest.test_standard: a plain class gets exactly ClassManager", (t) => {
  class A {}
  registerClass(A);
  t.is(managerOfClass(A).constructor, ClassManager);
  t.is(managerOfClass(A).factory as unknown, ClassManager);
});

test.serial("FinderTest.test_nativeext_interfaceexact: hook InstrumentationManager → an adapter, not ClassManager", (t) => {
  class A {
    static readonly __sa_instrumentation_manager__ = InstrumentationManager;
  }
  registerClass(A);
  const manager = optManagerOfClass(A);
  t.not(manager?.constructor, ClassManager);
  t.true(manager instanceof ClassInstrumentationAdapter);
  t.is(manager?.factory as unknown, InstrumentationManager);
});

test.serial("FinderTest.test_nativeext_submanager: a ClassManager subclass as hook is used as the manager class", (t) => {
  class Mine extends ClassManager {}
  class A {
    static readonly __sa_instrumentation_manager__ = Mine;
  }
  registerClass(A);
  t.is(managerOfClass(A).constructor, Mine);
});

test.serial("FinderTest.test_customfinder_greedy: a finder inserted first wins for a plain class", (t) => {
  class Mine extends ClassManager {}
  class A {}
  instrumentationFinders.unshift(() => Mine);
  registerClass(A);
  t.is(managerOfClass(A).constructor, Mine);
});

test.serial("FinderTest.test_customfinder_pass: a finder returning undefined falls through to ClassManager", (t) => {
  class A {}
  const asked: Function[] = [];
  instrumentationFinders.unshift((cls) => {
    asked.push(cls);
    return undefined;
  });
  registerClass(A);
  t.is(managerOfClass(A).constructor, ClassManager);
  t.true(asked.includes(A));
});

// ---------------------------------------------------------------------------------------------
// InstrumentationCollisionTest
// ---------------------------------------------------------------------------------------------

function mgrFactory(cls: Class): ClassManager {
  return new ClassManager(cls);
}

test.serial("InstrumentationCollisionTest.test_none: unrelated classes with different factories never conflict", (t) => {
  class A {}
  class B {
    static readonly __sa_instrumentation_manager__ = mgrFactory;
  }
  class C {
    static readonly __sa_instrumentation_manager__ = ClassManager;
  }
  t.notThrows(() => registerClass(A));
  t.notThrows(() => registerClass(B));
  t.notThrows(() => registerClass(C));
  t.is(managerOfClass(B).factory as unknown, mgrFactory);
  t.is(managerOfClass(C).factory as unknown, ClassManager);
});

test.serial("InstrumentationCollisionTest.test_single_down: a hooked subclass of a default-registered base conflicts", (t) => {
  class A {}
  registerClass(A);
  class B extends A {
    static readonly __sa_instrumentation_manager__ = mgrFactory;
  }
  const err = t.throws(() => registerClass(B), {
    instanceOf: InstrumentationConflictError,
    message: /multiple instrumentation implementations/,
  });
  t.regex(err!.message, /\bB\b/);
});

test.serial("InstrumentationCollisionTest.test_single_up: registering the base after a hooked subclass conflicts", (t) => {
  class A {}
  class B extends A {
    static readonly __sa_instrumentation_manager__ = mgrFactory;
  }
  registerClass(B);
  t.throws(() => registerClass(A), {
    instanceOf: InstrumentationConflictError,
    message: /multiple instrumentation implementations/,
  });
});

test.serial(
  "InstrumentationCollisionTest.test_diamond_b1 (adapted: JavaScript cannot enumerate the unregistered hooked sibling B2, " +
    "so B1 registers and the conflict is reported once B2 registers)",
  (t) => {
    class A {}
    class B1 extends A {}
    class B2 extends A {
      static readonly __sa_instrumentation_manager__ = mgrFactory;
    }
    class C {}
    void C;
    t.notThrows(() => registerClass(B1));
    t.throws(() => registerClass(B2), {
      instanceOf: InstrumentationConflictError,
      message: /multiple instrumentation implementations/,
    });
  },
);

test.serial("InstrumentationCollisionTest.test_diamond_b2: a registered hooked sibling makes B1 conflict", (t) => {
  class A {}
  class B1 extends A {}
  class B2 extends A {
    static readonly __sa_instrumentation_manager__ = mgrFactory;
  }
  class C {}
  void C;
  registerClass(B2);
  t.throws(() => registerClass(B1), {
    instanceOf: InstrumentationConflictError,
    message: /multiple instrumentation implementations/,
  });
});

test.serial(
  "InstrumentationCollisionTest.test_diamond_c_b (adapted: the unrelated C never matters; B1 registers because the " +
    "unregistered sibling B2 is invisible, and B2 conflicts once it registers)",
  (t) => {
    class A {}
    class B1 extends A {}
    class B2 extends A {
      static readonly __sa_instrumentation_manager__ = mgrFactory;
    }
    class C {}
    t.notThrows(() => registerClass(C));
    t.notThrows(() => registerClass(B1));
    t.throws(() => registerClass(B2), {
      instanceOf: InstrumentationConflictError,
      message: /multiple instrumentation implementations/,
    });
  },
);

test.serial("a conflict leaves no half-registered manager: registering again still conflicts", (t) => {
  class A {}
  const baseManager = registerClass(A);
  class B extends A {
    static readonly __sa_instrumentation_manager__ = mgrFactory;
  }
  t.throws(() => registerClass(B), { instanceOf: InstrumentationConflictError });
  t.is(optManagerOfClass(B), undefined);
  t.false(Object.prototype.hasOwnProperty.call(B, ClassManager.MANAGER_ATTR));
  t.deepEqual([...baseManager.subclassManagers(true)], []);
  t.false(registry().managerFinders.has(B));
  // SQLAlchemy's quirk (§4.2): the second call would succeed on the leftover manager. Not here.
  t.throws(() => registerClass(B), {
    instanceOf: InstrumentationConflictError,
    message: /multiple instrumentation implementations/,
  });
  t.is(optManagerOfClass(B), undefined);
});

test.serial("a conflicting InstrumentationManager hook is rolled back: the user manager's bookkeeping is undone", (t) => {
  class A {}
  registerClass(A);
  const managed: Class[] = [];
  const unmanaged: Class[] = [];
  class Tracking extends InstrumentationManager {
    override manage(cls: Class, manager: ClassManager): void {
      managed.push(cls);
      super.manage(cls, manager);
    }
    override unregister(cls: Class, manager: ClassManager): void {
      unmanaged.push(cls);
      super.unregister(cls, manager);
    }
  }
  class B extends A {
    static readonly __sa_instrumentation_manager__ = Tracking;
  }
  t.throws(() => registerClass(B), { instanceOf: InstrumentationConflictError });
  t.deepEqual(managed, [B]);
  t.deepEqual(unmanaged, [B]);
  t.false(Object.getOwnPropertySymbols(B).includes(InstrumentationManager.DEFAULT_MANAGER));
  t.is(optManagerOfClass(B), undefined);
  t.false(registry().stateFinders.has(B));
  t.throws(() => registerClass(B), { instanceOf: InstrumentationConflictError });
});

// ---------------------------------------------------------------------------------------------
// lookups: reinstallDefaultLookups
// ---------------------------------------------------------------------------------------------

test.serial("reinstallDefaultLookups() makes custom-managed instances unreachable until the next custom manager", (t) => {
  class Plain {}
  registerClass(Plain);
  registerAttribute(Plain, "x");
  class Custom extends MyBaseClass {}
  registerClass(Custom);
  registerAttribute(Custom, "x");
  const p = new Plain() as any;
  const c = new Custom() as any;
  p.x = 1;
  c.x = 2;
  const cState = instanceState(c);
  t.true(registry().extended);

  reinstallDefaultLookups();
  t.false(registry().extended);
  t.throws(() => instanceState(c), { instanceOf: UnmappedInstanceError });
  t.is(optManagerOfClass(Custom), undefined);
  t.throws(() => managerOfClass(Custom), { instanceOf: UnmappedClassError });
  // The default path is unaffected.
  t.is(instanceState(p).dict.x, 1);
  t.is(p.x, 1);

  // The first custom manager built afterwards switches the per-class lookups back on.
  class Later extends MyBaseClass {}
  registerClass(Later);
  t.true(registry().extended);
  t.is(instanceState(c), cState);
  t.is(c.x, 2);
});

test.serial("a hook factory returning a plain ClassManager also switches on the per-class lookups", (t) => {
  reinstallDefaultLookups();
  t.false(registry().extended);
  class A {
    static readonly __sa_instrumentation_manager__ = mgrFactory;
  }
  registerClass(A);
  t.true(registry().extended);
  t.true(registry().managerFinders.has(A));
});

test.serial("the exact ClassManager as hook records finders but does not switch the lookups", (t) => {
  reinstallDefaultLookups();
  class A {
    static readonly __sa_instrumentation_manager__ = ClassManager;
  }
  registerClass(A);
  t.false(registry().extended);
  t.true(registry().stateFinders.has(A));
  t.is(managerOfClass(A).constructor, ClassManager);
});

// ---------------------------------------------------------------------------------------------
// unregistering an adapter-managed class
// ---------------------------------------------------------------------------------------------

test.serial("unregisterClass on an adapter-managed class removes its descriptors, members and manager", (t) => {
  class Foo extends MyBaseClass {
    declare name: string;
  }
  const manager = registerClass(Foo);
  registerAttribute(Foo, "name");
  const hello = function hello(this: Foo) {
    return `hello ${this.name}`;
  };
  manager.installMember("hello", hello);
  t.true(Object.prototype.hasOwnProperty.call(Foo.prototype, "name"));
  t.is((Foo.prototype as unknown as { hello: unknown }).hello, hello);
  const f = new Foo() as Foo & { hello(): string };
  f.name = "x";
  t.is(f.hello(), "hello x");
  t.true(Object.getOwnPropertySymbols(Foo).includes(InstrumentationManager.DEFAULT_MANAGER));

  unregisterClass(Foo);
  t.false(Object.prototype.hasOwnProperty.call(Foo.prototype, "name"), "descriptor removed");
  t.false(Object.prototype.hasOwnProperty.call(Foo.prototype, "hello"), "member removed");
  t.false(Object.getOwnPropertySymbols(Foo).includes(InstrumentationManager.DEFAULT_MANAGER), "manager removed");
  t.is(optManagerOfClass(Foo), undefined);
  t.false(registry().managerFinders.has(Foo));
  t.false(registry().stateFinders.has(Foo));
  t.false(registry().dictFinders.has(Foo));
  t.is(manager.size, 0);
});

// ---------------------------------------------------------------------------------------------
// the runtime functions on a user-managed class
// ---------------------------------------------------------------------------------------------

/** A MyTypesManager class without the Proxy: only the runtime functions reach its attributes. */
class Bare {
  static readonly __sa_instrumentation_manager__ = (cls: Class) => new MyTypesManager(cls);
}

test.serial("user-managed class without descriptors: getAttribute / setAttribute / getHistory / delAttribute", (t) => {
  class Item extends Bare {}
  registerClass(Item);
  registerAttribute(Item, "name");
  const item = new Item() as any;
  t.is(item.name, undefined, "no descriptor: a plain read sees nothing");
  setAttribute(item, "name", "first");
  t.is(getAttribute(item, "name"), "first");
  t.is(item.name, undefined);
  t.deepEqual({ ...item._goofyDict }, { name: "first" });
  t.deepEqual(hist(getHistory(item, "name")), [["first"], [], []]);
  instanceState(item).commitAll();
  setAttribute(item, "name", "second");
  t.deepEqual(hist(getHistory(item, "name")), [["second"], [], ["first"]]);
  t.deepEqual([...instanceState(item).committedState], [["name", "first"]]);
  t.true(instanceState(item).modified);
  delAttribute(item, "name");
  t.is(getAttribute(item, "name"), undefined);
  t.deepEqual(hist(getHistory(item, "name")), [[], [], ["first"]]);
  t.is(managerOfClass(Item).getImpl("name") as unknown, attributeOf(Item as Class<any>, "name").impl as unknown);
});

test.serial("user-managed class: expiry with a synchronous expiredAttributeLoader and the expire event", (t) => {
  class Rec extends MyClass {}
  const stored: Record<string, unknown> = { a: "stored a", b: "stored b" };
  const loads: string[][] = [];
  registerClass(Rec, {
    expiredAttributeLoader: (state, keys) => {
      loads.push([...keys].sort());
      for (const k of keys) state.dict[k] = stored[k];
    },
  });
  registerAttribute(Rec, "a");
  registerAttribute(Rec, "b");
  const expired: Array<[unknown, string[] | undefined]> = [];
  const onExpire = (target: object, keys: ReadonlySet<string> | undefined) =>
    void expired.push([target, keys === undefined ? undefined : [...keys].sort()]);
  listen(Rec, "expire", onExpire);
  t.teardown(() => removeListener(Rec, "expire", onExpire));

  const r = new Rec({ a: "new a", b: "new b" }) as any;
  const state = instanceState(r);
  state.commitAll();
  state.expireAttributes(["a"]);
  t.false("a" in r._goofyDict);
  t.deepEqual([...state.expiredAttributes], ["a"]);
  t.is(r.a, "stored a");
  t.is(r.b, "new b");
  t.deepEqual(loads, [["a"]]);

  state.expire();
  t.deepEqual(Object.keys(r._goofyDict), []);
  t.is(r.b, "stored b");
  t.deepEqual(loads, [["a"], ["a", "b"]]);
  t.is(r.a, "stored a");
  t.deepEqual(expired, [
    [r, ["a"]],
    [r, undefined],
  ]);
});

test.serial("user-managed class: an asynchronous loader is served by await loadExpired(obj)", async (t) => {
  class Rec extends MyClass {}
  registerClass(Rec, {
    expiredAttributeLoader: async (state, keys) => {
      await new Promise((resolve) => setImmediate(resolve));
      for (const k of keys) state.dict[k] = `loaded ${k}`;
    },
  });
  registerAttribute(Rec, "a");
  registerAttribute(Rec, "b");
  const r = new Rec() as any;
  instanceState(r).expire();
  const err = t.throws(() => r.a, { instanceOf: ExpiredAttributeError });
  t.regex(err!.message, /Rec/);
  t.regex(err!.message, /loadExpired/);
  await loadExpired(r);
  t.is(r.a, "loaded a");
  t.is(r.b, "loaded b");
  t.deepEqual({ ...r._goofyDict }, { a: "loaded a", b: "loaded b" });
  t.is(instanceState(r).expiredAttributes.size, 0);
});

test.serial("user-managed class: loadExpired(obj, keys) with a synchronous loader", async (t) => {
  class Rec extends Bare {}
  registerClass(Rec, {
    expiredAttributeLoader: (state, keys) => {
      for (const k of keys) state.dict[k] = k.toUpperCase();
    },
  });
  registerAttribute(Rec, "a");
  registerAttribute(Rec, "b");
  const r = new Rec() as any;
  instanceState(r).expire();
  await loadExpired(r, ["b"]);
  t.deepEqual({ ...r._goofyDict }, { b: "B" });
  t.is(getAttribute(r, "a"), "A");
});

test.serial("user-managed class: attribute events (set, append, remove, initCollection) see the proxied instance", (t) => {
  class Owner extends MyClass {}
  class Child extends MyClass {}
  registerClass(Owner);
  registerClass(Child);
  registerAttribute(Owner, "name");
  registerAttribute(Owner, "children", { kind: "collection" });
  registerAttribute(Child, "name");
  const events: unknown[][] = [];
  const nameAttr = attributeOf(Owner as Class<any>, "name");
  const childrenAttr = attributeOf(Owner as Class<any>, "children");
  const onSet = (target: unknown, value: unknown, old: unknown) => void events.push(["set", target, value, old]);
  const onAppend = (target: unknown, value: unknown) => void events.push(["append", target, value]);
  const onRemove = (target: unknown, value: unknown) => void events.push(["remove", target, value]);
  const onInit = (target: unknown, coll: unknown) => void events.push(["initCollection", target, coll instanceof MyListLike]);
  listen(nameAttr, "set", onSet);
  listen(childrenAttr, "append", onAppend);
  listen(childrenAttr, "remove", onRemove);
  listen(childrenAttr, "initCollection", onInit);
  t.teardown(() => {
    removeListener(nameAttr, "set", onSet);
    removeListener(childrenAttr, "append", onAppend);
    removeListener(childrenAttr, "remove", onRemove);
    removeListener(childrenAttr, "initCollection", onInit);
  });

  const o = new Owner() as any;
  const c1 = new Child({ name: "c1" });
  const c2 = new Child({ name: "c2" });
  o.name = "o";
  o.name = "o2";
  o.children.push(c1);
  o.children = [c1, c2];
  o.children.remove(c1);

  const setEvents = events.filter((e) => e[0] === "set");
  t.is(setEvents.length, 2);
  t.is(setEvents[0]![1], o, "listeners receive the Proxy, not its target");
  t.deepEqual(setEvents.map((e) => [e[2], e[3]]).slice(1), [["o2", "o"]]);
  t.deepEqual(
    events.filter((e) => e[0] !== "set").map((e) => [e[0], e[1] === o, e[2]]),
    [
      ["initCollection", true, true],
      ["append", true, c1],
      ["initCollection", true, true],
      ["append", true, c2],
      ["remove", true, c1],
    ],
  );
  t.true(o.children instanceof MyListLike);
  t.deepEqual([...o.children], [c2]);
  t.deepEqual(hist(getHistory(o, "children")), [[c2], [], []]);
});

test.serial("user-managed class: a collection assigned as an array is adapted into MyListLike with history", (t) => {
  class Parent extends MyClass {}
  class Kid extends MyClass {}
  registerClass(Parent);
  registerClass(Kid);
  registerAttribute(Parent, "kids", { kind: "collection", backref: "parent", trackParent: true });
  registerAttribute(Kid, "parent", { kind: "object", backref: "kids", trackParent: true });
  const [k1, k2, k3] = [new Kid(), new Kid(), new Kid()] as any[];
  const p = new Parent({ kids: [k1, k2] }) as any;
  t.true(p.kids instanceof MyListLike);
  t.is(k1.parent, p);
  t.is(k2.parent, p);
  instanceState(p).commitAll();
  instanceState(k1).commitAll();
  instanceState(k2).commitAll();
  p.kids = [k2, k3];
  t.deepEqual([...p.kids], [k2, k3]);
  // Removed from the collection: the backref clears the child's parent (None in SQLAlchemy).
  t.is(k1.parent ?? null, null);
  t.is(k3.parent, p);
  t.deepEqual(hist(getHistory(p, "kids")), [[k3], [k2], [k1]]);
  t.true(managerOfClass(Parent).hasParent(instanceState(k3), "kids"));
  t.false(managerOfClass(Parent).hasParent(instanceState(k1), "kids"));
});

test.serial("user-managed subclasses share the hook: each gets its own adapter, no conflict", (t) => {
  class Base extends MyClass {}
  class Sub extends Base {}
  registerClass(Base);
  t.notThrows(() => registerClass(Sub));
  const baseManager = managerOfClass(Base);
  const subManager = managerOfClass(Sub);
  t.not(subManager, baseManager);
  t.true(subManager instanceof ClassInstrumentationAdapter);
  t.is(subManager.factory, baseManager.factory);
  registerAttribute(Base, "shared");
  t.true(subManager.isInstrumented("shared", true));
  const s = new Sub({ shared: 5 }) as any;
  t.is(s.shared, 5);
  t.is(instanceState(s).manager, subManager);
});
