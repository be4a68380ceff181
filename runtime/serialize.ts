/**
 * Serialization of mapped instances: `loadedValues(obj)`, and the `toJSON` method and Node inspect
 * hook installed on mapped classes, which show the loaded attribute values (the values live in
 * the instance dict, not in own properties).
 */
import { INSPECT, className, hasOwn } from "./base.js";
import { lookups } from "./lookups.js";
import { isRuntimePathClass, runtimePathHooks } from "./construct.js";
import { optManagerForInstance } from "./access.js";
import { duckTypeCollection } from "./collections.js";
import type { ClassManager } from "./instrumentation.js";


/** The loaded attribute values of `obj` (then its other own enumerable properties), as plain data. */
export function loadedValues(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of loadedEntries(obj)) out[key] = plainCollection(value);
  for (const key of Object.keys(obj)) if (!hasOwn(out, key)) out[key] = (obj as Record<string, unknown>)[key];
  return out;
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

