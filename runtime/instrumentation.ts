/**
 * The class layer (port of `orm/instrumentation.py`): one {@link ClassManager} per instrumented
 * class, the {@link InstrumentationFactory} that creates managers, and `registerClass` /
 * `unregisterClass`. A manager maps attribute names to descriptors, installs and removes them on
 * the class, propagates attributes to subclasses, and creates instance states.
 *
 * Collaborators: `state.ts` (InstanceState), `attributes.ts` (InstrumentedAttribute, impls),
 * `collections.ts` (collection factories), `dispatch.ts` (listener storage), `lookups.ts`.
 *
 * JavaScript differences from SQLAlchemy, by design:
 * - A class cannot enumerate its subclasses, so propagation reaches the subclasses that have a
 *   manager; a subclass gets one when it is registered, when an instance of it gets a state, or
 *   when one of its own subclasses is registered (so the chain of managers has no gaps).
 * - Descriptors are accessors on the class's prototype; members are installed on the prototype.
 * - The constructor cannot be swapped after the fact: `init` / `initFailure` fire for classes
 *   rewritten by the transformer or wrapped by `@mapped`, not for `registerClass` alone. For those,
 *   a state is created lazily, on first attribute access or `instanceState(obj)`.
 */
import { MANAGER_ATTR, STATE_ATTR, DICT_ATTR, DIRTY_ATTR, SELF_ATTR, className, describeValue, unknownAttributeMessage, emitWarning, hasOwn, isSubclass, type Class, type PassiveFlag } from "./base.js";
import {
  type ListenerEntry,
  InstanceDispatch,
  INSTANCE_EVENT_NAMES,
  heldInstanceListeners,
  instrumentationListeners,
  type InstrumentationEventName,
} from "./dispatch.js";
import { ArgumentError, InvalidRequestError, ReservedAttributeError } from "./errors.js";
import { lookups, defaultOptManagerOfClass, defaultInstanceState, defaultInstanceDict, unmappedClass } from "./lookups.js";
import { readSlot } from "./slots.js";
import { InstanceState } from "./state.js";
import type { AttributeImpl, InstrumentedAttribute } from "./attributes.js";
import { accessorFor } from "./accessors.js";
import { isRuntimePathClass, runtimePathHooks } from "./construct.js";
import { CollectionAdapter, prepareInstrumentation, type CollectionClass, type CollectionFactory } from "./collections.js";

/** Loads expired attributes into `state.dict`; may return a Promise (see `loadExpired`). */
export type ExpiredAttributeLoader<T extends object = object> = {
  // Method syntax makes the parameter bivariant, so a loader typed for a subclass fits its base.
  bivariant(state: InstanceState<T>, keys: ReadonlySet<string>, passive: PassiveFlag): void | Promise<void>;
}["bivariant"];

/** Options of {@link registerClass}. */
export interface RegisterClassOptions<T extends object = object> {
  /** Finish registration: fire `classInstrument`. Default true. */
  finalize?: boolean;
  /** The loader that refreshes expired attributes. */
  expiredAttributeLoader?: ExpiredAttributeLoader<T>;
}

/** Something that builds a manager for a class: `ClassManager` itself or a user hook. */
export type ManagerFactory = (new (cls: Class) => ClassManager) | ((cls: Class) => unknown);

/** Marks a member that did not exist on the prototype before `installMember`. */
export const DEL_ATTR: unique symbol = Symbol("DEL_ATTR") as never;

/** What `installMember` replaced: the prototype's own property descriptor, or {@link DEL_ATTR}. */
export type OriginalMember = PropertyDescriptor | typeof DEL_ATTR;

/** Reads an instance's state (or `undefined` when it has none). */
export type StateGetter = (instance: object) => InstanceState | undefined;
/** Reads an instance's dict. */
export type DictGetter = (instance: object) => Record<string, unknown>;
/** Reads a class's manager (throwing when it has none). */
export type ManagerGetter = (cls: unknown) => ClassManager;

const MAX_FAST_BITS = 30;

function ownManagerOfClass(cls: unknown): ClassManager {
  const manager = defaultOptManagerOfClass(cls);
  if (manager === undefined) throw unmappedClass(cls);
  return manager;
}

