/**
 * The attribute layer (port of `orm/attributes.py`): the public {@link InstrumentedAttribute}
 * descriptor and the impls that hold each attribute kind's behaviour (scalar, object reference,
 * collection). History values live in `history.ts`, registration in `registration.ts`, the
 * functions that work with or without installed accessors in `operations.ts`. Accessors are
 * installed by `accessors.ts`; they read the instance dict directly and call into an impl only
 * on the slow path.
 */
import {
  ATTR_EMPTY,
  ATTR_WAS_SET,
  CALLABLES_OK,
  INCLUDE_PENDING_MUTATIONS,
  INIT_OK,
  LOAD_AGAINST_COMMITTED,
  NO_AUTOFLUSH,
  NO_KEY,
  NO_RAISE,
  NO_VALUE,
  PASSIVE_NO_FETCH,
  PASSIVE_NO_RESULT,
  PASSIVE_OFF,
  PASSIVE_ONLY_PERSISTENT,
  className,
  instanceStr,
  type Class,
  type PassiveFlag,
} from "./base.js";
import { AttributeDispatch, ATTRIBUTE_EVENT_NAMES, type ListenerList } from "./dispatch.js";
import { CollectionTypeError, InvalidRequestError, LoaderError, NoValueError } from "./errors.js";
import { lookups } from "./lookups.js";
import { hasSlot, writeSlot } from "./slots.js";
import { instanceDict, instanceState } from "./access.js";
import type { InstanceState, LoaderCallable } from "./state.js";
import { PendingCollection } from "./state.js";
import {
  CollectionAdapter,
  adapterOf,
  bulkReplace,
  duckTypeCollection,
  type CollectionFactory,
  type CollectionKind,
} from "./collections.js";
import type { AccessorFactory } from "./accessor-template.js";
import { COPIED_MAP_KEYS, History, HISTORY_BLANK } from "./history.js";

/** What an attribute event token stands for. */
export type AttributeOp = "append" | "remove" | "replace" | "bulkReplace" | "modified";

/**
 * Identifies the operation that caused an attribute event; passed to listeners as `initiator`
 * and used to stop backref ping-pong. One token per impl and operation, so identity is equality.
 */
export class AttributeEventToken {
  constructor(
    /** The impl that emitted the event. */
    readonly impl: AttributeImpl,
    /** The operation. */
    readonly op: AttributeOp,
  ) {}

  /** The impl's parent token (shared by attributes that should count as one). */
  get parentToken(): object {
    return this.impl.parentToken;
  }

  /** The attribute name. */
  get key(): string {
    return this.impl.key;
  }

  /** Whether `state` has a parent through this attribute. */
  hasParent(state: InstanceState): boolean {
    return this.impl.hasParent(state);
  }

  toString(): string {
    return `Event${this.op[0]!.toUpperCase()}${this.op.slice(1)}(${this.impl})`;
  }
}

/** Options shared by every impl (see `registerAttribute`). */
export interface ImplOptions {
  trackParent?: boolean;
  compare?: (a: unknown, b: unknown) => boolean;
  activeHistory?: boolean;
  parentToken?: object;
  loadOnUnexpire?: boolean;
  sendModifiedEvents?: boolean;
  acceptsScalarLoader?: boolean;
}

/** The behaviour of one attribute: get, set, delete, history, loaders, events. */
export abstract class AttributeImpl {
  /** Whether this is a collection attribute (a getter: read during construction). */
  abstract get collection(): boolean;
  /** Whether values are instrumented objects (object references and collections). */
  abstract readonly usesObjects: boolean;
  /** Values may be placed directly in the dict (always true for the built-in impls). */
  readonly supportsPopulation = true;
  /** The class the attribute was registered on. */
  readonly class_: Class;
  /** The attribute name. */
  readonly key: string;
  /** Class-level loader, called when the value is absent. */
  readonly callable: LoaderCallable | undefined;
  /** The attribute's listeners. */
  readonly dispatch: AttributeDispatch;
  /** Whether parents are tracked on the values' states. */
  readonly trackParent: boolean;
  /** Key of parent tracking and backref loop detection (the impl itself unless shared). */
  readonly parentToken: object;
  /** Whether changes record history and mark the state modified. */
  readonly sendModifiedEvents: boolean;
  /** Whether an expired attribute reloads through the manager's loader. */
  readonly loadOnUnexpire: boolean;
  /** Whether this attribute loads through the expired-attribute loader. */
  readonly acceptsScalarLoader: boolean;
  /** Equality used by scalar history. */
  readonly isEqual: (a: unknown, b: unknown) => boolean;
  private bitValue = 0;
  private plain = true;
  /**
   * @internal The bit the generated setters test in the instance's dirty word: {@link bit} when
   * {@link plainSet}, else 0 (every write takes the slow path).
   */
  fastBit = 0;

