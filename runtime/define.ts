/**
 * {@link defineMapped}: what the transformer's output calls at class definition (and what the
 * runtime path of `@mapped` calls once it wrapped a class): registers the class and its
 * attributes, with the accessor factories generated at build time, and installs serialization.
 */
import { type Class } from "./base.js";
import { defaultInstanceState } from "./lookups.js";
import { CONSTRUCTS } from "./construct.js";
import { registerClass, type ClassManager, type RegisterClassOptions } from "./instrumentation.js";
import { registerAttribute, type AttributeKind, type RegisterAttributeOptions } from "./registration.js";
import type { CollectionKind } from "./collections.js";
import type { AccessorFactory } from "./accessor-template.js";
import { installSerialization } from "./serialize.js";

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
  /** @internal The accessor factory generated at build time. */
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

/** @internal The collection class of each collection shape the transformer infers. */
export const COLLECTION_CLASSES: Record<CollectionKind, RegisterAttributeOptions["collectionClass"]> = {
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

