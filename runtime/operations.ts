/**
 * Attribute operations by name (the module-level helpers of `orm/attributes.py`): read, write,
 * delete, commit, flag and inspect one attribute of an instance through its impl, with or
 * without installed accessors.
 */
import { NO_VALUE, PASSIVE_NO_FETCH, PASSIVE_OFF, type AttributeKey, type Class, type PassiveFlag } from "./base.js";
import { InvalidRequestError } from "./errors.js";
import { instanceDict, instanceState } from "./access.js";
import { managerOfClass } from "./instrumentation.js";
import { unknownAttributeError } from "./registration.js";
import { CollectionAttributeImpl, type AttributeEventToken, type AttributeImpl } from "./attributes.js";
import { adapterOf, type CollectionAdapter } from "./collections.js";
import type { History } from "./history.js";
import type { InstanceState } from "./state.js";

function implFor(state: InstanceState, key: string): AttributeImpl {
  const attr = state.manager.get(key);
  if (attr === undefined || attr.impl === undefined) {
    throw unknownAttributeError(state.class_, key, state.manager.keys());
  }
  return attr.impl;
}

/**
 * Puts `obj`'s committed values back for `keys` (every changed attribute when omitted): see
 * {@link InstanceState.rollback}.
 */
export function rollback<T extends object>(obj: T, keys?: Iterable<AttributeKey<T>>): void {
  instanceState<object>(obj).rollback(keys);
}

/** Reads an attribute through its impl (loaders included); works without installed accessors. */
export function getAttribute<T extends object>(obj: T, key: AttributeKey<T>): unknown {
  const state = instanceState<object>(obj);
  return implFor(state, key).get(state, instanceDict(obj));
}

/** Assigns an attribute through its impl, firing events and recording history. */
export function setAttribute<T extends object>(obj: T, key: AttributeKey<T>, value: unknown, initiator?: AttributeEventToken): void {
  const state = instanceState<object>(obj);
  implFor(state, key).set(state, instanceDict(obj), value, initiator);
}

/** Deletes an attribute's value (JavaScript cannot intercept `delete obj.x` on an accessor). */
export function delAttribute<T extends object>(obj: T, key: AttributeKey<T>): void {
  const state = instanceState<object>(obj);
  implFor(state, key).delete(state, instanceDict(obj));
}

/** Stores a value as loaded and committed: no events, no history. */
export function setCommittedValue<T extends object>(obj: T, key: AttributeKey<T>, value: unknown): void {
  const state = instanceState<object>(obj);
  implFor(state, key).setCommittedValue(state, instanceDict(obj), value);
}

/** Marks an attribute changed although its value is the same object (e.g. mutated in place). */
export function flagModified<T extends object>(obj: T, key: AttributeKey<T>): void {
  const state = instanceState<object>(obj);
  const impl = implFor(state, key);
  for (const entry of impl.dispatch.modified.items) (entry.call as Function)(state, impl.modifiedToken);
  state.modifiedEvent(instanceDict(obj), impl, NO_VALUE, false, true);
}

/** Marks an instance modified without naming an attribute. */
export function flagDirty(obj: object): void {
  instanceState<object>(obj).flagDirty();
}

/** Initialises (replacing any) collection `key` and returns its adapter. */
export function initCollection<T extends object>(obj: T, key: AttributeKey<T>): CollectionAdapter {
  return initStateCollection(instanceState(obj), instanceDict(obj), key);
}

/** Initialises (replacing any) collection `key` of `state` and returns its adapter. */
export function initStateCollection<T extends object>(state: InstanceState<T>, dict: Record<string, unknown>, key: AttributeKey<T>): CollectionAdapter {
  const s = state as unknown as InstanceState;
  const impl = implFor(s, key);
  if (!(impl instanceof CollectionAttributeImpl)) throw new InvalidRequestError(`${impl} is not a collection attribute.`);
  if (key in dict) {
    const old = dict[key] as object;
    delete dict[key];
    impl.disposePreviousCollection(s, old, adapterOf(old), false);
  }
  const data = impl.defaultValue(s, dict);
  const adapter = impl.getCollection(s, dict, data, PASSIVE_NO_FETCH) as CollectionAdapter;
  adapter.resetEmpty();
  return adapter;
}

/** The history of `obj`'s attribute `key`. */
export function getHistory<T extends object>(obj: T, key: AttributeKey<T>, passive: PassiveFlag = PASSIVE_OFF): History {
  return getStateHistory(instanceState(obj), key, passive);
}

/** The history of attribute `key` of `state`. */
export function getStateHistory<T extends object>(state: InstanceState<T>, key: AttributeKey<T>, passive: PassiveFlag = PASSIVE_OFF): History {
  const s = state as unknown as InstanceState;
  return implFor(s, key).getHistory(s, s.dict, passive);
}

/** Whether `obj` has a parent through `cls`'s parent-tracking attribute `key`. */
export function hasParent<T extends object>(cls: Class<T>, obj: object, key: AttributeKey<T>, optimistic = false): boolean {
  return managerOfClass(cls).hasParent(instanceState<object>(obj), key, optimistic);
}

/** Loads (awaiting an asynchronous loader) the expired attributes `keys` of `obj` (all when omitted). */
export async function loadExpired<T extends object>(obj: T, keys?: Iterable<AttributeKey<T>>): Promise<void> {
  await instanceState<object>(obj).loadExpiredAsync(keys);
}
