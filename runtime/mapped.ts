/**
 * The decorators `@mapped`, `@attribute` and `@transient`, and {@link defineMapped}, the
 * class-definition-time helper that the transformer's output calls.
 *
 * Two ways in:
 * - Built with the transformer, the decorators are compiled away. The class body calls
 *   `defineMapped(cls, spec)` from a static block with everything known at build time (attribute
 *   names and kinds, a generated accessor factory per attribute), and its constructor is
 *   rewritten around the construction frames of `construct.ts`.
 * - Built without it (plain `tsc`, esbuild, swc), `@mapped` runs at class definition: it returns
 *   a subclass whose constructor opens a construction frame around the original one, then moves
 *   the instance's own data properties into its state (registering each as an attribute the
 *   first time it is seen); fields that appear later (an undecorated subclass's) are absorbed
 *   when the runtime next looks at the instance (`runtimePathHooks` of construct.ts). Same
 *   tracking; the differences (when `init` fires, kinds from the first value seen, fields known
 *   from the first instance) are listed in docs/transformer.md and asserted by
 *   test/runtime-path.test.ts.
 *
 * Both ways install `toJSON` (unless the class has one) and a Node inspect hook that show the
 * loaded attribute values.
 *
 * Collaborators: `construct.ts`, `instrumentation.ts` (`registerClass`), `attributes.ts`
 * (`registerAttribute`), `accessors.ts` (the accessor factories).
 */
import { PASSIVE_OFF, className, hasOwn, type Class } from "./base.js";
import { InvalidRequestError } from "./errors.js";
import { defaultInstanceState, lookups } from "./lookups.js";
import { registerClass, type ClassManager, type RegisterClassOptions } from "./instrumentation.js";
import { registerAttribute, registerAttributeImpl, type AttributeImpl, type AttributeKind, type RegisterAttributeOptions } from "./attributes.js";
import {
  CONSTRUCTS,
  beginConstruction,
  endConstruction,
  enterConstruction,
  enterPendingConstruction,
  failConstruction,
  isConstructing,
  runtimePathHooks,
} from "./construct.js";
import { duckTypeCollection, type CollectionKind } from "./collections.js";
import type { AccessorFactory } from "./accessors.js";
import { optManagerForInstance } from "./access.js";

/** Options of `@mapped(options)`: those of `registerClass`. */
export type MappedOptions<T extends object = object> = RegisterClassOptions<T>;

/** Options of `@attribute(options)`: those of `registerAttribute` (kind, collection class, ...). */
export type AttributeOptions<T extends object = object> = Omit<RegisterAttributeOptions<T>, "accessor">;

/** One attribute as the transformer describes it to {@link defineMapped}. */
export interface MappedAttributeSpec {
  /** The field name. */
  readonly key: string;
  /** Kind inferred from the declared type. */
  readonly kind?: AttributeKind;
  /** Collection shape inferred from the declared type (`kind: "collection"`). */
  readonly collection?: CollectionKind;
  /** The accessor factory generated at build time. */
  readonly accessor?: AccessorFactory;
  /** The `@attribute(...)` options, which override the inferred kind. */
  readonly options?: AttributeOptions;
}

/** What the transformer knows about a mapped class at build time. */
export interface DefineMappedSpec {
  /** The `name` of an anonymous class (the transformer names it, then restores this one). */
  readonly name?: string;
  /** The `@mapped(options)` options (absent for `@mapped` and for mapped subclasses). */
  readonly options?: MappedOptions;
  /** The class's own attributes, in declaration order. */
  readonly attributes: readonly MappedAttributeSpec[];
  /** @internal Constructions always open frames (the runtime path relies on them). */
  readonly keepFrames?: boolean;
}

/** Node's `util.inspect.custom`, without importing `node:util`. */
export const INSPECT: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

const COLLECTION_CLASSES: Record<CollectionKind, RegisterAttributeOptions["collectionClass"]> = {
  list: Array,
  set: Set,
  map: Map,
};

/**
 * Registers `cls` with its attributes at class definition time and marks it as constructing
 * through frames; returns `cls`. Called by the transformer's output from the class's first static
 * block (class declarations) or around the class (class expressions).
 */
