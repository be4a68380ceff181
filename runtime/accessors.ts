/**
 * Accessor installation: the getter/setter pair of each attribute, from the build-time factory
 * the transformer emitted, or compiled from the template of `accessor-template.ts` (one function
 * per attribute, so V8's inline caches stay monomorphic per class), or — where code generation
 * is refused — closures with the same fast paths. The slow paths (`slowGet`, `slowSet`) go
 * through the attribute's impl.
 *
 * Internal: nothing here is exported by the package entry points.
 */
import { DIRTY_ATTR, NO_VALUE, SELF_ATTR, STATE_ATTR } from "./base.js";
import { ABSENT, markWritten, slotKey, writeSlot } from "./slots.js";
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
  const slot = slotKey(attr.key);
  // A loaded `undefined` (the fast path only returns other values): no state needed.
  if (slot in obj && (obj as Record<symbol, unknown>)[slot] === undefined) return undefined;
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
  if ((impl.plainSet || impl.collection) && isDefaultManaged(obj)) {
    const state = defaultInstanceState(obj);
    if (state === undefined) {
      // A new object being filled in: no state needed yet (see adoptPendingValues).
      if (impl.plainSet) {
        markWritten(obj);
        writeSlot(obj, attr.key, value);
        return;
      }
      if ((impl as CollectionAttributeImpl).initialSet(obj, value)) {
        markWritten(obj);
        return;
      }
    } else if (state.writeFirst(attr, obj, slotKey(attr.key), value)) {
      return;
    }
  }
  const state = instanceState(obj);
  impl.set(state, lookups.instanceDict(obj), value, undefined);
}

function isDefaultManaged(obj: object): boolean {
  return managerForInstance(obj).storesInSlots();
}

/**
 * @internal The generated setters' out-of-line path: the first write of a plain attribute since
 * the last commit is recorded by the instance's own state; anything else goes to {@link slowSet}.
 */
export function firstSet(obj: object, attr: InstrumentedAttribute, slot: symbol, value: unknown): void {
  const state = (obj as { [STATE_ATTR]?: InstanceState })[STATE_ATTR];
  if (state !== undefined && state.writeFirst(attr, obj, slot, value)) return;
  slowSet(obj, attr, value);
}

/** @internal The runtime handed to every accessor factory. */
export const accessorRuntime: AccessorRuntime = Object.freeze({
  DIRTY: DIRTY_ATTR,
  STATE: STATE_ATTR,
  SELF: SELF_ATTR,
  NO_VALUE,
  ABSENT,
  slotKey,
  slowGet: slowGet as AccessorRuntime["slowGet"],
  firstSet: firstSet as AccessorRuntime["firstSet"],
});

let accessorCount = 0;

let codegenAvailable = true;

/**
 * @internal The accessor descriptor for `attr`: generated code over the instance's slots for a
 * default-managed class, closures where `new Function` is forbidden, and plain slow-path
 * accessors for a class whose custom manager keeps the values elsewhere.
 */
export function accessorFor(attr: InstrumentedAttribute): PropertyDescriptor {
  if (!storesInSlots(attr)) return delegatingAccessor(attr);
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

/** Whether `attr`'s class keeps its values in slots (the default manager's storage). */
function storesInSlots(attr: InstrumentedAttribute): boolean {
  const manager = lookups.optManagerOfClass(attr.class_);
  return manager === undefined || manager.storesInSlots();
}

/** Accessors of a class whose (custom) manager keeps values in its own dict: every access goes through the impl. */
function delegatingAccessor(attr: InstrumentedAttribute): PropertyDescriptor {
  const get = function (this: object): unknown {
    return slowGet(this, attr);
  };
  const set = function (this: object, v: unknown): void {
    slowSet(this, attr, v);
  };
  (get as { instrumented?: boolean }).instrumented = true;
  return { get, set, configurable: true, enumerable: false };
}

/**
 * @internal The accessors of {@link accessorSource}, written as closures for environments that
 * forbid code generation: the same fast paths, with the slot key held by the closure.
 */
export function closureAccessor(attr: InstrumentedAttribute): PropertyDescriptor {
  const slot = slotKey(attr.key);
  const get = function (this: Record<PropertyKey, unknown>): unknown {
    const v = this[slot];
    if (v !== undefined && v !== ABSENT) return v;
    return slowGet(this, attr);
  };
  const set = function (this: Record<PropertyKey, unknown>, v: unknown): void {
    if (((this[DIRTY_ATTR] as number) & attr.fastBit) !== 0) {
      this[slot] = v;
      return;
    }
    firstSet(this, attr, slot, v);
  };
  (get as { instrumented?: boolean }).instrumented = true;
  return { get, set, configurable: true, enumerable: false };
}

/** @internal Whether accessors are compiled from source (false once code generation was refused). */
export function codeGenerationAvailable(): boolean {
  return codegenAvailable;
}
