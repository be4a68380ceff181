/**
 * Alternate instrumentation (port of `sqlalchemy.ext.instrumentation`): lets a class choose its
 * own instrumentation manager through a static `__sa_instrumentation_manager__` member or a
 * user-supplied finder. Importing this module installs the {@link ExtendedInstrumentationRegistry}
 * as the instrumentation factory (idempotent); the first non-default manager switches the global
 * lookups to per-class dispatching versions, and {@link reinstallDefaultLookups} switches back.
 *
 * Differences from SQLAlchemy, by design: listeners registered before this module is imported
 * keep firing (they are not tied to the factory object); a conflicting registration is rolled
 * back instead of leaving a half-registered manager; unregistering an adapter-managed class
 * restores what it installed; JavaScript cannot enumerate subclasses, so conflict detection sees
 * the subclasses that have a manager (a conflicting sibling is reported when it registers).
 */
import { className, type Class } from "../base.js";
import { InstrumentationConflictError } from "../errors.js";
import {
  defaultInstanceDict,
  defaultInstanceState,
  defaultOptManagerOfClass,
  installDefaultLookups,
  installLookups,
  unmappedClass,
} from "../lookups.js";
import {
  ClassManager,
  InstrumentationFactory,
  getInstrumentationFactory,
  liveManagers,
  setInstrumentationFactory,
  type DictGetter,
  type ManagerFactory,
  type ManagerGetter,
  type StateGetter,
} from "../instrumentation.js";
import { InstanceState } from "../state.js";
import type { InstrumentedAttribute } from "../attributes.js";
import { accessorFor } from "../accessors.js";
import { CollectionAdapter, prepareInstrumentation, type CollectionClass, type CollectionFactory } from "../collections.js";

/** Name of the static member that names a class's instrumentation factory. */
export const INSTRUMENTATION_MANAGER = "__sa_instrumentation_manager__";

/** A factory a class names: builds an `InstrumentationManager`-like object or a `ClassManager`. */
export type UserManagerFactory =
  | (new (cls: Class) => InstrumentationManager | ClassManager)
  | ((cls: Class) => InstrumentationManager | ClassManager | UserInstrumentationManager);

/** Finds the instrumentation factory of a class, or `undefined` to pass. */
export type InstrumentationFinder = (cls: Class) => UserManagerFactory | undefined;

/** Returns the class's `__sa_instrumentation_manager__` (inherited statics count), or `undefined`. */
export function findNativeUserInstrumentationHook(cls: Class): UserManagerFactory | undefined {
  const hook = (cls as unknown as Record<string, unknown>)[INSTRUMENTATION_MANAGER];
  return hook === undefined || hook === null ? undefined : (hook as UserManagerFactory);
}

/** The finders consulted, in order, for every newly instrumented class (mutable). */
export const instrumentationFinders: InstrumentationFinder[] = [findNativeUserInstrumentationHook];

/** The operations a user-defined manager implements; every method takes the class first. */
export interface UserInstrumentationManager {
  manage(cls: Class, manager: ClassManager): void;
  unregister(cls: Class, manager: ClassManager): void;
  managerGetter(cls: Class): ManagerGetter;
  instrumentAttribute(cls: Class, key: string, inst: InstrumentedAttribute): void;
  postConfigureAttribute(cls: Class, key: string, inst: InstrumentedAttribute): void;
  installDescriptor(cls: Class, key: string, inst: InstrumentedAttribute): void;
  uninstallDescriptor(cls: Class, key: string): void;
  installMember(cls: Class, key: PropertyKey, implementation: unknown): void;
  uninstallMember(cls: Class, key: PropertyKey): void;
  instrumentCollectionClass(cls: Class, key: string, collectionClass: CollectionClass): CollectionFactory;
  getInstanceDict(cls: Class, instance: object): Record<string, unknown>;
  initializeInstanceDict(cls: Class, instance: object): void;
  installState(cls: Class, instance: object, state: InstanceState): void;
  removeState(cls: Class, instance: object): void;
  stateGetter(cls: Class): StateGetter;
  dictGetter(cls: Class): DictGetter;
  /** Optional: builds a collection and its adapter (note: no class argument, as in SQLAlchemy). */
  initializeCollection?(key: string, state: InstanceState, factory: CollectionFactory): [CollectionAdapter, object];
}

