/**
 * The decorators `@mapped`, `@attribute` and `@transient`, and the runtime path of `@mapped`.
 * (`defineMapped`, which the transformer's output calls, is in `define.ts`; `toJSON` and the
 * inspect hook in `serialize.ts`.)
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
 * Collaborators: `construct.ts`, `define.ts`, `instrumentation.ts` (`registerClass`),
 * `registration.ts` (`registerAttribute`).
 */
import { className, hasOwn, type Class } from "./base.js";
import { InvalidRequestError } from "./errors.js";
import { lookups } from "./lookups.js";
import { registerClass, type ClassManager } from "./instrumentation.js";
import { registerAttribute, registerAttributeImpl, type AttributeKind, type RegisterAttributeOptions } from "./registration.js";
import {
  CONSTRUCTS,
  RUNTIME_PATH,
  beginConstruction,
  endConstruction,
  enterConstruction,
  enterPendingConstruction,
  failConstruction,
  isConstructing,
  runtimePathHooks,
} from "./construct.js";
import { duckTypeCollection } from "./collections.js";
import { managerOfInstance } from "./serialize.js";
import { COLLECTION_CLASSES, defineMapped, type AttributeOptions, type MappedAttributeSpec, type MappedOptions } from "./define.js";

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
  /**
   * The own keys every instance had so far, all of them attributes with a settled kind (set once
   * a construction found nothing to register or settle): later constructions with the same keys
   * skip the per-key lookups. Valid while {@link planEpoch} has not moved.
   */
  plan: { readonly keys: readonly string[]; readonly epoch: number } | null;
}

/** Bumped whenever a runtime-path class learns of a field still to register or settle: plans made before are stale. */
let planEpoch = 0;


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
  const info: RuntimePathInfo = { fields, baseKeys: new Set(), kindless: new Set(), plan: null };
  const parent = Object.getPrototypeOf(cls) as unknown;
  if (typeof parent === "function" && parent !== Function.prototype && !chainConstructsThroughFrames(parent)) hookBase(cls, parent, info);
  const attributes: MappedAttributeSpec[] = [];
  for (const [key, value] of fields) {
    if (value === TRANSIENT) continue;
    if (value.kind === undefined && value.collectionClass === undefined) {
      // No declared types at run time: the kind comes from the first value (see `kindless`).
      info.kindless.add(key);
      planEpoch++;
      const { backref: _deferred, ...scalarOptions } = value;
      attributes.push({ key, options: scalarOptions });
    } else {
      attributes.push({ key, options: value });
    }
  }
  let defined = false;
  const define = (): void => {
    if (defined) return;
    defined = true;
    warnRuntimePath(cls);
    // The runtime path needs its construction frames even without listeners (isConstructing).
    defineMapped(Mapped, { attributes, keepFrames: true, ...(options ? { options } : {}) });
  };
  const Mapped = wrapConstruction(cls, define);
  Object.defineProperty(Mapped, "name", { value: cls.name, configurable: true });
  Object.defineProperty(Mapped, RUNTIME_PATH, { value: info, configurable: true });
  // TC39 decorators run before the static fields are initialized: register once they are (a
  // `static __sa_instrumentation_manager__` must be seen), or at the first construction if a
  // static initializer constructs an instance. Legacy decorators run after the statics.
  const addInitializer = (context as { addInitializer?: unknown } | undefined)?.addInitializer;
  if (typeof addInitializer === "function") (addInitializer as (f: () => void) => void).call(context, define);
  else define();
  return Mapped as C;
}

/** The environment variable that silences {@link warnRuntimePath} (any non-empty value but "0"). */
const RUNTIME_PATH_QUIET_ENV = "CLASS_INSTRUMENTATION_RUNTIME_PATH";
/** The code of the runtime-path warning (`node --disable-warning=CI_RUNTIME_PATH` also silences it). */
const RUNTIME_PATH_WARNING_CODE = "CI_RUNTIME_PATH";
let runtimePathWarned = false;

/**
 * Says once per process that a `@mapped` class took the runtime path: the transformer did not run
 * on it (no plugin host, no or a misspelt `plugins` entry, TypeScript 7, esbuild, tsx, swc), so
 * what it cannot do is not silent. Silenced by `CLASS_INSTRUMENTATION_RUNTIME_PATH=1` (a project
 * that means to use the runtime path) or `--disable-warning=CI_RUNTIME_PATH`.
 */
function warnRuntimePath(cls: AnyClass): void {
  if (runtimePathWarned) return;
  runtimePathWarned = true;
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined>; emitWarning?: (m: string, o: { type: string; code: string }) => void } }).process;
  const quiet = proc?.env?.[RUNTIME_PATH_QUIET_ENV];
  if (quiet !== undefined && quiet !== "" && quiet !== "0") return;
  const message =
    `@mapped class ${className(cls)} was not compiled by the class-instrumentation transformer, so it takes the runtime path ` +
    `(the same for every such class; this warning is shown once). The build ran no transformer: no ` +
    `"plugins": [{ "transform": "class-instrumentation/transformer" }] in compilerOptions (check the key's spelling), ` +
    `or a compiler that ignores plugins (plain tsc without ts-patch, TypeScript 7, esbuild, tsx, swc; use tspc or class-instrumentation/unplugin). ` +
    `The runtime path tracks fields learnt from instances: kinds come from the first value, fields become attributes when first assigned, \`accessor\` fields are not attributes, ` +
    `and init fires after the constructor (docs/transformer.md, "Without the transformer"). ` +
    `Set ${RUNTIME_PATH_QUIET_ENV}=1 if this is intended.`;
  if (typeof proc?.emitWarning === "function") proc.emitWarning(message, { type: "InstrumentationWarning", code: RUNTIME_PATH_WARNING_CODE });
  else console.warn(`InstrumentationWarning: ${message}`);
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

