/**
 * Constants shared by every layer (port of the relevant parts of `orm/base.py`): loader
 * sentinels, passive flags, the reserved keys, and small formatting helpers used in messages.
 * Nothing here imports another runtime module, so every module may import it.
 */

/** Unique sentinel type; sentinels are compared by identity only. */
export interface Sentinel {
  /** Name shown by `String()` and in debuggers. */
  readonly name: string;
}

function sentinel(name: string): Sentinel {
  return Object.freeze({ name, toString: () => name });
}

/** "No value": an attribute was never set, or a loader has nothing to give. */
export const NO_VALUE: Sentinel = sentinel("NO_VALUE");
/** Alias of {@link NO_VALUE}, as in SQLAlchemy. */
export const NEVER_SET: Sentinel = NO_VALUE;
/** A passive read could not produce a value without loading. */
export const PASSIVE_NO_RESULT: Sentinel = sentinel("PASSIVE_NO_RESULT");
/** A loader stored the value into the instance dict itself. */
export const ATTR_WAS_SET: Sentinel = sentinel("ATTR_WAS_SET");
/** A loader found nothing to load: use the attribute's default. */
export const ATTR_EMPTY: Sentinel = sentinel("ATTR_EMPTY");
/** The `key` given to collection listeners when an operation has no position or key. */
export const NO_KEY: Sentinel = sentinel("NO_KEY");

/** Loaders may run. */
export const CALLABLES_OK = 1;
/** Loaders may go to the backing store ("SQL" in SQLAlchemy). */
export const SQL_OK = 2;
/** Related objects may be loaded. */
export const RELATED_OBJECT_OK = 4;
/** A missing value may be initialised to its default. */
export const INIT_OK = 8;
/** Loading is allowed for objects that are not persistent. */
export const NON_PERSISTENT_OK = 16;
/** Load against the committed value, not the current one. */
export const LOAD_AGAINST_COMMITTED = 32;
/** Do not autoflush while loading. */
export const NO_AUTOFLUSH = 64;
/** Do not raise for attributes configured to raise on load. */
export const NO_RAISE = 128;
/** History may be loaded lazily. */
export const DEFERRED_HISTORY_LOAD = 256;
/** Collection history includes pending (queued) mutations. */
export const INCLUDE_PENDING_MUTATIONS = 512;
/** No flags. */
export const NO_CHANGE = 0;
/** Everything allowed: the flags of an ordinary attribute read. */
export const PASSIVE_OFF = CALLABLES_OK | SQL_OK | RELATED_OBJECT_OK | INIT_OK | NON_PERSISTENT_OK;
/** Like {@link PASSIVE_OFF} but never initialise a default: absent values read as `NO_VALUE`. */
export const PASSIVE_RETURN_NO_VALUE = PASSIVE_OFF ^ INIT_OK;
/** Neither load nor initialise: only what is already present. */
export const PASSIVE_NO_INITIALIZE = PASSIVE_RETURN_NO_VALUE ^ CALLABLES_OK;
/** Loaders may run but not go to the backing store. */
export const PASSIVE_NO_FETCH = PASSIVE_OFF ^ SQL_OK;
/** Do not load related objects. */
export const PASSIVE_NO_FETCH_RELATED = PASSIVE_OFF ^ RELATED_OBJECT_OK;
/** Only load for persistent objects. */
export const PASSIVE_ONLY_PERSISTENT = PASSIVE_OFF ^ NON_PERSISTENT_OK;
/** The flags used when merging. */
export const PASSIVE_MERGE = PASSIVE_OFF | NO_RAISE;

/** A combination of the passive flag bits above. */
export type PassiveFlag = number;

/**
 * Key under which an instance's state is stored: an own, non-enumerable property, defined when the
 * state is created (on first need), so `{ ...obj }`, `Object.assign` and clones never copy it. A
 * registered symbol, so that two copies of the runtime loaded in one process agree on it.
 */
export const STATE_ATTR: unique symbol = Symbol.for("class-instrumentation.state") as never;
/**
 * Reserved key that the default storage no longer uses: attribute values live on the instance
 * (see `slots.ts`). Kept reserved (no attribute or member may take it) for custom managers that
 * keep a dict on their instances.
 */
export const DICT_ATTR: unique symbol = Symbol.for("class-instrumentation.dict") as never;
/**
 * Key under which an instance refers to itself (non-enumerable, defined at its first recorded
 * change, once its state checked the instance is its own the slow way): read
 * through a `Proxy` of the instance it yields the instance, not the proxy, which is how the
 * generated setters tell the two apart without dereferencing the state's `WeakRef`.
 */