  /** @internal Fast-path bit (0: none); see `ClassManager.allocateBit`. */
  get bit(): number {
    return this.bitValue;
  }

  /** @internal Sets the fast-path bit (the descriptors' `fastBit` follow). */
  set bit(value: number) {
    this.bitValue = value;
    this.publishFastBit();
  }

  /** @internal True when a set may skip listeners: none registered and history is recorded. */
  get plainSet(): boolean {
    return this.plain;
  }

  /** @internal Sets {@link plainSet} (the descriptors' `fastBit` follow). */
  set plainSet(value: boolean) {
    this.plain = value;
    this.publishFastBit();
  }

  private holders: InstrumentedAttribute[] | null = null;

  /** @internal Registers a descriptor whose `fastBit` mirrors this impl's. */
  addHolder(attr: InstrumentedAttribute): void {
    if (this.holders === null) this.holders = [];
    if (!this.holders.includes(attr)) this.holders.push(attr);
  }

  private publishFastBit(): void {
    this.fastBit = this.plain ? this.bitValue : 0;
    // Field initializers of subclasses have not run when the base constructor refreshes flags.
    if (this.holders) for (const attr of this.holders) if (attr.impl === this) attr.fastBit = this.fastBit;
  }
  /** Token of `flagModified`. */
  readonly modifiedToken: AttributeEventToken;

  constructor(cls: Class, key: string, callable: LoaderCallable | undefined, dispatch: AttributeDispatch, options: ImplOptions) {
    this.class_ = cls;
    this.key = key;
    this.callable = callable;
    this.dispatch = dispatch;
    this.trackParent = options.trackParent ?? false;
    this.parentToken = options.parentToken ?? this;
    this.sendModifiedEvents = options.sendModifiedEvents ?? true;
    this.loadOnUnexpire = options.loadOnUnexpire ?? true;
    this.acceptsScalarLoader = options.acceptsScalarLoader ?? this.defaultAcceptsScalarLoader();
    this.isEqual = options.compare ?? Object.is;
    if (options.activeHistory) dispatch.activeHistory = true;
    this.modifiedToken = new AttributeEventToken(this, "modified");
    dispatch.onChange = () => this.refreshFlags();
    this.refreshFlags();
  }

  protected abstract defaultAcceptsScalarLoader(): boolean;

  /**
   * Whether an expired value of this attribute reloads through the manager's
   * `expiredAttributeLoader`: scalars always (when `loadOnUnexpire`); object references and
   * collections too when the class has such a loader and the attribute has no loader of its own
   * (class-level `callable` or a per-instance one), so that their stored values are not lost.
   */
  usesExpiredLoader(state: InstanceState): boolean {
    if (!this.loadOnUnexpire) return false;
    if (this.acceptsScalarLoader) return true;
    return this.callable === undefined && state.callableFor(this.key) === undefined && state.manager.expiredAttributeLoader !== undefined;
  }

  /** Whether the old value is loaded before a change. */
  get activeHistory(): boolean {
    return this.dispatch.activeHistory;
  }

  /** @internal Recomputes {@link plainSet} after listeners change. */
  refreshFlags(): void {
    this.plainSet =
      !this.collection &&
      !this.trackParent &&
      this.sendModifiedEvents &&
      this.dispatch.set.length === 0 &&
      !this.dispatch.activeHistory;
  }

  toString(): string {
    return `${className(this.class_)}.${this.key}`;
  }

  /** Whether `state` has a parent through this attribute (`optimistic`: when unknown). */
  hasParent(state: InstanceState, optimistic = false): boolean {
    this.assertTracksParents();
    const flag = state.parentFor(this.parentToken);
    return (flag === undefined ? optimistic : flag) !== false;
  }

  /** Records (or clears) `parentState` as the parent of `state` through this attribute. */
  setHasParent(state: InstanceState, parentState: InstanceState, value: boolean): void {
    this.assertTracksParents();
    const token = this.parentToken;
    if (value) {
      state.parents.set(token, parentState);
      return;
    }
    const last = state.parentFor(token);
    if (last !== undefined && last !== false && !identityKeysEqual(last.key, parentState.key)) {
      // Another parent took this object over meanwhile; keep it.
      return;
    }
    state.parents.set(token, false);
  }

  private assertTracksParents(): void {
    if (!this.trackParent) {
      throw new InvalidRequestError(`This AttributeImpl is not configured to track parents (attribute ${this}).`);
    }
  }

