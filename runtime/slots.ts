/**
 * Instance storage of default-managed classes: each attribute's value lives on the instance
 * itself, under a per-attribute symbol key (its slot), next to one small integer (the dirty word,
 * under {@link DIRTY_ATTR}) that tells the generated setters which writes need no bookkeeping.
 * There is no separate dict object: `instanceDict(obj)` / `state.dict` is a view of the slots
 * ({@link slotDict}) with the semantics of SQLAlchemy's instance dict (a key is absent when not
 * loaded; `delete` makes it absent again).
 *
 * A slot holds the value, or {@link ABSENT} once a loaded value was removed (expiry, delete):
 * slots are never deleted from the instance, which would send it to V8's dictionary mode. A slot
 * never assigned is absent too.
 *
 * The dirty word is `-1` while the instance has no state (a new object being filled in: every
 * write is a plain store, and the state created later records the values as pending additions),
 * inherited from the class's prototype; a state gives the instance its own, non-enumerable word
 * with the state's fast-path bits: bit `impl.bit` set means the attribute's committed value is
 * already recorded, so a write is a plain store. (Classes of the runtime path of `@mapped` start
 * with no word at all, so that their first write takes the slow path, and get an own, plainly
 * assigned `-1`: see {@link markWritten}.)
 *
 * Imports nothing but `base.ts`: every layer may use it.
 */
import { DIRTY_ATTR } from "./base.js";

/** The value of a slot whose loaded value was removed (expired or deleted): reads as absent. */
export const ABSENT: unknown = Object.freeze({ toString: () => "ABSENT" });

const SLOT_PREFIX = "class-instrumentation.slot:";
const slots = new Map<string, symbol>();

/**
 * The slot key of attribute `key`: a registered symbol, the same for every class (a subclass
 * stores an inherited attribute where its base does) and for every copy of the runtime loaded in
 * one process.
 */
export function slotKey(key: string): symbol {
  let slot = slots.get(key);
  if (slot === undefined) {
    slot = Symbol.for(SLOT_PREFIX + key);
    slots.set(key, slot);
  }
  return slot;
}

/** The attribute key of a slot symbol, or `undefined` for any other symbol. */
export function keyOfSlot(symbol: symbol): string | undefined {
  const name = Symbol.keyFor(symbol);
  return name !== undefined && name.startsWith(SLOT_PREFIX) ? name.slice(SLOT_PREFIX.length) : undefined;
}

type Slots = Record<PropertyKey, unknown>;

/** Whether `obj` holds a loaded value for `key`. */
export function hasSlot(obj: object, key: string): boolean {
  const slot = slotKey(key);
  return slot in obj && (obj as Slots)[slot] !== ABSENT;
}

/** The loaded value of `key` on `obj`, or `undefined` when absent (check with {@link hasSlot}). */
export function readSlot(obj: object, key: string): unknown {
  const value = (obj as Slots)[slotKey(key)];
  return value === ABSENT ? undefined : value;
}

/** Stores `value` as the loaded value of `key` (no tracking: the caller did the bookkeeping). */
export function writeSlot(obj: object, key: string, value: unknown): void {
  (obj as Slots)[slotKey(key)] = value;
}

/** Makes `key` absent on `obj`; returns whether it held a value. */
export function clearSlot(obj: object, key: string): boolean {
  const slot = slotKey(key);
  if (!(slot in obj) || (obj as Slots)[slot] === ABSENT) return false;
  (obj as Slots)[slot] = ABSENT;
  return true;
}

/** The keys with a loaded value on `obj`, in the order their slots were created. */
export function loadedKeys(obj: object): string[] {
  const keys: string[] = [];
  for (const symbol of Object.getOwnPropertySymbols(obj)) {
    const key = keyOfSlot(symbol);
    if (key !== undefined && (obj as Slots)[symbol] !== ABSENT) keys.push(key);
  }
  return keys;
}

/**
 * Marks a stateless instance as written to (every later write of a plain attribute is a store).
 * Only instances of runtime-path classes have no word to inherit. Theirs is a plain assignment:
 * defining it non-enumerable doubled the cost of a runtime-path construction (1.3 -> 2.6 µs,
 * measured), so a spread of such an instance copies the word (an inert number) until its state
 * redefines it non-enumerable.
 */
export function markWritten(obj: object): void {
  if ((obj as { [DIRTY_ATTR]?: number })[DIRTY_ATTR] === undefined) (obj as { [DIRTY_ATTR]?: number })[DIRTY_ATTR] = -1;
}

/** The dirty word of `obj` (0 before the first write). */
export function dirtyWord(obj: object): number {
  return (obj as { [DIRTY_ATTR]?: number })[DIRTY_ATTR] ?? 0;
}

/** Sets the dirty word of `obj` (which owns one: see {@link ownDirtyWord}). */
export function setDirtyWord(obj: object, bits: number): void {
  (obj as { [DIRTY_ATTR]?: number })[DIRTY_ATTR] = bits;
}

/**
 * Gives `obj` its own dirty word, non-enumerable (a spread or clone does not copy it), set to
 * `bits`: done once, when the instance's state is created. Until then a new instance inherits
 * its class's word (`-1`: every write a plain store).
 */
export function ownDirtyWord(obj: object, bits: number): void {
  // Defined, then stored: a field V8 sees defined and never stored to is tracked as constant, and
  // the first-write path's stores to it then measured ~5 ns (25%) slower.
  Object.defineProperty(obj, DIRTY_ATTR, { value: 0, writable: true, configurable: true, enumerable: false });
  (obj as { [DIRTY_ATTR]?: number })[DIRTY_ATTR] = bits;
}

/** Proxy handler of a slot view; the target is an empty null-prototype object. */
class SlotView implements ProxyHandler<Slots> {
  constructor(private readonly obj: object) {}

  get(_target: Slots, key: PropertyKey): unknown {
    return typeof key === "string" ? readSlot(this.obj, key) : undefined;
  }

  set(_target: Slots, key: PropertyKey, value: unknown): boolean {
    if (typeof key === "string") writeSlot(this.obj, key, value);
    return true;
  }

  has(_target: Slots, key: PropertyKey): boolean {
    return typeof key === "string" && hasSlot(this.obj, key);
  }

  deleteProperty(_target: Slots, key: PropertyKey): boolean {
    if (typeof key === "string") clearSlot(this.obj, key);
    return true;
  }

  defineProperty(_target: Slots, key: PropertyKey, descriptor: PropertyDescriptor): boolean {
    if (typeof key !== "string" || !("value" in descriptor)) return false;
    writeSlot(this.obj, key, descriptor.value);
    return true;
  }

  ownKeys(): string[] {
    return loadedKeys(this.obj);
  }

  getOwnPropertyDescriptor(_target: Slots, key: PropertyKey): PropertyDescriptor | undefined {
    if (typeof key !== "string" || !hasSlot(this.obj, key)) return undefined;
    return { value: readSlot(this.obj, key), writable: true, enumerable: true, configurable: true };
  }
}

/**
 * The instance dict of a default-managed instance: a live view of its slots that behaves as a
 * plain object (get, set, `in`, `delete`, `Object.keys`, spread). Made on each call (a `Proxy`,
 * about as cheap as a small object): caching it on the instance would need a defined
 * (non-enumerable) property or a `WeakMap` entry, each costlier than the view itself, and the
 * state must not hold it (the view holds its instance, which a state must never keep alive).
 * The hot paths never go through it.
 */
export function slotDict(obj: object): Record<string, unknown> {
  return new Proxy(Object.create(null) as Slots, new SlotView(obj)) as Record<string, unknown>;
}
