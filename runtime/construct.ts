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
import { DIRTY_ATTR, MANAGER_ATTR, hasOwn } from "./base.js";
import { markWritten } from "./slots.js";
import { InvalidRequestError } from "./errors.js";
import { defaultInstanceState, lookups } from "./lookups.js";
import type { ClassManager } from "./instrumentation.js";
import type { InstanceState } from "./state.js";

/** Marks a class whose constructor opens construction frames (set by `defineMapped`). */
export const CONSTRUCTS: unique symbol = Symbol.for("class-instrumentation.constructs") as never;

/**
 * The bookkeeping of one `new` expression across the instrumented constructors it runs. Frames
 * are recycled (constructions nest strictly), so a frame must not be kept after its
 * construction ended.
 */
export class ConstructionFrame {
  /** `new.target` of the construction. */
  newTarget: Function | undefined = undefined;
  /** The most-derived instrumented class: its manager fires `init` / `initFailure`. */
  cls: Function = Object;
  /** Number of constructors of this frame still running. */
  depth = 0;
  /** The last instrumented class whose constructor joined (frames are joined going up the chain). */
  lastClass: Function = Object;
  /** Whether `this` exists (the first `enterConstruction` ran). */
  entered = false;
  /** The instance, once entered. */
  instance: object | undefined = undefined;
  /** Whether every `init` listener ran. */
  initFired = false;
  /** Whether `initFailure` fired already. */
  failed = false;
  /** The constructor's `arguments`, copied only when a listener asks for them. */
  private source: ArrayLike<unknown> = [];
  private copied: unknown[] | undefined = undefined;

  /** The arguments given to the most-derived instrumented constructor. */
  get args(): unknown[] {
    return (this.copied ??= Array.prototype.slice.call(this.source) as unknown[]);
  }

  /** @internal Starts tracking a construction. */
  open(newTarget: Function | undefined, cls: Function, args: ArrayLike<unknown>): this {
    this.newTarget = newTarget;
    this.cls = cls;
    this.lastClass = cls;
    this.source = args;
    this.copied = undefined;
    this.depth = 1;
    this.entered = false;
    this.instance = undefined;
    this.initFired = false;
    this.failed = false;
    return this;
  }

  /** @internal Forgets the construction (the frame goes back to the pool). */
  close(): void {
    this.newTarget = undefined;
    this.instance = undefined;
    this.source = [];
    this.copied = undefined;
  }
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
  // The common case first: `new C()` of a class nobody listens to construct. `newTarget === cls`
  // means this is the most-derived constructor, so there is no frame to join.
  if (newTarget === cls && cls !== undefined && isFrameless(cls)) return FRAMELESS;
  return beginFramed(newTarget, cls, args);
}

// The exported protocol functions stay small, their bookkeeping out of line: V8 inlines them,
// and the setters of the fields they surround, into the constructor (within its inlining budget).
function beginFramed(newTarget: Function | undefined, cls: Function | undefined, args: ArrayLike<unknown>): ConstructionFrame {
  const top = frames.length === 0 ? undefined : frames[frames.length - 1]; // never frames[-1]: a negative index is a slow named lookup
  if (top !== undefined && !top.entered && top.newTarget === newTarget && joinsAbove(top.lastClass, cls)) {
    top.depth++;
    if (cls !== undefined) top.lastClass = cls;
    return top;
  }
  // (When `newTarget === cls`, beginConstruction already found the class not frameless.)
  const decider = newTarget === cls ? undefined : nearestConstructingClass(newTarget);
  if (decider !== undefined && isFrameless(decider)) return FRAMELESS;
  const owner = cls ?? constructingClassOf(newTarget);
  const frame = (pool.pop() ?? new ConstructionFrame()).open(newTarget, owner, args);
  frames.push(frame);
  return frame;
}

/**
 * The frame of constructions nobody listens to: a transformer-built, default-managed class whose
 * manager has no `init` / `initFailure` listeners needs no bookkeeping at all.
 * Every constructor of the chain decides alike (they all see the same most-derived class).
 */
const FRAMELESS = new ConstructionFrame();

/** Whether `owner`'s own manager (not one inherited from a base class) constructs without frames. */
function isFrameless(owner: Function): boolean {
  const manager = (owner as { [MANAGER_ATTR]?: ClassManager })[MANAGER_ATTR];
  return (
    manager !== undefined &&
    manager.class_ === owner &&
    manager.framelessConstruction &&
    manager.dispatch.init.items.length === 0 &&
    manager.dispatch.initFailure.items.length === 0
  );
}

/** Frames no longer in use (constructions nest strictly, so a small pool serves them all). */
const pool: ConstructionFrame[] = [];

