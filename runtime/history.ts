/**
 * Attribute history (port of `History` in `orm/attributes.py`): the added / unchanged / deleted
 * values of one attribute since the last commit, computed from the state's committed value and
 * the current one, per kind (scalar equality, object identity, collection membership).
 */
import { NO_VALUE, PASSIVE_NO_RESULT } from "./base.js";
import { adapterOf } from "./collections.js";
import type { AttributeImpl } from "./attributes.js";
import type { InstanceState } from "./state.js";

/** @internal Hidden property of a map's committed copy: the map's keys, in order, beside its values. */
export const COPIED_MAP_KEYS: unique symbol = Symbol("class-instrumentation.copied-map-keys");
/** Added / unchanged / deleted values of one attribute since the last commit. */
export class History {
  constructor(
    /** Values added since the last commit. */
    readonly added: readonly unknown[],
    /** Values present both before and now. */
    readonly unchanged: readonly unknown[],
    /** Values removed since the last commit. */
    readonly deleted: readonly unknown[],
  ) {}

  /** Whether anything was added or deleted. */
  hasChanges(): boolean {
    return this.added.length > 0 || this.deleted.length > 0;
  }

  /** Whether there is no value at all (nothing added, unchanged or deleted). */
  isEmpty(): boolean {
    return !this.hasChanges() && this.unchanged.length === 0;
  }

  /** added + unchanged + deleted. */
  sum(): unknown[] {
    return [...this.added, ...this.unchanged, ...this.deleted];
  }

  /** added + unchanged: the current members. */
  nonDeleted(): unknown[] {
    return [...this.added, ...this.unchanged];
  }

  /** unchanged + deleted: the committed members. */
  nonAdded(): unknown[] {
    return [...this.unchanged, ...this.deleted];
  }

  toString(): string {
    const fmt = (a: readonly unknown[]) => `[${a.map((v) => String(v)).join(", ")}]`;
    return `History(added=${fmt(this.added)}, unchanged=${fmt(this.unchanged)}, deleted=${fmt(this.deleted)})`;
  }

  /** @internal History of a scalar from its committed entry and current value. */
  static fromScalarAttribute(impl: AttributeImpl, state: InstanceState, current: unknown): History {
    const committed = state.committed;
    if (committed === null || !committed.has(impl.key)) {
      return current === NO_VALUE ? HISTORY_BLANK : new History([], [current], []);
    }
    const original = committed.get(impl.key);
    if (current !== NO_VALUE && impl.isEqual(current, original) === true) return new History([], [current], []);
    let deleted: unknown[];
    if (original === NO_VALUE || original === PASSIVE_NO_RESULT) {
      deleted = [];
      // A delete without a known previous value reads as ([undefined], [], []).
      if (current === NO_VALUE || current === PASSIVE_NO_RESULT) current = undefined;
    } else {
      deleted = [original];
    }
    return current === NO_VALUE ? new History([], [], deleted) : new History([current], [], deleted);
  }

  /** @internal History of an object reference (identity; no previous object is not "deleted"). */
  static fromObjectAttribute(impl: AttributeImpl, state: InstanceState, current: unknown): History {
    const committed = state.committed;
    if (committed === null || !committed.has(impl.key)) {
      return current === NO_VALUE ? HISTORY_BLANK : new History([], [current], []);
    }
    const original = committed.get(impl.key);
    if (current === original && current !== NO_VALUE) return new History([], [current], []);
    let deleted: unknown[];
    if (original === NO_VALUE || original === PASSIVE_NO_RESULT || original === null || original === undefined) {
      deleted = [];
      if (current === NO_VALUE || current === PASSIVE_NO_RESULT) current = undefined;
    } else {
      deleted = [original];
    }
    return current === NO_VALUE ? new History([], [], deleted) : new History([current], [], deleted);
  }

  /**
   * @internal History of a map collection: a member counts as unchanged only under the same key,
   * so moving a value to another key shows as that value deleted and added.
   */
  static fromMapEntries(current: Map<unknown, unknown>, originalValues: readonly unknown[], originalKeys: readonly unknown[]): History {
    const before = new Map<unknown, unknown>();
    originalKeys.forEach((key, i) => before.set(key, originalValues[i]));
    const added: unknown[] = [];
    const unchanged: unknown[] = [];
    for (const [key, value] of current) {
      if (before.has(key) && before.get(key) === value) unchanged.push(value);
      else added.push(value);
    }
    const deleted: unknown[] = [];
    for (const [key, value] of before) if (!current.has(key) || current.get(key) !== value) deleted.push(value);
    return new History(added, unchanged, deleted);
  }

  /** @internal History of a collection: members compared by identity, order and duplicates kept. */
  static fromCollection(impl: AttributeImpl, state: InstanceState, current: unknown): History {
    if (current === NO_VALUE) return HISTORY_BLANK;
    const committed = state.committed;
    const adapter = adapterOf(current);
    const members = adapter ? [...adapter] : [...(current as Iterable<unknown>)];
    if (committed === null || !committed.has(impl.key)) return new History([], members, []);
    const original = committed.get(impl.key);
    if (original === NO_VALUE) return new History(members, [], []);
    const originalKeys = (original as { [COPIED_MAP_KEYS]?: unknown[] } | null)?.[COPIED_MAP_KEYS];
    if (originalKeys !== undefined && current instanceof Map) return History.fromMapEntries(current, original as unknown[], originalKeys);
    const originalMembers = [...((original ?? []) as Iterable<unknown>)];
    const currentSet = new Set(members);
    const originalSet = new Set(originalMembers);
    return new History(
      members.filter((m) => !originalSet.has(m)),
      members.filter((m) => originalSet.has(m)),
      originalMembers.filter((m) => !currentSet.has(m)),
    );
  }
}

/** The empty history. */
export const HISTORY_BLANK: History = new History([], [], []);