export function defineMapped<C extends Class>(cls: C, spec: DefineMappedSpec): C {
  Object.defineProperty(cls, CONSTRUCTS, { value: true, configurable: true });
  if (spec.name !== undefined) Object.defineProperty(cls, "name", { value: spec.name, configurable: true });
  const manager = registerClass(cls, { finalize: false });
  for (const attribute of spec.attributes) {
    registerAttribute(cls, attribute.key, attributeOptions(attribute));
  }
  installSerialization(manager as unknown as ClassManager);
  registerClass(cls, { ...spec.options });
  (manager as unknown as ClassManager).framelessConstruction = spec.keepFrames !== true && manager.stateGetter() === defaultInstanceState;
  return cls;
}

function attributeOptions(spec: MappedAttributeSpec): RegisterAttributeOptions {
  const inferred: RegisterAttributeOptions = { kind: spec.kind ?? "scalar" };
  if (spec.kind === "collection") inferred.collectionClass = COLLECTION_CLASSES[spec.collection ?? "list"];
  const explicit = spec.options ?? {};
  const merged: RegisterAttributeOptions = { ...inferred, ...explicit };
  if (explicit.kind !== undefined && explicit.kind !== "collection" && explicit.collectionClass === undefined) delete merged.collectionClass;
  if (explicit.kind === "collection" && explicit.collectionClass === undefined && spec.kind !== "collection") delete merged.collectionClass;
  if (spec.accessor !== undefined) merged.accessor = spec.accessor;
  return merged;
}

// ---------------------------------------------------------------------------------------------
// toJSON and the inspect hook

/**
 * The loaded attribute values of `obj` (then its other own enumerable properties), as plain data.
 * Expired attributes are loaded first when the class has an `expiredAttributeLoader` (so an
 * expired object never serializes as `{}`; an asynchronous loader makes this throw
 * `ExpiredAttributeError`: `await loadExpired(obj)` first); without a loader they are left out.
 */
export function loadedValues(obj: object): Record<string, unknown> {
  return plainTree(obj, new Map());
}

/**
 * `obj` as plain data, mapped instances among its values (and collection members) converted too,
 * each instance once per call: a cycle of instances becomes a cycle of plain objects, which
 * `JSON.stringify` reports with its standard "Converting circular structure to JSON" TypeError
 * instead of recursing until the stack overflows.
 */
function plainTree(obj: object, seen: Map<object, Record<string, unknown>>): Record<string, unknown> {
  const done = seen.get(obj);
  if (done !== undefined) return done;
  const out: Record<string, unknown> = {};
  seen.set(obj, out);
  loadExpiredForSerialization(obj);
  const put = (key: string, value: unknown): void => {
    // defineProperty: a "__proto__" attribute is data, not the output's prototype.
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  };
  for (const [key, value] of loadedEntries(obj)) put(key, plainValue(plainCollection(value), seen));
  for (const key of Object.keys(obj)) if (!hasOwn(out, key)) put(key, plainValue((obj as Record<string, unknown>)[key], seen));
  return out;
}

/** Converts a mapped instance (or an array of values) for {@link plainTree}; other values as they are. */
function plainValue(value: unknown, seen: Map<object, Record<string, unknown>>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if ((value as { toJSON?: unknown }).toJSON === toJSON) return plainTree(value, seen);
  if (Array.isArray(value)) return value.map((v) => plainValue(v, seen));
  return value;
}

function loadExpiredForSerialization(obj: object): void {
  const state = lookups.instanceState(obj);
  if (state === undefined || state.expiredSet === null || state.expiredSet.size === 0) return;
  if (state.manager.expiredAttributeLoader === undefined) return;
  for (const key of [...state.expiredSet]) {
    if (!state.expiredSet.has(key)) continue;
    const impl: AttributeImpl | undefined = state.manager.get(key)?.impl;
    if (impl !== undefined && impl.usesExpiredLoader(state)) impl.get(state, state.dict, PASSIVE_OFF);
  }
}

