/**
 * The instance layer (port of `orm/state.py`): one {@link InstanceState} per instance, made on
 * first need, holding the instance weakly, the committed ("before") values of changed attributes,
 * expiry bookkeeping and per-instance loaders. The values themselves live on the instance (see
 * `slots.ts`); `dict` is a view of them.
 *
 * Layout: the fields read on the first change after a commit (`committed`, `modified`) are plain
 * fields initialised in the constructor, so every state has one shape; rarely used bookkeeping
 * lives in a lazily created `extra` record to keep states small. The fast-path bits ("this key
 * has a committed entry", which lets generated setters skip all bookkeeping for an attribute
 * already modified) live in the instance's dirty word, where the setters test them.
 */
import {
  SELF_ATTR,
  ATTR_WAS_SET,
  NO_VALUE,
  PASSIVE_NO_INITIALIZE,
  PASSIVE_NO_RESULT,
  PASSIVE_OFF,
  INIT_OK,
  SQL_OK,
  INCLUDE_PENDING_MUTATIONS,
  className,
  type AttributeKey,
  type Class,
  type PassiveFlag,
} from "./base.js";
import { ExpiredAttributeError, InvalidRequestError, LoaderError, ObjectDereferencedError } from "./errors.js";
import type { ClassManager } from "./instrumentation.js";
import type { AttributeImpl, CollectionAttributeImpl } from "./attributes.js";
import type { History } from "./history.js";
import type { IdentityMap } from "./identity.js";
import { adapterOf } from "./collections.js";
import { ABSENT, dirtyWord, hasSlot, ownDirtyWord, setDirtyWord } from "./slots.js";

const EMPTY_MAP: ReadonlyMap<string, unknown> = new Map();

/** A per-instance or class-level loader: returns a value, or a sentinel such as `ATTR_EMPTY`. */
export type LoaderCallable<T extends object = object> = {
  // Method syntax makes the parameter bivariant, so a loader typed for a subclass fits its base.
  bivariant(state: InstanceState<T>, passive: PassiveFlag): unknown;
}["bivariant"];

/** Additions and removals queued on an unloaded collection (SQLAlchemy `PendingCollection`). */
export class PendingCollection {
  readonly addedItems: unknown[] = [];
  readonly removedItems: unknown[] = [];

  /** Queues an addition (cancelling a queued removal of the same object). */
  append(value: unknown): void {
    const i = this.removedItems.indexOf(value);
    if (i >= 0) this.removedItems.splice(i, 1);
    else this.addedItems.push(value);
  }

  /** Queues a removal (cancelling a queued addition of the same object). */
  remove(value: unknown): void {
    const i = this.addedItems.indexOf(value);
    if (i >= 0) this.addedItems.splice(i, 1);
    else this.removedItems.push(value);
  }
}

interface StateExtra {
  callables: Map<string, LoaderCallable> | null;
  parents: Map<object, InstanceState | false> | null;
  pendingMutations: Map<string, PendingCollection> | null;
  emptyCollections: Map<string, object> | null;
  lastKnownValues: Map<string, unknown> | null;
  info: Record<string, unknown> | null;
  attrs: Record<string, AttributeState> | null;
  /** The in-flight asynchronous load, if any. */
  loading: Promise<void> | null;
  /** Depth of synchronous loader calls in progress (re-entry detection). */
  loaderDepth: number;
  /** Bumped by every expiry: a load started before it brings stale values. */
  expireGeneration: number;
}

/** One call of the expired-attribute loader: what it was asked for and what it stored. */
interface LoadRun {
  readonly keys: ReadonlySet<string>;
  readonly staged: Map<string, unknown>;
  readonly generation: number;
}

/** Keys whose history has changes, told apart by kind (see {@link InstanceState.changedKeys}). */
export interface ChangedKeys<K extends string = string> {
  /** Scalar and object-reference attributes whose value differs from the committed one. */
  readonly values: readonly K[];
  /** Collection attributes with added or removed members. */
  readonly collections: readonly K[];
}

/**
 * @internal The committed ("before") values of one instance's changed attributes in one commit
 * cycle, behind a `Map`'s interface. A cycle changes a few attributes, so the first two entries
 * sit in fields of the record itself and the rest in a flat `[key, value, ...]` array: recording
 * the first change after a commit is one small allocation, and a linear scan beats hashing.
 */
export class CommittedValues implements ReadonlyMap<string, unknown> {
  private k0: string | undefined = undefined;
  private v0: unknown = undefined;
  private k1: string | undefined = undefined;
  private v1: unknown = undefined;
  private more: unknown[] | null = null;

  /** Number of recorded keys. */
  get size(): number {
    return (this.k0 === undefined ? 0 : 1) + (this.k1 === undefined ? 0 : 1) + (this.more === null ? 0 : this.more.length >> 1);
  }

  has(key: string): boolean {
    return this.k0 === key || this.k1 === key || (this.more !== null && this.indexInMore(key) >= 0);
  }