  /** Reads the value: dict, then loaders, then the default (per `passive`). */
  get(state: InstanceState, dict: Record<string, unknown>, passive: PassiveFlag = PASSIVE_OFF): unknown {
    const key = this.key;
    if (key in dict) return dict[key];
    const committed = state.committed;
    if (committed === null || !committed.has(key) || committed.get(key) === NO_VALUE) {
      if ((passive & CALLABLES_OK) === 0) return PASSIVE_NO_RESULT;
      const value = this.fireLoaderCallables(state, passive);
      if (value === PASSIVE_NO_RESULT || value === NO_VALUE) return value;
      if (value === ATTR_WAS_SET) {
        if (key in dict) return dict[key];
        throw new LoaderError(
          `Deferred loader for attribute '${key}' of ${className(state.class_)} failed to populate correctly: ` +
            `the expiredAttributeLoader must store a value for every key it is given into state.dict.`,
        );
      }
      if (value !== ATTR_EMPTY) return this.setCommittedValue(state, dict, value);
    }
    if ((passive & INIT_OK) === 0) return NO_VALUE;
    return this.defaultValue(state, dict);
  }

  private fireLoaderCallables(state: InstanceState, passive: PassiveFlag): unknown {
    const key = this.key;
    if (state.expiredSet !== null && state.expiredSet.has(key) && this.usesExpiredLoader(state)) {
      return state.loadExpired(passive, key);
    }
    const perState = state.callableFor(key);
    if (perState !== undefined) return perState(state, passive);
    if (this.callable !== undefined) return this.callable(state, passive);
    return ATTR_EMPTY;
  }

  /** The committed value when the attribute changed, else the current one. */
  getCommittedValue(state: InstanceState, dict: Record<string, unknown>, passive: PassiveFlag = PASSIVE_OFF): unknown {
    const committed = state.committed;
    if (committed !== null && committed.has(this.key)) {
      const value = committed.get(this.key);
      return value === NO_VALUE ? undefined : value;
    }
    return this.get(state, dict, passive);
  }

  /** Stores `value` as loaded and committed: no history, no events. */
  setCommittedValue(state: InstanceState, dict: Record<string, unknown>, value: unknown): unknown {
    dict[this.key] = value;
    state.commit([this.key]);
    return value;
  }

  /** The value of an absent attribute (not stored). */
  abstract defaultValue(state: InstanceState, dict: Record<string, unknown>): unknown;
  /** Assigns a value, firing events and recording history. */
  abstract set(
    state: InstanceState,
    dict: Record<string, unknown>,
    value: unknown,
    initiator?: AttributeEventToken,
    passive?: PassiveFlag,
    checkOld?: unknown,
    pop?: boolean,
  ): void;
  /** Deletes the value, firing events and recording history. */
  abstract delete(state: InstanceState, dict: Record<string, unknown>): void;
  /** The attribute's history. */
  abstract getHistory(state: InstanceState, dict: Record<string, unknown>, passive?: PassiveFlag): History;
  /** Adds `value` (for scalars: sets it). */
  abstract append(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken, passive?: PassiveFlag): void;
  /** Removes `value` (for scalars: sets undefined if it is the current value). */
  abstract remove(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken, passive?: PassiveFlag): void;
  /** Like `remove`, but silent when `value` is not present. */
  abstract pop(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken, passive?: PassiveFlag): void;

  /** @internal Copies a collection value for `committedState` (identity for scalars). */
  copy(value: unknown): unknown {
    return value;
  }

  /** @internal Marks a collection that left the dict as invalidated (no-op for scalars). */
  invalidateCollection(_collection: unknown): void {}

  protected runListeners(list: ListenerList, args: unknown[], valueIndex: number): unknown {
    let value = args[valueIndex];
    for (const entry of list.items) {
      args[valueIndex] = value;
      value = (entry.call as (...a: unknown[]) => unknown)(...args);
    }
    return value;
  }
}

function identityKeysEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  return Object.is(a, b);
}

/** Plain values, compared by equality (`compare`, default `Object.is`) for history. */
export class ScalarAttributeImpl extends AttributeImpl {
  get collection(): boolean {
    return false;
  }
  /** False for plain scalars, true for object references. */
  get usesObjects(): boolean {
    return this instanceof ScalarObjectAttributeImpl;
  }
  /** Token of a set (also used as its append token). */
  readonly replaceToken: AttributeEventToken = new AttributeEventToken(this, "replace");
  /** Same as {@link replaceToken}. */
  readonly appendToken: AttributeEventToken = this.replaceToken;
  /** Token of a delete. */
  readonly removeToken: AttributeEventToken = new AttributeEventToken(this, "remove");

  protected defaultAcceptsScalarLoader(): boolean {
    return true;
  }

