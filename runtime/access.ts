/**
 * The public instance lookups: `instanceState` and `instanceDict`. They read through the
 * replaceable lookups and, for an instance of an instrumented class that has no state yet (its
 * class was registered with `registerClass`, whose constructor JavaScript cannot wrap), create
 * the state on first use.
 */
import { STATE_ATTR, hasOwn, instanceClassName } from "./base.js";
import { UnmappedInstanceError } from "./errors.js";
import { lookups } from "./lookups.js";
import { runtimePathHooks } from "./construct.js";
import type { InstanceState } from "./state.js";
import type { ClassManager } from "./instrumentation.js";

/** The state of `obj`; `UnmappedInstanceError` when `obj` is not an instance of an instrumented class. */
export function instanceState<T extends object>(obj: T): InstanceState<T> {
  if (obj === null || obj === undefined || (typeof obj !== "object" && typeof obj !== "function")) {
    throw new UnmappedInstanceError(`${String(obj)} is not an instance of an instrumented class and has no state.`);
  }
  const owner = viewedInstance(obj);
  if (owner !== obj) return instanceState(owner) as unknown as InstanceState<T>;
  const state = lookups.instanceState(obj) ?? adoptInstance(obj);
  // The runtime path of @mapped (no transformer): fields left as own data properties become attributes.
  const absorb = runtimePathHooks.absorb;
  if (absorb !== undefined) absorb(obj);
  return state as unknown as InstanceState<T>;
}

/** The object holding `obj`'s loaded attribute values (a key is absent when not loaded). */
export function instanceDict(obj: object): Record<string, unknown> {
  const owner = viewedInstance(obj);
  instanceState(owner);
  return lookups.instanceDict(owner);
}

/**
 * @internal The instance `obj` stands for: `obj` itself, or — when `obj` has as its own the state
 * of another live instance and the same prototype, which is what a `Proxy` of that instance
 * looks like — that instance. Writes through `new Proxy(o, handler)` then track `o`, instead of
 * giving the proxy a new state that would replace `o`'s. A copy made by `{ ...o }` or
 * `Object.assign({}, o)` also carries `o`'s state key, but has another prototype: it stays a
 * plain object with no state.
 */
export function viewedInstance(obj: object): object {
  if (!hasOwn(obj, STATE_ATTR)) return obj;
  const owner = (obj as { [STATE_ATTR]?: InstanceState })[STATE_ATTR]?.obj();
  if (owner === undefined || owner === obj || Object.getPrototypeOf(owner) !== Object.getPrototypeOf(obj)) return obj;
  return owner;
}

/** @internal The manager of the nearest instrumented class of `obj`'s prototype chain, or `undefined`. */
export function optManagerForInstance(obj: object): ClassManager | undefined {
  for (let proto = Object.getPrototypeOf(obj) as { constructor?: unknown } | null; proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (!Object.prototype.hasOwnProperty.call(proto, "constructor")) continue;
    const manager = lookups.optManagerOfClass(proto.constructor);
    if (manager !== undefined) return manager;
  }
  return undefined;
}

/** @internal Like {@link optManagerForInstance}; `UnmappedInstanceError` when there is none. */
export function managerForInstance(obj: object): ClassManager {
  const manager = optManagerForInstance(obj);
  if (manager !== undefined) return manager;
  throw new UnmappedInstanceError(
    `Class '${instanceClassName(obj)}' is not instrumented: register it with registerClass() or decorate it with @mapped.`,
  );
}

function adoptInstance<T extends object>(obj: T): InstanceState<T> {
  const created = managerForInstance(obj).newStateIfNone(obj);
  const state = created ?? lookups.instanceState(obj);
  if (state === undefined) {
    throw new UnmappedInstanceError(`Class '${instanceClassName(obj)}' is instrumented, but this instance has no state.`);
  }
  return state as unknown as InstanceState<T>;
}