const DEFAULT_MANAGER: unique symbol = Symbol.for("class-instrumentation.ext.default-manager") as never;
const DEFAULT_STATE: unique symbol = Symbol.for("class-instrumentation.ext.default-state") as never;
const DEFAULT_DICT: unique symbol = Symbol.for("class-instrumentation.ext.default-dict") as never;

function defineHidden(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable: false });
}

/**
 * Base class for user-defined instrumentation. The defaults behave like the built-in manager,
 * but keep the manager, state and dict under the extension's own keys; override what differs.
 */
export class InstrumentationManager implements UserInstrumentationManager {
  /** Key under which `manage` stores the manager on the class. */
  static readonly DEFAULT_MANAGER: typeof DEFAULT_MANAGER = DEFAULT_MANAGER;
  /** Key under which `installState` stores the state on the instance. */
  static readonly DEFAULT_STATE: typeof DEFAULT_STATE = DEFAULT_STATE;
  /** Key under which `getInstanceDict` keeps the instance dict. */
  static readonly DEFAULT_DICT: typeof DEFAULT_DICT = DEFAULT_DICT;

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- called with the class, as hooks are
  constructor(_cls?: Class) {}

  /** Stores the manager on the class. */
  manage(cls: Class, manager: ClassManager): void {
    defineHidden(cls, DEFAULT_MANAGER, manager);
  }

  /** Removes the manager from the class. */
  unregister(cls: Class, _manager: ClassManager): void {
    delete (cls as { [DEFAULT_MANAGER]?: unknown })[DEFAULT_MANAGER];
  }

  /** Reads the manager from a class (inherited lookup). */
  managerGetter(_cls: Class): ManagerGetter {
    return (c: unknown) => {
      const manager = (c as { [DEFAULT_MANAGER]?: ClassManager } | null | undefined)?.[DEFAULT_MANAGER];
      if (manager === undefined) throw unmappedClass(c);
      return manager;
    };
  }

  /** Called for each attribute registered on the class itself. */
  instrumentAttribute(_cls: Class, _key: string, _inst: InstrumentedAttribute): void {}

  /** Called once an attribute is fully configured. */
  postConfigureAttribute(_cls: Class, _key: string, _inst: InstrumentedAttribute): void {}

  /** Puts the attribute's accessor on the prototype. */
  installDescriptor(cls: Class, key: string, inst: InstrumentedAttribute): void {
    Object.defineProperty(cls.prototype, key, accessorFor(inst));
  }

  /** Removes the attribute's accessor. */
  uninstallDescriptor(cls: Class, key: string): void {
    delete (cls.prototype as Record<string, unknown>)[key];
  }

  /** Installs a member on the prototype. */
  installMember(cls: Class, key: PropertyKey, implementation: unknown): void {
    defineHidden(cls.prototype as object, key, implementation);
  }

  /** Removes a member from the prototype. */
  uninstallMember(cls: Class, key: PropertyKey): void {
    delete (cls.prototype as Record<PropertyKey, unknown>)[key];
  }

  /** The collection factory for `collectionClass`. */
  instrumentCollectionClass(_cls: Class, _key: string, collectionClass: CollectionClass): CollectionFactory {
    return prepareInstrumentation(collectionClass);
  }

  /** The object holding the instance's values (created on first use). */
  getInstanceDict(_cls: Class, instance: object): Record<string, unknown> {
    let dict = (instance as { [DEFAULT_DICT]?: Record<string, unknown> })[DEFAULT_DICT];
    if (dict === undefined) {
      dict = {};
      defineHidden(instance, DEFAULT_DICT, dict);
    }
    return dict;
  }

  /** Prepares the instance dict before a state is attached. */
  initializeInstanceDict(_cls: Class, _instance: object): void {}

  /** Attaches the state to the instance. */
  installState(_cls: Class, instance: object, state: InstanceState): void {
    defineHidden(instance, DEFAULT_STATE, state);
  }