  defaultValue(state: InstanceState, dict: Record<string, unknown>): unknown {
    let value: unknown = undefined;
    for (const entry of this.dispatch.initScalar.items) {
      const ret = (entry.call as (s: InstanceState, v: unknown, d: object) => unknown)(state, value, dict);
      if (ret !== ATTR_EMPTY) value = ret;
    }
    return value;
  }

  private oldValue(state: InstanceState, dict: Record<string, unknown>): unknown {
    if (this.dispatch.activeHistory) return this.get(state, dict, PASSIVE_OFF ^ INIT_OK);
    return this.key in dict ? dict[this.key] : NO_VALUE;
  }

  set(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken): void {
    const old = this.oldValue(state, dict);
    if (this.dispatch.set.length > 0) {
      value = this.runListeners(this.dispatch.set, [state, value, old, initiator ?? this.replaceToken], 1);
    }
    state.modifiedEvent(dict, this, old);
    dict[this.key] = value;
  }

  delete(state: InstanceState, dict: Record<string, unknown>): void {
    const key = this.key;
    const old = this.oldValue(state, dict);
    // Unlike SQLAlchemy (reference §9 quirk 10), deleting nothing fires and records nothing.
    const existing = key in dict ? dict[key] : NO_VALUE;
    if (existing === NO_VALUE && old === NO_VALUE && !state.expired && !(state.expiredSet?.has(key) ?? false)) {
      throw new NoValueError(`${this} object does not have a value; it was never set (or already deleted).`);
    }
    for (const entry of this.dispatch.remove.items) (entry.call as Function)(state, old, this.removeToken);
    state.modifiedEvent(dict, this, old);
    delete dict[key];
  }

  getHistory(state: InstanceState, dict: Record<string, unknown>, passive: PassiveFlag = PASSIVE_OFF): History {
    const key = this.key;
    if (key in dict) return History.fromScalarAttribute(this, state, dict[key]);
    if (state.committed !== null && state.committed.has(key)) return History.fromScalarAttribute(this, state, NO_VALUE);
    if ((passive & INIT_OK) !== 0) passive ^= INIT_OK;
    const current = this.get(state, dict, passive);
    if (current === PASSIVE_NO_RESULT) return HISTORY_BLANK;
    return History.fromScalarAttribute(this, state, current);
  }

  append(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken): void {
    this.set(state, dict, value, initiator);
  }

  remove(state: InstanceState, dict: Record<string, unknown>, _value: unknown, initiator?: AttributeEventToken): void {
    this.set(state, dict, undefined, initiator);
  }

  pop(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken): void {
    this.remove(state, dict, value, initiator);
  }
}

const OBJECT_ACTIVE_GET = PASSIVE_ONLY_PERSISTENT | NO_AUTOFLUSH | LOAD_AGAINST_COMMITTED;
const OBJECT_PASSIVE_GET = (PASSIVE_NO_FETCH ^ INIT_OK) | LOAD_AGAINST_COMMITTED | NO_RAISE;

/** A reference to another instrumented object; history compares by identity. */
export class ScalarObjectAttributeImpl extends ScalarAttributeImpl {
  protected override defaultAcceptsScalarLoader(): boolean {
    return false;
  }

  private objectOldValue(state: InstanceState, dict: Record<string, unknown>): unknown {
    return this.get(state, dict, this.dispatch.activeHistory ? OBJECT_ACTIVE_GET : OBJECT_PASSIVE_GET);
  }

  override set(
    state: InstanceState,
    dict: Record<string, unknown>,
    value: unknown,
    initiator?: AttributeEventToken,
    _passive?: PassiveFlag,
    checkOld?: unknown,
    pop = false,
  ): void {
    const old = this.objectOldValue(state, dict);
    if (checkOld !== undefined && old !== PASSIVE_NO_RESULT && checkOld !== old) {
      if (pop) return;
      throw new InvalidRequestError(
        `Object ${instanceStr(checkOld as object)} not associated with ${instanceStr(state.obj() ?? {})} on attribute '${this.key}'.`,
      );
    }
    dict[this.key] = this.fireReplaceEvent(state, dict, value, old, initiator);
  }

  override delete(state: InstanceState, dict: Record<string, unknown>): void {
    const old = this.objectOldValue(state, dict);
    const existing = this.key in dict ? dict[this.key] : NO_VALUE;
    if (existing === NO_VALUE && old !== PASSIVE_NO_RESULT && old === NO_VALUE && state.key === undefined) {
      throw new NoValueError(`${this} object does not have a value; it was never set (or already deleted).`);
    }
    this.fireRemoveEvent(state, dict, old, this.removeToken);
    delete dict[this.key];
  }

