/**
 * The modified-state registry (port of the identity map's `_modified` bookkeeping in
 * `orm/identity.py`): a weak collection of states that learns, at the moment a state first
 * becomes modified, that it did. Collecting the changes of a flush therefore costs O(changed),
 * never a scan of every tracked instance.
 *
 * Instances are held weakly (through their states' weak references); a modified instance is held
 * strongly until it is committed, so that no change is lost to garbage collection.
 */
import { InvalidRequestError } from "./errors.js";
import { instanceState } from "./access.js";
import { className } from "./base.js";
import type { InstanceState } from "./state.js";

/** A registry of instance states that tracks which ones are modified. */
export class IdentityMap {
  private readonly states = new Set<InstanceState>();
  private modifiedList: InstanceState[] = [];
  private readonly finalizer = new FinalizationRegistry<InstanceState>((state) => {
    if (state.identityMap === this) this.discard(state);
  });

  /** Number of tracked states (collected instances drop out). */
  get size(): number {
    return this.states.size;
  }

  /** Starts tracking `obj`; a state belongs to at most one map. */
  add(obj: object): InstanceState {
    const state = instanceState(obj);
    if (state.identityMap === this) return state;
    if (state.identityMap !== null) {
      throw new InvalidRequestError(
        `Instance of ${className(state.class_)} already belongs to another IdentityMap; remove it from that map first.`,
      );
    }
    state.identityMap = this;
    this.states.add(state);
    this.finalizer.register(obj, state, state);
    if (state.modified) this.markModified(state, obj);
    return state;
  }

  /** Stops tracking `obj`. */
  remove(obj: object): void {
    const state = instanceState(obj);
    if (state.identityMap !== this) return;
    this.finalizer.unregister(state);
    this.discard(state);
  }

  /** Whether `obj` is tracked here. */
  has(obj: object): boolean {
    const state = instanceState(obj);
    return state.identityMap === this;
  }

  /** Every tracked state. */
  allStates(): InstanceState[] {
    return [...this.states];
  }

  /** The modified states, in the order they became modified. O(changed). */
  *modifiedStates(): IterableIterator<InstanceState> {
    this.compact();
    const list = this.modifiedList;
    for (let i = 0; i < list.length; i++) {
      const state = list[i]!;
      if (state.modified && state.identityMap === this) yield state;
    }
  }

  /** Whether any tracked state is modified. */
  checkModified(): boolean {
    for (const state of this.modifiedList) if (state.modified && state.identityMap === this) return true;
    return false;
  }

  /** Commits every modified state and empties the modified list. */
  commitAll(): void {
    const list = this.modifiedList;
    this.modifiedList = [];
    for (const state of list) {
      state.inModifiedList = false;
      if (state.identityMap === this && state.modified) state.commitAll();
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

  private compact(): void {
    const list = this.modifiedList;
    let write = 0;
    for (let read = 0; read < list.length; read++) {
      const state = list[read]!;
      if (state.modified && state.identityMap === this) list[write++] = state;
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