  get(key: string): unknown {
    if (this.k0 === key) return this.v0;
    if (this.k1 === key) return this.v1;
    if (this.more === null) return undefined;
    const i = this.indexInMore(key);
    return i < 0 ? undefined : this.more[i + 1];
  }

  /** Records `value` for `key` (replacing a recorded one). */
  set(key: string, value: unknown): this {
    if (this.k0 === key || this.k0 === undefined) {
      this.k0 = key;
      this.v0 = value;
    } else if (this.k1 === key || this.k1 === undefined) {
      this.k1 = key;
      this.v1 = value;
    } else {
      const more = (this.more ??= []);
      const i = this.indexInMore(key);
      if (i < 0) more.push(key, value);
      else more[i + 1] = value;
    }
    return this;
  }

  /** Forgets `key`; returns whether it was recorded. Later entries move up, keeping their order. */
  delete(key: string): boolean {
    if (this.k0 === key) {
      this.k0 = this.k1;
      this.v0 = this.v1;
      this.shiftIntoSecond();
      return true;
    }
    if (this.k1 === key) {
      this.shiftIntoSecond();
      return true;
    }
    if (this.more === null) return false;
    const i = this.indexInMore(key);
    if (i < 0) return false;
    this.more.splice(i, 2);
    return true;
  }

  /**
   * Empties the record for the next commit cycle and returns true when it is worth keeping (it
   * never held more than two keys): the next first change then allocates nothing.
   */
  recycle(): boolean {
    if (this.more !== null) return false;
    this.k0 = undefined;
    this.v0 = undefined;
    this.k1 = undefined;
    this.v1 = undefined;
    return true;
  }

  private shiftIntoSecond(): void {
    const more = this.more;
    if (more !== null && more.length > 0) {
      this.k1 = more[0] as string;
      this.v1 = more[1];
      more.splice(0, 2);
    } else {
      this.k1 = undefined;
      this.v1 = undefined;
    }
  }

  private indexInMore(key: string): number {
    const more = this.more!;
    for (let i = 0; i < more.length; i += 2) if (more[i] === key) return i;
    return -1;
  }

  /** The entries as an array, in recording order (iterators over it are native and fast). */
  private list(): Array<[string, unknown]> {
    const out: Array<[string, unknown]> = [];
    if (this.k0 !== undefined) out.push([this.k0, this.v0]);
    if (this.k1 !== undefined) out.push([this.k1, this.v1]);
    const more = this.more;
    if (more !== null) for (let i = 0; i < more.length; i += 2) out.push([more[i] as string, more[i + 1]]);
    return out;
  }

  keys(): MapIterator<string> {
    return this.list().map((entry) => entry[0])[Symbol.iterator]() as MapIterator<string>;
  }

  values(): MapIterator<unknown> {
    return this.list().map((entry) => entry[1])[Symbol.iterator]() as MapIterator<unknown>;
  }

  entries(): MapIterator<[string, unknown]> {
    return this.list()[Symbol.iterator]() as MapIterator<[string, unknown]>;
  }

  [Symbol.iterator](): MapIterator<[string, unknown]> {
    return this.entries();
  }

  forEach(callback: (value: unknown, key: string, map: ReadonlyMap<string, unknown>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.list()) callback.call(thisArg, value, key, this);
  }
}

/** Tracking state of one instance: the instance dict, committed values, expiry, loaders. */
export class InstanceState<T extends object = object> {
  /** The manager of the instance's class. */
  readonly manager: ClassManager<T>;
  /** The instance's actual class. */
  readonly class_: Class<T>;
  /** @internal Committed values of changed attributes; `null` until the first change. */
  committed: CommittedValues | null = null;
  /** Whether any attribute changed since the last commit. */
  modified = false;
  /** Whether the whole instance was expired and not committed since. */
  expired = false;
  /** Identity key given by a persistence layer (SQLAlchemy `state.key`); `undefined` if none. */
  key: unknown = undefined;
  /** @internal Expired attribute names; `null` while none. */
  expiredSet: Set<string> | null = null;
  /** @internal The identity map this state belongs to. */
  identityMap: IdentityMap | null = null;
  /** @internal Strong reference kept while modified and in an identity map. */
  strongObj: T | null = null;
  /** @internal Whether the state sits in its identity map's modified list. */
  inModifiedList = false;
  private ref: WeakRef<T>;
  private extra: StateExtra | null = null;

  constructor(obj: T, manager: ClassManager<T>) {
    this.manager = manager;
    this.class_ = (Object.getPrototypeOf(obj) as { constructor: Class<T> }).constructor;
    this.ref = new WeakRef(obj);
  }

  /**
   * The object holding the loaded attribute values (a key is absent when not loaded): for the
   * default storage, a live view of the instance's slots; `{}` once the instance is gone. The
   * state must not keep the instance (or its values) alive.
   */
  get dict(): Record<string, unknown> {
    const obj = this.ref.deref();
    if (obj === undefined) return {};
    return this.manager.dictGetter()(obj);
  }