  override getHistory(state: InstanceState, dict: Record<string, unknown>, passive: PassiveFlag = PASSIVE_OFF): History {
    let current: unknown;
    if (this.key in dict) current = dict[this.key];
    else {
      if ((passive & INIT_OK) !== 0) passive ^= INIT_OK;
      current = this.get(state, dict, passive);
      if (current === PASSIVE_NO_RESULT) return HISTORY_BLANK;
    }
    return History.fromObjectAttribute(this, state, current);
  }

  override remove(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken, passive?: PassiveFlag): void {
    this.set(state, dict, undefined, initiator, passive, value);
  }

  override pop(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken, passive?: PassiveFlag): void {
    this.set(state, dict, undefined, initiator, passive, value, true);
  }

  /** @internal Fires `remove` listeners and records the change. */
  fireRemoveEvent(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator: AttributeEventToken | undefined): void {
    if (this.trackParent && isObject(value)) this.setHasParent(instanceState(value), state, false);
    for (const entry of this.dispatch.remove.items) (entry.call as Function)(state, value, initiator ?? this.removeToken);
    state.modifiedEvent(dict, this, value);
  }

  /** @internal Fires `set` listeners, updates parent flags and records the change. */
  fireReplaceEvent(state: InstanceState, dict: Record<string, unknown>, value: unknown, previous: unknown, initiator: AttributeEventToken | undefined): unknown {
    if (this.trackParent && previous !== value && isObject(previous)) {
      this.setHasParent(instanceState(previous), state, false);
    }
    value = this.runListeners(this.dispatch.set, [state, value, previous, initiator ?? this.replaceToken], 1);
    state.modifiedEvent(dict, this, previous);
    if (this.trackParent && isObject(value)) this.setHasParent(instanceState(value), state, true);
    return value;
  }
}

function isObject(value: unknown): value is object {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    value !== NO_VALUE &&
    value !== PASSIVE_NO_RESULT
  );
}


/** Options of a collection impl. */
export interface CollectionImplOptions extends ImplOptions {
  /** Copies a collection into the array stored in `committedState` (default: its members). */
  copy?: (collection: object) => unknown[];
}

/** A list, set or map of members; history compares members by identity. */
export class CollectionAttributeImpl extends AttributeImpl {
  get collection(): boolean {
    return true;
  }
  readonly usesObjects = true;
  /** Builds an empty instrumented collection. */
  readonly factory: CollectionFactory;
  /** The shape of the collection: list, set or map. */
  readonly duckTypedAs: CollectionKind;
  /** Token of member additions. */
  readonly appendToken: AttributeEventToken = new AttributeEventToken(this, "append");
  /** Token of member removals. */
  readonly removeToken: AttributeEventToken = new AttributeEventToken(this, "remove");
  /** Token of whole-collection assignment. */
  readonly bulkReplaceToken: AttributeEventToken = new AttributeEventToken(this, "bulkReplace");
  private readonly copyFn: ((collection: object) => unknown[]) | undefined;
  /** @internal True when a first assignment may skip events: nobody listens and nothing loads (see {@link initialSet}). */
  quietInit = false;

  constructor(
    cls: Class,
    key: string,
    callable: LoaderCallable | undefined,
    dispatch: AttributeDispatch,
    factory: CollectionFactory,
    options: CollectionImplOptions,
  ) {
    super(cls, key, callable, dispatch, options);
    this.factory = factory;
    this.duckTypedAs = duckTypeCollection(factory()) ?? "list";
    this.copyFn = options.copy;
    this.refreshFlags();
  }

  override refreshFlags(): void {
    super.refreshFlags();
    const d = this.dispatch;
    this.quietInit =
      this.sendModifiedEvents &&
      !this.trackParent &&
      this.callable === undefined &&
      !d.activeHistory &&
      d.append.length === 0 &&
      d.appendWithoutMutation.length === 0 &&
      d.remove.length === 0 &&
      d.bulkReplace.length === 0 &&
      d.initCollection.length === 0 &&
      d.disposeCollection.length === 0;
  }

  /**
   * @internal The first assignment of a collection to an instance that has no state yet (a new
   * object being filled in, default-managed): when nobody listens, the instrumented collection
   * is built and filled silently, without creating the state, an empty placeholder and a bulk
   * replace. A state created later records the value as a pending addition, which gives the
   * same history as {@link set}. Returns false (nothing done) when `set` must run instead.
   */
  initialSet(owner: object, value: unknown): boolean {
    if (!this.quietInit || hasSlot(owner, this.key) || adapterOf(value) !== undefined) return false;
    if (duckTypeCollection(value) !== this.duckTypedAs) return false;
    const data = this.factory();
    const adapter = new CollectionAdapter(this, undefined, data, owner);
    if (this.duckTypedAs === "map") {
      for (const [k, v] of value as Map<unknown, unknown>) adapter.appendWithoutEvent(v, k);
    } else {
      adapter.appendMultipleWithoutEvent(value as Iterable<unknown>);
    }
    writeSlot(owner, this.key, data);
    return true;
  }

