/**
 * Helpers shared by the test files: history comparison, object labelling and garbage
 * collection. Not a test file itself (ava only runs build/test/**\/*.test.js).
 */
import type { ExecutionContext } from "ava";
import { inspect, isDeepStrictEqual } from "node:util";

// ---------------------------------------------------------------------------------------------
// history comparison

/** An expected history `(added, unchanged, deleted)`. */
export type Triple = [readonly unknown[], readonly unknown[], readonly unknown[]];

/** Anything shaped like a History (the runtime's History or a plain object). */
export interface HistoryLike {
  readonly added: readonly unknown[];
  readonly unchanged: readonly unknown[];
  readonly deleted: readonly unknown[];
}

/** Plain data (object literal or plain array) compares structurally; anything else by identity. */
export function isPlainData(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === Array.prototype;
}

/** Plain data compares structurally; instances (and everything else) by identity. */
export function sameItem(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  return isPlainData(a) && isPlainData(b) && isDeepStrictEqual(a, b);
}

/** Same length and `sameItem` at every position. */
export function sameList(actual: readonly unknown[], expected: readonly unknown[]): boolean {
  return actual.length === expected.length && actual.every((v, i) => sameItem(v, expected[i]));
}

/** Renders a value for an assertion message; never throws (some fixtures refuse coercion). */
export function show(v: unknown): string {
  try {
    return inspect(v, { depth: 3, breakLength: Infinity });
  } catch {
    return String(Object.prototype.toString.call(v));
  }
}

/** A history as three fresh arrays: `[added, unchanged, deleted]`. */
export function hist(h: HistoryLike): unknown[][] {
  return [[...h.added], [...h.unchanged], [...h.deleted]];
}

/** Asserts a History equals `(added, unchanged, deleted)` in order; class instances compare by identity. */
export function histEq(t: ExecutionContext, h: HistoryLike, expected: Triple, label = ""): void {
  const actual = hist(h);
  const ok = actual.every((list, i) => sameList(list, expected[i]!));
  t.true(ok, `${label}history ${show(actual)} expected ${show(expected)}`);
}

// ---------------------------------------------------------------------------------------------
// labelling

/**
 * Maps objects to labels: objects given in `known` use their key there, other objects carrying a
 * string `name` use it, anything else becomes "<?>"; arrays and Sets are mapped element-wise.
 */
export function labeller(known: Record<string, unknown> = {}): (v: unknown) => unknown {
  const names = new Map<unknown, string>();
  for (const [k, v] of Object.entries(known)) names.set(v, k);
  const label = (v: unknown): unknown => {
    if (names.has(v)) return names.get(v);
    if (v === null || v === undefined || (typeof v !== "object" && typeof v !== "function")) return v;
    if (Array.isArray(v) || v instanceof Set) return [...v].map(label);
    const n = (v as { name?: unknown }).name;
    return typeof n === "string" ? n : "<?>";
  };
  return label;
}

// ---------------------------------------------------------------------------------------------
// garbage collection (ava runs with --expose-gc, see ava.config.mjs)

/** Waits for the next macrotask (`setImmediate`), letting pending jobs run. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Forces one full garbage collection; throws when `gc` is not exposed. */
export function forceGc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g !== "function") throw new Error("tests must run with --expose-gc (see ava.config.mjs)");
  g();
}

/** Lets pending jobs finish, then forces full garbage collections (three rounds). */
export async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await nextMacrotask();
    forceGc();
  }
}

/** Collects garbage until `ref` is cleared or `rounds` rounds passed. */
export async function gcRounds(ref: WeakRef<object>, rounds = 10): Promise<void> {
  for (let i = 0; i < rounds && ref.deref() !== undefined; i++) {
    await nextMacrotask();
    forceGc();
  }
}
