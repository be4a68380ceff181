/**
 * Custom instrumentation management — a TypeScript port of SQLAlchemy's
 * `examples/custom_attributes/custom_management.py`.
 *
 * The classes here choose their own instrumentation through the static
 * `__sa_instrumentation_manager__` member (read by `class-instrumentation/ext`):
 *
 * - `MyClassState`, the user manager, installs no accessors on the classes at all. Attribute
 *   values live in the instance's own `_goofyDict` object and the instance state in its own
 *   `_myState` slot, instead of the runtime's hidden defaults.
 * - `MyClass`, the base class, makes every instance a Proxy that routes property access: a key
 *   the class instruments goes through `getAttribute` / `setAttribute` / `delAttribute` (so
 *   history, events, backrefs and loaders all work), any other key is stored in `_goofyDict`
 *   untracked. This is what SQLAlchemy's `__getattr__` / `__setattr__` / `__delattr__` do; a
 *   Proxy also catches `delete obj.key`, which an accessor cannot.
 *
 * `A` has a collection `bs` of `B`s, mirrored by the backref `B.a`. Instead of a database, a
 * small in-memory "store" plays the part of the Session: `flush()` snapshots the loaded values
 * and commits the states, and the classes' `expiredAttributeLoader` reads expired values back.
 *
 * Run it with `node build/examples/custom-management/custom-management.js` after
 * `npm run build:test`; `main()` returns the trace it prints.
 */
import {
  type Class,
  type History,
  type InstanceState,
  attributeOf,
  delAttribute,
  getAttribute,
  getHistory,
  instanceDict,
  instanceState,
  isInstrumented,
  listen,
  managerOfClass,
  optManagerOfClass,
  registerAttribute,
  registerClass,
  removeListener,
  setAttribute,
} from "../../runtime/index.js";
import { InstrumentationManager } from "../../runtime/ext/index.js";

/** Where `MyClassState` keeps an instance's attribute values. */
export const GOOFY_DICT = "_goofyDict";
/** Where `MyClassState` keeps an instance's state. */
export const MY_STATE = "_myState";

type Slots = { [GOOFY_DICT]?: Record<PropertyKey, unknown>; [MY_STATE]?: InstanceState };

function defineSlot(instance: object, key: string, value: unknown): void {
  // Defined, not assigned: on a MyClass instance an assignment would go through the Proxy's
  // `set` trap, as `instance.__dict__[...] = ...` bypasses `__setattr__` in Python.
  Object.defineProperty(instance, key, { value, writable: true, configurable: true, enumerable: true });
}

/** The user-defined instrumentation: no accessors, values in `_goofyDict`, state in `_myState`. */
export class MyClassState extends InstrumentationManager {
  override instrumentAttribute(): void {}

  override installDescriptor(): void {}

  override uninstallDescriptor(): void {}

  override getInstanceDict(_cls: Class, instance: object): Record<string, unknown> {
    return (instance as Slots)[GOOFY_DICT] as Record<string, unknown>;
  }

  override initializeInstanceDict(_cls: Class, instance: object): void {
    defineSlot(instance, GOOFY_DICT, {});
  }

  override installState(_cls: Class, instance: object, state: InstanceState): void {
    defineSlot(instance, MY_STATE, state);
  }

  override removeState(_cls: Class, instance: object): void {
    delete (instance as Slots)[MY_STATE];
  }

  override stateGetter(): (instance: object) => InstanceState | undefined {
    return (instance) => (instance as Slots)[MY_STATE];
  }
}

/** Whether property `key` of `obj` is an attribute its class instruments. */
function instrumentedKey(obj: object, key: PropertyKey): key is string {
  if (typeof key !== "string") return false;
  const cls = (Object.getPrototypeOf(obj) as { constructor?: Class } | null)?.constructor;
  return cls !== undefined && optManagerOfClass(cls) !== undefined && isInstrumented(obj, key);
}

/** Base class of the custom-managed classes; `new Sub({ key: value })` assigns through the Proxy. */
export class MyClass {
  static readonly __sa_instrumentation_manager__ = MyClassState;

  constructor(init: Record<string, unknown> = {}) {
    const self: this = new Proxy(this, {
      get(target, key, receiver) {
        // Python's __getattr__ only runs when normal lookup fails: own slots and methods first.
        if (key in target) return Reflect.get(target, key, receiver);
        if (instrumentedKey(receiver, key)) return getAttribute(receiver, key);
        return (target as Slots)[GOOFY_DICT]?.[key];
      },
      set(target, key, value, receiver) {
        if (instrumentedKey(receiver, key)) {
          setAttribute(receiver, key, value);
          return true;
        }
        if (optManagerOfClass((target as object).constructor as Class) === undefined) {
          return Reflect.set(target, key, value, receiver);
        }
        instanceState(receiver); // creates the state and _goofyDict on first use
        (target as Slots)[GOOFY_DICT]![key] = value;
        return true;
      },
      deleteProperty(target, key) {
        if (instrumentedKey(self, key)) {
          delAttribute(self as object, key);
          return true;
        }
        const dict = (target as Slots)[GOOFY_DICT];
        if (dict !== undefined && key in dict) return delete dict[key];
        return Reflect.deleteProperty(target, key);
      },
    });
    for (const key of Object.keys(init)) (self as Record<string, unknown>)[key] = init[key];
    return self;
  }
}

/** Has a collection of `B`s. */
export class A extends MyClass {
  declare name: string;
  declare bs: B[];
  declare nickname: string | undefined;
}