  /** @internal Binds this state to `obj` (a state handed to `setupInstance` for another object). */
  attach(obj: T): void {
    if (this.ref.deref() !== obj) this.ref = new WeakRef(obj);
  }

  /**
   * @internal Fast-path bits of the impls that have a committed entry. They live on the instance
   * (its dirty word, see `slots.ts`), where the generated setters test them.
   */
  get dirtyBits(): number {
    const obj = this.obj();
    return obj === undefined ? 0 : dirtyWord(obj);
  }

  /** @internal Sets the fast-path bits (in the instance's dirty word). */
  set dirtyBits(bits: number) {
    const obj = this.obj();
    if (obj !== undefined && this.manager.storesInSlots()) setDirtyWord(obj, bits);
  }

  /**
   * @internal Records, for a state created after the instance already received values, what
   * SQLAlchemy would have recorded at each of those first sets: no previous value. From now on the
   * instance's dirty word holds this state's fast-path bits.
   */
  adoptPendingValues(obj: T): void {
    let any = false;
    let bits = 0;
    for (const [key, attr] of this.manager) {
      if (attr.impl === undefined || !attr.impl.sendModifiedEvents || !hasSlot(obj, key)) continue;
      (this.committed ??= new CommittedValues()).set(key, NO_VALUE);
      bits |= attr.impl.bit;
      any = true;
    }
    if (this.manager.storesInSlots()) ownDirtyWord(obj, bits);
    if (any) this.modified = true;
  }

  /** @internal Puts this state's fast-path bits into `obj`'s dirty word (a state attached to another object). */
  syncDirtyWord(obj: T): void {
    let bits = 0;
    if (!this.manager.storesInSlots()) return;
    if (this.committed !== null) for (const key of this.committed.keys()) bits |= this.manager.get(key)?.impl?.bit ?? 0;
    ownDirtyWord(obj, bits);
  }

  /**
   * @internal The generated setters' path for a plain attribute whose bit is clear: records the
   * old value (the first change since the last commit), then stores `value` in `slot`. Returns
   * false, doing nothing, when `obj` is not this state's instance (a Proxy of it, an object
   * inheriting from it) or the attribute has no fast path: the caller takes the slow path.
   */
  writeFirst(attr: { readonly fastBit: number; readonly impl: AttributeImpl | undefined }, obj: object, slot: symbol, value: unknown): boolean {
    const bit = attr.fastBit;
    const impl = attr.impl;
    if (bit === 0 || impl === undefined) return false;
    const self = (obj as { [SELF_ATTR]?: object })[SELF_ATTR];
    if (self !== obj) {
      // A Proxy of the instance reads the instance's own link; an object inheriting from it, the
      // link it inherits. Checked the slow way once per instance, which then links to itself.
      if (self !== undefined || this.ref.deref() !== obj) return false;
      Object.defineProperty(obj, SELF_ATTR, { value: obj, writable: false, configurable: true, enumerable: false });
    }
    const holder = obj as Record<PropertyKey, unknown>;
    const bits = dirtyWord(obj);
    if ((bits & bit) === 0) {
      const old = holder[slot];
      setDirtyWord(obj, bits | bit);
      this.recordChange(impl, old === ABSENT || (old === undefined && !(slot in holder)) ? NO_VALUE : old, obj as T);
    }
    holder[slot] = value;
    return true;
  }

  /**
   * @internal The first-change bookkeeping of a plain attribute, once the caller set its bit in
   * the instance's dirty word (the generated setters do, in per-class code; {@link writeFirst}
   * otherwise): records `old` as the committed value (exactly what `modifiedEvent` does for a
   * plain scalar without listeners), and the modified mark.
   */
  recordChange(impl: AttributeImpl, old: unknown, obj: T): void {
    (this.committed ??= new CommittedValues()).set(impl.key, old);
    if (this.extra !== null) {
      const lkv = this.extra.lastKnownValues;
      if (lkv !== null && lkv.has(impl.key)) lkv.set(impl.key, NO_VALUE);
    }
    if (!this.modified) {
      // The setter hands over its `this`: no WeakRef.deref() on this path (each deref keeps the
      // target alive until the end of the task and costs more than the rest of the bookkeeping).
      this.modified = true;
      if (this.identityMap !== null) this.identityMap.markModified(this as unknown as InstanceState, obj);
    }
  }

  /** The instance, or `undefined` once it has been garbage collected. */
  obj(): T | undefined {
    return this.strongObj ?? this.ref.deref();
  }

  /**
   * The committed ("before") values of changed attributes, by key. Read-only: change it through
   * `commit(keys)` / `commitAll()`, which also keep the setters' fast paths in step.
   */
  get committedState(): ReadonlyMap<string, unknown> {
    return this.committed ?? EMPTY_MAP;
  }

  /** Names of expired attributes. */
  get expiredAttributes(): Set<string> {
    return (this.expiredSet ??= new Set());
  }

  /** Per-instance loaders, by attribute key. */
  get callables(): Map<string, LoaderCallable> {
    const extra = this.getExtra();
    return (extra.callables ??= new Map());
  }

