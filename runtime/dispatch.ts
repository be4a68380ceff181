/**
 * Listener storage for the three event families (port of `event/attr.py`'s listener
 * collections, reduced to what instrumentation needs). A {@link ListenerList} keeps the user's
 * function next to the wrapper actually called; dispatchers group one list per identifier.
 * The public `listen` / `removeListener` API lives in `events.ts`; this module holds data only,
 * so that the class, instance and attribute layers can fire events without importing it.
 */

/** Options accepted by `listen`, with SQLAlchemy's meanings. */
export interface ListenOptions {
  /** Also listen on subclasses (existing and future). Default true for instrumentation events. */
  propagate?: boolean;
  /** The listener's return value replaces the value (set, append, initScalar). */
  retval?: boolean;
  /** The listener receives the `InstanceState` instead of the instance. */
  raw?: boolean;
  /** Call the listener at most once. */
  once?: boolean;
  /** Collection listeners receive the position or key of the change as a last argument. */
  includeKey?: boolean;
  /** Attribute listeners: turn on active history (the old value is loaded before a set). */
  activeHistory?: boolean;
}

/** One registered listener: the user's function, the wrapper that is called, and its options. */
export interface ListenerEntry {
  /** The function given to `listen`. */
  readonly fn: Function;
  /** The function the dispatcher calls. */
  readonly call: Function;
  /** Whether the listener propagates to subclasses. */
  readonly propagate: boolean;
  /** The options it was registered with. */
  readonly options: Readonly<ListenOptions>;
}

/**
 * The listeners of one identifier on one target, in registration order. The array is replaced,
 * never mutated, so that a listener removing itself during dispatch does not disturb the loop.
 */
export class ListenerList {
  /** Current listeners; iterate this. */
  items: readonly ListenerEntry[] = [];

  /** Number of listeners. */
  get length(): number {
    return this.items.length;
  }

  /** Appends an entry unless the same function is already registered. */
  add(entry: ListenerEntry): boolean {
    if (this.items.some((e) => e.fn === entry.fn)) return false;
    this.items = [...this.items, entry];
    return true;
  }

  /** Removes the entry for `fn`; returns whether there was one. */
  remove(fn: Function): boolean {
    const next = this.items.filter((e) => e.fn !== fn);
    if (next.length === this.items.length) return false;
    this.items = next;
    return true;
  }

  /** Whether `fn` is registered. */
  has(fn: Function): boolean {
    return this.items.some((e) => e.fn === fn);
  }

  /** The propagating entries. */
  propagating(): ListenerEntry[] {
    return this.items.filter((e) => e.propagate);
  }
}

/** Identifiers of the instance event family. */
export const INSTANCE_EVENT_NAMES = ["init", "initFailure", "load", "refresh", "expire"] as const;
/** One instance event identifier. */
export type InstanceEventName = (typeof INSTANCE_EVENT_NAMES)[number];

/** Identifiers of the attribute event family. */
export const ATTRIBUTE_EVENT_NAMES = [
  "set",
  "append",
  "appendWithoutMutation",
  "remove",
  "bulkReplace",
  "initScalar",
  "initCollection",
  "disposeCollection",
  "modified",
] as const;
/** One attribute event identifier. */
export type AttributeEventName = (typeof ATTRIBUTE_EVENT_NAMES)[number];

/** Identifiers of the instrumentation event family. */
export const INSTRUMENTATION_EVENT_NAMES = ["classInstrument", "classUninstrument", "attributeInstrument"] as const;
/** One instrumentation event identifier. */
export type InstrumentationEventName = (typeof INSTRUMENTATION_EVENT_NAMES)[number];

/** Per-manager instance-event listeners (`ClassManager.dispatch`). */
export class InstanceDispatch {
  readonly init = new ListenerList();
  readonly initFailure = new ListenerList();
  readonly load = new ListenerList();
  readonly refresh = new ListenerList();
  readonly expire = new ListenerList();

  /** The list of one identifier. */
  list(name: InstanceEventName): ListenerList {
    return this[name];
  }
}

/** Per-attribute listeners (`InstrumentedAttribute.dispatch`), plus the active-history flag. */
export class AttributeDispatch {
  readonly set = new ListenerList();
  readonly append = new ListenerList();
  readonly appendWithoutMutation = new ListenerList();
  readonly remove = new ListenerList();
  readonly bulkReplace = new ListenerList();
  readonly initScalar = new ListenerList();
  readonly initCollection = new ListenerList();
  readonly disposeCollection = new ListenerList();
  readonly modified = new ListenerList();
  /** Load the old value before a set (SQLAlchemy `_active_history`). */
  activeHistory = false;
  /** Called whenever listeners change, so impls can recompute their fast-path flags. */
  onChange: (() => void) | undefined = undefined;

  /** The list of one identifier. */
  list(name: AttributeEventName): ListenerList {
    return this[name];
  }
}

/** A listener on the instrumentation family, bound to a target class. */
export interface InstrumentationListener extends ListenerEntry {
  /**
   * The class listened on, held weakly (the listener goes away with it). Typed structurally so
   * that the published declarations do not require the ES2021 `WeakRef` lib.
   */
  readonly target: { deref(): Function | undefined };
}

/**
 * Global instrumentation-event listeners. They live here rather than on the factory object, so
 * that replacing the factory (the extension does) keeps them — unlike SQLAlchemy, where importing
 * `ext.instrumentation` silently drops them (reference §9 quirk 3).
 */
export const instrumentationListeners: Record<InstrumentationEventName, InstrumentationListener[]> = {
  classInstrument: [],
  classUninstrument: [],
  attributeInstrument: [],
};

/** Instance listeners registered on classes that had no manager yet ("held", §5.12). */
export interface HeldListener {
  /** Identifier. */
  readonly name: InstanceEventName;
  /** The entry to add once a manager exists. */
  readonly entry: ListenerEntry;
}

/** Held instance listeners, by the class they were registered on. */
export const heldInstanceListeners = new WeakMap<Function, HeldListener[]>();
