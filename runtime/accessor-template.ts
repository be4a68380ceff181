/**
 * The accessor template: the JavaScript source of the getter/setter pair installed for each
 * attribute. It imports nothing, so the transformer (which emits this source at build time) and
 * the runtime (which compiles it with `new Function` when no build-time factory exists) share
 * one definition without the transformer loading the runtime.
 *
 * The generated pair works on the instance dict directly:
 * - read: a loaded value is returned straight from the dict;
 * - write with no state yet (a new object being filled in): stored, nothing else — the state,
 *   created on first need, records those values as pending additions;
 * - write to an attribute already changed since the last commit: stored;
 * - first write after a commit: the old value is recorded, then stored.
 * Anything else (listeners, collections, parent tracking, active history, loaders, defaults)
 * takes the slow path through the attribute's impl.
 *
 * Not part of the public API (not exported by the package entry points): the emitted code is an
 * implementation detail.
 */

/** What a generated accessor factory receives as `rt` (opaque to users: the transformer's output passes it through). */
export interface AccessorRuntime {
  readonly STATE: symbol;
  readonly DICT: symbol;
  readonly OWNER: symbol;
  readonly NO_VALUE: unknown;
  readonly slowGet: (obj: object, attr: never) => unknown;
  readonly slowSet: (obj: object, attr: never, value: unknown) => void;
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
  const STATE = rt.STATE, DICT = rt.DICT, OWNER = rt.OWNER, NO_VALUE = rt.NO_VALUE, slowGet = rt.slowGet, slowSet = rt.slowSet;
  function get() {
    const d = this[DICT];
    if (d !== undefined && d[OWNER] === this) { const v = d[${k}]; if (v !== undefined) return v; }
    return slowGet(this, attr);
  }
  function set(v) {
    const d = this[DICT];
    if (d !== undefined && d[OWNER] === this) {
      const i = attr.impl;
      if (i !== undefined && i.plainSet) {
        const s = this[STATE];
        if (s === undefined) { d[${k}] = v; return; }
        if ((s.dirtyBits & i.bit) === 0) {
          if (i.bit === 0) { slowSet(this, attr, v); return; }
          const old = d[${k}];
          s.recordFirst(i, old === undefined && !(${k} in d) ? NO_VALUE : old, this);
        }
        d[${k}] = v;
        return;
      }
    }
    slowSet(this, attr, v);
  }
  get.instrumented = true;
  return { get, set, configurable: true, enumerable: false };${url}`;
}