  /** Parent-tracking flags: parent token → parent state, or `false`. */
  get parents(): Map<object, InstanceState | false> {
    const extra = this.getExtra();
    return (extra.parents ??= new Map());
  }

  /** Queued mutations of unloaded collections, by key. */
  get pendingMutations(): Map<string, PendingCollection> {
    const extra = this.getExtra();
    return (extra.pendingMutations ??= new Map());
  }

  /** Placeholder collections handed out for never-loaded collection attributes, by key. */
  get emptyCollections(): Map<string, object> {
    const extra = this.getExtra();
    return (extra.emptyCollections ??= new Map());
  }

  /** Last known values of keys tracked with {@link trackLastKnownValue}. */
  get lastKnownValues(): Map<string, unknown> {
    const extra = this.getExtra();
    return (extra.lastKnownValues ??= new Map());
  }

  /** Free-form user data. */
  get info(): Record<string, unknown> {
    const extra = this.getExtra();
    return (extra.info ??= {});
  }

  /** Per-attribute views: `attrs.name.value`, `.loadedValue`, `.history`, `.loadHistory()`. */
  get attrs(): Readonly<Record<AttributeKey<T>, AttributeState>> {
    const extra = this.getExtra();
    if (extra.attrs === null) {
      const attrs: Record<string, AttributeState> = Object.create(null);
      for (const key of this.manager.keys()) attrs[key] = new AttributeState(this as unknown as InstanceState, key);
      extra.attrs = attrs;
    }
    return extra.attrs as Readonly<Record<AttributeKey<T>, AttributeState>>;
  }

  /** Keys without a committed entry (attributes not changed since the last commit). */
  get unmodified(): Set<string> {
    const result = new Set<string>();
    for (const key of this.manager.keys()) if (!this.committed?.has(key)) result.add(key);
    return result;
  }

  /** Keys among `keys` without a committed entry. */
  unmodifiedIntersection(keys: Iterable<string>): Set<string> {
    const result = new Set<string>();
    for (const key of keys) if (this.manager.has(key) && !this.committed?.has(key)) result.add(key);
    return result;
  }

  /** Keys neither loaded nor changed (what a refresh would load). */
  get unloaded(): Set<string> {
    const result = new Set<string>();
    for (const key of this.manager.keys()) if (!this.committed?.has(key) && !(key in this.dict)) result.add(key);
    return result;
  }

  /** The history of attribute `key`. */
  getHistory(key: AttributeKey<T>, passive: PassiveFlag = PASSIVE_OFF): History {
    return this.manager.getImpl(key).getHistory(this as unknown as InstanceState, this.dict, passive);
  }

  /** The impl of attribute `key`. */
  getImpl(key: AttributeKey<T>): AttributeImpl {
    return this.manager.getImpl(key);
  }

  /** Installs a per-instance loader for `key` (for a collection, the loaded one is discarded). */
  setCallable(key: AttributeKey<T>, fn: LoaderCallable<T>): void {
    const impl = this.manager.getImpl(key);
    if (impl.collection && key in this.dict) {
      const old = this.dict[key];
      delete this.dict[key];
      if (old !== undefined && old !== null) impl.invalidateCollection(old);
    }
    this.callables.set(key, fn as unknown as LoaderCallable);
  }

  /** Forgets `key`'s loaded value, expiry mark and per-instance loader (SQLAlchemy `_reset`). */
  reset(key: AttributeKey<T>): void {
    if (key in this.dict) {
      const old = this.dict[key];
      delete this.dict[key];
      const impl = this.manager.get(key)?.impl;
      if (impl?.collection && old !== undefined && old !== null) impl.invalidateCollection(old);
    }
    this.expiredSet?.delete(key);
    this.extra?.callables?.delete(key);
  }

  /** Starts tracking the last known value of `key` across expiry. */
  trackLastKnownValue(key: AttributeKey<T>): void {
    const lkv = this.lastKnownValues;
    if (!lkv.has(key)) lkv.set(key, NO_VALUE);
  }

  /** Marks the instance modified without naming an attribute. */
  flagDirty(): void {
    this.markModified(undefined);
  }

  /**
   * @internal Records that `impl`'s attribute is about to change from `previous` (SQLAlchemy
   * `_modified_event`): stores the committed value on the first change since the last commit,
   * and marks the state modified.
   */
  modifiedEvent(
    dict: Record<string, unknown>,
    impl: AttributeImpl | undefined,
    previous: unknown,
    collection = false,
    isUserland = false,
  ): void {
    if (impl !== undefined) {
      if (!impl.sendModifiedEvents) return;
      const key = impl.key;
      if (isUserland && !(key in dict)) {
        throw new InvalidRequestError(
          `Can't flag attribute '${key}' modified; it's not present in the object state of ${className(this.class_)}.`,
        );
      }
      const committed = this.committed;
      if (committed === null || isUserland || !committed.has(key)) {
        if (collection) {
          if (previous === NO_VALUE && key in dict) previous = dict[key];
          if (previous !== NO_VALUE && previous !== undefined && previous !== null && previous !== PASSIVE_NO_RESULT) {
            previous = impl.copy(previous);
          }
        }
        (committed ?? (this.committed = new CommittedValues())).set(key, previous);
        this.dirtyBits |= impl.bit;
      }
      const lkv = this.extra?.lastKnownValues;
      if (lkv && lkv.has(key)) lkv.set(key, NO_VALUE);
    }
    if (!this.modified) this.markModified(impl);
  }