const managerRefs = new Set<WeakRef<ClassManager>>();

/** @internal Every manager still registered (classes collected since drop out). */
export function* liveManagers(): IterableIterator<ClassManager> {
  for (const ref of managerRefs) {
    const manager = ref.deref();
    if (manager === undefined) managerRefs.delete(ref);
    else yield manager;
  }
}

/**
 * Per-class instrumentation: the map of every attribute visible on the class (inherited and
 * propagated ones included) plus the machinery to install them and to create instance states.
 */
export class ClassManager<T extends object = object> extends Map<string, InstrumentedAttribute<T>> {
  /** Key of the instance state on instances. */
  static readonly STATE_ATTR: typeof STATE_ATTR = STATE_ATTR;
  /** Key of the manager on classes. */
  static readonly MANAGER_ATTR: typeof MANAGER_ATTR = MANAGER_ATTR;

  /** The managed class. */
  readonly class_: Class<T>;
  /** The factory that produced this manager (set by the instrumentation factory). */
  factory: ManagerFactory | undefined = undefined;
  /** Free-form user data; cleared by `unregister`. */
  info: Record<string, unknown> = {};
  /** Instance-event listeners of this class. */
  dispatch: InstanceDispatch = new InstanceDispatch();
  /** Attributes registered on this class itself (not propagated ones). */
  readonly localAttrs: Map<string, InstrumentedAttribute<T>> = new Map();
  /** Members replaced by `installMember`, restored by `uninstallMember`; first replacement wins. */
  readonly originals: Map<PropertyKey, OriginalMember> = new Map();
  /** Loader for expired attributes; `undefined` until configured. */
  expiredAttributeLoader: ExpiredAttributeLoader<T> | undefined = undefined;
  /** Managers of the direct base class (zero or one in JavaScript). */
  bases: readonly ClassManager[];
  /** @internal Whether registration finished (`classInstrument` fired). */
  finalized = false;
  /** @internal Constructions need no frame while nobody listens to `init` / `initFailure` (transformer-built, default-managed classes). */
  framelessConstruction = false;
  /** @internal Managers of direct subclasses. */
  readonly subclasses: Set<ClassManager> = new Set();
  /** @internal Fast-path bits ever handed out in this hierarchy branch (never reused). */
  usedBits = 0;
  /** @internal Prototype descriptors that `installDescriptor` replaced. */
  private readonly replacedDescriptors = new Map<string, PropertyDescriptor>();
  private memo: ManagerMemo | undefined = undefined;
  private readonly ref: WeakRef<ClassManager>;

  constructor(cls: Class<T>) {
    super();
    this.class_ = cls;
    const base = baseManagerFor(cls);
    this.bases = base ? [base] : [];
    if (base) {
      for (const [key, attr] of base) this.set(key, attr as unknown as InstrumentedAttribute<T>);
      this.usedBits = base.usedBits;
    }
    this.applyHeldListeners();
    this.manage();
    if (base) base.subclasses.add(this as unknown as ClassManager);
    this.ref = new WeakRef(this as unknown as ClassManager);
    managerRefs.add(this.ref);
    this.adoptOrphanSubclasses();
  }

  /**
   * Subclasses instrumented before this class had no base manager; link them now (creating the
   * managers of classes in between), so that attributes registered here reach them.
   */
  private adoptOrphanSubclasses(): void {
    const proto = this.class_.prototype as object;
    for (const m of liveManagers()) {
      if ((m as unknown) === this || m.bases.length > 0 || !proto.isPrototypeOf(m.class_.prototype)) continue;
      const base = baseManagerFor(m.class_);
      if (base === undefined || m.bases.length > 0) continue;
      m.bases = [base];
      base.subclasses.add(m);
      m.usedBits |= base.usedBits;
      for (const [key, attr] of base) m.instrumentAttribute(key, attr, true);
    }
  }

  /** Deprecated alias of {@link expiredAttributeLoader}. */
  get deferredScalarLoader(): ExpiredAttributeLoader<T> | undefined {
    warnDeferredScalarLoader();
    return this.expiredAttributeLoader;
  }

  set deferredScalarLoader(loader: ExpiredAttributeLoader<T> | undefined) {
    warnDeferredScalarLoader();
    this.expiredAttributeLoader = loader;
  }