  /** Detaches the state from the instance. */
  removeState(_cls: Class, instance: object): void {
    delete (instance as { [DEFAULT_STATE]?: unknown })[DEFAULT_STATE];
  }

  /** Reads an instance's state (`undefined` when it has none). */
  stateGetter(_cls: Class): StateGetter {
    return (instance) => (instance as { [DEFAULT_STATE]?: InstanceState })[DEFAULT_STATE];
  }

  /** Reads an instance's dict. */
  dictGetter(cls: Class): DictGetter {
    return (instance) => this.getInstanceDict(cls, instance);
  }
}

let pendingOverride: UserInstrumentationManager | undefined;

/** Maps `ClassManager` operations onto a user-defined manager (SQLAlchemy `_ClassInstrumentationAdapter`). */
export class ClassInstrumentationAdapter<T extends object = object> extends ClassManager<T> {
  private adaptedOverride: UserInstrumentationManager | undefined;
  private getStateFn: StateGetter | undefined;
  private getDictFn: DictGetter | undefined;
  private readonly installedMembers = new Set<PropertyKey>();

  constructor(cls: Class<T>, override: UserInstrumentationManager) {
    pendingOverride = override;
    try {
      super(cls);
    } finally {
      pendingOverride = undefined;
    }
    this.adaptedOverride = override;
  }

  /** The user-defined manager. */
  get adapted(): UserInstrumentationManager {
    return (this.adaptedOverride ?? pendingOverride)!;
  }

  private get getState(): StateGetter {
    return (this.getStateFn ??= this.adapted.stateGetter(this.class_));
  }

  private get getDict(): DictGetter {
    return (this.getDictFn ??= this.adapted.dictGetter(this.class_));
  }

  override manage(): void {
    this.adapted.manage(this.class_, this as unknown as ClassManager);
  }

  override dispose(): void {
    // Forgetting the class is the user manager's job (in `unregister`).
  }

  override unregister(): void {
    for (const key of [...this.installedMembers]) this.uninstallMember(key);
    super.unregister();
    this.adapted.unregister(this.class_, this as unknown as ClassManager);
  }

  override managerGetter(): ManagerGetter {
    return this.adapted.managerGetter(this.class_);
  }

  override stateGetter(): StateGetter {
    return this.getState;
  }

  override dictGetter(): DictGetter {
    return this.getDict;
  }

  override instrumentAttribute(key: string, attr: InstrumentedAttribute<T>, propagated = false): void {
    super.instrumentAttribute(key, attr, propagated);
    if (!propagated) this.adapted.instrumentAttribute(this.class_, key, attr as unknown as InstrumentedAttribute);
  }

  override postConfigureAttribute(key: string): void {
    super.postConfigureAttribute(key);
    const attr = this.get(key);
    if (attr) this.adapted.postConfigureAttribute(this.class_, key, attr as unknown as InstrumentedAttribute);
  }

  override installDescriptor(key: string, attr: InstrumentedAttribute<T>): void {
    this.adapted.installDescriptor(this.class_, key, attr as unknown as InstrumentedAttribute);
  }

  override uninstallDescriptor(key: string): void {
    this.adapted.uninstallDescriptor(this.class_, key);
  }

  override installMember(key: PropertyKey, implementation: unknown): void {
    this.installedMembers.add(key);
    this.adapted.installMember(this.class_, key, implementation);
  }

  override uninstallMember(key: PropertyKey): void {
    this.installedMembers.delete(key);
    this.adapted.uninstallMember(this.class_, key);
  }

  override instrumentCollectionClass(key: string, collectionClass: CollectionClass): CollectionFactory {
    return this.adapted.instrumentCollectionClass(this.class_, key, collectionClass);
  }

  override initializeCollection(key: string, state: InstanceState, factory: CollectionFactory): [CollectionAdapter, object] {
    const own = this.adapted.initializeCollection;
    if (typeof own === "function") return own.call(this.adapted, key, state, factory);
    return super.initializeCollection(key, state, factory);
  }