  protected defaultAcceptsScalarLoader(): boolean {
    return false;
  }

  override copy(value: unknown): unknown {
    if (this.copyFn) return this.copyFn(value as object);
    const adapter = adapterOf(value);
    if (value instanceof Map) {
      // A map's members are its values; the keys ride along (hidden) so that a rollback can
      // rebuild the map and history can tell a key rename from no change.
      const members = [...value.values()];
      Object.defineProperty(members, COPIED_MAP_KEYS, { value: [...value.keys()], enumerable: false });
      return members;
    }
    return adapter ? [...adapter] : [...(value as Iterable<unknown>)];
  }

  /**
   * @internal Puts the committed members `original` (a copy from `committedState`, or `NO_VALUE`
   * when the attribute held no collection) back without events: into the collection the
   * attribute holds when there is one, else into a fresh one.
   */
  restoreCommitted(state: InstanceState, dict: Record<string, unknown>, original: unknown): void {
    const key = this.key;
    const current = key in dict ? dict[key] : undefined;
    const currentAdapter = adapterOf(current);
    if (original === NO_VALUE || original === undefined || original === null) {
      if (key in dict) {
        delete dict[key];
        if (current !== undefined && current !== null) this.disposePreviousCollection(state, current as object, currentAdapter, false);
      }
      return;
    }
    let adapter = currentAdapter;
    if (adapter === undefined || adapter.empty) {
      const [created, data] = this.initializeCollection(state);
      dict[key] = data;
      adapter = created;
    } else {
      adapter.clearWithoutEvent();
    }
    const members = [...(original as Iterable<unknown>)];
    const mapKeys = (original as { [COPIED_MAP_KEYS]?: unknown[] })[COPIED_MAP_KEYS];
    if (mapKeys !== undefined) members.forEach((member, i) => adapter.appendWithoutEvent(member, mapKeys[i]));
    else adapter.appendMultipleWithoutEvent(members);
  }

  override invalidateCollection(collection: unknown): void {
    const adapter = adapterOf(collection);
    if (adapter) adapter.invalidated = true;
  }

  /** @internal Creates an empty collection and its adapter; fires `initCollection`. */
  initializeCollection(state: InstanceState): [CollectionAdapter, object] {
    const [adapter, data] = state.manager.initializeCollection(this.key, state, this.factory);
    for (const entry of this.dispatch.initCollection.items) (entry.call as Function)(state, data, adapter);
    return [adapter, data];
  }

  defaultValue(state: InstanceState, dict: Record<string, unknown>): unknown {
    if (this.key in dict) {
      throw new InvalidRequestError(`defaultValue() called for ${this} while a collection is present.`);
    }
    const existing = state.emptyCollectionFor(this.key);
    if (existing !== undefined) return existing;
    const [adapter, data] = this.initializeCollection(state);
    adapter.empty = true;
    state.emptyCollections.set(this.key, data);
    return data;
  }

  /** The adapter of the current collection, or `undefined` when it is not loaded and `passive` forbids loading. */
  getCollection(state: InstanceState, dict: Record<string, unknown>, userData?: unknown, passive: PassiveFlag = PASSIVE_OFF): CollectionAdapter | undefined {
    let data = userData;
    if (data === undefined) {
      data = this.get(state, dict, passive);
      if (data === PASSIVE_NO_RESULT) return undefined;
    }
    return adapterOf(data)!;
  }

  override getHistory(state: InstanceState, dict: Record<string, unknown>, passive: PassiveFlag = PASSIVE_OFF): History {
    const current = this.get(state, dict, passive);
    if (current === PASSIVE_NO_RESULT) {
      const pending = state.pendingFor(this.key);
      if ((passive & INCLUDE_PENDING_MUTATIONS) !== 0 && pending) {
        return new History(pending.addedItems, [], pending.removedItems);
      }
      return HISTORY_BLANK;
    }
    return History.fromCollection(this, state, current);
  }

  /** @internal Fires `append` listeners (which may replace the value) and records the change. */
  fireAppendEvent(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator: AttributeEventToken | undefined, key: unknown): unknown {
    const list = this.dispatch.append;
    if (list.length > 0) value = this.runListeners(list, [state, value, initiator ?? this.appendToken, key], 1);
    state.modifiedEvent(dict, this, NO_VALUE, true);
    if (this.trackParent && isObject(value)) this.setHasParent(instanceState(value), state, true);
    return value;
  }

