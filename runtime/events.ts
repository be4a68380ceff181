/**
 * The public event API (port of `event/api.py` with the three families of `orm/events.py` that
 * instrumentation uses): typed contracts per family, and `listen` / `removeListener` /
 * `hasListener`. Listeners are wrapped here once — instance or state as target (`raw`), value
 * passthrough unless `retval`, key argument only with `includeKey`, `once` — so dispatchers call
 * them without further checks.
 *
 * Targets: an `InstrumentedAttribute` (attribute events); a `ClassManager` or an instrumented
 * class (instance events), or a class not instrumented yet (held until it is); any class
 * (instrumentation events; `propagate` defaults to true; `Object` covers every class).
 */
import { isSubclass, type Class, type Sentinel } from "./base.js";
import {
  ATTRIBUTE_EVENT_NAMES,
  INSTANCE_EVENT_NAMES,
  INSTRUMENTATION_EVENT_NAMES,
  heldInstanceListeners,
  instrumentationListeners,
  type AttributeEventName,
  type InstanceEventName,
  type InstrumentationEventName,
  type ListenerEntry,
  type ListenOptions,
} from "./dispatch.js";
import { InvalidRequestError } from "./errors.js";
import { lookups } from "./lookups.js";
import { ClassManager, liveManagers } from "./instrumentation.js";
import { InstrumentedAttribute, type AttributeEventToken } from "./attributes.js";
import type { InstanceState } from "./state.js";
import type { CollectionAdapter } from "./collections.js";

export type { ListenOptions };

/** Member type of a collection value type (the value itself for scalars). */
export type MemberOf<V> =
  V extends ReadonlyArray<infer E> ? E : V extends ReadonlySet<infer E> ? E : V extends ReadonlyMap<unknown, infer E> ? E : V;

/** Instrumentation events: fired on the factory for a class and, with `propagate`, its subclasses. */
export interface InstrumentationEvents {
  /** A class finished registration. */
  classInstrument(cls: Class): void;
  /** A class was unregistered (fired after its manager was torn down). */
  classUninstrument(cls: Class): void;
  /** An attribute was registered on a class. */
  attributeInstrument(cls: Class, key: string, attr: InstrumentedAttribute): void;
}

/** Instance events of a class; `Target` is the instance, or its state with `raw: true`. */
export interface InstanceEvents<Target> {
  /** Construction began: fires before any field initializer or constructor body. */
  init(target: Target, args: unknown[]): void;
  /** A constructor threw `error` (rethrown unchanged after the listeners run). */
  initFailure(target: Target, args: unknown[], error: unknown): void;
  /** A persistence layer loaded the instance. */
  load(target: Target, context?: unknown): void;
  /** A persistence layer refreshed attributes of the instance. */
  refresh(target: Target, context?: unknown, keys?: ReadonlySet<string>): void;
  /** Attributes were expired (`keys` undefined: all of them). */
  expire(target: Target, keys: ReadonlySet<string> | undefined): void;
}

/** Attribute events of one attribute with value type `V`; `Target` as in {@link InstanceEvents}. */
export interface AttributeEvents<Target, V> {
  /** A scalar or object value is assigned; with `retval`, the return value is stored instead. */
  set(target: Target, value: V, oldValue: V | Sentinel | undefined, initiator: AttributeEventToken): V | void;
  /** A member is added to a collection; with `retval`, the return value is stored instead. */
  append(target: Target, value: MemberOf<V>, initiator: AttributeEventToken, key?: unknown): MemberOf<V> | void;
  /** A member already present was added again (sets, maps, kept members of a bulk replace). */
  appendWithoutMutation(target: Target, value: MemberOf<V>, initiator: AttributeEventToken, key?: unknown): void;
  /** A member is removed from a collection, or a scalar / object value is deleted. */
  remove(target: Target, value: MemberOf<V>, initiator: AttributeEventToken, key?: unknown): void;
  /** A whole collection is assigned; `values` may be edited in place. */
  bulkReplace(target: Target, values: MemberOf<V>[], initiator: AttributeEventToken, keys?: unknown[]): void;
  /** An unset scalar is read; with `retval`, the return value is the value read. */
  initScalar(target: Target, value: V | undefined, dict: Record<string, unknown>): V | void;
  /** A new empty collection was created for the attribute. */
  initCollection(target: Target, collection: V, adapter: CollectionAdapter): void;
  /** A collection was replaced by assignment and unlinked. */
  disposeCollection(target: Target, collection: V, adapter: CollectionAdapter | undefined): void;
  /** `flagModified` was called for the attribute. */
  modified(target: Target, initiator: AttributeEventToken): void;
}

/** Options with `raw: true` (listeners receive the `InstanceState`). */
export type RawListenOptions = ListenOptions & { raw: true };
/** Options with `raw` unset or false (listeners receive the instance). */
export type InstanceListenOptions = ListenOptions & { raw?: false };