  private markModified(impl: AttributeImpl | undefined): void {
    if (this.modified) return;
    const inst = this.ref.deref();
    if (inst === undefined && impl !== undefined) {
      throw new ObjectDereferencedError(
        `Can't emit change event for attribute '${className(impl.class_)}.${impl.key}' - parent object of type ` +
          `${className(this.class_)} has been garbage collected.`,
      );
    }
    this.modified = true;
    if (this.identityMap !== null && inst !== undefined) this.identityMap.markModified(this as unknown as InstanceState, inst);
  }

  /** Marks `keys` as committed: their history becomes "unchanged" (SQLAlchemy `_commit`). */
  commit(keys: Iterable<AttributeKey<T>>): void {
    const dict = this.dict;
    for (const key of keys) {
      if (this.committed?.delete(key)) {
        const bit = this.manager.get(key)?.impl?.bit ?? 0;
        this.dirtyBits &= ~bit;
      }
      if (key in dict) {
        this.expiredSet?.delete(key);
        this.extra?.callables?.delete(key);
      }
    }
    this.expired = false;
  }

  /**
   * The attributes whose history has changes, scalars and object references apart from
   * collections, in the class's attribute order. Only keys with a committed entry are examined
   * (O(changed)); a same-value write, or a change changed back, is not listed, and nothing is
   * loaded to find out.
   */
  changedKeys<S extends object = T>(this: InstanceState<S>): ChangedKeys<AttributeKey<S>> {
    const values: string[] = [];
    const collections: string[] = [];
    const committed = this.committed;
    if (committed !== null && committed.size > 0) {
      const self = this as unknown as InstanceState;
      const dict = this.dict;
      const keys = committed.size === 1 ? committed.keys() : this.orderedKeys(committed);
      for (const key of keys) {
        const impl = this.manager.get(key)?.impl;
        if (impl === undefined) continue;
        if (!impl.getHistory(self, dict, PASSIVE_NO_INITIALIZE | INCLUDE_PENDING_MUTATIONS).hasChanges()) continue;
        (impl.collection ? collections : values).push(key);
      }
    }
    return { values, collections } as unknown as ChangedKeys<AttributeKey<S>>;
  }

  /** The keys of `committed` in the manager's attribute order. */
  private orderedKeys(committed: ReadonlyMap<string, unknown>): string[] {
    const keys: string[] = [];
    for (const key of this.manager.keys()) if (committed.has(key)) keys.push(key);
    return keys;
  }

  /**
   * Puts the committed values of `keys` (every changed attribute when omitted) back: history
   * empty, `modified` cleared once nothing is left changed. A scalar that had no committed value
   * becomes unset again. A collection is restored in place, into the same instrumented collection
   * object the attribute holds (references to it stay valid); a collection that was replaced or
   * deleted gets a fresh instrumented collection with the committed members. No attribute events
   * fire (this is a state restore, not a change): roll back both sides of a backref together.
   */
  rollback(keys?: Iterable<AttributeKey<T>>): void {
    const names: string[] = keys === undefined ? [...(this.committed?.keys() ?? [])] : [...keys];
    const self = this as unknown as InstanceState;
    const dict = this.dict;
    for (const key of names) {
      const impl = this.manager.getImpl(key);
      this.extra?.pendingMutations?.delete(key);
      const committed = this.committed;
      if (committed === null || !committed.has(key)) continue;
      const original = committed.get(key);
      committed.delete(key);
      this.dirtyBits &= ~impl.bit;
      const absent = original === NO_VALUE || original === PASSIVE_NO_RESULT;
      if (impl.collection) {
        (impl as CollectionAttributeImpl).restoreCommitted(self, dict, absent ? NO_VALUE : original);
      } else if (absent) {
        delete dict[key];
      } else {
        dict[key] = original;
      }
    }
    if (keys === undefined || this.committed === null || this.committed.size === 0) {
      this.committed = null;
      this.dirtyBits = 0;
      if (this.extra) this.extra.pendingMutations = null;
      this.modified = false;
      this.strongObj = null;
    }
  }

  /** Commits every attribute: history cleared, `modified` and `expired` reset. */
  commitAll(): void {
    if (this.committed !== null && !this.committed.recycle()) this.committed = null;
    this.dirtyBits = 0;
    if (this.extra) this.extra.pendingMutations = null;
    const expiredSet = this.expiredSet;
    if (expiredSet) for (const key of [...expiredSet]) if (key in this.dict) expiredSet.delete(key);
    this.modified = false;
    this.expired = false;
    this.strongObj = null;
  }