  /** @internal Fires `appendWithoutMutation` listeners. */
  fireAppendWithoutMutationEvent(state: InstanceState, _dict: Record<string, unknown>, value: unknown, initiator: AttributeEventToken | undefined, key: unknown): void {
    for (const entry of this.dispatch.appendWithoutMutation.items) (entry.call as Function)(state, value, initiator ?? this.appendToken, key);
  }

  /** @internal Records the "before" copy ahead of a pop. */
  firePreRemoveEvent(state: InstanceState, dict: Record<string, unknown>): void {
    state.modifiedEvent(dict, this, NO_VALUE, true);
  }

  /** @internal Fires `remove` listeners and records the change. */
  fireRemoveEvent(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator: AttributeEventToken | undefined, key: unknown): void {
    if (this.trackParent && isObject(value)) this.setHasParent(instanceState(value), state, false);
    for (const entry of this.dispatch.remove.items) (entry.call as Function)(state, value, initiator ?? this.removeToken, key);
    state.modifiedEvent(dict, this, NO_VALUE, true);
  }

  delete(state: InstanceState, dict: Record<string, unknown>): void {
    if (!(this.key in dict)) return;
    state.modifiedEvent(dict, this, NO_VALUE, true);
    const collection = dict[this.key];
    adapterOf(collection)?.clearWithEvent();
    delete dict[this.key];
  }

  append(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken, passive: PassiveFlag = PASSIVE_OFF): void {
    const adapter = this.getCollection(state, dict, undefined, passive);
    if (adapter === undefined) {
      value = this.fireAppendEvent(state, dict, value, initiator, NO_KEY);
      this.pendingCollection(state).append(value);
    } else {
      adapter.appendWithEvent(value, initiator);
    }
  }

  remove(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken, passive: PassiveFlag = PASSIVE_OFF): void {
    const adapter = this.getCollection(state, dict, undefined, passive);
    if (adapter === undefined) {
      this.fireRemoveEvent(state, dict, value, initiator, NO_KEY);
      this.pendingCollection(state).remove(value);
    } else {
      adapter.removeWithEvent(value, initiator);
    }
  }

