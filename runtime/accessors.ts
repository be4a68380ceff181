/**
 * Accessor installation: the getter/setter pair of each attribute, from the build-time factory
 * the transformer emitted, or compiled from the template of `accessor-template.ts` (one function
 * per attribute, so V8's inline caches stay monomorphic per class), or — where code generation
 * is refused — closures with the same fast paths. The slow paths (`slowGet`, `slowSet`) go
 * through the attribute's impl.
 *
 * Internal: nothing here is exported by the package entry points.
 */
import { DICT_ATTR, DICT_OWNER, NO_VALUE, STATE_ATTR, ownDict, type InstanceDictObject } from "./base.js";
import { ACCESSOR_PARAMS, accessorSource, type AccessorFactory, type AccessorRuntime } from "./accessor-template.js";
import { instanceState, managerForInstance, viewedInstance } from "./access.js";
import { enterPendingConstruction, isConstructing, runtimePathHooks } from "./construct.js";
import { defaultInstanceState, lookups } from "./lookups.js";
import type { CollectionAttributeImpl, InstrumentedAttribute } from "./attributes.js";
import type { InstanceState } from "./state.js";

/** @internal Slow-path read: loaders, defaults, state creation. */
export function slowGet(obj: object, attr: InstrumentedAttribute): unknown {
  obj = viewedInstance(obj); // read through a Proxy of an instance: the instance's values
  enterPendingConstruction(obj); // the runtime path of @mapped: see construct.ts
  const state = instanceState(obj);
  return attr.requireImpl().get(state, lookups.instanceDict(obj));
}

/** @internal Slow-path write: events, history, state creation. */
export function slowSet(obj: object, attr: InstrumentedAttribute, value: unknown): void {
  obj = viewedInstance(obj); // written through a Proxy of an instance: tracked on the instance
  enterPendingConstruction(obj); // the runtime path of @mapped: see construct.ts
  if (value === undefined && isConstructing(obj) && runtimePathHooks.isRuntimePath?.(obj) && !(attr.key in lookups.instanceDict(obj))) {
    return; // a field declared without initializer ([[Set]] emit of a decorated field): never set, as with the transformer
  }
  const impl = attr.requireImpl();
  if ((impl.plainSet || impl.collection) && lookups.instanceState(obj) === undefined && isDefaultManaged(obj)) {
    // A new object being filled in: no state needed yet (see adoptPendingValues).
    if (impl.plainSet) {
      ownDict(obj)[attr.key] = value;
      return;
    }
    if ((impl as CollectionAttributeImpl).initialSet(obj, ownDict(obj), value)) return;
  }
  const state = instanceState(obj);
  impl.set(state, lookups.instanceDict(obj), value, undefined);
}

function isDefaultManaged(obj: object): boolean {
  return managerForInstance(obj).stateGetter() === defaultInstanceState;
}

/** @internal The runtime handed to every accessor factory. */
export const accessorRuntime: AccessorRuntime = Object.freeze({
  STATE: STATE_ATTR,
  DICT: DICT_ATTR,
  OWNER: DICT_OWNER,
  NO_VALUE,
  slowGet: slowGet as AccessorRuntime["slowGet"],
  slowSet: slowSet as AccessorRuntime["slowSet"],
});

let accessorCount = 0;

let codegenAvailable = true;

/** @internal The accessor descriptor for `attr` (generated code, or closures where `new Function` is forbidden). */
export function accessorFor(attr: InstrumentedAttribute): PropertyDescriptor {
  if (attr.accessorFactory !== undefined) return attr.accessorFactory(accessorRuntime, attr as never);
  if (codegenAvailable) {
    const url = `class-instrumentation/accessors/${attr.class_.name || "anonymous"}.${attr.key}/${++accessorCount}`;
    let factory: AccessorFactory;
    try {
      factory = new Function(...ACCESSOR_PARAMS, accessorSource(attr.key, url)) as AccessorFactory;
    } catch (error) {
      // Only a refused code generation (a Content-Security-Policy without 'unsafe-eval', or
      // `node --disallow-code-generation-from-strings`) selects the closures; anything else is a bug.
      if (!(error instanceof EvalError)) throw error;
      codegenAvailable = false;
      return closureAccessor(attr);
    }
    return factory(accessorRuntime, attr as never);
  }
  return closureAccessor(attr);
}

/**
 * @internal The accessors of {@link accessorSource}, written as closures for environments that
 * forbid code generation: the same fast paths, with the key held by the closure (a keyed access
 * instead of a named one, so somewhat slower than the generated code, but no slow path per access).
 */
export function closureAccessor(attr: InstrumentedAttribute): PropertyDescriptor {
  const key = attr.key;
  const get = function (this: Record<PropertyKey, unknown>): unknown {
    const d = this[DICT_ATTR] as InstanceDictObject | undefined;
    if (d !== undefined && d[DICT_OWNER] === this) {
      const v = d[key];
      if (v !== undefined) return v;
    }
    return slowGet(this, attr);
  };
  const set = function (this: Record<PropertyKey, unknown>, v: unknown): void {
    const d = this[DICT_ATTR] as InstanceDictObject | undefined;
    if (d !== undefined && d[DICT_OWNER] === this) {
      const i = attr.impl;
      if (i !== undefined && i.plainSet) {
        const s = this[STATE_ATTR] as InstanceState | undefined;
        if (s === undefined) {
          d[key] = v;
          return;
        }
        if ((s.dirtyBits & i.bit) === 0) {
          if (i.bit === 0) {
            slowSet(this, attr, v);
            return;
          }
          const old = d[key];
          s.recordFirst(i, old === undefined && !(key in d) ? NO_VALUE : old, this);
        }
        d[key] = v;
        return;
      }
    }
    slowSet(this, attr, v);
  };
  (get as { instrumented?: boolean }).instrumented = true;
  return { get, set, configurable: true, enumerable: false };
}

/** @internal Whether accessors are compiled from source (false once code generation was refused). */
export function codeGenerationAvailable(): boolean {
  return codegenAvailable;
}