type AnyFn = (...args: unknown[]) => unknown;

/** Listens to an attribute event of `attr`. */
export function listen<T extends object, V, K extends AttributeEventName>(
  target: InstrumentedAttribute<T, V>,
  identifier: K,
  fn: AttributeEvents<T, V>[K],
  options?: InstanceListenOptions,
): void;
/** Listens to an attribute event of `attr`, receiving states (`raw: true`). */
export function listen<T extends object, V, K extends AttributeEventName>(
  target: InstrumentedAttribute<T, V>,
  identifier: K,
  fn: AttributeEvents<InstanceState<T>, V>[K],
  options: RawListenOptions,
): void;
/** Listens to an instance event of a class (held until the class is instrumented). */
export function listen<T extends object, K extends InstanceEventName>(
  target: Class<T> | ClassManager<T>,
  identifier: K,
  fn: InstanceEvents<T>[K],
  options?: InstanceListenOptions,
): void;
/** Listens to an instance event of a class, receiving states (`raw: true`). */
export function listen<T extends object, K extends InstanceEventName>(
  target: Class<T> | ClassManager<T>,
  identifier: K,
  fn: InstanceEvents<InstanceState<T>>[K],
  options: RawListenOptions,
): void;
/** Listens to an instrumentation event for a class and (by default) its subclasses. */
export function listen<K extends InstrumentationEventName>(
  target: Class,
  identifier: K,
  fn: InstrumentationEvents[K],
  options?: ListenOptions,
): void;
export function listen(target: unknown, identifier: string, fn: Function, options: ListenOptions = {}): void {
  if (typeof fn !== "function") throw new TypeError(`listen(): the listener for '${identifier}' must be a function`);
  const family = resolveFamily(target, identifier);
  if (family === "attribute") listenAttribute(target as InstrumentedAttribute, identifier as AttributeEventName, fn, options);
  else if (family === "instance") listenInstance(target as Function | ClassManager, identifier as InstanceEventName, fn, options);
  else listenInstrumentation(target as Function, identifier as InstrumentationEventName, fn, options);
}

/** Removes a listener added with {@link listen} (from propagated and held copies too). */
export function removeListener(target: unknown, identifier: string, fn: Function): void {
  const family = resolveFamily(target, identifier);
  let removed = false;
  if (family === "attribute") {
    const attr = target as InstrumentedAttribute;
    removed = removeFromAttribute(attr, identifier as AttributeEventName, fn);
  } else if (family === "instance") {
    const name = identifier as InstanceEventName;
    const manager = target instanceof ClassManager ? target : lookups.optManagerOfClass(target);
    const cls = target instanceof ClassManager ? target.class_ : (target as Function);
    const held = heldInstanceListeners.get(cls);
    if (held) {
      const rest = held.filter((h) => !(h.name === name && h.entry.fn === fn));
      removed = rest.length !== held.length;
      heldInstanceListeners.set(cls, rest);
    }
    for (const m of liveManagers()) {
      if (m === manager || (manager === undefined ? isSubclass(m.class_, cls) : isSubclass(m.class_, manager.class_))) {
        if (m.dispatch.list(name).remove(fn)) removed = true;
      }
    }
  } else {
    const list = instrumentationListeners[identifier as InstrumentationEventName];
    const index = list.findIndex((e) => e.fn === fn && e.target.deref() === target);
    if (index >= 0) {
      list.splice(index, 1);
      removed = true;
    }
  }
  if (!removed) {
    throw new InvalidRequestError(`No listener ${fn.name || "<anonymous>"} registered for '${identifier}' on ${describe(target)}.`);
  }
}

/** Whether `fn` listens to `identifier` on `target`. */
export function hasListener(target: unknown, identifier: string, fn: Function): boolean {
  const family = resolveFamily(target, identifier);
  if (family === "attribute") return (target as InstrumentedAttribute).dispatch.list(identifier as AttributeEventName).has(fn);
  if (family === "instance") {
    const manager = target instanceof ClassManager ? target : lookups.optManagerOfClass(target);
    if (manager) return manager.dispatch.list(identifier as InstanceEventName).has(fn);
    return (heldInstanceListeners.get(target as Function) ?? []).some((h) => h.name === identifier && h.entry.fn === fn);
  }
  return instrumentationListeners[identifier as InstrumentationEventName].some((e) => e.fn === fn && e.target.deref() === target);
}

type Family = "attribute" | "instance" | "instrumentation";

