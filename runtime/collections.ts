/**
 * Instrumented collections (port of `orm/collections.py`): list, set and map classes whose
 * mutations report to a {@link CollectionAdapter}, which turns them into the collection impl's
 * append / remove events. Events fire before the container changes, so `retval` append
 * listeners can replace what is stored and pops capture a "before" copy.
 *
 * Lists are Array subclasses behind a Proxy, because JavaScript lets code change an array
 * without calling a method (`list[3] = x`, `list.length = 0`); sets and maps override their
 * methods. A collection class of the user's is either a subclass of Array / Set / Map, or any
 * class that names its appender, remover and iterator methods with {@link collection.roles}.
 */
import { INSPECT, NO_KEY, className, closestKey, describeValue, emitWarning } from "./base.js";
import { ArgumentError, InvalidRequestError } from "./errors.js";
import type { AttributeEventToken, CollectionAttributeImpl, AttributeImpl } from "./attributes.js";
import type { InstanceState } from "./state.js";
import { instanceState } from "./access.js";

/** The three collection shapes. */
export type CollectionKind = "list" | "set" | "map";

/** A class usable as `collectionClass`. */
export type CollectionClass = abstract new (...args: never[]) => object;

/** Builds an empty instrumented collection. */
export type CollectionFactory = () => object;

/** Method names a custom collection class elects for each role. */
export interface CollectionRoles {
  /** Adds one member: `(item) => void` (maps: `(value, key?) => void`). */
  appender: string;
  /** Removes one member: `(item) => void`, throwing `RangeError` when it is absent. */
  remover: string;
  /** Iterates the members: `() => Iterable`. */
  iterator: string;
  /** The shape the class emulates (what may be assigned to it); default "list". */
  emulates?: CollectionKind;
}

/** Key of the adapter on a collection (a symbol-keyed property; non-enumerable except on lists). */
export const ADAPTER: unique symbol = Symbol.for("class-instrumentation.adapter") as never;
const ROLES: unique symbol = Symbol.for("class-instrumentation.roles") as never;
const INSTRUMENTED: unique symbol = Symbol.for("class-instrumentation.instrumented-collection") as never;
const RAW: unique symbol = Symbol.for("class-instrumentation.raw") as never;

