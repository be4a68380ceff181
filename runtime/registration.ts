/**
 * Attribute registration (port of `register_attribute` / `register_attribute_impl` in
 * `orm/attributes.py`): creates an attribute's descriptor and impl on a class's manager, wires
 * backrefs, removes attributes, and finds a class's attribute descriptor.
 */
import { className, closestKey, describeValue, unknownAttributeMessage, type AttributeKey, type Class } from "./base.js";
import { ArgumentError, InvalidRequestError, ReservedAttributeError } from "./errors.js";
import { lookups } from "./lookups.js";
import { runtimePathHooks } from "./construct.js";
import { managerOfClass, registerClass, type ClassManager } from "./instrumentation.js";
import {
  AttributeImpl,
  CollectionAttributeImpl,
  InstrumentedAttribute,
  ScalarAttributeImpl,
  ScalarObjectAttributeImpl,
} from "./attributes.js";
import { installBackrefListeners } from "./backref.js";
import type { CollectionClass } from "./collections.js";
import type { LoaderCallable } from "./state.js";
import type { AccessorFactory } from "./accessor-template.js";

/** The kinds of attribute `registerAttribute` builds. */
export type AttributeKind = "scalar" | "object" | "collection";

/** Options of {@link registerAttribute}. */
export interface RegisterAttributeOptions<T extends object = object> {
  /** Attribute kind; default "scalar". */
  kind?: AttributeKind;
  /** Collection class for "collection" attributes: Array (default), Set, Map, a subclass, or a class with roles. */
  collectionClass?: CollectionClass;
  /** Class-level loader for an absent value. */
  callable?: LoaderCallable<T>;
  /** Track parents on the values' states. */
  trackParent?: boolean;
  /** Load the old value before a change. */
  activeHistory?: boolean;
  /** Name of the attribute on the values' class that mirrors this one. */
  backref?: string;
  /** Scalar equality for history (default `Object.is`). */
  compare?: (a: unknown, b: unknown) => boolean;
  /** Record history and mark the state modified (default true). */
  sendModifiedEvents?: boolean;
  /** Parent-tracking token shared by attributes that count as one. */
  parentToken?: object;
  /** Reload through the expired-attribute loader after expiry (default true). */
  loadOnUnexpire?: boolean;
  /** Whether the expired-attribute loader serves this attribute (default: scalars only). */
  acceptsScalarLoader?: boolean;
  /** Collection attributes: how to copy the committed collection. */
  copy?: (collection: object) => unknown[];
  /** A pre-compiled accessor factory (the transformer emits one per attribute). */
  accessor?: AccessorFactory;
}

/** Registers attribute `key` on `cls` (registering the class unfinalized if needed). */
export function registerAttribute<T extends object>(
  cls: Class<T>,
  key: string,
  options: RegisterAttributeOptions<T> = {},
): InstrumentedAttribute<T> {
  validateRegisterAttribute(cls, key, options);
  const manager = lookups.optManagerOfClass(cls) ?? registerClass(cls, { finalize: false });
  const descriptor = new InstrumentedAttribute<T>(cls, key);
  descriptor.accessorFactory = options.accessor;
  (manager as unknown as ClassManager).instrumentAttribute(key, descriptor as unknown as InstrumentedAttribute);
  registerAttributeImpl(cls, key, options);
  return descriptor;
}

const KINDS: readonly AttributeKind[] = ["scalar", "object", "collection"];