/** `[key, value]` of each loaded attribute of `obj`, in the manager's order. */
function loadedEntries(obj: object): Array<[string, unknown]> {
  absorbOwnFields(obj);
  const manager = managerOfInstance(obj);
  if (manager === undefined) return [];
  const dict = lookups.instanceDict(obj);
  const entries: Array<[string, unknown]> = [];
  for (const key of manager.keys()) if (hasOwn(dict, key)) entries.push([key, dict[key]]);
  return entries;
}

/** The manager of the nearest instrumented class of `obj`'s prototype chain. */
function managerOfInstance(obj: object): ClassManager | undefined {
  return lookups.instanceState(obj)?.manager ?? optManagerForInstance(obj);
}

function plainCollection(value: unknown): unknown {
  switch (duckTypeCollection(value)) {
    case "list":
      return Array.from(value as Iterable<unknown>);
    case "set":
      return Array.from(value as Iterable<unknown>);
    case "map": {
      const entries = Array.from(value as Iterable<[unknown, unknown]>);
      return entries.every(([k]) => typeof k === "string") ? Object.fromEntries(entries) : entries;
    }
    default:
      return value;
  }
}

function toJSON(this: object): Record<string, unknown> {
  return loadedValues(this);
}

const shownClasses = new WeakMap<Function, new () => object>();

/** `util.inspect` shows `ClassName { key: value, ... }` with the loaded values (collections as themselves). */
function inspect(this: object, depth: number, options: { depth?: number | null }, show?: (v: unknown, o: unknown) => string): unknown {
  const cls = (Object.getPrototypeOf(this) as { constructor: Function }).constructor;
  let Shown = shownClasses.get(cls);
  if (Shown === undefined) {
    const name = className(cls);
    Shown = { [name]: class {} }[name]!;
    shownClasses.set(cls, Shown);
  }
  const shown = new Shown() as Record<string, unknown>;
  for (const [key, value] of loadedEntries(this)) shown[key] = value;
  for (const key of Object.keys(this)) if (!hasOwn(shown, key)) shown[key] = (this as Record<string, unknown>)[key];
  if (typeof show !== "function") return shown;
  return show(shown, { ...options, depth: options.depth === null || options.depth === undefined ? options.depth : depth });
}

function installSerialization(manager: ClassManager): void {
  const proto = manager.class_.prototype as object;
  if (!("toJSON" in proto)) manager.installMember("toJSON", toJSON);
  if (!(INSPECT in proto)) manager.installMember(INSPECT, inspect);
}

// ---------------------------------------------------------------------------------------------
// Decorators

type AnyClass = Class;

/** Per-class field options recorded by `@attribute` / `@transient` when they run (no transformer). */
const fieldOptions = new WeakMap<object, Map<string, AttributeOptions | typeof TRANSIENT>>();
const TRANSIENT: unique symbol = Symbol("transient") as never;
/** TC39 field decorators run before their class decorator; without `context.metadata`, they wait here. */
let pendingFields: Array<[string, AttributeOptions | typeof TRANSIENT]> = [];

/**
 * `@mapped` / `@mapped(options)`: instrument the class. With the transformer this decorator is
 * compiled away; without it, the runtime path wraps the class (see the module comment).
 */
export function mapped<C extends AnyClass>(cls: C, context?: unknown): C;
export function mapped(options: MappedOptions): <C extends AnyClass>(cls: C, context?: unknown) => C;
export function mapped(arg: AnyClass | MappedOptions, context?: unknown): unknown {
  if (typeof arg === "function") return mapAtRuntime(arg, undefined, context);
  const options = arg;
  return (cls: AnyClass, ctx?: unknown) => mapAtRuntime(cls, options, ctx);
}

/** `@attribute(options)`: the attribute's options (kind, collection class, trackParent, ...). */
export function attribute(options: AttributeOptions = {}): (target: unknown, context: unknown) => void {
  return (target, context) => recordField(target, context, options);
}

/** `@transient`: leave the field an ordinary field. */
export function transient(target: unknown, context: unknown): void {
  recordField(target, context, TRANSIENT);
}

