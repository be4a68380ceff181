/**
 * Accessor generation: the getter/setter pair installed on a class's prototype for each
 * attribute. Each pair is compiled for its own attribute name (one function per attribute, so
 * V8's inline caches stay monomorphic per class), reads the instance dict directly, and calls
 * into the attribute's impl only on the slow path: value absent, first change since commit,
 * listeners present. The transformer emits the same code at build time; `accessorSource` is the
 * single definition of it.
 */
import { STATE_ATTR } from "./base.js";
import { instanceState } from "./access.js";
import { lookups } from "./lookups.js";
import type { InstrumentedAttribute } from "./attributes.js";

/** Slow-path read: loaders, defaults, state creation. */
export function slowGet(obj: object, attr: InstrumentedAttribute): unknown {
  const state = instanceState(obj);
  return attr.requireImpl().get(state, lookups.instanceDict(obj));
}

/** Slow-path write: events, history, state creation. */
export function slowSet(obj: object, attr: InstrumentedAttribute, value: unknown): void {
  const state = instanceState(obj);
  attr.requireImpl().set(state, lookups.instanceDict(obj), value, undefined);
}

/**
 * JavaScript source of a factory `(STATE, attr, slowGet, slowSet) => PropertyDescriptor` for
 * attribute `key`. The fast paths: a read of a loaded value, and a write to an attribute that
 * already has a committed entry (its fast-path bit is set on the state) with no set listeners.
 */
export function accessorSource(key: string): string {
  const k = JSON.stringify(key);
  return `
  function get() {
    const s = this[STATE];
    if (s !== undefined) { const v = s.dict_[${k}]; if (v !== undefined) return v; }
    return slowGet(this, attr);
  }
  function set(v) {
    const s = this[STATE];
    if (s !== undefined) {
      const i = attr.impl;
      if (i !== undefined && (s.dirtyBits & i.bit) !== 0 && i.plainSet) { s.dict_[${k}] = v; return; }
    }
    slowSet(this, attr, v);
  }
  get.instrumented = true;
  return { get, set, configurable: true, enumerable: false };`;
}

/**
 * Builds the accessor descriptor of one attribute from the state key, the attribute and the two
 * slow paths. The transformer emits one per attribute (the body of {@link accessorSource}).
 */
export type AccessorFactory = (
  state: symbol,
  attr: InstrumentedAttribute,
  get: typeof slowGet,
  set: typeof slowSet,
) => PropertyDescriptor;

let codegenAvailable = true;

/** The accessor descriptor for `attr` (generated code, or closures where `new Function` is forbidden). */
export function accessorFor(attr: InstrumentedAttribute): PropertyDescriptor {
  if (attr.accessorFactory !== undefined) return attr.accessorFactory(STATE_ATTR, attr, slowGet, slowSet);
  if (codegenAvailable) {
    try {
      const factory = new Function("STATE", "attr", "slowGet", "slowSet", accessorSource(attr.key)) as AccessorFactory;
      return factory(STATE_ATTR, attr, slowGet, slowSet);
    } catch {
      codegenAvailable = false; // e.g. a Content-Security-Policy without 'unsafe-eval'
    }
  }
  return closureAccessor(attr);
}

function closureAccessor(attr: InstrumentedAttribute): PropertyDescriptor {
  const key = attr.key;
  const get = function (this: { [STATE_ATTR]?: { dict_: Record<string, unknown> } }) {
    const s = this[STATE_ATTR];
    if (s !== undefined) {
      const v = s.dict_[key];
      if (v !== undefined) return v;
    }
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
