/**
 * The four replaceable lookups (port of the rebindable module globals `manager_of_class`,
 * `opt_manager_of_class`, `instance_state`, `instance_dict`). ES modules cannot rebind an
 * imported name, so every internal caller goes through the one mutable {@link lookups} holder;
 * the extension swaps its members and {@link installDefaultLookups} puts the defaults back.
 */
import { MANAGER_ATTR, STATE_ATTR, className, hasOwn } from "./base.js";
import { slotDict } from "./slots.js";
import { UnmappedClassError } from "./errors.js";
import type { ClassManager } from "./instrumentation.js";
import type { InstanceState } from "./state.js";

/** The lookup functions every runtime module calls; replaceable as a group. */
export interface Lookups {
  /** The class's own manager, or `undefined`. */
  optManagerOfClass(cls: unknown): ClassManager | undefined;
  /** The class's own manager; throws `UnmappedClassError` when there is none. */
  managerOfClass(cls: unknown): ClassManager;
  /** The state attached to an instance, or `undefined` (never creates one). */
  instanceState(obj: object): InstanceState | undefined;
  /** The instance dict of an instance that has a state. */
  instanceDict(obj: object): Record<string, unknown>;
}

/** Default: the manager stored as the class's own (not inherited) `MANAGER_ATTR` property. */
export function defaultOptManagerOfClass(cls: unknown): ClassManager | undefined {
  if ((typeof cls !== "function" && (typeof cls !== "object" || cls === null)) || !hasOwn(cls, MANAGER_ATTR)) {
    return undefined;
  }
  return (cls as { [MANAGER_ATTR]?: ClassManager })[MANAGER_ATTR];
}

/** Default: like {@link defaultOptManagerOfClass} but throwing `UnmappedClassError`. */
export function defaultManagerOfClass(cls: unknown): ClassManager {
  const manager = lookups.optManagerOfClass(cls);
  if (manager === undefined) throw unmappedClass(cls);
  return manager;
}

/** The error for a class without a manager, naming the class. */
export function unmappedClass(cls: unknown): UnmappedClassError {
  return new UnmappedClassError(
    `Can't locate an instrumentation manager for class ${className(cls)}. ` +
      `Register it with registerClass(${className(cls)}) or decorate it with @mapped.`,
  );
}

/**
 * Default: the state stored as the instance's own `STATE_ATTR` property. A state copied onto
 * another object (by `Object.assign` or spread) does not count: it belongs to its own instance.
 */
export function defaultInstanceState(obj: object): InstanceState | undefined {
  if (!hasOwn(obj, STATE_ATTR)) return undefined;
  const state = (obj as { [STATE_ATTR]?: InstanceState })[STATE_ATTR];
  return state !== undefined && state.obj() === obj ? state : undefined;
}

/** Default: the view of the values stored on the instance (see `slots.ts`). */
export function defaultInstanceDict(obj: object): Record<string, unknown> {
  return slotDict(obj);
}

const defaults: Lookups = {
  optManagerOfClass: defaultOptManagerOfClass,
  managerOfClass: defaultManagerOfClass,
  instanceState: defaultInstanceState,
  instanceDict: defaultInstanceDict,
};

/** The lookups in force. Internal callers always read through this object. */
export const lookups: Lookups = { ...defaults };

/** Replaces some or all lookups (used by the extension). */
export function installLookups(replacement: Partial<Lookups>): void {
  Object.assign(lookups, replacement);
}

/** Puts the default lookups back. */
export function installDefaultLookups(): void {
  Object.assign(lookups, defaults);
}

/** Whether the default lookups are in force (the generated fast paths rely on them). */
export function defaultLookupsInstalled(): boolean {
  return lookups.instanceState === defaultInstanceState && lookups.instanceDict === defaultInstanceDict;
}