  /** The attribute descriptors of the class. */
  get attributes(): IterableIterator<InstrumentedAttribute<T>> {
    return this.values();
  }

  /** True once the class has been registered with `finalize` (directly, or by `@mapped`). */
  get isMapped(): boolean {
    return this.finalized;
  }

  override toString(): string {
    return `<ClassManager of ${className(this.class_)}>`;
  }

  /** Stores this manager on the class. */
  manage(): void {
    Object.defineProperty(this.class_, MANAGER_ATTR, { value: this, configurable: true, writable: true, enumerable: false });
  }

  /** Removes this manager from the class (the part of `unregister` that forgets the class). */
  dispose(): void {
    if (hasOwn(this.class_, MANAGER_ATTR) && (this.class_ as { [MANAGER_ATTR]?: unknown })[MANAGER_ATTR] === this) {
      delete (this.class_ as { [MANAGER_ATTR]?: unknown })[MANAGER_ATTR];
    }
  }

  /** Tears the manager down: members restored, local attributes removed, manager removed. */
  unregister(): void {
    for (const key of [...this.originals.keys()]) this.uninstallMember(key);
    this.dispatch = new InstanceDispatch();
    this.info = {};
    const keys = [...this.localAttrs.keys()];
    const getDict = this.dictGetter();
    for (const key of keys) this.uninstrumentAttribute(key);
    keepValuesReadable(this.class_, keys, getDict);
    const proto = this.class_.prototype as object;
    if (hasOwn(proto, DIRTY_ATTR)) delete (proto as { [DIRTY_ATTR]?: number })[DIRTY_ATTR];
    this.dispose();
    for (const base of this.bases) base.subclasses.delete(this as unknown as ClassManager);
    for (const sub of this.subclasses) sub.bases = sub.bases.filter((b) => (b as unknown) !== this);
    this.subclasses.clear();
    managerRefs.delete(this.ref);
    this.finalized = false;
  }

  /** The function that finds a class's manager: its own `MANAGER_ATTR` (never the swapped lookups). */
  managerGetter(): ManagerGetter {
    return ownManagerOfClass;
  }

  /** The function that finds an instance's state. */
  stateGetter(): StateGetter {
    return defaultInstanceState;
  }

  /** The function that finds an instance's dict. */
  dictGetter(): DictGetter {
    return defaultInstanceDict;
  }

  /**
   * @internal Whether instances keep their values in slots on themselves (the default storage,
   * see `slots.ts`); false when a custom manager finds states or dicts elsewhere.
   */
  storesInSlots(): boolean {
    return this.stateGetter() === defaultInstanceState && this.dictGetter() === defaultInstanceDict;
  }

  /** Adds an attribute to this manager and, propagated, to every subclass manager. */
  instrumentAttribute(key: string, attr: InstrumentedAttribute<T>, propagated = false): void {
    checkReserved(key, this.class_);
    if (propagated) {
      if (this.localAttrs.has(key)) return;
    } else {
      this.localAttrs.set(key, attr);
      this.installDescriptor(key, attr);
    }
    this.memo = undefined;
    this.set(key, attr);
    if (attr.impl) this.checkBit(key, attr.impl);
    for (const sub of this.subclasses) sub.instrumentAttribute(key, attr as unknown as InstrumentedAttribute, true);
  }

  /** Removes an attribute from this manager and the subclass managers that inherited it. */
  uninstrumentAttribute(key: string, propagated = false): void {
    if (!this.has(key)) return;
    if (propagated) {
      if (this.localAttrs.has(key)) return;
    } else {
      this.localAttrs.delete(key);
      this.uninstallDescriptor(key);
    }
    this.memo = undefined;
    this.delete(key);
    for (const sub of this.subclasses) sub.uninstrumentAttribute(key, true);
  }

  /** Called once an attribute's impl exists: fires `attributeInstrument`. */
  postConfigureAttribute(key: string): void {
    const attr = this.get(key);
    if (attr) fireInstrumentationEvent("attributeInstrument", this.class_, [this.class_, key, attr]);
  }

  /** Managers of the direct subclasses; all descendants (pre-order) when `recursive`. */
  *subclassManagers(recursive: boolean): IterableIterator<ClassManager> {
    for (const sub of this.subclasses) {
      yield sub;
      if (recursive) yield* sub.subclassManagers(true);
    }
  }

