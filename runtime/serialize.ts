/**
 * Serialization of mapped instances: `loadedValues(obj)`, and the `toJSON` method and Node inspect
 * hook installed on mapped classes, which show the loaded attribute values (the values live in
 * the instance dict, not in own properties).
 */
import { INSPECT, PASSIVE_OFF, className, hasOwn } from "./base.js";
import { lookups } from "./lookups.js";
import { isRuntimePathClass, runtimePathHooks } from "./construct.js";
import { optManagerForInstance } from "./access.js";
import { duckTypeCollection } from "./collections.js";
import type { ClassManager } from "./instrumentation.js";
import type { AttributeImpl } from "./attributes.js";


/**
 * The loaded attribute values of `obj` (then its other own enumerable properties), as plain data.
 * Expired attributes are loaded first when the class has an `expiredAttributeLoader` (so an
 * expired object never serializes as `{}`; an asynchronous loader makes this throw
 * `ExpiredAttributeError`: `await loadExpired(obj)` first); without a loader they are left out.
 */
export function loadedValues(obj: object): Record<string, unknown> {
  return plainTree(obj, new Map());
}

/**
 * `obj` as plain data, mapped instances among its values (and collection members) converted too,
 * each instance once per call: a cycle of instances becomes a cycle of plain objects, which
 * `JSON.stringify` reports with its standard "Converting circular structure to JSON" TypeError
 * instead of recursing until the stack overflows.
 */
function plainTree(obj: object, seen: Map<object, Record<string, unknown>>): Record<string, unknown> {
  const done = seen.get(obj);
  if (done !== undefined) return done;
  const out: Record<string, unknown> = {};
  seen.set(obj, out);
  loadExpiredForSerialization(obj);
  const put = (key: string, value: unknown): void => {
    // defineProperty: a "__proto__" attribute is data, not the output's prototype.
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  };
  for (const [key, value] of loadedEntries(obj)) put(key, plainValue(plainCollection(value), seen));
  for (const key of Object.keys(obj)) if (!hasOwn(out, key)) put(key, plainValue((obj as Record<string, unknown>)[key], seen));
  return out;
}

/** Converts a mapped instance (or an array of values) for {@link plainTree}; other values as they are. */
function plainValue(value: unknown, seen: Map<object, Record<string, unknown>>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if ((value as { toJSON?: unknown }).toJSON === toJSON) return plainTree(value, seen);
  if (Array.isArray(value)) return value.map((v) => plainValue(v, seen));
  return value;
}

function loadExpiredForSerialization(obj: object): void {
  const state = lookups.instanceState(obj);
  if (state === undefined || state.expiredSet === null || state.expiredSet.size === 0) return;
  if (state.manager.expiredAttributeLoader === undefined) return;
  for (const key of [...state.expiredSet]) {
    if (!state.expiredSet.has(key)) continue;
    const impl: AttributeImpl | undefined = state.manager.get(key)?.impl;
    if (impl !== undefined && impl.usesExpiredLoader(state)) impl.get(state, state.dict, PASSIVE_OFF);
  }
}

/** `[key, value]` of each loaded attribute of `obj`, in the manager's order. */
function loadedEntries(obj: object): Array<[string, unknown]> {
  if (isRuntimePathClass((Object.getPrototypeOf(obj) as { constructor?: unknown } | null)?.constructor)) runtimePathHooks.absorb?.(obj);
  const manager = managerOfInstance(obj);
  if (manager === undefined) return [];
  const dict = lookups.instanceDict(obj);
  const entries: Array<[string, unknown]> = [];
  for (const key of manager.keys()) if (hasOwn(dict, key)) entries.push([key, dict[key]]);
  return entries;
}

/** @internal The manager of `obj`'s state, else of the nearest instrumented class of its prototype chain. */
export function managerOfInstance(obj: object): ClassManager | undefined {
  return lookups.instanceState(obj)?.manager ?? optManagerForInstance(obj);
}

function plainCollection(value: unknown): unknown {
  switch (duckTypeCollection(value)) {
    case "list":
      return Array.from(value as Iterable<unknown>);
    case "set":
      return Array.from(value as Iterable<unknown>);
    case "map": {
      const entries = Array.from(value as Iterable<[unknown, unknown]>);
      return entries.every(([k]) => typeof k === "string") ? Object.fromEntries(entries) : entries;
    }
    default:
      return value;
  }
}

function toJSON(this: object): Record<string, unknown> {
  return loadedValues(this);
}

const shownClasses = new WeakMap<Function, new () => object>();

/** `util.inspect` shows `ClassName { key: value, ... }` with the loaded values (collections as themselves). */
function inspect(this: object, depth: number, options: { depth?: number | null }, show?: (v: unknown, o: unknown) => string): unknown {
  const cls = (Object.getPrototypeOf(this) as { constructor: Function }).constructor;
  let Shown = shownClasses.get(cls);
  if (Shown === undefined) {
    const name = className(cls);
    Shown = { [name]: class {} }[name]!;
    shownClasses.set(cls, Shown);
  }
  const shown = new Shown() as Record<string, unknown>;
  for (const [key, value] of loadedEntries(this)) shown[key] = value;
  for (const key of Object.keys(this)) if (!hasOwn(shown, key)) shown[key] = (this as Record<string, unknown>)[key];
  if (typeof show !== "function") return shown;
  return show(shown, { ...options, depth: options.depth === null || options.depth === undefined ? options.depth : depth });
}

/** @internal Installs `toJSON` (unless the class has one) and the inspect hook on `manager`'s class. */
export function installSerialization(manager: ClassManager): void {
  const proto = manager.class_.prototype as object;
  if (!("toJSON" in proto)) manager.installMember("toJSON", toJSON);
  if (!(INSPECT in proto)) manager.installMember(INSPECT, inspect);
}