  override newInstance(state?: InstanceState<T>): T {
    const instance = Object.create(this.class_.prototype as object) as T;
    this.setupInstance(instance, state);
    return instance;
  }

  override newStateIfNone(instance: T): InstanceState<T> | undefined {
    if (this.hasState(instance)) return undefined;
    return this.setupInstance(instance);
  }

  override setupInstance(instance: T, state?: InstanceState<T>): InstanceState<T> {
    this.adapted.initializeInstanceDict(this.class_, instance);
    const s = state ?? new InstanceState<T>(instance, this);
    s.attach(instance);
    this.adapted.installState(this.class_, instance, s as unknown as InstanceState);
    return s;
  }

  override teardownInstance(instance: T): void {
    this.adapted.removeState(this.class_, instance);
  }

  override hasState(instance: T): boolean {
    try {
      return this.getState(instance) !== undefined;
    } catch {
      return false;
    }
  }
}

function isConstructor(factory: Function): boolean {
  const proto = factory.prototype as unknown;
  if (factory === ClassManager || factory === InstrumentationManager) return true;
  if (proto instanceof ClassManager || proto instanceof InstrumentationManager) return true;
  return /^class\b/.test(Function.prototype.toString.call(factory));
}

/**
 * The instrumentation factory that supports user-defined managers: per-class manager, state and
 * dict finders, and one instrumentation implementation per class hierarchy.
 */
export class ExtendedInstrumentationRegistry extends InstrumentationFactory {
  /** Class → manager getter, for classes with a non-default manager. */
  readonly managerFinders: WeakMap<Function, ManagerGetter> = new WeakMap();
  /** Class → state getter. */
  readonly stateFinders: WeakMap<Function, StateGetter> = new WeakMap();
  /** Class → dict getter. */
  readonly dictFinders: WeakMap<Function, DictGetter> = new WeakMap();
  /** Whether the per-class lookups are installed. */
  extended = false;

  override createManagerForCls<T extends object>(cls: Class<T>): ClassManager<T> {
    try {
      return super.createManagerForCls(cls);
    } catch (error) {
      if (error instanceof InstrumentationConflictError) this.rollBack(cls);
      throw error;
    }
  }

  override locateExtendedFactory(cls: Class): [ClassManager, ManagerFactory] | [undefined, undefined] {
    for (const finder of instrumentationFinders) {
      const factory = finder(cls);
      if (factory !== undefined) return [this.extendedClassManager(cls, factory), factory as ManagerFactory];
    }
    return [undefined, undefined];
  }

  private extendedClassManager(cls: Class, factory: UserManagerFactory): ClassManager {
    const made = isConstructor(factory)
      ? new (factory as new (c: Class) => unknown)(cls)
      : (factory as (c: Class) => unknown)(cls);
    const manager =
      made instanceof ClassManager ? made : new ClassInstrumentationAdapter(cls, made as UserInstrumentationManager);
    if ((factory as unknown) !== ClassManager && !this.extended) {
      this.extended = true;
      this.installInstrumentedLookups();
    }
    this.managerFinders.set(cls, manager.managerGetter());
    this.stateFinders.set(cls, manager.stateGetter());
    this.dictFinders.set(cls, manager.dictGetter());
    return manager as ClassManager;
  }

  /** The factories used in `cls`'s whole connected hierarchy (ancestors and known descendants). */
  collectManagementFactoriesFor(cls: Class): Set<ManagerFactory> {
    const factories = new Set<ManagerFactory>();
    for (const member of classHierarchy(cls)) {
      const manager = this.optManagerOfClass(member);
      if (manager !== undefined) {
        if (manager.factory !== undefined) factories.add(manager.factory);
        continue;
      }
      for (const finder of instrumentationFinders) {
        const factory = finder(member as Class);
        if (factory !== undefined) {
          factories.add(factory as ManagerFactory);
          break;
        }
      }
    }
    return factories;
  }