function wrapConstruction(cls: AnyClass, define: () => void): AnyClass {
  const Base = cls as unknown as new (...args: unknown[]) => object;
  const Mapped = class extends Base {
    constructor(...args: unknown[]) {
      define();
      const frame = beginConstruction(new.target, Mapped, args);
      try {
        super(...args);
        // As with the transformer, `init` listeners see no values yet and the field initializers'
        // and constructor's values win over what they assign: the fields are taken off the
        // instance, `init` fires, then the values are assigned through the attributes.
        const values = detachOwnProperties(this, Mapped);
        enterConstruction(this, frame);
        for (const [key, value] of values) (this as Record<string, unknown>)[key] = value;
        settleDeclaredFromDict(this, Mapped);
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
  const info = hasOwn(cls, RUNTIME_PATH) ? (cls as { [RUNTIME_PATH]?: RuntimePathInfo })[RUNTIME_PATH] : undefined;
  if (info !== undefined && info.plan !== null && info.plan.epoch === planEpoch && followsPlan(instance, cls, keys, info.plan.keys)) {
    for (const key of keys) {
      const value = (instance as Record<string, unknown>)[key];
      if (value !== undefined) detached.push([key, value]);
    }
    deleteLastFirst(instance, keys);
    return detached;
  }
  if (keys.length === 0 || managerOfInstance(instance) === undefined) return detached;
  const epoch = planEpoch;
  let manager: ClassManager | undefined;
  const taken: string[] = [];
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
      if (descriptor.value !== undefined) settleDeclaredKind(cls, key, descriptor.value);
      settleKind(manager.get(key)!.class_, key, descriptor.value);
    }
    taken.push(key);
    if (descriptor.value !== undefined) detached.push([key, descriptor.value]);
  }
  deleteLastFirst(instance, taken);
  if (info !== undefined && epoch === planEpoch && taken.length === keys.length && detached.length === keys.length && info.kindless.size === 0) {
    info.plan = { keys, epoch };
  }
  return detached;
}

/**
 * Deletes `keys` (own properties, in the order they were added) from `instance`, last added
 * first: V8 undoes the map transition of an object's most recently added property, so the
 * instance keeps its fast (in-object) properties; deleting any other property would turn them
 * into a dictionary, and every later access, accessors' included, into a hash lookup.
 */
function deleteLastFirst(instance: object, keys: readonly string[]): void {
  for (let i = keys.length - 1; i >= 0; i--) delete (instance as Record<string, unknown>)[keys[i]!];
}

/**
 * Whether `instance` can be detached by `plan`: the same own keys in the same order, each still an
 * attribute of `cls` and a plain (configurable, writable) data property.
 */
function followsPlan(instance: object, cls: AnyClass, keys: readonly string[], plan: readonly string[]): boolean {
  if (keys.length !== plan.length) return false;
  const manager = lookups.optManagerOfClass(cls);
  if (manager === undefined) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key !== plan[i] || !manager.has(key)) return false;
  }
  return true;
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
 * Attributes declared by `attributeOf(cls, key)` before any value was seen (per declaring class):
 * registered as scalars so that listeners can be attached at start-up; the first value assigned
 * settles the kind (a collection or a mapped object re-builds the attribute's implementation,
 * keeping its listeners).
 */
const declaredEarly = new WeakMap<Function, Set<string>>();

/** `attributeOf(cls, key)` for a key a runtime-path class has not seen yet: declares it. */
runtimePathHooks.declareAttribute = (cls: Function, key: string): boolean => {
  if ((cls as { [RUNTIME_PATH]?: RuntimePathInfo })[RUNTIME_PATH] === undefined) return false;
  registerAttribute(cls as AnyClass, key, { kind: "scalar" });
  let keys = declaredEarly.get(cls);
  if (keys === undefined) declaredEarly.set(cls, (keys = new Set()));
  keys.add(key);
  planEpoch++;
  return true;
};

/** Gives an attribute declared early by `attributeOf` the kind of its first value; true when it changed. */
function settleDeclaredKind(cls: AnyClass, key: string, value: unknown): boolean {
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const keys = declaredEarly.get(c);
    if (keys === undefined || !keys.delete(key)) continue;
    const kind = kindOf(value);
    if (kind === "scalar") return false;
    registerAttributeImpl(c as AnyClass, key, { kind, ...collectionOf(value) });
    return true;
  }
  return false;
}

/**
 * [[Set]] fields (`useDefineForClassFields: false`) write through the accessor of an attribute
 * declared early, as a scalar: once constructed, its first value settles the kind and, when that
 * changed, is assigned again through the attribute's new implementation.
 */
function settleDeclaredFromDict(instance: object, cls: AnyClass): void {
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const keys = declaredEarly.get(c);
    if (keys === undefined || keys.size === 0) continue;
    const dict = lookups.instanceDict(instance);
    for (const key of [...keys]) {
      const value = hasOwn(dict, key) ? dict[key] : undefined;
      if (value === undefined || !settleDeclaredKind(cls, key, value)) continue;
      delete dict[key];
      (instance as Record<string, unknown>)[key] = value;
    }
  }
}

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