/**
 * Right after `super()` (first statement of a base class's constructor). The first call of a
 * frame fires `init` with the frame's arguments, on a state created for the purpose (from the
 * manager of the instance's own class, created unfinalized for a plain subclass) when there are
 * listeners; later calls do nothing. A listener that throws propagates, and `initFailure` does not fire (as in SQLAlchemy,
 * where `init` is dispatched before the guarded call).
 */
export function enterConstruction(instance: object, frame: ConstructionFrame): void {
  // A frameless construction has nothing to do: its instance inherits the dirty word of a
  // stateless object from its class's prototype (see slots.ts).
  if (frame !== FRAMELESS) enterFramed(instance, frame);
}

function enterFramed(instance: object, frame: ConstructionFrame): void {
  if (frame.entered) return;
  frame.entered = true;
  frame.instance = instance;
  const manager = lookups.managerOfClass(frame.cls);
  // The dirty word exists before the first field initializer, so every write takes the
  // accessors' fast path (classes with a user-defined manager keep their values where it says).
  if (manager.stateGetter() === defaultInstanceState) markWritten(instance);
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
  if (frame === FRAMELESS || !frame.initFired || frame.failed) return;
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
  if (frame !== FRAMELESS) endFramed(frame);
}

function endFramed(frame: ConstructionFrame): void {
  if (--frame.depth > 0) return;
  if (frames[frames.length - 1] === frame) frames.pop();
  else {
    const index = frames.lastIndexOf(frame);
    if (index < 0) return;
    frames.splice(index, 1);
  }
  frame.close();
  if (pool.length < 64) pool.push(frame);
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
function nearestConstructingClass(newTarget: Function | undefined): Function | undefined {
  for (let c: unknown = newTarget; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (hasOwn(c, CONSTRUCTS)) return c as Function;
  }
  return undefined;
}

function constructingClassOf(newTarget: Function | undefined): Function {
  const cls = nearestConstructingClass(newTarget);
  if (cls !== undefined) return cls;
  throw new InvalidRequestError(
    `Cannot construct ${String(newTarget?.name || "<anonymous class>")}: no class of its chain is instrumented.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Hooks of the runtime path of `@mapped` (no transformer; see mapped.ts)

/**
 * @internal Key of what the runtime path of `@mapped` knows about a class it wrapped (an own
 * property of the wrapper, inherited by its subclasses as a static). Its presence is what makes
 * an instance's class a runtime-path class.
 */
export const RUNTIME_PATH: unique symbol = Symbol("class-instrumentation.runtime-path") as never;

/** @internal Whether `cls` was wrapped by the runtime path (or extends a class that was): one property read. */
export function isRuntimePathClass(cls: unknown): boolean {
  return typeof cls === "function" && (cls as { [RUNTIME_PATH]?: unknown })[RUNTIME_PATH] !== undefined;
}

/**
 * @internal The runtime path's hook: called (when set) by `instanceState`, `isInstrumented`, the
 * accessors' slow paths and toJSON/inspect on an instance, to make the own data properties that
 * fields defined outside the `@mapped` wrapper left on it (an undecorated subclass's fields, a
 * field first assigned after construction) attributes. Set by mapped.ts.
 */
export const runtimePathHooks: {
  absorb: ((instance: object) => void) | undefined;
  /**
   * `attributeOf(cls, key)` for a key that a runtime-path class has not seen yet: declares the
   * attribute (its kind settles with the first value) and returns true; false for other classes.
   */
  declareAttribute: ((cls: Function, key: string) => boolean) | undefined;
  /** Whether `instance`'s class was wrapped by the runtime path. */
  isRuntimePath: ((instance: object) => boolean) | undefined;
} = { absorb: undefined, declareAttribute: undefined, isRuntimePath: undefined };

/**
 * @internal The runtime path's early `init`: when `instance` is the object of the innermost open
 * frame that has not been entered yet (its class's constructor or field initializers are running,
 * before the `@mapped` wrapper got `this`), enters it, firing `init` now. Called by the accessors'
 * slow paths (a [[Set]] field initializer reaching an installed setter) and after an unmapped base
 * class's constructor returned. Returns whether it entered.
 */
export function enterPendingConstruction(instance: object): boolean {
  const top = frames.length === 0 ? undefined : frames[frames.length - 1]; // never frames[-1]: a negative index is a slow named lookup
  if (top === undefined || top.entered || top.newTarget === undefined) return false;
  if (Object.getPrototypeOf(instance) !== top.newTarget.prototype || hasOwn(instance, DIRTY_ATTR)) return false;
  enterConstruction(instance, top);
  return true;
}

/** @internal Whether `instance` is being constructed (a frame that entered with it is open). */
export function isConstructing(instance: object): boolean {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]!.instance === instance) return true;
  return false;
}