function recordField(target: unknown, context: unknown, value: AttributeOptions | typeof TRANSIENT): void {
  if (typeof context === "string") {
    // experimentalDecorators: (prototype, key)
    const owner = target as object;
    let map = fieldOptions.get(owner);
    if (map === undefined) fieldOptions.set(owner, (map = new Map()));
    map.set(context, value);
    return;
  }
  const ctx = context as { kind?: string; name?: unknown; metadata?: Record<PropertyKey, unknown> } | undefined;
  if (ctx === undefined || ctx.kind !== "field" || typeof ctx.name !== "string") {
    throw new InvalidRequestError("@attribute and @transient apply to instance fields with a string name.");
  }
  if (ctx.metadata !== undefined) {
    const list = (ctx.metadata[FIELDS_META] ??= []) as Array<[string, AttributeOptions | typeof TRANSIENT]>;
    list.push([ctx.name, value]);
  } else {
    pendingFields.push([ctx.name, value]);
  }
}

const FIELDS_META = Symbol.for("class-instrumentation.fields");

function fieldsOf(cls: AnyClass, context: unknown): Map<string, AttributeOptions | typeof TRANSIENT> {
  const fields = new Map(fieldOptions.get(cls.prototype as object) ?? []);
  const metadata = (context as { metadata?: Record<PropertyKey, unknown> } | undefined)?.metadata;
  const listed = (metadata?.[FIELDS_META] as Array<[string, AttributeOptions | typeof TRANSIENT]> | undefined) ?? [];
  for (const [key, value] of [...listed, ...pendingFields]) fields.set(key, value);
  pendingFields = [];
  return fields;
}

/** What the runtime path knows about a class it wrapped (an own property of the wrapper). */
interface RuntimePathInfo {
  /** The `@attribute` / `@transient` options of the class's own fields. */
  readonly fields: ReadonlyMap<string, AttributeOptions | typeof TRANSIENT>;
  /**
   * Own properties that the constructor of an unmapped base class left on instances: they stay
   * ordinary properties, as with the transformer (which only instruments the mapped classes).
   */
  readonly baseKeys: Set<string>;
  /**
   * `@attribute` fields declared without `kind` (nor `collectionClass`): registered at class
   * definition as plain scalars, without their kind-dependent options (`backref`), and given
   * their real kind, taken from the first instance's value, when that value is first seen.
   */
  readonly kindless: Set<string>;
}

const RUNTIME_PATH = Symbol("class-instrumentation.runtime-path");

/**
 * The runtime path: returns a subclass of `cls` (same name) whose constructor runs the original
 * one inside a construction frame, then moves the instance's own data properties into its state.
 * When `cls` extends an unmapped class, a hook is put between the two: it enters the frame (fires
 * `init`) right after the base constructor returned, before `cls`'s field initializers, and
 * records the base's own properties, which stay ordinary properties.
 */
function mapAtRuntime<C extends AnyClass>(cls: C, options: MappedOptions | undefined, context: unknown): C {
  if (typeof cls !== "function") throw new InvalidRequestError("@mapped applies to classes only.");
  const fields = fieldsOf(cls, context);
  const info: RuntimePathInfo = { fields, baseKeys: new Set(), kindless: new Set() };
  const parent = Object.getPrototypeOf(cls) as unknown;
  if (typeof parent === "function" && parent !== Function.prototype && !chainConstructsThroughFrames(parent)) hookBase(cls, parent, info);
  const Mapped = wrapConstruction(cls);
  Object.defineProperty(Mapped, "name", { value: cls.name, configurable: true });
  Object.defineProperty(Mapped, RUNTIME_PATH, { value: info, configurable: true });
  const attributes: MappedAttributeSpec[] = [];
  for (const [key, value] of fields) {
    if (value === TRANSIENT) continue;
    if (value.kind === undefined && value.collectionClass === undefined) {
      // No declared types at run time: the kind comes from the first value (see `kindless`).
      info.kindless.add(key);
      const { backref: _deferred, ...scalarOptions } = value;
      attributes.push({ key, options: scalarOptions });
    } else {
      attributes.push({ key, options: value });
    }
  }
  // The runtime path needs its construction frames even without listeners (isConstructing).
  defineMapped(Mapped, { attributes, keepFrames: true, ...(options ? { options } : {}) });
  return Mapped as C;
}