  /** Expires every attribute: values dropped, history cleared; reads reload through the loader. */
  expire(): void {
    const dict = this.dict;
    const memo = this.manager.memoized;
    this.expired = true;
    if (this.extra !== null) this.extra.expireGeneration++;
    if (this.modified) {
      this.committed = null;
      this.dirtyBits = 0;
      this.modified = false;
    }
    this.strongObj = null;
    if (this.extra) {
      this.extra.pendingMutations = null;
      this.extra.parents = null;
    }
    const expiredSet = this.expiredAttributes;
    for (const [key, attr] of this.manager) if (attr.impl) expiredSet.add(key);
    const callables = this.extra?.callables;
    if (callables) for (const key of expiredSet) callables.delete(key);
    for (const key of memo.collectionKeys) {
      if (key in dict) {
        const collection = dict[key];
        delete dict[key];
        if (collection !== undefined && collection !== null) this.manager.getImpl(key).invalidateCollection(collection);
      }
    }
    const lkv = this.extra?.lastKnownValues;
    if (lkv) for (const key of lkv.keys()) if (key in dict) lkv.set(key, dict[key]);
    for (const key of memo.allKeys) delete dict[key];
    this.fireExpire(undefined);
  }

  /** Expires the named attributes; scalar ones reload through the loader on next read. */
  expireAttributes(keys: Iterable<AttributeKey<T>>, noLoader = false): void {
    const dict = this.dict;
    const names: string[] = [...keys];
    const skipped = new Set<string>();
    if (this.extra !== null) this.extra.expireGeneration++;
    for (const key of names) {
      const impl = this.manager.getImpl(key);
      if (impl.acceptsScalarLoader || impl.usesExpiredLoader(this as unknown as InstanceState)) {
        if (noLoader && (impl.callable !== undefined || this.extra?.callables?.has(key))) {
          skipped.add(key);
          continue;
        }
        this.expiredAttributes.add(key);
        this.extra?.callables?.delete(key);
      }
    }
    for (const key of names) {
      if (skipped.has(key)) continue;
      const impl = this.manager.getImpl(key);
      let old: unknown = NO_VALUE;
      if (key in dict) {
        old = dict[key];
        delete dict[key];
        if (impl.collection && old !== undefined && old !== null) impl.invalidateCollection(old);
      }
      const lkv = this.extra?.lastKnownValues;
      if (lkv && lkv.has(key) && old !== NO_VALUE) lkv.set(key, old);
      if (this.committed?.delete(key)) this.dirtyBits &= ~impl.bit;
      this.extra?.pendingMutations?.delete(key);
    }
    this.fireExpire(new Set(names));
  }

  /**
   * @internal Loads expired attributes through the manager's loader (SQLAlchemy `_load_expired`).
   * A loader that returns a Promise cannot serve a synchronous read: the load is started and an
   * `ExpiredAttributeError` tells the caller to `await loadExpired(obj)`.
   */
  loadExpired(passive: PassiveFlag, requestedKey: string): unknown {
    if ((passive & SQL_OK) === 0) return PASSIVE_NO_RESULT;
    const extra = this.getExtra();
    if (extra.loaderDepth > 0) throw this.reentryError(requestedKey);
    if (extra.loading) throw this.asyncLoadError(requestedKey);
    const toLoad = this.keysToLoad();
    const loader = this.requireLoader(requestedKey);
    const run = this.startRun(toLoad);
    const result = this.callLoader(loader, run, passive);
    if (isThenable(result)) {
      this.trackAsyncLoad(result, run);
      throw this.asyncLoadError(requestedKey);
    }
    this.finishRun(run);
    return ATTR_WAS_SET;
  }

  /** @internal Loads (and awaits) the expired attributes among `keys` (all when omitted). */
  async loadExpiredAsync(keys?: Iterable<string>): Promise<void> {
    const wanted = keys === undefined ? undefined : new Set(keys);
    for (;;) {
      while (this.extra?.loading) await this.extra.loading;
      let toLoad = this.keysToLoad();
      if (wanted !== undefined) toLoad = new Set([...toLoad].filter((k) => wanted.has(k)));
      if (toLoad.size === 0) {
        if (wanted === undefined) this.settleExpired();
        return;
      }
      const extra = this.getExtra();
      if (extra.loaderDepth > 0) throw this.reentryError([...toLoad][0]!);
      const loader = this.requireLoader([...toLoad][0]!);
      const run = this.startRun(toLoad);
      const result = this.callLoader(loader, run, PASSIVE_OFF);
      // A stale run (the keys were expired again while it was in flight) stored nothing: go round
      // again and load the fresh values.
      if (isThenable(result)) {
        if (await this.trackAsyncLoad(result, run)) return;
      } else if (this.finishRun(run)) {
        return;
      }
    }
  }