  pop(state: InstanceState, dict: Record<string, unknown>, value: unknown, initiator?: AttributeEventToken, passive: PassiveFlag = PASSIVE_OFF): void {
    try {
      this.remove(state, dict, value, initiator, passive);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }

  private pendingCollection(state: InstanceState): PendingCollection {
    let pending = state.pendingFor(this.key);
    if (pending === undefined) {
      pending = new PendingCollection();
      state.pendingMutations.set(this.key, pending);
    }
    return pending;
  }

  /** Bulk replace: assigning a whole collection (an array, Set or Map, or an instrumented one). */
  set(state: InstanceState, dict: Record<string, unknown>, value: unknown, _initiator?: AttributeEventToken, passive: PassiveFlag = PASSIVE_OFF): void {
    const given = value;
    const givenAdapter = adapterOf(value);
    let iterable: Iterable<unknown>;
    let newKeys: unknown[] | undefined;
    if (givenAdapter !== undefined && duckTypeCollection(value) === this.duckTypedAs) {
      iterable = [...givenAdapter];
      if (this.duckTypedAs === "map") newKeys = [...(value as Map<unknown, unknown>).keys()];
    } else {
      const settingType = duckTypeCollection(value);
      if (settingType !== this.duckTypedAs) {
        const givenName = value === null ? "null" : value === undefined ? "undefined" : className((value as object).constructor);
        throw new CollectionTypeError(
          `Incompatible collection type: ${givenName} is not ${this.duckTypedAs}-like (assigned to ${this}).`,
        );
      }
      if (settingType === "map") {
        newKeys = [...(value as Map<unknown, unknown>).keys()];
        iterable = (value as Map<unknown, unknown>).values();
      } else {
        iterable = value as Iterable<unknown>;
      }
    }
    const newValues = [...iterable];
    const token = this.bulkReplaceToken;
    for (const entry of this.dispatch.bulkReplace.items) (entry.call as Function)(state, newValues, token, newKeys);
    // An expired collection is not loaded just to be replaced: the assigned value wins over
    // whatever a load would bring (and an asynchronous loader could not serve this write).
    const oldPassive = state.expiredSet?.has(this.key) ? PASSIVE_NO_FETCH ^ INIT_OK : PASSIVE_ONLY_PERSISTENT ^ (passive & NO_RAISE);
    let old = this.get(state, dict, oldPassive);
    if (old === PASSIVE_NO_RESULT) old = this.defaultValue(state, dict);
    else if (old === given) return;
    const [newAdapter, data] = this.initializeCollection(state);
    state.modifiedEvent(dict, this, old, true);
    const oldAdapter = adapterOf(old);
    const hadOld = this.key in dict;
    dict[this.key] = data;
    try {
      bulkReplace(newValues, oldAdapter, newAdapter, token, newKeys);
    } catch (error) {
      // All or nothing: a listener that throws midway leaves the old collection in place.
      if (hadOld) dict[this.key] = old;
      else delete dict[this.key];
      newAdapter.unlink();
      throw error;
    }
    this.disposePreviousCollection(state, old as object, oldAdapter, true);
  }

  /** @internal Unlinks a collection that was replaced; fires `disposeCollection`. */
  disposePreviousCollection(state: InstanceState, collection: object, adapter: CollectionAdapter | undefined, fireEvent: boolean): void {
    adapter?.unlink();
    const empties = state.emptyCollectionFor(this.key);
    if (empties !== undefined) state.emptyCollections.delete(this.key);
    if (fireEvent) {
      for (const entry of this.dispatch.disposeCollection.items) (entry.call as Function)(state, collection, adapter);
    }
  }

  override setCommittedValue(state: InstanceState, dict: Record<string, unknown>, value: unknown): unknown {
    const [adapter, data] = this.initializeCollection(state);
    if (value !== undefined && value !== null) {
      if (this.duckTypedAs === "map" && value instanceof Map) {
        for (const [k, v] of value) adapter.appendWithoutEvent(v, k);
      } else {
        adapter.appendMultipleWithoutEvent(value as Iterable<unknown>);
      }
    }
    dict[this.key] = data;
    state.commit([this.key]);
    const pending = state.pendingFor(this.key);
    if (pending !== undefined) {
      state.modifiedEvent(dict, this, data, true);
      state.pendingMutations.delete(this.key);
      for (const item of pending.addedItems) adapter.appendWithoutEvent(item);
      for (const item of pending.removedItems) adapter.removeWithoutEvent(item);
    }
    return data;
  }
}


/**
 * The public descriptor of one attribute of one class: the target of attribute events and the
 * handle to its impl. `V` is the attribute's value type (phantom; used by typed listeners).
 */
export class InstrumentedAttribute<T extends object = object, V = unknown> {
  /** The class the attribute belongs to. */
  readonly class_: Class<T>;
  /** The attribute name. */
  readonly key: string;
  private implValue: AttributeImpl | undefined = undefined;
  /**
   * @internal The bit the generated setters test in an instance's dirty word: its impl's
   * `fastBit` (0 without an impl), kept here so that a write loads one field of the descriptor.
   */
  fastBit = 0;

  /** The behaviour; set once registration completes. */
  get impl(): AttributeImpl | undefined {
    return this.implValue;
  }

  set impl(impl: AttributeImpl | undefined) {
    this.implValue = impl;
    this.fastBit = impl === undefined ? 0 : impl.fastBit;
    impl?.addHolder(this as unknown as InstrumentedAttribute);
  }
  /** The attribute's event listeners. */
  readonly dispatch: AttributeDispatch = new AttributeDispatch();
  /** @internal Phantom marker of the value type. */
  declare readonly valueType?: V;
  /** @internal Build-time generated accessor factory (see `registerAttribute`'s `accessor`). */
  accessorFactory: AccessorFactory | undefined = undefined;

  constructor(cls: Class<T>, key: string) {
    this.class_ = cls;
    this.key = key;
    const manager = lookups.optManagerOfClass(cls);
    if (manager) {
      for (const base of manager.bases) {
        const inherited = base.get(key);
        if (inherited === undefined) continue;
        for (const name of ATTRIBUTE_EVENT_NAMES) {
          for (const entry of inherited.dispatch.list(name).propagating()) this.dispatch.list(name).add(entry);
        }
        if (inherited.dispatch.activeHistory) this.dispatch.activeHistory = true;
      }
    }
  }

  toString(): string {
    return `${className(this.class_)}.${this.key}`;
  }

  /** The attribute's history on `obj`. */
  getHistory(obj: T, passive: PassiveFlag = PASSIVE_OFF): History {
    return this.requireImpl().getHistory(instanceState<object>(obj), instanceDict(obj), passive);
  }

  /** Whether `state` has a parent through this attribute. */
  hasParent(state: InstanceState, optimistic = false): boolean {
    return this.requireImpl().hasParent(state, optimistic);
  }

  /** @internal The impl, or an error naming the attribute when registration did not finish. */
  requireImpl(): AttributeImpl {
    if (this.impl === undefined) throw new InvalidRequestError(`Attribute ${this} has no implementation yet.`);
    return this.impl;
  }
}