function resolveFamily(target: unknown, identifier: string): Family {
  if (target instanceof InstrumentedAttribute) {
    if ((ATTRIBUTE_EVENT_NAMES as readonly string[]).includes(identifier)) return "attribute";
  } else if (target instanceof ClassManager) {
    if ((INSTANCE_EVENT_NAMES as readonly string[]).includes(identifier)) return "instance";
  } else if (typeof target === "function") {
    if ((INSTANCE_EVENT_NAMES as readonly string[]).includes(identifier)) return "instance";
    if ((INSTRUMENTATION_EVENT_NAMES as readonly string[]).includes(identifier)) return "instrumentation";
  }
  throw new InvalidRequestError(`No such event '${identifier}' for target '${describe(target)}'.`);
}

function describe(target: unknown): string {
  if (typeof target === "function") return target.name || "<anonymous class>";
  return String(target);
}

function entry(fn: Function, call: Function, propagate: boolean, options: ListenOptions): ListenerEntry {
  return { fn, call: options.once ? onceWrapper(call) : call, propagate, options: { ...options } };
}

function onceWrapper(call: Function): Function {
  let done = false;
  return function (this: unknown, ...args: unknown[]) {
    if (done) return args[1];
    done = true;
    return call.apply(this, args);
  };
}

const KEYED_EVENTS: ReadonlySet<AttributeEventName> = new Set(["append", "appendWithoutMutation", "remove", "bulkReplace"]);

function wrapAttributeListener(name: AttributeEventName, fn: Function, options: ListenOptions): Function {
  const raw = options.raw === true;
  const retval = options.retval === true;
  const keyed = KEYED_EVENTS.has(name);
  const includeKey = options.includeKey === true;
  if (raw && retval && (includeKey || !keyed)) return fn;
  return (state: InstanceState, ...args: unknown[]) => {
    const target = raw ? state : state.obj();
    const callArgs = keyed && !includeKey ? args.slice(0, -1) : args;
    const result = (fn as AnyFn)(target, ...callArgs);
    return retval ? result : args[0];
  };
}

function listenAttribute(attr: InstrumentedAttribute, name: AttributeEventName, fn: Function, options: ListenOptions): void {
  const propagate = options.propagate === true;
  const e = entry(fn, wrapAttributeListener(name, fn, options), propagate, options);
  const targets: InstrumentedAttribute[] = [attr];
  if (propagate) {
    const manager = lookups.optManagerOfClass(attr.class_);
    if (manager) {
      for (const sub of manager.subclassManagers(true)) {
        const subAttr = sub.get(attr.key);
        if (subAttr !== undefined && !targets.includes(subAttr)) targets.push(subAttr);
      }
    }
  }
  for (const t of targets) {
    t.dispatch.list(name).add(e);
    if (options.activeHistory) t.dispatch.activeHistory = true;
    t.dispatch.onChange?.();
  }
}

function removeFromAttribute(attr: InstrumentedAttribute, name: AttributeEventName, fn: Function): boolean {
  let removed = attr.dispatch.list(name).remove(fn);
  attr.dispatch.onChange?.();
  const manager = lookups.optManagerOfClass(attr.class_);
  if (manager) {
    for (const sub of manager.subclassManagers(true)) {
      const subAttr = sub.get(attr.key);
      if (subAttr !== undefined && subAttr !== attr && subAttr.dispatch.list(name).remove(fn)) {
        removed = true;
        subAttr.dispatch.onChange?.();
      }
    }
  }
  return removed;
}

/** @internal Adds a listener to an attribute without validation (backrefs use it). */
export function addAttributeListener(attr: InstrumentedAttribute, name: AttributeEventName, fn: Function, options: ListenOptions): void {
  listenAttribute(attr, name, fn, options);
}

function wrapInstanceListener(fn: Function, options: ListenOptions): Function {
  if (options.raw === true) return fn;
  return (state: InstanceState, ...args: unknown[]) => (fn as AnyFn)(state.obj(), ...args);
}

function listenInstance(target: Function | ClassManager, name: InstanceEventName, fn: Function, options: ListenOptions): void {
  const propagate = options.propagate === true;
  const e = entry(fn, wrapInstanceListener(fn, options), propagate, options);
  const manager = target instanceof ClassManager ? target : lookups.optManagerOfClass(target);
  if (manager === undefined) {
    // Held: applied when a manager is created for the class (or, propagating, a subclass).
    const cls = target as Function;
    const held = heldInstanceListeners.get(cls) ?? [];
    held.push({ name, entry: e });
    heldInstanceListeners.set(cls, held);
    if (propagate) {
      for (const m of liveManagers()) if (isSubclass(m.class_, cls)) m.dispatch.list(name).add(e);
    }
    return;
  }
  manager.dispatch.list(name).add(e);
  if (propagate) for (const sub of manager.subclassManagers(true)) sub.dispatch.list(name).add(e);
}

function listenInstrumentation(target: Function, name: InstrumentationEventName, fn: Function, options: ListenOptions): void {
  const propagate = options.propagate ?? true;
  const base = entry(fn, fn, propagate, options);
  instrumentationListeners[name].push({ ...base, target: new WeakRef(target) });
}