  /** Expired keys the manager's loader must fill: no pending change, loaded on unexpire, served by the loader. */
  private keysToLoad(): Set<string> {
    const toLoad = new Set<string>();
    const self = this as unknown as InstanceState;
    for (const key of this.expiredSet ?? []) {
      if (this.committed?.has(key)) continue;
      const impl = this.manager.get(key)?.impl;
      if (impl && !impl.usesExpiredLoader(self)) continue;
      toLoad.add(key);
    }
    return toLoad;
  }

  private startRun(keys: ReadonlySet<string>): LoadRun {
    return { keys, staged: new Map(), generation: this.getExtra().expireGeneration };
  }

  /**
   * Calls the loader with a view of this state whose `dict` collects what the loader stores
   * (reads fall through to the instance's values). Nothing reaches the instance until the run
   * finishes ({@link finishRun}), so a late or stale load cannot overwrite newer values.
   */
  private callLoader(loader: NonNullable<ClassManager<T>["expiredAttributeLoader"]>, run: LoadRun, passive: PassiveFlag): unknown {
    const extra = this.getExtra();
    const view = this.loaderView(run);
    extra.loaderDepth++;
    try {
      return loader(view, run.keys, passive);
    } finally {
      extra.loaderDepth--;
    }
  }

  private loaderView(run: LoadRun): InstanceState<T> {
    const staged = run.staged;
    const real = (): Record<string, unknown> => this.dict;
    const stagingDict = new Proxy(Object.create(null) as Record<string, unknown>, {
      get: (_t, key) => (typeof key === "string" && staged.has(key) ? staged.get(key) : Reflect.get(real(), key)),
      set: (_t, key, value) => {
        if (typeof key !== "string") return Reflect.set(real(), key, value);
        staged.set(key, value);
        return true;
      },
      has: (_t, key) => (typeof key === "string" && staged.has(key)) || Reflect.has(real(), key),
      deleteProperty: (_t, key) => {
        if (typeof key === "string") staged.delete(key);
        return true;
      },
      ownKeys: () => [...new Set([...Reflect.ownKeys(real()), ...staged.keys()])],
      getOwnPropertyDescriptor: (_t, key) => {
        if (typeof key === "string" && staged.has(key)) return { value: staged.get(key), writable: true, enumerable: true, configurable: true };
        return Reflect.getOwnPropertyDescriptor(real(), key);
      },
    });
    return new Proxy(this, {
      get: (target, key) => (key === "dict" ? stagingDict : Reflect.get(target, key, target)),
      set: (target, key, value) => Reflect.set(target, key, value, target),
    });
  }

  /**
   * Moves what a loader run stored into the instance. A value never overwrites one set after the
   * expiry (the key is present, or has a pending change); a run overtaken by a newer expiry
   * stores nothing (returns false). Collections arrive as instrumented collections, committed.
   * A key the loader was given but did not fill stays expired and raises `LoaderError`.
   */
  private finishRun(run: LoadRun): boolean {
    if (run.generation !== this.getExtra().expireGeneration) return false;
    const dict = this.dict;
    const self = this as unknown as InstanceState;
    const expired = this.expiredSet;
    for (const [key, value] of run.staged) {
      const impl = this.manager.get(key)?.impl;
      if (impl === undefined) {
        dict[key] = value;
        continue;
      }
      if (key in dict || this.committed?.has(key)) continue;
      if (!run.keys.has(key) && !(expired?.has(key) ?? false)) continue;
      if (impl.collection) {
        // setCommittedValue builds the instrumented collection; keep `expired` as it was.
        const wasExpired = this.expired;
        impl.setCommittedValue(self, dict, value);
        this.expired = wasExpired;
      } else {
        dict[key] = value;
        this.extra?.callables?.delete(key);
      }
      expired?.delete(key);
    }
    const missing: string[] = [];
    for (const key of run.keys) {
      if (key in dict) {
        const impl = this.manager.get(key)?.impl;
        // A loader that wrote around state.dict (instanceDict, a plain array): adopt it.
        if (impl?.collection && !this.committed?.has(key) && adapterOf(dict[key]) === undefined) {
          const wasExpired = this.expired;
          impl.setCommittedValue(self, dict, dict[key]);
          this.expired = wasExpired;
        }
        expired?.delete(key);
      } else if (!this.committed?.has(key) && (expired?.has(key) ?? false)) {
        missing.push(key);
      }
    }
    if (missing.length > 0) throw this.missingValueError(missing);
    this.settleExpired();
    return true;
  }

  /** Drops expiry marks that no load will clear: loaded keys and keys the loader does not serve. */
  private settleExpired(): void {
    const expired = this.expiredSet;
    if (!expired || expired.size === 0) return;
    const dict = this.dict;
    const self = this as unknown as InstanceState;
    for (const key of [...expired]) {
      const impl = this.manager.get(key)?.impl;
      if (key in dict || impl === undefined || this.committed?.has(key) || !impl.usesExpiredLoader(self)) expired.delete(key);
    }
  }