/** Belongs to an `A` through the backref `a`. */
export class B extends MyClass {
  declare name: string;
  declare a: A | undefined;
}

// ---------------------------------------------------------------------------------------------
// the in-memory "store" standing in for a database session
// ---------------------------------------------------------------------------------------------

const rows = new WeakMap<object, Record<string, unknown>>();
const loads: string[] = [];

/** Reads expired attributes back from the store. */
function loadFromStore(state: InstanceState, keys: ReadonlySet<string>): void {
  const row = rows.get(state.obj() ?? {}) ?? {};
  loads.push(`${state.class_.name} [${[...keys].join(", ")}]`);
  for (const key of keys) state.dict[key] = row[key];
}

/** Saves the loaded scalar values of each object and commits its state. */
function flush(...objects: object[]): void {
  for (const obj of objects) {
    const dict = instanceDict(obj);
    const row: Record<string, unknown> = {};
    for (const [key, attr] of managerOfClass(instanceState(obj).class_)) {
      if (!attr.impl?.collection && key in dict) row[key] = dict[key];
    }
    rows.set(obj, row);
    instanceState(obj).commitAll();
  }
}

registerClass(A, { expiredAttributeLoader: loadFromStore });
registerClass(B, { expiredAttributeLoader: loadFromStore });
registerAttribute(A, "name");
registerAttribute(A, "bs", { kind: "collection", backref: "a", trackParent: true });
registerAttribute(B, "name");
registerAttribute(B, "a", { kind: "object", backref: "bs", trackParent: true });

// ---------------------------------------------------------------------------------------------
// the walkthrough
// ---------------------------------------------------------------------------------------------

function show(value: unknown): string {
  if (value === undefined || value === null) return "none";
  if (value instanceof MyClass) return `${value.constructor.name}(${(value as { name: string }).name})`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && Symbol.iterator in value) return `[${[...(value as Iterable<unknown>)].map(show).join(", ")}]`;
  return String(value);
}

function showHistory(h: History): string {
  return `added=${show(h.added)} unchanged=${show(h.unchanged)} deleted=${show(h.deleted)}`;
}

/** Runs the example and returns its trace. */
export function main(): string[] {
  const trace: string[] = [];
  const log = (line: string) => void trace.push(line);
  loads.length = 0;

  const a1 = new A({ name: "a1", bs: [new B({ name: "b1" }), new B({ name: "b2" })] });
  const [b1, b2] = a1.bs as [B, B];
  log(`a1.name = ${show(a1.name)}`);
  log(`a1.bs[0].name = ${show(a1.bs[0]!.name)}`);
  log(`a1.bs = ${show(a1.bs)}`);
  log(`b2.a = ${show(b2.a)} (set by the backref)`);
  log(`own keys of a1: ${Reflect.ownKeys(a1).map(String).join(", ")}`);
  log(`a1._goofyDict holds: ${Object.keys((a1 as Slots)[GOOFY_DICT]!).join(", ")}`);
  const accessors = Object.getOwnPropertyNames(A.prototype).filter((k) => k !== "constructor");
  log(`accessors on A.prototype: ${accessors.length === 0 ? "none" : accessors.join(", ")}`);

  a1.nickname = "first";
  log(`a1.nickname = ${show(a1.nickname)}; instrumented: ${isInstrumented(a1, "nickname")}; in _goofyDict: ${"nickname" in (a1 as Slots)[GOOFY_DICT]!}`);
  log(`history of a1.name: ${showHistory(getHistory(a1, "name"))}`);

  flush(a1, b1, b2);
  log("flushed a1, b1, b2");
  log(`history of a1.name: ${showHistory(getHistory(a1, "name"))}`);
  log(`modified: a1=${instanceState(a1).modified} b1=${instanceState(b1).modified}`);

  (a1.bs as unknown as { remove(item: B): void }).remove(a1.bs[0]!);
  log(`removed a1.bs[0]: a1.bs = ${show(a1.bs)}, b1.a = ${show(b1.a)}`);
  log(`history of a1.bs: ${showHistory(getHistory(a1, "bs"))}`);
  log(`history of b1.a: ${showHistory(getHistory(b1, "a"))}`);

  const nameAttr = attributeOf(A, "name");
  const onSet = (target: A, value: string, oldValue: unknown) =>
    void log(`set event: ${show(target)}.name ${show(oldValue)} -> ${show(value)}`);
  listen(nameAttr, "set", onSet);
  try {
    a1.name = "a1 renamed";
  } finally {
    removeListener(nameAttr, "set", onSet);
  }
  log(`history of a1.name: ${showHistory(getHistory(a1, "name"))}`);

  instanceState(a1).expireAttributes(["name"]);
  log(`expired a1.name; in _goofyDict: ${"name" in (a1 as Slots)[GOOFY_DICT]!}`);
  log(`a1.name = ${show(a1.name)} (loader: ${loads.join("; ")})`);

  delete (a1 as { nickname?: string }).nickname;
  log(`deleted a1.nickname: ${show(a1.nickname)}`);
  delete (a1 as { name?: string }).name;
  log(`deleted a1.name: ${show(a1.name)}; history: ${showHistory(getHistory(a1, "name"))}`);

  log(`len(a1.bs) = ${a1.bs.length}`);
  return trace;
}

if (require.main === module) {
  console.log("\n== custom instrumentation (class-instrumentation/ext): values and state kept in the instance's own slots");
  for (const line of main()) console.log(`  ${line}`);
}
