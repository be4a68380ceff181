/**
 * The runtime's error hierarchy (port of `orm/exc.py` and the plain Python errors the
 * instrumentation layer raises). Every error carries a stable `code` so that callers and tests
 * can match on it instead of on message text; messages name the class and attribute involved.
 */

/** Stable codes of the runtime's errors; a code never changes meaning between releases. */
export type InstrumentationErrorCode =
  | "CI_UNMAPPED_CLASS"
  | "CI_UNMAPPED_INSTANCE"
  | "CI_RESERVED_ATTRIBUTE"
  | "CI_INSTRUMENTATION_CONFLICT"
  | "CI_EXPIRED_ATTRIBUTE"
  | "CI_OBJECT_DEREFERENCED"
  | "CI_INVALID_REQUEST"
  | "CI_ARGUMENT"
  | "CI_NO_VALUE"
  | "CI_LOADER";

/** Base class of every error the runtime throws on misuse; `code` identifies the condition. */
export class InstrumentationError extends Error {
  /** The stable code of this condition. */
  readonly code: InstrumentationErrorCode;

  constructor(code: InstrumentationErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A class has no instrumentation manager of its own (SQLAlchemy `UnmappedClassError`). */
export class UnmappedClassError extends InstrumentationError {
  constructor(message: string) {
    super("CI_UNMAPPED_CLASS", message);
  }
}

/** An object is not an instance of an instrumented class, or has no state. */
export class UnmappedInstanceError extends InstrumentationError {
  constructor(message: string) {
    super("CI_UNMAPPED_INSTANCE", message);
  }
}

/** A member or descriptor was to be installed under a key the runtime reserves for itself. */
export class ReservedAttributeError extends InstrumentationError {
  constructor(message: string) {
    super("CI_RESERVED_ATTRIBUTE", message);
  }
}

/** Two instrumentation implementations were found in one class hierarchy (extension). */
export class InstrumentationConflictError extends InstrumentationError {
  constructor(message: string) {
    super("CI_INSTRUMENTATION_CONFLICT", message);
  }
}

/** An expired attribute was read synchronously but can only be loaded asynchronously (or not at all). */
export class ExpiredAttributeError extends InstrumentationError {
  constructor(message: string) {
    super("CI_EXPIRED_ATTRIBUTE", message);
  }
}

/** A change event was emitted for an instance that has already been garbage collected. */
export class ObjectDereferencedError extends InstrumentationError {
  constructor(message: string) {
    super("CI_OBJECT_DEREFERENCED", message);
  }
}

/** An operation is not valid in the current state (SQLAlchemy `InvalidRequestError`). */
export class InvalidRequestError extends InstrumentationError {
  constructor(message: string) {
    super("CI_INVALID_REQUEST", message);
  }
}

/** An argument given to a runtime function has the wrong shape (SQLAlchemy `ArgumentError`). */
export class ArgumentError extends InstrumentationError {
  constructor(message: string) {
    super("CI_ARGUMENT", message);
  }
}

/** An attribute that holds no value was deleted (SQLAlchemy's "object does not have a value"). */
export class NoValueError extends InstrumentationError {
  constructor(message: string) {
    super("CI_NO_VALUE", message);
  }
}

/** An expired-attribute loader returned without populating the attribute it was asked for. */
export class LoaderError extends InstrumentationError {
  constructor(message: string) {
    super("CI_LOADER", message);
  }
}

/**
 * A value of the wrong collection shape was assigned to a collection attribute. It is a
 * `TypeError` (as API.md specifies) and carries a code like the other runtime errors.
 */
export class CollectionTypeError extends TypeError {
  /** Stable code of this condition. */
  readonly code = "CI_COLLECTION_TYPE" as const;

  constructor(message: string) {
    super(message);
    this.name = "CollectionTypeError";
  }
}