  /** Resolves to whether the run was applied (false: it was stale, nothing stored). */
  private trackAsyncLoad(result: PromiseLike<unknown>, run: LoadRun): Promise<boolean> {
    const extra = this.getExtra();
    const applied = Promise.resolve(result).then(() => this.finishRun(run));
    const done: Promise<void> = applied
      .then(() => undefined)
      .finally(() => {
        if (extra.loading === done) extra.loading = null;
      });
    // The in-flight load may have no awaiter yet (a synchronous read only started it).
    done.catch(() => undefined);
    extra.loading = done;
    return applied;
  }

  private requireLoader(key: string): NonNullable<ClassManager<T>["expiredAttributeLoader"]> {
    const loader = this.manager.expiredAttributeLoader;
    if (loader === undefined) {
      throw new ExpiredAttributeError(
        `Attribute '${className(this.class_)}.${key}' is expired and ${className(this.manager.class_)} has no ` +
          `expiredAttributeLoader; pass one to registerClass(cls, { expiredAttributeLoader }) or @mapped({ expiredAttributeLoader }).`,
      );
    }
    return loader;
  }

  private asyncLoadError(key: string): ExpiredAttributeError {
    return new ExpiredAttributeError(
      `Attribute '${className(this.class_)}.${key}' is expired and its loader is asynchronous; ` +
        `call 'await loadExpired(obj)' before reading it.`,
    );
  }

  private reentryError(key: string): LoaderError {
    const cls = className(this.class_);
    return new LoaderError(
      `The expiredAttributeLoader of ${cls} read '${cls}.${key}', an expired attribute of the instance it is loading; ` +
        `reading it would start the same load again (endless recursion). In a loader, identify the row by state.key ` +
        `(set it when the object is saved or loaded) and read current values from state.dict, never from the object's attributes.`,
    );
  }

  private missingValueError(keys: readonly string[]): LoaderError {
    const cls = className(this.class_);
    const names = keys.map((k) => `'${cls}.${k}'`).join(", ");
    return new LoaderError(
      `Deferred loader for attribute '${keys[0]}' of ${cls} failed to populate correctly: the expiredAttributeLoader was ` +
        `given ${names} but stored no value for ${keys.length === 1 ? "it" : "them"} into state.dict. Store a value ` +
        `(undefined or null when there is none) for every key the loader is given.`,
    );
  }

  /** Fires the `load` instance event (for persistence layers: the instance was loaded). */
  fireLoad(context?: unknown): void {
    for (const entry of this.manager.dispatch.load.items) (entry.call as Function)(this, context);
  }

  /** Fires the `refresh` instance event (for persistence layers: attributes were refreshed). */
  fireRefresh(context?: unknown, keys?: ReadonlySet<string>): void {
    for (const entry of this.manager.dispatch.refresh.items) (entry.call as Function)(this, context, keys);
  }

  private fireExpire(keys: ReadonlySet<string> | undefined): void {
    const listeners = this.manager.dispatch.expire.items;
    for (const entry of listeners) (entry.call as (s: InstanceState, k: unknown) => void)(this as unknown as InstanceState, keys);
  }

  private getExtra(): StateExtra {
    return (this.extra ??= {
      callables: null,
      parents: null,
      pendingMutations: null,
      emptyCollections: null,
      lastKnownValues: null,
      info: null,
      attrs: null,
      loading: null,
      loaderDepth: 0,
      expireGeneration: 0,
    });
  }

  /** @internal Per-instance loader for `key`, if any (no allocation when there is none). */
  callableFor(key: string): LoaderCallable | undefined {
    return this.extra?.callables?.get(key);
  }

  /** @internal The placeholder collection adapter for `key`, if any. */
  emptyCollectionFor(key: string): object | undefined {
    return this.extra?.emptyCollections?.get(key);
  }

  /** @internal Pending mutations for `key`, if any. */
  pendingFor(key: string): PendingCollection | undefined {
    return this.extra?.pendingMutations?.get(key);
  }

  /** @internal The parent flag recorded for `token`, if any. */
  parentFor(token: object): InstanceState | false | undefined {
    return this.extra?.parents?.get(token);
  }

  toString(): string {
    return `<InstanceState of ${className(this.class_)}>`;
  }
}

/** A view of one attribute of one instance (SQLAlchemy `AttributeState`). */
export class AttributeState {
  constructor(
    private readonly state: InstanceState,
    /** The attribute name. */
    readonly key: string,
  ) {}

  /** The current value, loading it if needed (like reading the attribute). */
  get value(): unknown {
    const state = this.state;
    return state.manager.getImpl(this.key).get(state, state.dict);
  }

  /** The value present in the dict, or `NO_VALUE`; never loads. */
  get loadedValue(): unknown {
    const dict = this.state.dict;
    return this.key in dict ? dict[this.key] : NO_VALUE;
  }

  /** The history, without loading anything. */
  get history(): History {
    return this.state.getHistory(this.key, PASSIVE_NO_INITIALIZE);
  }

  /** The history, loading the value if needed. */
  loadHistory(): History {
    return this.state.getHistory(this.key, PASSIVE_OFF ^ INIT_OK);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
