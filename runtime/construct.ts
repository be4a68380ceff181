/**
 * Construction frames: what makes `init` fire once per `new`, before the field initializers and
 * constructor bodies of every instrumented class in the chain (SQLAlchemy's `_generate_init` /
 * `_initialize_instance`, adapted to JavaScript, where a derived constructor has no `this` until
 * `super()` returns).
 *
 * Every instrumented constructor (rewritten by the transformer, or the wrapper that the runtime
 * path of `@mapped` returns) is shaped as:
 *
 * ```js
 * const frame = beginConstruction(new.target, C, arguments);
 * try {
 *   super(...);                          // derived classes only
 *   enterConstruction(this, frame);      // first statement with `this`
 *   ...field initializers, constructor body
 * } catch (e) { failConstruction(frame, e); throw e; }
 * finally { endConstruction(frame); }
 * ```
 *
 * The constructors of one `new` share one frame: the first (most-derived) instrumented
 * constructor opens it with the arguments given to `new`; the constructors it reaches through
 * `super()` join it. The first `enterConstruction` of a frame — in the base-most instrumented
 * class, right after any uninstrumented base constructor returned — fires `init` on the manager
 * of the frame's (most-derived instrumented) class, creating the instance's state for its
 * listeners; the later ones are no-ops.
 *
 * Collaborators: `instrumentation.ts` (managers, `newStateIfNone`), `lookups.ts`, `dispatch.ts`.
 */
import { hasOwn, ownDict } from "./base.js";
import { InvalidRequestError } from "./errors.js";
import { defaultInstanceState, lookups } from "./lookups.js";
import type { ClassManager } from "./instrumentation.js";
import type { InstanceState } from "./state.js";

/** Marks a class whose constructor opens construction frames (set by `defineMapped`). */
export const CONSTRUCTS: unique symbol = Symbol.for("class-instrumentation.constructs") as never;

/** The bookkeeping of one `new` expression across the instrumented constructors it runs. */
export interface ConstructionFrame {
  /** `new.target` of the construction. */
  readonly newTarget: Function | undefined;
  /** The most-derived instrumented class: its manager fires `init` / `initFailure`. */
  readonly cls: Function;
  /** The arguments given to the most-derived instrumented constructor. */
  readonly args: unknown[];
  /** Number of constructors of this frame still running. */
  depth: number;
  /** The last instrumented class whose constructor joined (frames are joined going up the chain). */
  lastClass: Function;
  /** Whether `this` exists (the first `enterConstruction` ran). */
  entered: boolean;
  /** The instance, once entered. */
  instance: object | undefined;
  /** Whether every `init` listener ran. */
  initFired: boolean;
  /** Whether `initFailure` fired already. */
  failed: boolean;
}

/** Open frames, innermost last. Constructors are synchronous, so this is a plain stack. */
const frames: ConstructionFrame[] = [];

/**
 * First statement of every instrumented constructor (before `super()`). Joins the open frame of
 * the same `new` (same `newTarget`, `this` not created yet, `cls` an ancestor of the class that
 * joined last) or opens a new one. `cls` may be `undefined` (an anonymous class, or one whose
 * binding another decorator replaced): the nearest instrumented ancestor of `newTarget` is used.
 */
export function beginConstruction(newTarget: Function | undefined, cls: Function | undefined, args: ArrayLike<unknown>): ConstructionFrame {
  const top = frames[frames.length - 1];
  if (top !== undefined && !top.entered && top.newTarget === newTarget && joinsAbove(top.lastClass, cls)) {
    top.depth++;
    if (cls !== undefined) top.lastClass = cls;
    return top;
  }
  const owner = cls ?? constructingClassOf(newTarget);
  const frame: ConstructionFrame = {
    newTarget,
    cls: owner,
    args: Array.prototype.slice.call(args) as unknown[],
    depth: 1,
    lastClass: owner,
    entered: false,
    instance: undefined,
    initFired: false,
    failed: false,
  };
  frames.push(frame);
  return frame;
}

/**
 * Right after `super()` (first statement of a base class's constructor). The first call of a
 * frame fires `init` with the frame's arguments, on a state created for the purpose (from the
 * manager of the instance's own class, created unfinalized for a plain subclass) when there are
 * listeners; later calls do nothing. A listener that throws propagates, and `initFailure` does not fire (as in SQLAlchemy,
 * where `init` is dispatched before the guarded call).
 */
export function enterConstruction(instance: object, frame: ConstructionFrame): void {
  if (frame.entered) return;
  frame.entered = true;
  frame.instance = instance;
  const manager = lookups.managerOfClass(frame.cls);
  // The dict exists before the first field initializer, so every write takes the accessors'
  // fast path (classes with a user-defined manager keep their values where it says).
  if (manager.stateGetter() === defaultInstanceState) ownDict(instance);
  const listeners = manager.dispatch.init.items;
  if (listeners.length > 0) {
    const state = stateOf(manager, instance);
    for (const entry of listeners) (entry.call as Function)(state, frame.args);
  }
  frame.initFired = true;
}

/**
 * The instance's state, created (from the manager of the instance's own class) unless it has one.
 * Construction creates a state only when a listener needs it: without one, values go to the
 * instance dict and a state created later records them as pending additions (same history).
 */
function stateOf(manager: ClassManager, instance: object): InstanceState {
  const state = manager.newStateIfNone(instance) ?? lookups.instanceState(instance);
  if (state === undefined) {
    throw new InvalidRequestError(`Construction of ${String(manager.class_.name || "<anonymous class>")} produced no instance state.`);
  }
  return state;
}

/**
 * In the `catch` of an instrumented constructor: fires `initFailure` with `error` once per frame,
 * and only when `init` fired. The caller rethrows `error` unchanged.
 */
export function failConstruction(frame: ConstructionFrame, error: unknown): void {
  if (!frame.initFired || frame.failed) return;
  frame.failed = true;
  const manager: ClassManager | undefined = lookups.optManagerOfClass(frame.cls);
  if (manager === undefined || frame.instance === undefined) return;
  const listeners = manager.dispatch.initFailure.items;
  if (listeners.length === 0) return;
  const state = stateOf(manager, frame.instance);
  for (const entry of listeners) (entry.call as Function)(state, frame.args, error);
}

/** In the `finally` of an instrumented constructor: closes the frame when its last constructor returns. */
export function endConstruction(frame: ConstructionFrame): void {
  if (--frame.depth > 0) return;
  const index = frames.lastIndexOf(frame);
  if (index >= 0) frames.splice(index, 1);
}

/** @internal Number of open frames (tests assert that none leak). */
export function openConstructionFrames(): number {
  return frames.length;
}

/** A constructor joining a frame runs above the last one: `cls` is a strict ancestor of `last`. */
function joinsAbove(last: Function, cls: Function | undefined): boolean {
  if (cls === undefined) return true;
  return cls !== last && typeof cls.prototype === "object" && cls.prototype !== null && cls.prototype.isPrototypeOf(last.prototype);
}

/** The nearest class of `newTarget`'s chain (itself included) that opens construction frames. */
function constructingClassOf(newTarget: Function | undefined): Function {
  for (let c: unknown = newTarget; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (hasOwn(c, CONSTRUCTS)) return c as Function;
  }
  throw new InvalidRequestError(
    `Cannot construct ${String(newTarget?.name || "<anonymous class>")}: no class of its chain is instrumented.`,
  );
}