/** The adapter linked to `collection`, if it is a linked instrumented collection. */
export function adapterOf(collection: unknown): CollectionAdapter | undefined {
  if (typeof collection !== "object" || collection === null) return undefined;
  return (collection as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
}

// The initiator of the mutation about to run: `false` means "no events", undefined "default".
let pendingInitiator: AttributeEventToken | false | undefined = undefined;

function takeInitiator(): AttributeEventToken | false | undefined {
  const initiator = pendingInitiator;
  pendingInitiator = undefined;
  return initiator;
}

function withInitiator<R>(initiator: AttributeEventToken | false | undefined, fn: () => R): R {
  const saved = pendingInitiator;
  pendingInitiator = initiator;
  try {
    return fn();
  } finally {
    pendingInitiator = saved;
  }
}

/** How the runtime drives a collection class: its kind and role functions. */
interface Driver {
  readonly kind: CollectionKind;
  append(data: object, item: unknown, key?: unknown): void;
  remove(data: object, item: unknown): void;
  iterate(data: object): Iterable<unknown>;
  size(data: object): number;
}

/**
 * Bridges one collection and the attribute impl it belongs to: the collection reports each
 * mutation here, and the impl uses the adapter to change the collection with or without events.
 */
export class CollectionAdapter {
  /** True once the collection left its attribute (expired, reset): mutating it warns. */
  invalidated = false;
  /** True for the placeholder of a never-loaded collection (not yet in the dict). */
  empty = false;
  /** The impl of the attribute. */
  readonly impl: CollectionAttributeImpl;
  /** The collection. */
  readonly data: object;
  private readonly driver: Driver;
  private state: InstanceState | undefined;
  private readonly owner: object | undefined;

  /**
   * `ownerState` may be `undefined` for a collection filled in before its instance has a state
   * (see `CollectionAttributeImpl.initialSet`): `owner` then names the instance, and the state
   * is looked up (created) at the first event.
   */
  constructor(impl: AttributeImpl, ownerState: InstanceState | undefined, data: object, owner?: object) {
    this.impl = impl as CollectionAttributeImpl;
    this.state = ownerState;
    this.owner = owner;
    this.data = data;
    this.driver = driverOf(data);
    const raw = rawOf(data) as { [ADAPTER]?: CollectionAdapter };
    if (data === madeList) madeList = madeRaw = undefined; // linked now: hold nothing of it
    // A list takes a plain assignment (defining a property on an array is slow); sets, maps and
    // custom classes keep it non-enumerable.
    if (Array.isArray(raw)) raw[ADAPTER] = this;
    else Object.defineProperty(raw, ADAPTER, { value: this, configurable: true, writable: true, enumerable: false });
  }

  /** The state of the instance owning the collection. */
  get ownerState(): InstanceState {
    return (this.state ??= instanceState(this.owner!));
  }

  /** Iterates the members. */
  [Symbol.iterator](): Iterator<unknown> {
    return this.driver.iterate(this.data)[Symbol.iterator]();
  }

  /** Number of members. */
  get length(): number {
    return this.driver.size(this.data);
  }

  /** @internal Detaches the adapter from its collection (the collection keeps its members). */
  unlink(): void {
    const raw = rawOf(this.data) as { [ADAPTER]?: unknown };
    if (raw[ADAPTER] !== this) return;
    if (Array.isArray(raw)) raw[ADAPTER] = undefined; // no delete: it would turn the array's properties into a dictionary
    else delete raw[ADAPTER];
  }

  /** A function adding members with events (`initiator` given by the caller). */
  bulkAppender(): (item: unknown, initiator?: AttributeEventToken | false, key?: unknown) => void {
    return (item, initiator, key) => withInitiator(initiator, () => this.driver.append(this.data, item, key));
  }

  /** A function removing members with events. */
  bulkRemover(): (item: unknown, initiator?: AttributeEventToken | false) => void {
    return (item, initiator) => withInitiator(initiator, () => this.driver.remove(this.data, item));
  }

  /** Adds a member, firing `append`. */
  appendWithEvent(item: unknown, initiator?: AttributeEventToken): void {
    withInitiator(initiator, () => this.driver.append(this.data, item));
  }

  /** Adds a member silently (loaders use this). */
  appendWithoutEvent(item: unknown, key?: unknown): void {
    this.refuseEmpty();
    withInitiator(false, () => this.driver.append(this.data, item, key));
  }

  /** Adds members silently. */
  appendMultipleWithoutEvent(items: Iterable<unknown>): void {
    this.refuseEmpty();
    // Each mutation consumes the pending initiator: set it per member, or only the first is silent.
    for (const item of items) withInitiator(false, () => this.driver.append(this.data, item));
  }

  /** Removes a member, firing `remove`. */
  removeWithEvent(item: unknown, initiator?: AttributeEventToken): void {
    withInitiator(initiator, () => this.driver.remove(this.data, item));
  }

  /** Removes a member silently. */
  removeWithoutEvent(item: unknown): void {
    this.refuseEmpty();
    withInitiator(false, () => this.driver.remove(this.data, item));
  }

  /** Removes every member, firing `remove` for each. */
  clearWithEvent(initiator?: AttributeEventToken): void {
    this.refuseEmpty();
    for (const item of [...this]) this.removeWithEvent(item, initiator);
  }

  /** Removes every member silently. */
  clearWithoutEvent(): void {
    this.refuseEmpty();
    for (const item of [...this]) this.removeWithoutEvent(item);
  }

  /** Reports an addition; returns the value to store (a `retval` listener may replace it). */
  fireAppendEvent(item: unknown, initiator?: AttributeEventToken | false, key: unknown = NO_KEY): unknown {
    if (initiator === false) return item;
    this.beforeEvent();
    return this.impl.fireAppendEvent(this.ownerState, this.ownerState.dict, item, initiator, key);
  }

  /** Reports that an existing member was added again. */
  fireAppendWithoutMutationEvent(item: unknown, initiator?: AttributeEventToken | false, key: unknown = NO_KEY): void {
    if (initiator === false) return;
    this.beforeEvent();
    this.impl.fireAppendWithoutMutationEvent(this.ownerState, this.ownerState.dict, item, initiator, key);
  }

  /** Reports a removal. */
  fireRemoveEvent(item: unknown, initiator?: AttributeEventToken | false, key: unknown = NO_KEY): void {
    if (initiator === false) return;
    this.beforeEvent();
    this.impl.fireRemoveEvent(this.ownerState, this.ownerState.dict, item, initiator, key);
  }

  /** Reports that a member is about to be removed by a pop (records the "before" copy). */
  firePreRemoveEvent(initiator?: AttributeEventToken | false): void {
    if (initiator === false) return;
    this.beforeEvent();
    this.impl.firePreRemoveEvent(this.ownerState, this.ownerState.dict);
  }

  /** @internal Moves a placeholder collection into the dict (its first mutation). */
  resetEmpty(): void {
    if (!this.empty) return;
    this.empty = false;
    const key = this.impl.key;
    const state = this.ownerState;
    const data = state.emptyCollectionFor(key) ?? this.data;
    state.emptyCollections.delete(key);
    state.dict[key] = data;
  }

  private beforeEvent(): void {
    if (this.invalidated) emitWarning("This collection has been invalidated.", "InstrumentationWarning");
    if (this.empty) this.resetEmpty();
  }

  private refuseEmpty(): void {
    if (this.empty) {
      throw new InvalidRequestError(
        "This is a special 'empty' collection which cannot accommodate internal mutation operations",
      );
    }
  }
}

/**
 * Replaces the members of a collection by `values` (identity-based): additions fire `append`
 * with the bulk token, kept members are copied silently and reported as `appendWithoutMutation`
 * on the old adapter, and removed members fire `remove`.
 */
export function bulkReplace(
  values: unknown[],
  existing: CollectionAdapter | undefined,
  created: CollectionAdapter,
  initiator: AttributeEventToken,
  keys?: unknown[],
): void {
  const existingSet = new Set<unknown>(existing ? [...existing] : []);
  const valueSet = new Set(values);
  const constants = new Set([...existingSet].filter((v) => valueSet.has(v)));
  const appender = created.bulkAppender();
  values.forEach((member, i) => {
    const key = keys ? keys[i] : undefined;
    if (constants.has(member)) appender(member, false, key);
    else appender(member, initiator, key);
  });
  if (existing) {
    for (const member of constants) existing.fireAppendWithoutMutationEvent(member, initiator);
    for (const member of existingSet) if (!constants.has(member)) existing.fireRemoveEvent(member, initiator);
  }
}

/** The shape of a collection value: "list", "set", "map", or `undefined` when none fits. */
export function duckTypeCollection(value: unknown): CollectionKind | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const roles = (value as { [ROLES]?: CollectionRoles })[ROLES];
  if (roles) return roles.emulates ?? "list";
  if (Array.isArray(value)) return "list";
  if (value instanceof Set) return "set";
  if (value instanceof Map) return "map";
  return undefined;
}

