/**
 * The error hierarchy: every runtime error extends InstrumentationError, carries a stable and
 * distinct `code`, and names the class (and attribute) involved. Each error is produced by real
 * misuse of the runtime, never by constructing it.
 */
import test, { type ExecutionContext } from "ava";
import {
  ArgumentError,
  ClassManager,
  ExpiredAttributeError,
  InstrumentationConflictError,
  InstrumentationError,
  InvalidRequestError,
  LoaderError,
  NoValueError,
  ObjectDereferencedError,
  ReservedAttributeError,
  UnmappedClassError,
  UnmappedInstanceError,
  type InstanceState,
  attributeOf,
  collection,
  delAttribute,
  flagModified,
  getInstrumentationFactory,
  hasParent,
  instanceState,
  listen,
  managerOfClass,
  registerAttribute,
  registerClass,
  setAttribute,
  unregisterClass,
} from "../runtime/index.js";
// internal: used only to put the default factory back after the extension test
import { setInstrumentationFactory } from "../runtime/instrumentation.js";
import { gcRounds } from "./helpers.js";

/** `listen` without its typed overloads, to pass what the types (rightly) reject. */
const untypedListen = listen as unknown as (target: unknown, identifier: string, fn: Function) => void;

/** Runs `fn`, which must throw; returns what it threw. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, none was thrown");
}

// Each trigger performs one real misuse and returns the error it caused.
const triggers = {
  UnmappedClassError(): unknown {
    class Unregistered {}
    return caught(() => managerOfClass(Unregistered));
  },
  UnmappedInstanceError(): unknown {
    class Stranger {}
    return caught(() => instanceState(new Stranger()));
  },
  ReservedAttributeError(): unknown {
    class Reserving {}
    const manager = registerClass(Reserving);
    return caught(() => manager.installMember(ClassManager.STATE_ATTR, "x"));
  },
  ExpiredAttributeError(): unknown {
    class Lazy {
      declare title: unknown;
    }
    registerClass(Lazy, {
      expiredAttributeLoader: async (state: InstanceState, keys: ReadonlySet<string>) => {
        for (const k of keys) state.dict[k] = "loaded";
      },
    });
    registerAttribute(Lazy, "title");
    const obj = new Lazy();
    instanceState(obj).expire();
    return caught(() => obj.title);
  },
  InvalidRequestError(): unknown {
    class Flagged {
      declare label: unknown;
    }
    registerClass(Flagged);
    registerAttribute(Flagged, "label");
    return caught(() => flagModified(new Flagged(), "label"));
  },
  ArgumentError(): unknown {
    class RoleLess {
      add(_item: unknown): void {}
    }
    class Holder {
      declare things: unknown;
    }
    registerClass(Holder);
    return caught(() =>
      registerAttribute(Holder, "things", { kind: "collection", collectionClass: RoleLess as never }),
    );
  },
  NoValueError(): unknown {
    class Empty {
      declare slot: unknown;
    }
    registerClass(Empty);
    registerAttribute(Empty, "slot");
    return caught(() => delAttribute(new Empty(), "slot"));
  },
  LoaderError(): unknown {
    class Forgetful {
      declare memo: unknown;
    }
    registerClass(Forgetful, { expiredAttributeLoader: () => undefined });
    registerAttribute(Forgetful, "memo");
    const obj = new Forgetful();
    instanceState(obj).expire();
    return caught(() => obj.memo);
  },
} as const;

type ErrorCtor = new (...args: never[]) => Error;

const expectations: Record<keyof typeof triggers, { ctor: ErrorCtor; message: RegExp[] }> = {
  UnmappedClassError: { ctor: UnmappedClassError, message: [/Unregistered/] },
  UnmappedInstanceError: { ctor: UnmappedInstanceError, message: [/Stranger/] },
  ReservedAttributeError: { ctor: ReservedAttributeError, message: [/Reserving/, /state/] },
  ExpiredAttributeError: { ctor: ExpiredAttributeError, message: [/Lazy/, /title/, /loadExpired/] },
  InvalidRequestError: {
    ctor: InvalidRequestError,
    message: [/Flagged/, /Can't flag attribute 'label' modified; it's not present in the object state/],
  },
  ArgumentError: {
    ctor: ArgumentError,
    message: [/Type RoleLess must elect an appender method to be a collection class/],
  },
  NoValueError: { ctor: NoValueError, message: [/Empty\.slot object does not have a value/] },
  LoaderError: {
    ctor: LoaderError,
    message: [/Forgetful/, /Deferred loader for attribute 'memo'.*failed to populate correctly/],
  },
};

function checkError(t: ExecutionContext, name: keyof typeof triggers, err: unknown): void {
  const { ctor, message } = expectations[name];
  t.true(err instanceof ctor, `${name}: got ${String(err)}`);
  t.true(err instanceof InstrumentationError, `${name} extends InstrumentationError`);
  t.true(err instanceof Error);
  const e = err as InstrumentationError;
  t.is(e.name, name);
  t.is(typeof e.code, "string");
  t.regex(e.code, /^[A-Z][A-Z0-9_]+$/);
  for (const re of message) t.regex(e.message, re, `${name} message`);
}

for (const name of Object.keys(triggers) as Array<keyof typeof triggers>) {
  test(`${name} is thrown by real misuse, extends InstrumentationError and names what is involved`, (t) => {
    checkError(t, name, triggers[name]());
  });
}

test("each error class has one stable code, distinct from every other class's", (t) => {
  const codes = new Map<string, string>();
  for (const name of Object.keys(triggers) as Array<keyof typeof triggers>) {
    const first = triggers[name]() as InstrumentationError;
    const second = triggers[name]() as InstrumentationError;
    t.is(first.code, second.code, `${name} code is stable`);
    codes.set(name, first.code);
  }
  const values = [...codes.values()];
  t.is(new Set(values).size, values.length, `codes must be distinct: ${JSON.stringify([...codes])}`);
});

test("ObjectDereferencedError: a change event for a garbage-collected instance", async (t) => {
  class Vanishing {
    declare level: unknown;
  }
  registerClass(Vanishing);
  const attr = registerAttribute(Vanishing, "level");
  function make(): { state: InstanceState; ref: WeakRef<object> } {
    const obj = new Vanishing();
    return { state: instanceState(obj), ref: new WeakRef(obj) };
  }
  const { state, ref } = make();
  await gcRounds(ref);
  t.is(ref.deref(), undefined);
  const err = caught(() => attr.impl!.set(state, state.dict, 5));
  t.true(err instanceof ObjectDereferencedError, String(err));
  t.true(err instanceof InstrumentationError);
  const e = err as ObjectDereferencedError;
  t.is(e.name, "ObjectDereferencedError");
  t.regex(e.message, /Vanishing\.level/);
  t.regex(e.message, /garbage collected/);
  // its code differs from the other errors' codes
  const others = (Object.keys(triggers) as Array<keyof typeof triggers>).map((n) => (triggers[n]() as InstrumentationError).code);
  t.false(others.includes(e.code));
  t.regex(e.code, /^[A-Z][A-Z0-9_]+$/);
});

test("ObjectDereferencedError: mutating a collection whose owner was collected", async (t) => {
  class Owner {
    declare items: unknown[];
  }
  registerClass(Owner);
  registerAttribute(Owner, "items", { kind: "collection" });
  function make(): { items: unknown[]; ref: WeakRef<object> } {
    const obj = new Owner();
    obj.items.push("a");
    instanceState(obj).commitAll();
    return { items: obj.items, ref: new WeakRef(obj) };
  }
  const { items, ref } = make();
  await gcRounds(ref);
  t.is(ref.deref(), undefined);
  t.throws(() => items.push("b"), { instanceOf: ObjectDereferencedError, message: /Owner\.items/ });
});

// ---------------------------------------------------------------------------------------------
// more triggers of the same classes (messages name the class and attribute)
// ---------------------------------------------------------------------------------------------

test("UnmappedClassError from unregisterClass of an uninstrumented class names it", (t) => {
  class NeverRegistered {}
  t.throws(() => unregisterClass(NeverRegistered), { instanceOf: UnmappedClassError, message: /NeverRegistered/ });
});

test("UnmappedInstanceError for null, undefined and plain objects", (t) => {
  t.throws(() => instanceState(null as never), { instanceOf: UnmappedInstanceError });
  t.throws(() => instanceState(undefined as never), { instanceOf: UnmappedInstanceError });
  t.throws(() => instanceState({}), { instanceOf: UnmappedInstanceError });
});

test("ReservedAttributeError from installDescriptor with MANAGER_ATTR", (t) => {
  class Reserved2 {
    declare x: unknown;
  }
  const manager = registerClass(Reserved2);
  const attr = registerAttribute(Reserved2, "x");
  const err = t.throws(() => manager.installDescriptor(ClassManager.MANAGER_ATTR as never, attr), {
    instanceOf: ReservedAttributeError,
  });
  t.regex(err!.message, /Reserved2/);
  t.regex(err!.message, /manager/);
});

test("ExpiredAttributeError when no expiredAttributeLoader is configured", (t) => {
  class NoLoader {
    declare value: unknown;
  }
  registerClass(NoLoader);
  registerAttribute(NoLoader, "value");
  const obj = new NoLoader();
  obj.value = 1;
  instanceState(obj).commitAll();
  instanceState(obj).expire();
  const err = t.throws(() => obj.value, { instanceOf: ExpiredAttributeError });
  t.regex(err!.message, /NoLoader/);
  t.regex(err!.message, /value/);
  t.regex(err!.message, /expiredAttributeLoader/);
});

test("InvalidRequestError for an unknown event identifier names the identifier", (t) => {
  class Evented {
    declare x: unknown;
  }
  registerClass(Evented);
  registerAttribute(Evented, "x");
  const err = t.throws(() => untypedListen(attributeOf(Evented, "x"), "frobnicate", () => undefined), {
    instanceOf: InvalidRequestError,
  });
  t.regex(err!.message, /No such event/);
  t.regex(err!.message, /frobnicate/);
});

test("InvalidRequestError for an instance event on a non-class target", (t) => {
  t.throws(() => untypedListen({}, "init", () => undefined), {
    instanceOf: InvalidRequestError,
    message: /No such event/,
  });
});

test("InvalidRequestError from hasParent on an attribute without trackParent", (t) => {
  class Parentless {
    declare child: unknown;
  }
  class Kid {}
  registerClass(Parentless);
  registerClass(Kid);
  registerAttribute(Parentless, "child", { kind: "object" });
  const err = t.throws(() => hasParent(Parentless, new Kid(), "child"), { instanceOf: InvalidRequestError });
  t.regex(err!.message, /not configured to track parents/);
});

test("InvalidRequestError when an object is removed from a scalar-object attribute it is not in", (t) => {
  class Holder {
    declare other: unknown;
  }
  class Thing {}
  registerClass(Holder);
  registerClass(Thing);
  const attr = registerAttribute(Holder, "other", { kind: "object" });
  const h = new Holder();
  const t1 = new Thing();
  const t2 = new Thing();
  h.other = t1;
  const state = instanceState(h);
  const err = t.throws(() => attr.impl!.remove(state, state.dict, t2), { instanceOf: InvalidRequestError });
  t.regex(err!.message, /not associated with/);
  t.regex(err!.message, /Holder/);
  t.regex(err!.message, /other/);
});

test("NoValueError from deleting an object attribute that holds nothing", (t) => {
  class Ref {
    declare target: unknown;
  }
  registerClass(Ref);
  registerAttribute(Ref, "target", { kind: "object" });
  t.throws(() => delAttribute(new Ref(), "target"), {
    instanceOf: NoValueError,
    message: /Ref\.target object does not have a value/,
  });
});

test("issue 9 bug 14: collection.roles rejects a role that names no method, suggesting the likely one", (t) => {
  class Partial {
    put(_x: unknown): void {}
    discard(_x: unknown): void {}
    values(): unknown[] {
      return [];
    }
  }
  const error = t.throws(() => collection.roles(Partial, { appender: "put", remover: "dicsard", iterator: "values" }), { instanceOf: ArgumentError });
  t.regex(error!.message, /Partial/);
  t.regex(error!.message, /remover "dicsard" is not a method of Partial; did you mean "discard"\?/);
  const other = t.throws(() => collection.roles(Partial, { appender: "put", remover: "discard", iterator: "length" }), { instanceOf: ArgumentError });
  t.regex(other!.message, /"put", "discard", "values"/, "without a close match the methods are listed");
});

test("issue 9 bug 14: registerAttribute rejects a misspelt kind and a non-string key", (t) => {
  class Thing {
    declare tags: unknown;
  }
  registerClass(Thing);
  const kind = t.throws(() => registerAttribute(Thing, "tags", { kind: "colection" as never }), { instanceOf: ArgumentError });
  t.regex(kind!.message, /registerAttribute\(Thing, "tags"\): unknown kind "colection"; did you mean "collection"\?/);
  const key = t.throws(() => registerAttribute(Thing, Symbol("s") as never), { instanceOf: ArgumentError });
  t.regex(key!.message, /Thing.*non-empty string/);
  t.throws(() => registerAttribute(Thing, 3 as never), { instanceOf: ArgumentError, message: /number keys cannot be instrumented/ });
  t.throws(() => registerAttribute(Thing, "tags", { collectionClass: Set }), { instanceOf: ArgumentError, message: /add kind: "collection"/ });
  t.false(managerOfClass(Thing).has("tags"), "nothing was registered");
});

test("issue 9 bug 14: registerClass on something that is not a class says what to pass", (t) => {
  const error = t.throws(() => registerClass({} as never), { instanceOf: ArgumentError });
  t.regex(error!.message, /registerClass\(\) takes a class .* got a plain object/);
  t.throws(() => registerClass(class Fine {}, { expiredAttributeLoader: "load" as never }), { instanceOf: ArgumentError, message: /must be a function/ });
});

test("ArgumentError for a collection class with roles but no remover", (t) => {
  class Partial {
    put(_x: unknown): void {}
    values(): unknown[] {
      return [];
    }
  }
  collection.roles(Partial, { appender: "put", iterator: "values" } as never);
  class Box {
    declare stuff: unknown;
  }
  registerClass(Box);
  t.throws(() => registerAttribute(Box, "stuff", { kind: "collection", collectionClass: Partial as never }), {
    instanceOf: ArgumentError,
    message: /Type Partial must elect a remover method to be a collection class/,
  });
});

test("assigning the wrong collection shape throws a TypeError naming both types", (t) => {
  class Listy {
    declare entries: unknown;
  }
  registerClass(Listy);
  registerAttribute(Listy, "entries", { kind: "collection" });
  const obj = new Listy();
  const err = t.throws(() => setAttribute(obj, "entries", new Set([1])), { instanceOf: TypeError });
  t.regex(err!.message, /Incompatible collection type: Set is not list-like/);
  t.is((err as TypeError & { code?: unknown }).code !== undefined, true);
});

test.serial("InstrumentationConflictError: two instrumentation implementations in one hierarchy (extension)", async (t) => {
  // Importing the extension installs the extended registry; put the default factory and lookups
  // back afterwards so that the other tests of this file run against the default runtime.
  const original = getInstrumentationFactory();
  const ext = await import("../runtime/ext/index.js");
  t.teardown(() => {
    ext.reinstallDefaultLookups();
    setInstrumentationFactory(original);
  });
  class NativeBase {}
  registerClass(NativeBase);
  class CustomSub extends NativeBase {
    static __sa_instrumentation_manager__ = ext.InstrumentationManager;
  }
  const err = t.throws(() => registerClass(CustomSub), { instanceOf: InstrumentationConflictError });
  t.true(err instanceof InstrumentationError);
  t.is(err!.name, "InstrumentationConflictError");
  t.regex(err!.message, /multiple instrumentation implementations/);
  t.regex(err!.message, /CustomSub/);
  t.regex(err!.code, /^[A-Z][A-Z0-9_]+$/);
  const otherCodes = (Object.keys(triggers) as Array<keyof typeof triggers>).map(
    (n) => (triggers[n]() as InstrumentationError).code,
  );
  t.false(otherCodes.includes(err!.code));
});