  override checkConflicts(cls: Class, factory: ManagerFactory): void {
    const existing = this.collectManagementFactoriesFor(cls);
    existing.delete(factory);
    if (existing.size > 0) {
      const names = [factory, ...existing].map((f) => (typeof f === "function" && f.name ? f.name : String(f)));
      throw new InstrumentationConflictError(
        `multiple instrumentation implementations specified in ${className(cls)} inheritance hierarchy: ` +
          `[${names.join(", ")}]. Give every class of one hierarchy the same ${INSTRUMENTATION_MANAGER}.`,
      );
    }
  }

  override unregister(cls: Class): void {
    super.unregister(cls);
    this.managerFinders.delete(cls);
    this.stateFinders.delete(cls);
    this.dictFinders.delete(cls);
  }

  /** Like the default `optManagerOfClass`, dispatching through the class's manager finder. */
  optManagerOfClass(cls: unknown): ClassManager | undefined {
    if (typeof cls !== "function") return defaultOptManagerOfClass(cls);
    const finder = this.managerFinders.get(cls);
    if (finder === undefined) return defaultOptManagerOfClass(cls);
    try {
      return finder(cls);
    } catch {
      return undefined;
    }
  }

  /** Like the default `managerOfClass`, dispatching through the class's manager finder. */
  managerOfClass(cls: unknown): ClassManager {
    const manager = this.optManagerOfClass(cls);
    if (manager === undefined) throw unmappedClass(cls);
    return manager;
  }

  /** The state of an instance, found through its exact class's state finder. */
  stateOf(instance: object): InstanceState | undefined {
    const cls = (Object.getPrototypeOf(instance) as { constructor?: Function } | null)?.constructor;
    const finder = (cls && this.stateFinders.get(cls)) ?? defaultInstanceState;
    try {
      return finder(instance);
    } catch {
      return undefined;
    }
  }

  /** The dict of an instance, found through its exact class's dict finder. */
  dictOf(instance: object): Record<string, unknown> {
    const cls = (Object.getPrototypeOf(instance) as { constructor?: Function } | null)?.constructor;
    const finder = (cls && this.dictFinders.get(cls)) ?? defaultInstanceDict;
    return finder(instance);
  }

  /** Switches the global lookups to this registry's per-class versions. */
  installInstrumentedLookups(): void {
    installLookups({
      optManagerOfClass: (cls) => this.optManagerOfClass(cls),
      managerOfClass: (cls) => this.managerOfClass(cls),
      instanceState: (obj) => this.stateOf(obj),
      instanceDict: (obj) => this.dictOf(obj),
    });
  }

  private rollBack(cls: Class): void {
    const manager = this.optManagerOfClass(cls);
    if (manager !== undefined && manager.factory === undefined) manager.unregister();
    this.managerFinders.delete(cls);
    this.stateFinders.delete(cls);
    this.dictFinders.delete(cls);
  }
}

/** Every class connected to `cls`: its ancestors, and the instrumented descendants of each. */
function classHierarchy(cls: Function): Set<Function> {
  const seen = new Set<Function>();
  const queue: Function[] = [cls];
  while (queue.length > 0) {
    const current = queue.pop()!;
    if (seen.has(current) || current === Object || current === Function.prototype) continue;
    seen.add(current);
    const base = Object.getPrototypeOf(current) as unknown;
    if (typeof base === "function" && base !== Function.prototype) queue.push(base);
    for (const manager of liveManagers()) {
      if (Object.getPrototypeOf(manager.class_) === current) queue.push(manager.class_);
    }
  }
  return seen;
}

/** Installs the extended registry as the instrumentation factory (idempotent; done on import). */
export function installExtendedInstrumentation(): ExtendedInstrumentationRegistry {
  const current = getInstrumentationFactory();
  if (current instanceof ExtendedInstrumentationRegistry) return current;
  const registry = new ExtendedInstrumentationRegistry();
  setInstrumentationFactory(registry);
  return registry;
}

/** Restores the default lookups (custom-managed instances become unreachable until reinstalled). */
export function reinstallDefaultLookups(): void {
  installDefaultLookups();
  const current = getInstrumentationFactory();
  if (current instanceof ExtendedInstrumentationRegistry) current.extended = false;
}

installExtendedInstrumentation();