function rawOf(data: object): object {
  if (data === madeList) return madeRaw!;
  return (data as { [RAW]?: object })[RAW] ?? data;
}

// The list `makeList` made last and its array: what a new collection's adapter asks of it right
// away is answered without going through the proxy (reads through a Proxy cost more than the
// rest of setting a list up). Both are dropped once its adapter is linked.
let madeList: object | undefined;
let madeRaw: object | undefined;

// ---------------------------------------------------------------------------------------------
// Lists

function fireAppend(list: object, item: unknown, initiator: AttributeEventToken | false | undefined, key: unknown): unknown {
  const adapter = (list as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
  return adapter && initiator !== false ? adapter.fireAppendEvent(item, initiator, key) : item;
}

function fireRemove(list: object, item: unknown, initiator: AttributeEventToken | false | undefined, key: unknown): void {
  const adapter = (list as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
  if (adapter && initiator !== false) adapter.fireRemoveEvent(item, initiator, key);
}

function firePreRemove(list: object, initiator: AttributeEventToken | false | undefined): void {
  const adapter = (list as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
  if (adapter && initiator !== false) adapter.firePreRemoveEvent(initiator);
}

const arrayProto = Array.prototype;

/**
 * Replaces positions of `raw` by `next` (same length), reporting every position whose member
 * changed as a removal of the old member followed by an addition of the new one. All events run
 * before the list changes, so a listener that throws leaves the list as it was (all or nothing).
 */
function rewritePositions(raw: unknown[], next: unknown[], initiator: AttributeEventToken | false | undefined): void {
  const stored = next.slice();
  const changed: number[] = [];
  for (let i = 0; i < next.length; i++) {
    if (i < raw.length && raw[i] === next[i]) continue;
    if (i < raw.length) fireRemove(raw, raw[i], initiator, i);
    stored[i] = fireAppend(raw, next[i], initiator, i);
    changed.push(i);
  }
  for (const i of changed) raw[i] = stored[i];
}

/** Display classes of the inspect hook, one per list class (named like it, without the hook). */
const shownLists = new WeakMap<Function, new () => unknown[]>();

/** A list collection: every mutation (methods, index assignment, `length`) is reported. */
export class InstrumentedList<T = unknown> extends Array<T> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** @internal The unproxied array. */
  declare readonly [RAW]: T[];

  /**
   * @internal Node's inspect shows the members under the list's class name, without the symbol-keyed
   * links to the proxy and the adapter (plain properties, hence enumerable: see `makeList`).
   */
  [INSPECT](depth: number, options: { depth?: number | null }, inspect?: (value: unknown, options: unknown) => string): unknown {
    const raw = rawOf(this) as T[];
    const cls = (Object.getPrototypeOf(raw) as { constructor: Function }).constructor;
    let Shown = shownLists.get(cls);
    if (Shown === undefined) {
      const name = className(cls);
      Shown = { [name]: class extends Array {} }[name]!;
      shownLists.set(cls, Shown);
    }
    const shown = Reflect.construct(Array, [], Shown) as unknown[];
    for (let i = 0; i < raw.length; i++) shown[i] = raw[i];
    if (typeof inspect !== "function") return shown;
    return inspect(shown, { ...options, depth: options.depth === null || options.depth === undefined ? options.depth : depth });
  }

  override push(...items: T[]): number {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    const stored = items.map((item) => fireAppend(raw, item, initiator, NO_KEY) as T);
    return arrayProto.push.apply(raw, stored);
  }

  override unshift(...items: T[]): number {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    const stored = items.map((item, i) => fireAppend(raw, item, initiator, i) as T);
    return arrayProto.unshift.apply(raw, stored);
  }

  override pop(): T | undefined {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    if (raw.length === 0) return undefined;
    firePreRemove(raw, initiator);
    const index = raw.length - 1;
    const item = arrayProto.pop.call(raw) as T;
    fireRemove(raw, item, initiator, index);
    return item;
  }

  override shift(): T | undefined {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    if (raw.length === 0) return undefined;
    firePreRemove(raw, initiator);
    const item = arrayProto.shift.call(raw) as T;
    fireRemove(raw, item, initiator, 0);
    return item;
  }

  override splice(start: number, deleteCount?: number, ...items: T[]): T[] {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    const len = raw.length;
    let from = Math.trunc(Number(start)) || 0;
    from = from < 0 ? Math.max(len + from, 0) : Math.min(from, len);
    const count = arguments.length < 2 ? len - from : Math.min(Math.max(Math.trunc(Number(deleteCount)) || 0, 0), len - from);
    for (let i = 0; i < count; i++) fireRemove(raw, raw[from + i], initiator, from + i);
    const stored = items.map((item, i) => fireAppend(raw, item, initiator, from + i) as T);
    return arrayProto.splice.call(raw, from, count, ...stored) as T[];
  }

  override sort(compareFn?: (a: T, b: T) => number): this {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    rewritePositions(raw, arrayProto.sort.call(raw.slice(), compareFn as never) as T[], initiator);
    return this;
  }

  override reverse(): T[] {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    rewritePositions(raw, raw.slice().reverse(), initiator);
    return this;
  }

  override fill(value: T, start?: number, end?: number): this {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    rewritePositions(raw, raw.slice().fill(value, start, end), initiator);
    return this;
  }

  override copyWithin(target: number, start: number, end?: number): this {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    rewritePositions(raw, raw.slice().copyWithin(target, start, end), initiator);
    return this;
  }

  /** Removes the first occurrence of `item`; `RangeError` when it is absent. */
  remove(item: T): void {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    const index = raw.indexOf(item);
    if (index < 0 && !(item !== item && raw.some((v) => v !== v))) {
      throw new RangeError(`list.remove(x): x not in list`);
    }
    const at = index >= 0 ? index : raw.findIndex((v) => v !== v);
    fireRemove(raw, raw[at], initiator, at);
    arrayProto.splice.call(raw, at, 1);
  }

  /** Removes every member. */
  clear(): void {
    const initiator = takeInitiator();
    const raw = rawOf(this) as T[];
    for (let i = raw.length - 1; i >= 0; i--) fireRemove(raw, raw[i], initiator, i);
    raw.length = 0;
  }
}

const listHandler: ProxyHandler<unknown[]> = {
  set(target, property, value, receiver) {
    if (receiver !== (target as { [PROXY]?: object })[PROXY]) return Reflect.set(target, property, value, receiver);
    if (property === "length") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) return Reflect.set(target, property, value); // RangeError
      const initiator = takeInitiator();
      const before = target.length;
      for (let i = before - 1; i >= n; i--) fireRemove(target, target[i], initiator, i);
      // Growing adds empty slots, which read (and iterate) as undefined members: report them.
      for (let i = before; i < n; i++) fireAppend(target, undefined, initiator, i);
      return Reflect.set(target, property, value);
    }
    const index = arrayIndex(property);
    if (index === undefined) return Reflect.set(target, property, value);
    const initiator = takeInitiator();
    if (index < target.length && index in target) fireRemove(target, target[index], initiator, index);
    return Reflect.set(target, property, fireAppend(target, value, initiator, index));
  },
  deleteProperty(target, property) {
    const index = arrayIndex(property);
    if (index !== undefined && index in target) fireRemove(target, target[index], takeInitiator(), index);
    return Reflect.deleteProperty(target, property);
  },
};