  /** Puts the attribute's accessor on the class's prototype. */
  installDescriptor(key: string, attr: InstrumentedAttribute<T>): void {
    checkReserved(key, this.class_);
    const proto = this.class_.prototype as object;
    const previous = Object.getOwnPropertyDescriptor(proto, key);
    if (previous && !isInstalledAccessor(previous) && !this.replacedDescriptors.has(key)) {
      this.replacedDescriptors.set(key, previous);
    }
    Object.defineProperty(proto, key, accessorFor(attr as unknown as InstrumentedAttribute));
    // New instances inherit the dirty word of a stateless object (every write a plain store); a
    // state defines the instance's own, non-enumerable word. So a spread copies no dirty word.
    // The runtime path keeps an own word: its first write must reach the slow path (early init).
    if (!hasOwn(proto, DIRTY_ATTR) && this.storesInSlots() && !isRuntimePathClass(this.class_)) {
      Object.defineProperty(proto, DIRTY_ATTR, { value: -1, writable: true, configurable: true, enumerable: false });
    }
  }

  /** Removes the attribute's accessor, restoring whatever it replaced. */
  uninstallDescriptor(key: string): void {
    const proto = this.class_.prototype as object;
    const previous = this.replacedDescriptors.get(key);
    this.replacedDescriptors.delete(key);
    if (previous) Object.defineProperty(proto, key, previous);
    else delete (proto as Record<string, unknown>)[key];
  }

  /** Installs a member on the prototype, remembering the original for `uninstallMember`. */
  installMember(key: PropertyKey, implementation: unknown): void {
    checkReserved(key, this.class_);
    const proto = this.class_.prototype as object;
    if (!this.originals.has(key)) {
      this.originals.set(key, Object.getOwnPropertyDescriptor(proto, key) ?? DEL_ATTR);
    }
    Object.defineProperty(proto, key, { value: implementation, configurable: true, writable: true, enumerable: false });
  }

  /** Restores the member `installMember` replaced (a key never installed is left alone). */
  uninstallMember(key: PropertyKey): void {
    if (!this.originals.has(key)) return;
    const original = this.originals.get(key)!;
    this.originals.delete(key);
    const proto = this.class_.prototype as Record<PropertyKey, unknown>;
    if (original === DEL_ATTR) delete proto[key];
    else Object.defineProperty(proto, key, original);
  }

  /** Returns the factory of instrumented collections for `collectionClass`. */
  instrumentCollectionClass(_key: string, collectionClass: CollectionClass): CollectionFactory {
    return prepareInstrumentation(collectionClass);
  }

  /** Creates an empty collection for `key` and its adapter. */
  initializeCollection(key: string, state: InstanceState, factory: CollectionFactory): [CollectionAdapter, object] {
    const data = factory();
    const adapter = new CollectionAdapter(this.getImpl(key), state, data);
    return [adapter, data];
  }

  /** Whether `key` is an attribute of this class (`search`: inherited ones count too). */
  isInstrumented(key: string, search = false): boolean {
    return search ? this.has(key) : this.localAttrs.has(key);
  }

  /** The impl of attribute `key`. */
  getImpl(key: string): AttributeImpl {
    const attr = this.get(key);
    if (attr === undefined || attr.impl === undefined) {
      throw new InvalidRequestError(unknownAttributeMessage(this.class_, key, this.keys()));
    }
    return attr.impl;
  }

  /** An instance whose constructor did not run, with `state` (or a new one) attached. */
  newInstance(state?: InstanceState<T>): T {
    const instance = Object.create(this.class_.prototype as object) as T;
    this.setupInstance(instance, state);
    return instance;
  }

  /**
   * Attaches `state` (or a new one) to an existing instance, replacing any previous state. A new
   * state for an instance that already holds values records them as pending additions.
   */
  setupInstance(instance: T, state?: InstanceState<T>): InstanceState<T> {
    const s = state ?? new InstanceState<T>(instance, this);
    s.attach(instance);
    // Non-enumerable, so `{ ...obj }`, `Object.assign` and clones never carry the state. Defining
    // it costs more than an assignment, but a state is made once per instance, on first need.
    Object.defineProperty(instance, STATE_ATTR, { value: s, writable: true, configurable: true, enumerable: false });
    if (state === undefined) s.adoptPendingValues(instance);
    else s.syncDirtyWord(instance);
    return s;
  }

