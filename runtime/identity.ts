/**
 * The modified-state registry (port of the identity map's `_modified` bookkeeping in
 * `orm/identity.py`): a weak collection of states that learns, at the moment a state first
 * becomes modified, that it did. Collecting the changes of a flush therefore costs O(changed),
 * never a scan of every tracked instance.
 *
 * Instances are held weakly (through their states' weak references); a modified instance is held
 * strongly until it is committed, so that no change is lost to garbage collection. The states of
 * collected instances are dropped lazily — when the map is asked for its size or its states, and
 * whenever it has doubled since the last sweep — rather than by a FinalizationRegistry entry per
 * instance, which cost about as much memory as the rest of the bookkeeping of a clean instance.
 */
import { InvalidRequestError } from "./errors.js";
import { instanceState } from "./access.js";
import { className, type AttributeKey, type Class } from "./base.js";
import type { InstanceState } from "./state.js";

/**
 * One modified instance and what changed in it (see {@link IdentityMap.changes}). Distributive:
 * for an `IdentityMap<User | Post>`, `change.obj instanceof User` narrows `values` and
 * `collections` to `User`'s keys.
 */
export type InstanceChanges<T> = T extends object
  ? {
      /** The modified instance. */
      readonly obj: T;
      /** Its state. */
      readonly state: InstanceState<T>;
      /** Scalar and object-reference attributes whose value changed. */
      readonly values: readonly AttributeKey<T>[];
      /** Collection attributes with added or removed members. */
      readonly collections: readonly AttributeKey<T>[];
    }
  : never;

/**
 * A registry of instance states that tracks which ones are modified. `T` is the type of the
 * instances it holds (a union for several classes), so a flush over it needs no casts.
 */
export class IdentityMap<T extends object = object> {
  /** This map as states see it (a state's `identityMap` does not know the instance type). */
  private readonly self: IdentityMap = this as unknown as IdentityMap;
  private readonly states = new Set<InstanceState>();
  private modifiedList: InstanceState[] = [];
  /** Sweep for collected instances when the map grows past this size. */
  private sweepAt = 1024;

  /** Number of tracked states (collected instances drop out; O(tracked): it sweeps them first). */
  get size(): number {
    this.sweep();
    return this.states.size;
  }

  /** Starts tracking `obj`; a state belongs to at most one map. */
  add<O extends T>(obj: O): InstanceState<O> {
    const state = instanceState<object>(obj);
    if (state.identityMap === this.self) return state as unknown as InstanceState<O>;
    if (state.identityMap !== null) {
      throw new InvalidRequestError(
        `Instance of ${className(state.class_)} already belongs to another IdentityMap; remove it from that map first.`,
      );
    }
    state.identityMap = this.self;
    this.states.add(state);
    if (this.states.size >= this.sweepAt) {
      this.sweep();
      this.sweepAt = Math.max(1024, this.states.size * 2);
    }
    if (state.modified) this.markModified(state, obj);
    return state as unknown as InstanceState<O>;
  }

  /** Stops tracking `obj`. */
  remove(obj: T): void {
    const state = instanceState<object>(obj);
    if (state.identityMap !== this.self) return;
    this.discard(state);
  }

  /** Whether `obj` is tracked here. */
  has(obj: T): boolean {
    const state = instanceState<object>(obj);
    return state.identityMap === this.self;
  }

  /** Every tracked state. */
  allStates(): InstanceState<T>[] {
    this.sweep();
    return [...this.states] as unknown as InstanceState<T>[];
  }

  /** The modified states, in the order they became modified. O(changed). */
  *modifiedStates(): IterableIterator<InstanceState<T>> {
    this.compact();
    const list = this.modifiedList;
    for (let i = 0; i < list.length; i++) {
      const state = list[i]!;
      if (state.modified && state.identityMap === this.self) yield state as unknown as InstanceState<T>;
    }
  }

  /**
   * Each modified instance with at least one changed key, and its changed keys (see
   * `InstanceState.changedKeys`): what a flush writes. O(changed). A state that is modified but
   * whose changes were all reverted (or that was only flagged dirty) yields nothing.
   */
  *changes(): IterableIterator<InstanceChanges<T>> {
    for (const state of this.modifiedStates()) {
      const obj = state.obj();
      if (obj === undefined) continue;
      const { values, collections } = state.changedKeys();
      if (values.length === 0 && collections.length === 0) continue;
      yield { obj, state, values, collections } as unknown as InstanceChanges<T>;
    }
  }

  /**
   * {@link changes} restricted to instances of `cls` (subclasses included), typed by it. TypeScript
   * narrows `change.obj` by `change.obj instanceof User` but not the whole change, so this is the
   * way to get `values` and `collections` typed as `User`'s keys out of an `IdentityMap<User | Post>`.
   */
  *changesOf<C extends T>(cls: Class<C>): IterableIterator<InstanceChanges<C>> {
    for (const change of this.changes()) {
      if ((change as { obj: object }).obj instanceof cls) yield change as unknown as InstanceChanges<C>;
    }
  }

  /** Rolls every modified state back to its committed values (see `InstanceState.rollback`) and empties the modified list. */
  rollbackAll(): void {
    this.drainModified((state) => state.rollback());
  }

  /** Whether any tracked state is modified. */
  checkModified(): boolean {
    for (const state of this.modifiedList) if (state.modified && state.identityMap === this.self) return true;
    return false;
  }

  /** Commits every modified state and empties the modified list. */
  commitAll(): void {
    this.drainModified((state) => state.commitAll());
  }

  /** Empties the modified list, applying `settle` to each listed state still modified and still in this map. */
  private drainModified(settle: (state: InstanceState) => void): void {
    const list = this.modifiedList;
    this.modifiedList = [];
    for (const state of list) {
      state.inModifiedList = false;
      if (state.identityMap === this.self && state.modified) settle(state);
    }
  }

  /** @internal Called by a state at its first modification. */
  markModified(state: InstanceState, obj: object): void {
    state.strongObj = obj;
    if (!state.inModifiedList) {
      state.inModifiedList = true;
      this.modifiedList.push(state);
    }
  }

  /** Drops the states whose instance was garbage collected. O(tracked). */
  private sweep(): void {
    for (const state of this.states) if (state.obj() === undefined) this.discard(state);
  }

  private compact(): void {
    const list = this.modifiedList;
    let write = 0;
    for (let read = 0; read < list.length; read++) {
      const state = list[read]!;
      if (state.modified && state.identityMap === this.self) list[write++] = state;
      else state.inModifiedList = false;
    }
    list.length = write;
  }

  private discard(state: InstanceState): void {
    this.states.delete(state);
    state.identityMap = null;
    state.strongObj = null;
    if (state.inModifiedList) this.compact();
  }
}
