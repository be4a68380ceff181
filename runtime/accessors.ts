/**
 * Accessor generation: the getter/setter pair installed on a class's prototype for each
 * attribute. Each pair is compiled for its own attribute name (one function per attribute, so
 * V8's inline caches stay monomorphic per class) and works on the instance dict directly:
 *
 * - read: a loaded value is returned straight from the dict;
 * - write with no state yet (a new object being filled in): stored, nothing else — the state,
 *   created on first need, records those values as pending additions;
 * - write to an attribute already changed since the last commit: stored;
 * - first write after a commit: the old value is recorded, then stored.
 *
 * Anything else (listeners, collections, parent tracking, active history, loaders, defaults)
 * takes the slow path through the attribute's impl. The transformer emits the same code at
 * build time; {@link accessorSource} is the single definition of it.
 */
import { DICT_ATTR, DICT_OWNER, NO_VALUE, STATE_ATTR, ownDict } from "./base.js";
import { instanceState, managerForInstance, viewedInstance } from "./access.js";
import { enterPendingConstruction, isConstructing, runtimePathHooks } from "./construct.js";
import { defaultInstanceState, lookups } from "./lookups.js";
import type { InstrumentedAttribute } from "./attributes.js";

/** Slow-path read: loaders, defaults, state creation. */
export function slowGet(obj: object, attr: InstrumentedAttribute): unknown {
  obj = viewedInstance(obj); // read through a Proxy of an instance: the instance's values
  enterPendingConstruction(obj); // the runtime path of @mapped: see construct.ts
  const state = instanceState(obj);
  return attr.requireImpl().get(state, lookups.instanceDict(obj));
}

/** Slow-path write: events, history, state creation. */
export function slowSet(obj: object, attr: InstrumentedAttribute, value: unknown): void {
  obj = viewedInstance(obj); // written through a Proxy of an instance: tracked on the instance
  enterPendingConstruction(obj); // the runtime path of @mapped: see construct.ts
  if (value === undefined && isConstructing(obj) && runtimePathHooks.isRuntimePath?.(obj) && !(attr.key in lookups.instanceDict(obj))) {
    return; // a field declared without initializer ([[Set]] emit of a decorated field): never set, as with the transformer
  }
  const impl = attr.requireImpl();
  if (impl.plainSet && lookups.instanceState(obj) === undefined && isDefaultManaged(obj)) {
    // A new object being filled in: no state needed yet (see adoptPendingValues).
    ownDict(obj)[attr.key] = value;
    return;
  }
  const state = instanceState(obj);
  impl.set(state, lookups.instanceDict(obj), value, undefined);
}

function isDefaultManaged(obj: object): boolean {
  return managerForInstance(obj).stateGetter() === defaultInstanceState;
}

/** What generated accessor factories receive: the keys, sentinel and slow paths they use. */
export interface AccessorRuntime {
  readonly STATE: symbol;
  readonly DICT: symbol;
  readonly OWNER: symbol;
  readonly NO_VALUE: unknown;
  readonly slowGet: typeof slowGet;
  readonly slowSet: typeof slowSet;
}

/** The runtime handed to every accessor factory. */
export const accessorRuntime: AccessorRuntime = Object.freeze({
  STATE: STATE_ATTR,
  DICT: DICT_ATTR,
  OWNER: DICT_OWNER,
  NO_VALUE,
  slowGet,
  slowSet,
});

/** Parameter names of a generated accessor factory, in order. */
export const ACCESSOR_PARAMS: readonly ["rt", "attr"] = ["rt", "attr"];

/**
 * JavaScript source of the body of a factory `(rt: AccessorRuntime, attr) => PropertyDescriptor`
 * for attribute `key` (parameters named as {@link ACCESSOR_PARAMS}).
 */
export function accessorSource(key: string, sourceUrl?: string): string {
  const k = JSON.stringify(key);
  // A distinct source per class keeps V8 from sharing one compiled accessor (and its type
  // feedback) between same-named attributes of different classes; it also names them in profiles.
  const url = sourceUrl === undefined ? "" : `\n  //# sourceURL=${sourceUrl.replace(/[\s]/g, "_")}`;
  return `
  const STATE = rt.STATE, DICT = rt.DICT, OWNER = rt.OWNER, NO_VALUE = rt.NO_VALUE, slowGet = rt.slowGet, slowSet = rt.slowSet;
  function get() {
    const d = this[DICT];
    if (d !== undefined && d[OWNER] === this) { const v = d[${k}]; if (v !== undefined) return v; }
    return slowGet(this, attr);
  }
  function set(v) {
    const d = this[DICT];
    if (d !== undefined && d[OWNER] === this) {
      const i = attr.impl;
      if (i !== undefined && i.plainSet) {
        const s = this[STATE];
        if (s === undefined) { d[${k}] = v; return; }
        if ((s.dirtyBits & i.bit) === 0) {
          if (i.bit === 0) { slowSet(this, attr, v); return; }
          const old = d[${k}];
          s.recordFirst(i, old === undefined && !(${k} in d) ? NO_VALUE : old, this);
        }
        d[${k}] = v;
        return;
      }
    }
    slowSet(this, attr, v);
  }
  get.instrumented = true;
  return { get, set, configurable: true, enumerable: false };${url}`;
}

let accessorCount = 0;

/** Builds the accessor descriptor of one attribute (see {@link accessorSource}). */
export type AccessorFactory = (rt: AccessorRuntime, attr: InstrumentedAttribute) => PropertyDescriptor;

let codegenAvailable = true;

/** The accessor descriptor for `attr` (generated code, or closures where `new Function` is forbidden). */
export function accessorFor(attr: InstrumentedAttribute): PropertyDescriptor {
  if (attr.accessorFactory !== undefined) return attr.accessorFactory(accessorRuntime, attr);
  if (codegenAvailable) {
    try {
      const url = `class-instrumentation/accessors/${attr.class_.name || "anonymous"}.${attr.key}/${++accessorCount}`;
      const factory = new Function(...ACCESSOR_PARAMS, accessorSource(attr.key, url)) as AccessorFactory;
      return factory(accessorRuntime, attr);
    } catch {
      codegenAvailable = false; // e.g. a Content-Security-Policy without 'unsafe-eval'
    }
  }
  return closureAccessor(attr);
}

function closureAccessor(attr: InstrumentedAttribute): PropertyDescriptor {
  const get = function (this: object) {
    return slowGet(this, attr);
  };
  (get as { instrumented?: boolean }).instrumented = true;
  return {
    get,
    set(this: object, v: unknown) {
      slowSet(this, attr, v);
    },
    configurable: true,
    enumerable: false,
  };
}