  /** Removes the instance's state. */
  teardownInstance(instance: T): void {
    if (hasOwn(instance, STATE_ATTR)) (instance as { [STATE_ATTR]?: unknown })[STATE_ATTR] = undefined;
  }

  /** Whether the instance has a state. */
  hasState(instance: T): boolean {
    return defaultInstanceState(instance) !== undefined;
  }

  /** Whether the parent-tracking attribute `key` records a parent for `state`. */
  hasParent(state: InstanceState, key: string, optimistic = false): boolean {
    return this.getImpl(key).hasParent(state, optimistic);
  }

  /**
   * @internal Creates the instance's state unless it has one (SQLAlchemy `_new_state_if_none`).
   * An instance of a subclass gets a state from its own class's manager (created, unfinalized,
   * when needed) — the intended behaviour behind reference §9 quirk 12.
   */
  newStateIfNone(instance: T): InstanceState<T> | undefined {
    if (this.hasState(instance)) return undefined;
    const cls = (Object.getPrototypeOf(instance) as { constructor?: Class<T> } | null)?.constructor;
    if (cls !== undefined && cls !== this.class_ && typeof cls === "function" && this.class_.prototype.isPrototypeOf(instance)) {
      const own = registerClass(cls, { finalize: false });
      if ((own as unknown) !== this) return own.newStateIfNone(instance) as InstanceState<T> | undefined;
    }
    return this.setupInstance(instance);
  }

  /** @internal Derived key sets, recomputed after any attribute change. */
  get memoized(): ManagerMemo {
    return (this.memo ??= computeMemo(this as unknown as ClassManager));
  }

  /** @internal Finishes registration (idempotent): fires `classInstrument`. */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    fireInstrumentationEvent("classInstrument", this.class_, [this.class_]);
  }

  /** @internal Applies `registerClass` options. */
  updateState(options: RegisterClassOptions<T>): void {
    if (options.expiredAttributeLoader) this.expiredAttributeLoader = options.expiredAttributeLoader;
    if (options.finalize !== false) this.finalize();
  }

  /**
   * @internal Hands out a fast-path bit for a new impl: one not used by any attribute of this
   * manager or of its subclass managers (bits are never reused, so stale bits never match).
   */
  allocateBit(impl: AttributeImpl): void {
    const managers = [this as unknown as ClassManager, ...this.subclassManagers(true)];
    let used = 0;
    for (const m of managers) used |= m.usedBits;
    let bit = 0;
    for (let i = 0; i < MAX_FAST_BITS; i++) {
      if ((used & (1 << i)) === 0) {
        bit = 1 << i;
        break;
      }
    }
    impl.bit = bit;
    if (bit !== 0) for (const m of managers) m.usedBits |= bit;
  }

  /** Disables an impl's fast-path bit if another attribute of this manager already uses it. */
  private checkBit(key: string, impl: AttributeImpl): void {
    if (impl.bit === 0) return;
    for (const [other, attr] of this) {
      if (other !== key && attr.impl !== undefined && attr.impl !== impl && attr.impl.bit === impl.bit) {
        impl.bit = 0;
        return;
      }
    }
    this.usedBits |= impl.bit;
  }

  private applyHeldListeners(): void {
    // Held listeners (registered on this class or, propagating, on an ancestor before it had a
    // manager), then propagating listeners of ancestor managers.
    const chain: Function[] = [];
    for (let c: unknown = this.class_; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
      chain.push(c as Function);
    }
    chain.forEach((c, depth) => {
      for (const held of heldInstanceListeners.get(c) ?? []) {
        if (depth === 0 || held.entry.propagate) this.dispatch.list(held.name).add(held.entry);
      }
      if (depth > 0) {
        const m = lookups.optManagerOfClass(c);
        if (m) {
          for (const name of INSTANCE_EVENT_NAMES) {
            for (const entry of m.dispatch.list(name).propagating()) this.dispatch.list(name).add(entry);
          }
        }
      }
    });
  }
}