function chainConstructsThroughFrames(cls: unknown): boolean {
  for (let c = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) if (hasOwn(c, CONSTRUCTS)) return true;
  return false;
}

/** Makes `super()` of `cls` go through a hook that runs `Parent`'s constructor, then enters the frame. */
function hookBase(cls: AnyClass, Parent: Function, info: RuntimePathInfo): void {
  const Base = Parent as new (...args: unknown[]) => object;
  const Hook = class extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      for (const key of Object.keys(this)) info.baseKeys.add(key);
      enterPendingConstruction(this);
    }
  };
  Object.defineProperty(Hook, "name", { value: className(Parent), configurable: true });
  Object.setPrototypeOf(cls, Hook);
}

function wrapConstruction(cls: AnyClass): AnyClass {
  const Base = cls as unknown as new (...args: unknown[]) => object;
  const Mapped = class extends Base {
    constructor(...args: unknown[]) {
      const frame = beginConstruction(new.target, Mapped, args);
      try {
        super(...args);
        // As with the transformer, `init` listeners see no values yet and the field initializers'
        // and constructor's values win over what they assign: the fields are taken off the
        // instance, `init` fires, then the values are assigned through the attributes.
        const values = detachOwnProperties(this, Mapped);
        enterConstruction(this, frame);
        for (const [key, value] of values) (this as Record<string, unknown>)[key] = value;
      } catch (error) {
        failConstruction(frame, error);
        throw error;
      } finally {
        endConstruction(frame);
      }
    }
  };
  return Mapped as unknown as AnyClass;
}

/** The `@attribute` / `@transient` option of field `key` of `instance`'s classes, nearest first. */
function fieldOption(instance: object, key: string): AttributeOptions | typeof TRANSIENT | undefined {
  for (let proto = Object.getPrototypeOf(instance) as { constructor?: unknown } | null; proto !== null; proto = Object.getPrototypeOf(proto)) {
    const recorded = fieldOptions.get(proto)?.get(key);
    if (recorded !== undefined) return recorded;
    const ctor = proto.constructor;
    if (hasOwn(proto, "constructor") && typeof ctor === "function" && hasOwn(ctor, RUNTIME_PATH)) {
      const info = (ctor as { [RUNTIME_PATH]?: RuntimePathInfo })[RUNTIME_PATH]!;
      const option = info.fields.get(key);
      if (option !== undefined) return option;
      if (info.baseKeys.has(key)) return TRANSIENT;
    }
  }
  return undefined;
}

/**
 * Moves `instance`'s own data properties into its state, registering the unseen ones as
 * attributes of `cls` (kind from the value); `@transient` fields and an unmapped base's fields
 * stay. Each value is assigned through the attribute: with a state, a pending addition.
 */
function adoptOwnProperties(instance: object, cls: AnyClass): void {
  for (const [key, value] of detachOwnProperties(instance, cls)) (instance as Record<string, unknown>)[key] = value;
}

/**
 * Takes `instance`'s own data properties that are (or become: registered on `cls`, kind from the
 * value) attributes off it; returns the defined values, to be assigned through the attributes.
 */
function detachOwnProperties(instance: object, cls: AnyClass): Array<[string, unknown]> {
  const detached: Array<[string, unknown]> = [];
  const keys = Object.keys(instance);
  if (keys.length === 0 || managerOfInstance(instance) === undefined) return detached;
  let manager: ClassManager | undefined;
  for (const key of keys) {
    if (fieldOption(instance, key) === TRANSIENT) continue;
    const descriptor = Object.getOwnPropertyDescriptor(instance, key);
    if (descriptor === undefined || !("value" in descriptor) || !descriptor.configurable) continue;
    manager ??= (lookups.optManagerOfClass(cls) ?? registerClass(cls)) as unknown as ClassManager;
    if (!manager.has(key)) {
      const option = fieldOption(instance, key) as AttributeOptions | undefined;
      registerAttribute(cls, key, { ...collectionOf(descriptor.value), ...option, kind: option?.kind ?? kindOf(descriptor.value) });
      if (!manager.isMapped) registerClass(cls);
    } else {
      settleKind(manager.get(key)!.class_, key, descriptor.value);
    }
    delete (instance as Record<string, unknown>)[key];
    if (descriptor.value !== undefined) detached.push([key, descriptor.value]);
  }
  return detached;
}

