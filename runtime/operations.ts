/**
 * Attribute operations by name (the module-level helpers of `orm/attributes.py`): read, write,
 * delete, commit, flag and inspect one attribute of an instance through its impl, with or
 * without installed accessors.
 */
import { NO_VALUE, PASSIVE_NO_FETCH, PASSIVE_OFF, className, type Class, type PassiveFlag } from "./base.js";
import { InvalidRequestError } from "./errors.js";
import { instanceDict, instanceState } from "./access.js";
import { managerOfClass } from "./instrumentation.js";
import { CollectionAttributeImpl, type AttributeEventToken, type AttributeImpl } from "./attributes.js";
import { adapterOf, type CollectionAdapter } from "./collections.js";
import type { History } from "./history.js";
import type { InstanceState } from "./state.js";

function implFor(state: InstanceState, key: string): AttributeImpl {
  const attr = state.manager.get(key);
  if (attr === undefined || attr.impl === undefined) {
    throw new InvalidRequestError(`${className(state.class_)}.${key} is not an instrumented attribute.`);
  }
  return attr.impl;
}

/** Reads an attribute through its impl (loaders included); works without installed accessors. */
export function getAttribute(obj: object, key: string): unknown {
  const state = instanceState(obj);
  return implFor(state, key).get(state, instanceDict(obj));
}

/** Assigns an attribute through its impl, firing events and recording history. */
export function setAttribute(obj: object, key: string, value: unknown, initiator?: AttributeEventToken): void {
  const state = instanceState(obj);
  implFor(state, key).set(state, instanceDict(obj), value, initiator);
}

/** Deletes an attribute's value (JavaScript cannot intercept `delete obj.x` on an accessor). */
export function delAttribute(obj: object, key: string): void {
  const state = instanceState(obj);
  implFor(state, key).delete(state, instanceDict(obj));
}

/** Stores a value as loaded and committed: no events, no history. */
export function setCommittedValue(obj: object, key: string, value: unknown): void {
  const state = instanceState(obj);
  implFor(state, key).setCommittedValue(state, instanceDict(obj), value);
}

/** Marks an attribute changed although its value is the same object (e.g. mutated in place). */
export function flagModified(obj: object, key: string): void {
  const state = instanceState(obj);
  const impl = implFor(state, key);
  for (const entry of impl.dispatch.modified.items) (entry.call as Function)(state, impl.modifiedToken);
  state.modifiedEvent(instanceDict(obj), impl, NO_VALUE, false, true);
}

/** Marks an instance modified without naming an attribute. */
export function flagDirty(obj: object): void {
  instanceState(obj).flagDirty();
}

/** Initialises (replacing any) collection `key` and returns its adapter. */
export function initCollection(obj: object, key: string): CollectionAdapter {
  const state = instanceState(obj);
  return initStateCollection(state, instanceDict(obj), key);
}

/** Initialises (replacing any) collection `key` of `state` and returns its adapter. */
export function initStateCollection(state: InstanceState, dict: Record<string, unknown>, key: string): CollectionAdapter {
  const impl = implFor(state, key);
  if (!(impl instanceof CollectionAttributeImpl)) throw new InvalidRequestError(`${impl} is not a collection attribute.`);
  if (key in dict) {
    const old = dict[key] as object;
    delete dict[key];
    impl.disposePreviousCollection(state, old, adapterOf(old), false);
  }
  const data = impl.defaultValue(state, dict);
  const adapter = impl.getCollection(state, dict, data, PASSIVE_NO_FETCH) as CollectionAdapter;
  adapter.resetEmpty();
  return adapter;
}

/** The history of `obj`'s attribute `key`. */
export function getHistory(obj: object, key: string, passive: PassiveFlag = PASSIVE_OFF): History {
  return getStateHistory(instanceState(obj), key, passive);
}

/** The history of attribute `key` of `state`. */
export function getStateHistory<T extends object>(state: InstanceState<T>, key: string, passive: PassiveFlag = PASSIVE_OFF): History {
  return implFor(state as InstanceState, key).getHistory(state as InstanceState, state.dict, passive);
}

/** Whether `obj` has a parent through `cls`'s parent-tracking attribute `key`. */
export function hasParent(cls: Class, obj: object, key: string, optimistic = false): boolean {
  return managerOfClass(cls).hasParent(instanceState(obj), key, optimistic);
}

/** Loads (awaiting an asynchronous loader) the expired attributes `keys` of `obj` (all when omitted). */
export async function loadExpired(obj: object, keys?: Iterable<string>): Promise<void> {
  await instanceState(obj).loadExpiredAsync(keys);
}
