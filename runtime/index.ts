/**
 * class-instrumentation runtime: SQLAlchemy-style class instrumentation for TypeScript.
 * Explicit named exports only; see API.md for the contract.
 */
import * as construct from "./construct.js";
export {
  NO_VALUE,
  NEVER_SET,
  PASSIVE_NO_RESULT,
  ATTR_WAS_SET,
  ATTR_EMPTY,
  NO_KEY,
  CALLABLES_OK,
  SQL_OK,
  RELATED_OBJECT_OK,
  INIT_OK,
  NON_PERSISTENT_OK,
  LOAD_AGAINST_COMMITTED,
  NO_AUTOFLUSH,
  NO_RAISE,
  DEFERRED_HISTORY_LOAD,
  INCLUDE_PENDING_MUTATIONS,
  NO_CHANGE,
  PASSIVE_OFF,
  PASSIVE_RETURN_NO_VALUE,
  PASSIVE_NO_INITIALIZE,
  PASSIVE_NO_FETCH,
  PASSIVE_NO_FETCH_RELATED,
  PASSIVE_ONLY_PERSISTENT,
  PASSIVE_MERGE,
  STATE_ATTR,
  MANAGER_ATTR,
  DICT_ATTR,
  DIRTY_ATTR,
  type Sentinel,
  type PassiveFlag,
  type Class,
  type AttributeKey,
} from "./base.js";
export {
  InstrumentationError,
  UnmappedClassError,
  UnmappedInstanceError,
  ReservedAttributeError,
  InstrumentationConflictError,
  ExpiredAttributeError,
  ObjectDereferencedError,
  InvalidRequestError,
  ArgumentError,
  NoValueError,
  LoaderError,
  CollectionTypeError,
  type InstrumentationErrorCode,
} from "./errors.js";
export {
  ClassManager,
  InstrumentationFactory,
  DEL_ATTR,
  registerClass,
  unregisterClass,
  managerOfClass,
  optManagerOfClass,
  isInstrumented,
  getInstrumentationFactory,
  type ExpiredAttributeLoader,
  type RegisterClassOptions,
  type ManagerFactory,
  type OriginalMember,
  type StateGetter,
  type DictGetter,
  type ManagerGetter,
} from "./instrumentation.js";
export { instanceState, instanceDict } from "./access.js";
export { InstanceState, AttributeState, PendingCollection, type LoaderCallable, type ChangedKeys } from "./state.js";
export {
  AttributeEventToken,
  AttributeImpl,
  ScalarAttributeImpl,
  ScalarObjectAttributeImpl,
  CollectionAttributeImpl,
  InstrumentedAttribute,
  type AttributeOp,
  type ImplOptions,
  type CollectionImplOptions,
} from "./attributes.js";
export { History, HISTORY_BLANK } from "./history.js";
export {
  registerAttribute,
  unregisterAttribute,
  attributeOf,
  type AttributeKind,
  type RegisterAttributeOptions,
} from "./registration.js";
export {
  getAttribute,
  setAttribute,
  delAttribute,
  setCommittedValue,
  flagModified,
  flagDirty,
  initCollection,
  initStateCollection,
  getHistory,
  getStateHistory,
  hasParent,
  loadExpired,
  rollback,
} from "./operations.js";
export {
  CollectionAdapter,
  InstrumentedList,
  InstrumentedSet,
  InstrumentedMap,
  ADAPTER,
  adapterOf,
  collection,
  keyedMap,
  bulkReplace,
  duckTypeCollection,
  prepareInstrumentation,
  type CollectionKind,
  type CollectionClass,
  type CollectionFactory,
  type CollectionRoles,
} from "./collections.js";
export { IdentityMap, type InstanceChanges } from "./identity.js";
export {
  listen,
  removeListener,
  hasListener,
  type ListenOptions,
  type RawListenOptions,
  type InstanceListenOptions,
  type InstrumentationEvents,
  type InstanceEvents,
  type AttributeEvents,
  type MemberOf,
} from "./events.js";
export type { AttributeEventName, InstanceEventName, InstrumentationEventName } from "./dispatch.js";
export type { ConstructionFrame } from "./construct.js";
// Called by every generated constructor: exported as plain values (a re-export compiles to a
// getter on the CommonJS exports object, one extra call per construction).
/** Opens or joins the construction frame of a `new` (first statement of a generated constructor). */
export const beginConstruction: typeof construct.beginConstruction = construct.beginConstruction;
/** Enters the frame right after `super()`: fires `init` once per `new`. */
export const enterConstruction: typeof construct.enterConstruction = construct.enterConstruction;
/** Fires `initFailure` for the frame (the generated `catch` rethrows the error unchanged). */
export const failConstruction: typeof construct.failConstruction = construct.failConstruction;
/** Closes the frame when its last constructor returns (the generated `finally`). */
export const endConstruction: typeof construct.endConstruction = construct.endConstruction;
export { mapped, attribute, transient } from "./mapped.js";
export { defineMapped, type MappedOptions, type AttributeOptions, type MappedAttributeSpec, type DefineMappedSpec } from "./define.js";
export { loadedValues } from "./serialize.js";