/** @internal Key sets derived from a manager's attributes (SQLAlchemy's memoized sets). */
export interface ManagerMemo {
  readonly allKeys: ReadonlySet<string>;
  readonly collectionKeys: ReadonlySet<string>;
  readonly scalarLoaderKeys: ReadonlySet<string>;
}

function computeMemo(manager: ClassManager): ManagerMemo {
  const allKeys = new Set<string>();
  const collectionKeys = new Set<string>();
  const scalarLoaderKeys = new Set<string>();
  for (const [key, attr] of manager) {
    allKeys.add(key);
    if (attr.impl?.collection) collectionKeys.add(key);
    if (attr.impl?.acceptsScalarLoader) scalarLoaderKeys.add(key);
  }
  return { allKeys, collectionKeys, scalarLoaderKeys };
}

/** Every get and set of the deprecated alias warns, as in SQLAlchemy. */
function warnDeferredScalarLoader(): void {
  emitWarning("ClassManager.deferredScalarLoader is now named expiredAttributeLoader", "DeprecationWarning");
}

function checkReserved(key: PropertyKey, cls: Function): void {
  if (key === STATE_ATTR || key === MANAGER_ATTR || key === DICT_ATTR || key === DIRTY_ATTR || key === SELF_ATTR) {
    throw new ReservedAttributeError(
      `${String(key)}: requested attribute name on ${className(cls)} conflicts with the instrumentation attribute ` +
        `of the same name; choose another name.`,
    );
  }
}

/**
 * After `unregisterClass`, instances made while the class was instrumented still hold their
 * values in their dicts, and the prototype no longer has the accessors that read them. The
 * prototype itself is restored exactly; a link inserted above it (between the prototype and its
 * parent) serves those keys instead: a read returns the value the instance held, a write makes
 * the value an ordinary own property. Instances created afterwards get own properties from
 * their field initializers, which shadow the link, so they behave as plain objects.
 */
function keepValuesReadable(cls: Function, keys: readonly string[], getDict: DictGetter): void {
  if (keys.length === 0) return;
  const proto = cls.prototype as object;
  const link = Object.create(Object.getPrototypeOf(proto) as object | null) as object;
  for (const key of keys) {
    Object.defineProperty(link, key, {
      configurable: true,
      enumerable: false,
      get(this: object) {
        if (getDict === defaultInstanceDict) return readSlot(this, key);
        const dict = getDict(this) as Record<PropertyKey, unknown> | undefined;
        return dict !== undefined && dict !== null && key in dict ? dict[key] : undefined;
      },
      set(this: object, value: unknown) {
        Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
      },
    });
  }
  Object.setPrototypeOf(proto, link);
}

function isInstalledAccessor(descriptor: PropertyDescriptor): boolean {
  return typeof descriptor.get === "function" && (descriptor.get as { instrumented?: boolean }).instrumented === true;
}

/** The manager of the nearest instrumented ancestor's chain, creating gap managers as needed. */
function baseManagerFor(cls: Function): ClassManager | undefined {
  const base = Object.getPrototypeOf(cls) as unknown;
  if (typeof base !== "function" || base === Function.prototype) return undefined;
  const existing = lookups.optManagerOfClass(base);
  if (existing) return existing;
  // Only bridge the gap when some further ancestor is instrumented.
  for (let c: unknown = Object.getPrototypeOf(base); typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (lookups.optManagerOfClass(c)) return registerClass(base as Class, { finalize: false });
  }
  return undefined;
}

/**
 * Creates managers and tears them down. The two hooks are what the extension overrides to
 * support user-defined instrumentation managers.
 */
export class InstrumentationFactory {
  /** Builds (and stores on the class) a manager for a class that has none. */
  createManagerForCls<T extends object>(cls: Class<T>): ClassManager<T> {
    if (cls === null || cls === undefined) throw new TypeError("createManagerForCls() needs a class");
    const [extended, extendedFactory] = this.locateExtendedFactory(cls);
    let manager: ClassManager<T>;
    let factory: ManagerFactory;
    if (extendedFactory === undefined || extended === undefined) {
      factory = ClassManager as unknown as ManagerFactory;
      manager = new ClassManager<T>(cls);
    } else {
      factory = extendedFactory;
      manager = extended as unknown as ClassManager<T>;
    }
    this.checkConflicts(cls, factory);
    manager.factory = factory;
    return manager;
  }