/** Gives a `kindless` `@attribute` field of `owner` its kind (and deferred options) from its first value. */
function settleKind(owner: Function, key: string, value: unknown): void {
  const info = hasOwn(owner, RUNTIME_PATH) ? (owner as { [RUNTIME_PATH]?: RuntimePathInfo })[RUNTIME_PATH] : undefined;
  if (info === undefined || !info.kindless.delete(key)) return;
  const option = info.fields.get(key);
  if (option === undefined || option === TRANSIENT) return;
  const kind = kindOf(value);
  if (kind === "scalar" && option.backref === undefined) return; // registered right already
  registerAttributeImpl(owner as AnyClass, key, { ...collectionOf(value), ...option, kind });
}

let absorbing: object | undefined;

/**
 * The runtime path's late adoption (`runtimePathHooks.absorb`): own data properties of an
 * instance of a wrapped hierarchy that appeared after the wrapper's constructor returned (the
 * fields of an undecorated subclass, a field first assigned later) become attributes of the
 * instance's class the next time the runtime looks at the instance. Not while it is being
 * constructed (the wrapper adopts then), and never for classes built by the transformer.
 */
function absorbOwnFields(instance: object): void {
  const proto = Object.getPrototypeOf(instance) as { constructor?: { [RUNTIME_PATH]?: RuntimePathInfo } } | null;
  const cls = proto?.constructor;
  if (typeof cls !== "function" || cls[RUNTIME_PATH] === undefined || absorbing === instance) return;
  if (!hasOwn(proto!, "constructor") || isConstructing(instance)) return;
  const outer = absorbing;
  absorbing = instance;
  try {
    adoptOwnProperties(instance, cls as unknown as AnyClass);
  } finally {
    absorbing = outer;
  }
}

runtimePathHooks.absorb = absorbOwnFields;
runtimePathHooks.isRuntimePath = (instance) =>
  (Object.getPrototypeOf(instance) as { constructor?: { [RUNTIME_PATH]?: RuntimePathInfo } } | null)?.constructor?.[RUNTIME_PATH] !== undefined;

/**
 * `attributeOf(cls, key)` for a key `cls` does not have: for a class wrapped by the runtime path,
 * an error that says why (its fields are learnt from its first instance) and what to do.
 */
runtimePathHooks.unknownAttribute = (cls: Function, key: string): Error | undefined => {
  if ((cls as { [RUNTIME_PATH]?: RuntimePathInfo })[RUNTIME_PATH] === undefined) return undefined;
  const name = className(cls);
  return new InvalidRequestError(
    `${name}.${key} is not an instrumented attribute of ${name} yet. ${name} was built without the class-instrumentation ` +
      `transformer, so @mapped learns its fields from the first instance constructed. Declare the field with ` +
      `@attribute({ ... }), construct an instance first, or build with the transformer: add ` +
      `"plugins": [{ "transform": "class-instrumentation/transformer" }] to compilerOptions and compile with ts-patch's tspc.`,
  );
};

function kindOf(value: unknown): AttributeKind {
  if (duckTypeCollection(value) !== undefined) return "collection";
  if (typeof value === "object" && value !== null && lookups.instanceState(value) !== undefined) return "object";
  return "scalar";
}

function collectionOf(value: unknown): Pick<RegisterAttributeOptions, "collectionClass"> {
  const shape = duckTypeCollection(value);
  return shape === undefined ? {} : { collectionClass: COLLECTION_CLASSES[shape] };
}

/** @internal Whether `cls` constructs through frames (transformed, or wrapped by `@mapped`). */
export function constructsThroughFrames(cls: unknown): boolean {
  return typeof cls === "function" && hasOwn(cls, CONSTRUCTS);
}