export const SELF_ATTR: unique symbol = Symbol.for("class-instrumentation.self") as never;
/**
 * Key of an instance's dirty word (a small integer, see `slots.ts`): which attributes a generated
 * setter may write without bookkeeping. A plain own property, assigned at construction.
 */
export const DIRTY_ATTR: unique symbol = Symbol.for("class-instrumentation.dirty") as never;

/** @internal Node's `util.inspect.custom`, without importing `node:util`. */
export const INSPECT: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

/** Key under which a class's manager is stored (a non-enumerable own property of the class). */
export const MANAGER_ATTR: unique symbol = Symbol.for("class-instrumentation.manager") as never;

/** Any class constructor (abstract ones included), whatever its parameters. */
export type Class<T extends object = object> = abstract new (...args: never[]) => T;

/**
 * Instance attribute names of `T` usable as keys (`getHistory(u, "name")`). For a type with no
 * string keys at all (`object`, an empty class whose attributes are registered at run time) any
 * string is accepted, since nothing is known to check it against.
 */
export type AttributeKey<T> = [Extract<keyof T, string>] extends [never] ? string : Extract<keyof T, string>;

/** The name of a class for messages: its `name`, or `<anonymous class>`. */
export function className(cls: unknown): string {
  if (typeof cls === "function" && cls.name) return cls.name;
  return "<anonymous class>";
}

/** The class name of an instance for messages. */
export function instanceClassName(obj: unknown): string {
  if (obj === null) return "null";
  if (obj === undefined) return "undefined";
  if (typeof obj !== "object" && typeof obj !== "function") return typeof obj;
  const proto = Object.getPrototypeOf(obj) as { constructor?: unknown } | null;
  return className(proto?.constructor);
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/** A short, stable per-object id for messages (`<User #3>`), standing in for Python's `id()`. */
export function objectId(obj: object): number {
  let id = objectIds.get(obj);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(obj, id);
  }
  return id;
}

/** `<ClassName #id>` for an instance, as in SQLAlchemy's `instance_str`. */
export function instanceStr(obj: object): string {
  return `<${instanceClassName(obj)} #${objectId(obj)}>`;
}

/** Whether `cls` is `base` or extends it (`Object` covers every class). */
export function isSubclass(cls: Function, base: Function): boolean {
  return cls === base || base === Object || (base.prototype !== undefined && base.prototype !== null && base.prototype.isPrototypeOf(cls.prototype));
}

/** Own-property test that never triggers getters. */
export function hasOwn(obj: object, key: PropertyKey): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Emits a Node warning when `process.emitWarning` exists, else `console.warn`. */
export function emitWarning(message: string, type = "InstrumentationWarning"): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, t: string) => void } }).process;
  if (proc && typeof proc.emitWarning === "function") proc.emitWarning(message, type);
  else console.warn(`${type}: ${message}`);
}

/**
 * The candidate closest to `key` by edit distance, when it is close enough to be a likely typo
 * (at most a third of the key's length, and at least one edit): powers "did you mean" messages.
 */
export function closestKey(key: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(key.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate === key) continue;
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Damerau-Levenshtein distance (adjacent transpositions count as one edit, as in "nmae"). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The message for an attribute name `cls` does not have: suggests the closest known name when
 * the key looks like a typo, else lists the known names.
 */
export function unknownAttributeMessage(cls: unknown, key: string, known: Iterable<string>): string {
  const name = className(cls);
  const keys = [...known];
  const suggestion = closestKey(key, keys);
  if (suggestion !== undefined) return `${name}.${key} is not an instrumented attribute of ${name}; did you mean '${suggestion}'?`;
  const list = keys.length === 0 ? "it has none" : `its attributes are ${keys.map((k) => `'${k}'`).join(", ")}`;
  return (
    `${name}.${key} is not an instrumented attribute of ${name} (${list}). Declare the field on the class, or ` +
    `registerAttribute(${name}, "${key}") to add it at run time.`
  );
}

/** A short description of a value of the wrong kind, for argument errors (`a plain object`, `"text"`, `42`). */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return `function ${value.name || "<anonymous>"}`;
  if (typeof value !== "object") return `${typeof value} ${String(value)}`;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  if (proto === null || proto === Object.prototype) return "a plain object";
  return `an instance of ${proto.constructor?.name || "<anonymous class>"}`;
}