/** Key under which a list's raw array records its proxy (a property, not a WeakMap: cheaper to create and to collect). */
const PROXY: unique symbol = Symbol("class-instrumentation.list-proxy") as never;

function arrayIndex(property: string | symbol): number | undefined {
  if (typeof property !== "string") return undefined;
  const n = Number(property);
  return Number.isInteger(n) && n >= 0 && String(n) === property ? n : undefined;
}

function makeList(cls: new () => unknown[]): object {
  // Our own list class has no constructor of its own: make the array directly with its
  // prototype (`new` of an Array subclass goes through V8's generic construct path, ~4x slower).
  const raw = (cls === InstrumentedList ? Reflect.construct(Array, [], InstrumentedList) : new cls()) as unknown[] & {
    [RAW]?: unknown;
    [PROXY]?: unknown;
  };
  const proxy = new Proxy(raw, listHandler);
  // Plain assignments, not defineProperty: defining a property on an array costs about a
  // microsecond (ten times the array). The keys are symbols, so keys(), for-in, JSON and
  // iteration never see them.
  raw[RAW] = raw;
  raw[PROXY] = proxy;
  madeList = proxy;
  madeRaw = raw;
  return proxy;
}

const listDriver: Driver = {
  kind: "list",
  append: (data, item) => void (data as unknown[]).push(item),
  remove: (data, item) => (data as InstrumentedList).remove(item),
  iterate: (data) => arrayProto.slice.call(rawOf(data)) as unknown[],
  size: (data) => (rawOf(data) as unknown[]).length,
};