  /** Hook: a user-defined manager and its factory for `cls`, or `[undefined, undefined]`. */
  locateExtendedFactory(_cls: Class): [ClassManager, ManagerFactory] | [undefined, undefined] {
    return [undefined, undefined];
  }

  /** Hook: throws when `factory` conflicts with instrumentation elsewhere in the hierarchy. */
  checkConflicts(_cls: Class, _factory: ManagerFactory): void {}

  /** Tears down the class's manager, then fires `classUninstrument`. */
  unregister(cls: Class): void {
    const manager = lookups.managerOfClass(cls);
    manager.unregister();
    fireInstrumentationEvent("classUninstrument", cls, [cls]);
  }
}

const factoryHolder: { current: InstrumentationFactory } = { current: new InstrumentationFactory() };

/** The factory in force (the default one, or the extended registry once installed). */
export function getInstrumentationFactory(): InstrumentationFactory {
  return factoryHolder.current;
}

/** @internal Replaces the factory in force (used by the extension). */
export function setInstrumentationFactory(factory: InstrumentationFactory): void {
  factoryHolder.current = factory;
}

/** Instruments `cls` (idempotent: the same manager on repeat) and returns its manager. */
export function registerClass<T extends object>(cls: Class<T>, options: RegisterClassOptions<T> = {}): ClassManager<T> {
  if (typeof cls !== "function" || typeof (cls as { prototype?: unknown }).prototype !== "object") {
    throw new ArgumentError(
      `registerClass() takes a class (a constructor function), got ${describeValue(cls)}; pass the class itself, e.g. registerClass(User), not an instance or a plain object.`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`registerClass(${className(cls)}, options): options must be an object such as { expiredAttributeLoader }, got ${describeValue(options)}.`);
  }
  if (options.expiredAttributeLoader !== undefined && typeof options.expiredAttributeLoader !== "function") {
    throw new ArgumentError(`registerClass(${className(cls)}): expiredAttributeLoader must be a function (state, keys, passive) => void | Promise<void>.`);
  }
  let manager = lookups.optManagerOfClass(cls) as unknown as ClassManager<T> | undefined;
  if (manager === undefined) manager = getInstrumentationFactory().createManagerForCls(cls);
  manager.updateState(options);
  return manager;
}

/** Tears down `cls`'s manager; `UnmappedClassError` if it has none. */
export function unregisterClass(cls: Class): void {
  getInstrumentationFactory().unregister(cls);
}

/** The class's own manager; `UnmappedClassError` if it has none (never a superclass's). */
export function managerOfClass<T extends object>(cls: Class<T>): ClassManager<T> {
  return lookups.managerOfClass(cls) as unknown as ClassManager<T>;
}

/** The class's own manager, or `undefined`. */
export function optManagerOfClass<T extends object>(cls: Class<T>): ClassManager<T> | undefined {
  return lookups.optManagerOfClass(cls) as unknown as ClassManager<T> | undefined;
}

/** Whether `key` is an attribute (local or inherited) of `obj`'s class. */
export function isInstrumented(obj: object, key: string): boolean {
  runtimePathHooks.absorb?.(obj); // the runtime path of @mapped: fields left as own properties
  const cls = (Object.getPrototypeOf(obj) as { constructor?: unknown } | null)?.constructor;
  return lookups.managerOfClass(cls).isInstrumented(key, true);
}

/** @internal Fires an instrumentation event for `cls` to every listener whose target covers it. */
export function fireInstrumentationEvent(name: InstrumentationEventName, cls: Function, args: unknown[]): void {
  const list = instrumentationListeners[name];
  for (const entry of [...list]) {
    const target = entry.target.deref();
    if (target === undefined) {
      list.splice(list.indexOf(entry), 1);
      continue;
    }
    const applies = entry.propagate ? isSubclass(cls, target) : cls === target;
    if (applies) (entry.call as (...a: unknown[]) => void)(...args);
  }
}

/** @internal The listener entries used by `applyHeldListeners` (re-exported for events.ts). */
export type { ListenerEntry };