/** Rejects misspelt or mistyped `registerAttribute` arguments with a message naming the fix. */
function validateRegisterAttribute(cls: unknown, key: unknown, options: unknown): void {
  if (typeof cls !== "function") {
    throw new ArgumentError(`registerAttribute() takes a class first, got ${describeValue(cls)}: registerAttribute(User, "name", options).`);
  }
  const name = className(cls);
  if (typeof key !== "string" || key === "") {
    throw new ArgumentError(
      `registerAttribute(${name}, key): the key must be a non-empty string naming the attribute, got ${describeValue(key)}` +
        (typeof key === "symbol" || typeof key === "number" ? ` (${String(key)}); symbol and number keys cannot be instrumented.` : "."),
    );
  }
  if (key === "constructor") {
    throw new ReservedAttributeError(
      `registerAttribute(${name}, "constructor"): "constructor" cannot be an instrumented attribute — JavaScript (and this ` +
        `runtime) read obj.constructor to find an object's class. Rename the attribute (e.g. "ctor" or "constructorName").`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`registerAttribute(${name}, "${key}", options): options must be an object such as { kind: "collection" }, got ${describeValue(options)}.`);
  }
  const kind = (options as { kind?: unknown }).kind;
  if (kind !== undefined && !KINDS.includes(kind as AttributeKind)) {
    const suggestion = typeof kind === "string" ? closestKey(kind, KINDS) : undefined;
    throw new ArgumentError(
      `registerAttribute(${name}, "${key}"): unknown kind ${describeValue(kind)}` +
        (suggestion ? `; did you mean "${suggestion}"?` : `; use "scalar", "object" or "collection".`),
    );
  }
  const collectionClass = (options as { collectionClass?: unknown }).collectionClass;
  if (collectionClass !== undefined && typeof collectionClass !== "function") {
    throw new ArgumentError(`registerAttribute(${name}, "${key}"): collectionClass must be a class (Array, Set, Map, a subclass, or a class with collection.roles), got ${describeValue(collectionClass)}.`);
  }
  if (collectionClass !== undefined && kind !== "collection") {
    throw new ArgumentError(`registerAttribute(${name}, "${key}"): collectionClass is given but kind is ${kind === undefined ? "not set (scalar)" : `"${String(kind)}"`}; add kind: "collection".`);
  }
}

/** @internal Builds the impl of an already instrumented attribute (SQLAlchemy `register_attribute_impl`). */
export function registerAttributeImpl<T extends object>(cls: Class<T>, key: string, options: RegisterAttributeOptions<T>): AttributeImpl {
  const manager = managerOfClass(cls);
  const attr = manager.get(key);
  if (attr === undefined) throw new InvalidRequestError(`${className(cls)}.${key} has no descriptor to attach an implementation to.`);
  const callable = options.callable as LoaderCallable | undefined;
  const kind = options.kind ?? "scalar";
  let impl: AttributeImpl;
  if (kind === "collection") {
    const factory = manager.instrumentCollectionClass(key, options.collectionClass ?? Array);
    impl = new CollectionAttributeImpl(cls, key, callable, attr.dispatch, factory, options);
  } else if (kind === "object") {
    impl = new ScalarObjectAttributeImpl(cls, key, callable, attr.dispatch, options);
  } else {
    impl = new ScalarAttributeImpl(cls, key, callable, attr.dispatch, options);
  }
  attr.impl = impl;
  manager.allocateBit(impl);
  if (options.backref !== undefined) installBackrefListeners(attr as unknown as InstrumentedAttribute, options.backref, kind === "collection");
  manager.postConfigureAttribute(key);
  return impl;
}

/** Removes attribute `key` from `cls` (and the subclasses that inherited it). */
export function unregisterAttribute<T extends object>(cls: Class<T>, key: AttributeKey<T>): void {
  managerOfClass(cls).uninstrumentAttribute(key);
}

/** The descriptor of `cls`'s attribute `key` (the target of attribute events). */
export function attributeOf<T extends object, K extends keyof T & string>(cls: Class<T>, key: K): InstrumentedAttribute<T, T[K]> {
  let manager: ClassManager | undefined = lookups.optManagerOfClass(cls);
  for (let c: unknown = Object.getPrototypeOf(cls); manager === undefined && typeof c === "function"; c = Object.getPrototypeOf(c)) {
    if (lookups.optManagerOfClass(c)) manager = registerClass(cls, { finalize: false }) as unknown as ClassManager;
  }
  if (manager === undefined) throw lookupsUnmapped(cls);
  let attr = manager.get(key);
  // A class wrapped by the runtime path learns its fields from instances: asking declares it.
  if (attr === undefined && runtimePathHooks.declareAttribute?.(cls, key) === true) attr = manager.get(key);
  if (attr === undefined) throw unknownAttributeError(cls, key, manager.keys());
  return attr as unknown as InstrumentedAttribute<T, T[K]>;
}

/**
 * @internal The error for a key `cls` has no attribute under: "did you mean" when it looks like a
 * typo of a known key, else the list of known keys.
 */
export function unknownAttributeError(cls: Function, key: string, known: Iterable<string>): Error {
  return new InvalidRequestError(unknownAttributeMessage(cls, key, [...known]));
}

function lookupsUnmapped(cls: unknown): Error {
  try {
    lookups.managerOfClass(cls);
  } catch (error) {
    return error as Error;
  }
  return new InvalidRequestError(`${className(cls)} is not instrumented.`);
}
