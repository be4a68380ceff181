/**
 * The accessor template: the JavaScript source of the getter/setter pair installed for each
 * attribute. It imports nothing, so the transformer (which emits this source at build time) and
 * the runtime (which compiles it with `new Function` when no build-time factory exists) share
 * one definition without the transformer loading the runtime.
 *
 * The generated pair works on the instance's own slot for the attribute (see `slots.ts`):
 * - read: one load; a loaded value (anything but `undefined` and `ABSENT`) is returned as is;
 * - write: a load of the instance's dirty word and a test of the descriptor's fast bit; when set
 *   (a new object being filled in, or an attribute already changed since the last commit), a
 *   plain store;
 * - any other write goes out of line, to `first`: the first write of a plain attribute after a
 *   commit is recorded by the state (old value kept, bit set, then stored). `first` is generated
 *   with the pair, so the instance's shape is seen by per-class code (monomorphic), not by the
 *   runtime shared by every class. Everything else (listeners, collections, parent tracking,
 *   active history, writes through a Proxy of the instance, an instance not yet linked to itself)
 *   goes on to `firstSet` and the slow path through the attribute's impl. A read of anything
 *   else (loaders, defaults) takes `slowGet`.
 * The setter stays small so that V8 inlines all of a class's setters into its constructor.
 *
 * Not part of the public API (not exported by the package entry points): the emitted code is an
 * implementation detail.
 */

/** What a generated accessor factory receives as `rt` (opaque to users: the transformer's output passes it through). */
export interface AccessorRuntime {
  readonly DIRTY: symbol;
  readonly STATE: symbol;
  readonly SELF: symbol;
  readonly NO_VALUE: unknown;
  readonly ABSENT: unknown;
  readonly slotKey: (key: string) => symbol;
  readonly slowGet: (obj: object, attr: never) => unknown;
  readonly firstSet: (obj: object, attr: never, slot: symbol, value: unknown) => void;
}

/** Builds the accessor descriptor of one attribute (the factories the transformer emits; not meant to be written by hand). */
export type AccessorFactory = (rt: AccessorRuntime, attr: never) => PropertyDescriptor;

/** @internal Parameter names of a generated accessor factory, in order. */
export const ACCESSOR_PARAMS: readonly ["rt", "attr"] = ["rt", "attr"];

/**
 * @internal JavaScript source of the body of a factory `(rt, attr) => PropertyDescriptor` for
 * attribute `key` (parameters named as {@link ACCESSOR_PARAMS}). `sourceUrl` names the compiled
 * code in stack traces and profiles.
 */
export function accessorSource(key: string, sourceUrl?: string): string {
  const k = JSON.stringify(key);
  // A distinct source per class keeps V8 from sharing one compiled accessor (and its type
  // feedback) between same-named attributes of different classes; it also names them in profiles.
  const url = sourceUrl === undefined ? "" : `\n  //# sourceURL=${sourceUrl.replace(/[\s]/g, "_")}`;
  return `
  const DIRTY = rt.DIRTY, ABSENT = rt.ABSENT, STATE = rt.STATE, SELF = rt.SELF, NO_VALUE = rt.NO_VALUE,
    S = rt.slotKey(${k}), slowGet = rt.slowGet, firstSet = rt.firstSet;
  function get() {
    const v = this[S];
    if (v !== undefined && v !== ABSENT) return v;
    return slowGet(this, attr);
  }
  function set(v) {
    if ((this[DIRTY] & attr.fastBit) !== 0) { this[S] = v; return; }
    first(this, v);
  }
  function first(o, v) {
    const b = attr.fastBit, s = o[STATE];
    if (b !== 0 && s !== undefined && o[SELF] === o) {
      const old = o[S];
      o[DIRTY] |= b;
      s.recordChange(attr.impl, old === ABSENT || (old === undefined && !(S in o)) ? NO_VALUE : old, o);
      o[S] = v;
      return;
    }
    firstSet(o, attr, S, v);
  }
  get.instrumented = true;
  return { get, set, configurable: true, enumerable: false };${url}`;
}