// ---------------------------------------------------------------------------------------------
// Sets

/** A set collection: `add`, `delete` and `clear` are reported. */
export class InstrumentedSet<T = unknown> extends Set<T> {
  override add(value: T): this {
    const initiator = takeInitiator();
    const adapter = (this as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
    if (adapter === undefined || initiator === false) return super.add(value);
    if (this.has(value)) {
      adapter.fireAppendWithoutMutationEvent(value, initiator);
      return this;
    }
    return super.add(adapter.fireAppendEvent(value, initiator) as T);
  }

  override delete(value: T): boolean {
    const initiator = takeInitiator();
    if (!this.has(value)) return false;
    const adapter = (this as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
    if (adapter !== undefined && initiator !== false) adapter.fireRemoveEvent(value, initiator);
    return super.delete(value);
  }

  /** Removes `value`; `RangeError` when it is absent (SQLAlchemy's `set.remove`). */
  remove(value: T): void {
    const initiator = pendingInitiator;
    if (!this.has(value)) {
      takeInitiator();
      throw new RangeError(`set.remove(x): x not in set`);
    }
    pendingInitiator = initiator;
    this.delete(value);
  }

  override clear(): void {
    const initiator = takeInitiator();
    const adapter = (this as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
    if (adapter !== undefined && initiator !== false) for (const value of this) adapter.fireRemoveEvent(value, initiator);
    super.clear();
  }
}

const setDriver: Driver = {
  kind: "set",
  append: (data, item) => void (data as Set<unknown>).add(item),
  remove: (data, item) => (data as InstrumentedSet).remove(item),
  iterate: (data) => [...(data as Set<unknown>)],
  size: (data) => (data as Set<unknown>).size,
};

// ---------------------------------------------------------------------------------------------
// Maps

/** A map collection: members are the values; `set`, `delete` and `clear` are reported. */
export class InstrumentedMap<K = unknown, V = unknown> extends Map<K, V> {
  /** Derives a member's key when it is added without one (see {@link keyedMap}). */
  static keyFor: ((value: unknown) => unknown) | undefined = undefined;

  override set(key: K, value: V): this {
    const initiator = takeInitiator();
    const adapter = (this as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
    if (adapter === undefined || initiator === false) return super.set(key, value);
    if (this.has(key)) {
      const existing = this.get(key);
      if (existing === value) {
        adapter.fireAppendWithoutMutationEvent(value, initiator, key);
        return this;
      }
      adapter.fireRemoveEvent(existing, initiator, key);
    }
    return super.set(key, adapter.fireAppendEvent(value, initiator, key) as V);
  }

  override delete(key: K): boolean {
    const initiator = takeInitiator();
    if (!this.has(key)) return false;
    const adapter = (this as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
    if (adapter !== undefined && initiator !== false) adapter.fireRemoveEvent(this.get(key), initiator, key);
    return super.delete(key);
  }

  override clear(): void {
    const initiator = takeInitiator();
    const adapter = (this as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
    if (adapter !== undefined && initiator !== false) for (const [key, value] of this) adapter.fireRemoveEvent(value, initiator, key);
    super.clear();
  }
}

/** A map collection class whose members' keys are derived by `keyFn` (SQLAlchemy `attribute_keyed_dict`). */
export function keyedMap<V>(keyFn: (value: V) => unknown): typeof InstrumentedMap {
  return class KeyedMap extends InstrumentedMap {
    static override keyFor = keyFn as (value: unknown) => unknown;
  };
}

function mapKeyOf(data: object, item: unknown): unknown {
  const keyFor = (data.constructor as typeof InstrumentedMap).keyFor;
  if (keyFor === undefined) {
    throw new ArgumentError(
      `${className(data.constructor)} needs a key for each member: assign a Map, or use keyedMap(value => key) as the collectionClass.`,
    );
  }
  return keyFor(item);
}

const mapDriver: Driver = {
  kind: "map",
  append: (data, item, key) => void (data as Map<unknown, unknown>).set(key === undefined ? mapKeyOf(data, item) : key, item),
  remove: (data, item) => {
    const map = data as Map<unknown, unknown>;
    for (const [key, value] of map) {
      if (value === item) {
        map.delete(key);
        return;
      }
    }
    takeInitiator();
    throw new RangeError(`map.remove(x): x not in map`);
  },
  iterate: (data) => [...(data as Map<unknown, unknown>).values()],
  size: (data) => (data as Map<unknown, unknown>).size,
};

// ---------------------------------------------------------------------------------------------
// Custom classes and preparation

/** Declares collection roles on custom collection classes. */
export const collection = {
  /** Names the appender, remover and iterator methods of `cls` (inherited by subclasses). */
  roles<C extends CollectionClass>(cls: C, roles: CollectionRoles): C {
    validateRoles(cls, roles);
    Object.defineProperty(cls.prototype, ROLES, { value: { ...roles }, configurable: true, enumerable: false, writable: true });
    return cls;
  },
};

/** Rejects roles that do not name methods of `cls` (a typo would otherwise surface at first use). */
function validateRoles(cls: unknown, roles: unknown): void {
  if (typeof cls !== "function") throw new ArgumentError(`collection.roles(cls, roles) takes a class first, got ${describeValue(cls)}.`);
  const name = className(cls);
  if (typeof roles !== "object" || roles === null) {
    throw new ArgumentError(`collection.roles(${name}, roles): roles must be an object { appender, remover, iterator }, got ${describeValue(roles)}.`);
  }
  const proto = (cls as { prototype: Record<string, unknown> }).prototype;
  const methods: string[] = [];
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const n of Object.getOwnPropertyNames(p)) if (n !== "constructor" && typeof Object.getOwnPropertyDescriptor(p, n)?.value === "function") methods.push(n);
  }
  for (const role of ["appender", "remover", "iterator"] as const) {
    const method = (roles as Record<string, unknown>)[role];
    // A role left out is reported when the class is used (SQLAlchemy's "must elect" error).
    if (method === undefined) continue;
    if (typeof method !== "string" || typeof proto[method] !== "function") {
      const suggestion = typeof method === "string" ? closestKey(method, methods) : undefined;
      throw new ArgumentError(
        `collection.roles(${name}): ${role} ${describeValue(method)} is not a method of ${name}` +
          (suggestion ? `; did you mean "${suggestion}"?` : `; name one of its methods (${methods.map((m) => `"${m}"`).join(", ") || "it has none"}).`),
      );
    }
  }
  const emulates = (roles as { emulates?: unknown }).emulates;
  if (emulates !== undefined && emulates !== "list" && emulates !== "set" && emulates !== "map") {
    throw new ArgumentError(`collection.roles(${name}): emulates must be "list", "set" or "map", got ${describeValue(emulates)}.`);
  }
}

function customDriver(roles: CollectionRoles): Driver {
  const call = (data: object, name: string, ...args: unknown[]): unknown => {
    const fn = (data as Record<string, unknown>)[name];
    if (typeof fn !== "function") throw new ArgumentError(`${className(data.constructor)} has no method ${name}()`);
    return (fn as Function).apply(data, args);
  };
  return {
    kind: roles.emulates ?? "list",
    append: (data, item, key) => void call(data, roles.appender, item, key),
    remove: (data, item) => void call(data, roles.remover, item),
    iterate: (data) => [...(call(data, roles.iterator) as Iterable<unknown>)],
    size: (data) => [...(call(data, roles.iterator) as Iterable<unknown>)].length,
  };
}

function driverOf(data: object): Driver {
  if (data === madeList) return listDriver;
  const roles = (data as { [ROLES]?: CollectionRoles })[ROLES];
  if (roles) return customDriver(roles);
  if (Array.isArray(data)) return listDriver;
  if (data instanceof Set) return setDriver;
  if (data instanceof Map) return mapDriver;
  throw new ArgumentError(`${className(data.constructor)} is not a collection.`);
}

const prepared = new WeakMap<Function, CollectionFactory>();

/**
 * The factory of instrumented collections for a collection class: Array, Set and Map map to the
 * instrumented classes; their subclasses and role-declaring classes get an instrumented subclass.
 */
export function prepareInstrumentation(cls: CollectionClass): CollectionFactory {
  const cached = prepared.get(cls);
  if (cached) return cached;
  const factory = buildFactory(cls as unknown as new () => object);
  prepared.set(cls, factory);
  return factory;
}

function buildFactory(cls: new () => object): CollectionFactory {
  if ((cls as { [INSTRUMENTED]?: boolean })[INSTRUMENTED] === true) return factoryForInstrumented(cls);
  if (cls === Array || cls === InstrumentedList) return () => makeList(InstrumentedList);
  if (cls === Set || cls === InstrumentedSet) return () => new InstrumentedSet();
  if (cls === Map || cls === InstrumentedMap) return () => new InstrumentedMap();
  if (cls.prototype instanceof Array) return instrumentSubclass(cls, InstrumentedList, true);
  if (cls.prototype instanceof Set) return instrumentSubclass(cls, InstrumentedSet, false);
  if (cls.prototype instanceof Map) return instrumentSubclass(cls, InstrumentedMap, false);
  const roles = (cls.prototype as { [ROLES]?: CollectionRoles })[ROLES];
  if (roles) return instrumentRoles(cls, roles);
  throw new ArgumentError(
    `Type ${className(cls)} must elect an appender method to be a collection class: extend Array, Set or Map, ` +
      `or declare its methods with collection.roles(${className(cls)}, { appender, remover, iterator }).`,
  );
}

function factoryForInstrumented(cls: new () => object): CollectionFactory {
  return cls.prototype instanceof Array || (cls as unknown) === InstrumentedList ? () => makeList(cls as new () => unknown[]) : () => new cls();
}

/** Copies the instrumented methods of `template` onto a subclass of the user's class. */
function instrumentSubclass(cls: new () => object, template: Function, isList: boolean): CollectionFactory {
  const sub = { [cls.name]: class extends cls {} }[cls.name]!;
  const proto = template.prototype as object;
  for (const name of Reflect.ownKeys(proto)) {
    if (name === "constructor") continue;
    if (Object.prototype.hasOwnProperty.call(cls.prototype, name) && !isList) continue;
    Object.defineProperty(sub.prototype, name, Object.getOwnPropertyDescriptor(proto, name)!);
  }
  if (isList) Object.defineProperty(sub, Symbol.species, { get: () => Array, configurable: true });
  if (template === InstrumentedMap) (sub as unknown as typeof InstrumentedMap).keyFor = (cls as unknown as typeof InstrumentedMap).keyFor;
  Object.defineProperty(sub, INSTRUMENTED, { value: true });
  return isList ? () => makeList(sub as unknown as new () => unknown[]) : () => new sub();
}

/** Wraps a role-declaring class's appender and remover so that they report. */
function instrumentRoles(cls: new () => object, roles: CollectionRoles): CollectionFactory {
  const sub = { [cls.name]: class extends cls {} }[cls.name]!;
  const base = cls.prototype as Record<string, Function>;
  const appender = base[roles.appender];
  const remover = base[roles.remover];
  if (typeof appender !== "function") throw new ArgumentError(`Type ${className(cls)} must elect an appender method to be a collection class.`);
  if (typeof remover !== "function") throw new ArgumentError(`Type ${className(cls)} must elect a remover method to be a collection class.`);
  if (typeof base[roles.iterator] !== "function") throw new ArgumentError(`Type ${className(cls)} must elect an iterator method to be a collection class.`);
  Object.defineProperty(sub.prototype, roles.appender, {
    configurable: true,
    writable: true,
    value: function (this: object, item: unknown, key?: unknown) {
      const initiator = takeInitiator();
      const adapter = (this as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
      const stored = adapter && initiator !== false ? adapter.fireAppendEvent(item, initiator, key ?? NO_KEY) : item;
      return appender.call(this, stored, key);
    },
  });
  Object.defineProperty(sub.prototype, roles.remover, {
    configurable: true,
    writable: true,
    value: function (this: object, item: unknown) {
      const initiator = takeInitiator();
      const adapter = (this as { [ADAPTER]?: CollectionAdapter })[ADAPTER];
      // The "before" copy must be taken ahead of the removal; the remove event follows it, as
      // only the class's own remover knows whether the item was present.
      if (adapter && initiator !== false) adapter.firePreRemoveEvent(initiator);
      const result = remover.call(this, item);
      if (adapter && initiator !== false) adapter.fireRemoveEvent(item, initiator);
      return result;
    },
  });
  Object.defineProperty(sub, INSTRUMENTED, { value: true });
  return () => new sub();
}
