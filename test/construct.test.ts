/**
 * Construction frames (runtime/construct.ts): SQLAlchemy's InitTest matrix, adapted to
 * JavaScript's rule that a derived constructor has no `this` before `super()` returns.
 *
 * Names as in SQLAlchemy: an uppercase letter is a mapped class (its constructor goes through
 * the frames, in exactly the shape the transformer emits), a lowercase letter a plain class; a
 * trailing `i` means the class declares a constructor whose body logs `[X, "ctor"]`. The `init`
 * listener of each mapped class X logs `[X, "init", state.class_]` (raw, not propagating).
 *
 * The adaptation (docs/transformer.md): SQLAlchemy runs a subclass's `__init__` body before it
 * calls `super().__init__()`; in JavaScript the body that uses `this` runs after `super()`, so
 * bodies log base first. `init` still fires once per construction, on the most-derived mapped
 * class, before any mapped class's field initializers and constructor body; a plain base class's
 * constructor necessarily runs before it.
 */
import test from "ava";
import {
  beginConstruction,
  defineMapped,
  endConstruction,
  enterConstruction,
  failConstruction,
  instanceState,
  listen,
  managerOfClass,
  type Class,
  type InstanceState,
} from "../runtime/index.js";
import { openConstructionFrames } from "../runtime/construct.js";

type Entry = readonly unknown[];
type Ctor = Class;
type Newable = new (...args: unknown[]) => object;

/** A class in the shape the transformer emits; `body` is the logging constructor body, if any. */
function mappedClass(name: string, base: Ctor | undefined, body: ((self: object) => void) | undefined, canary: Entry[]): Ctor {
  let C: Ctor;
  if (base === undefined) {
    C = class {
      constructor(...args: unknown[]) {
        const frame = beginConstruction(new.target, C, args);
        try {
          enterConstruction(this, frame);
          body?.(this);
        } catch (error) {
          failConstruction(frame, error);
          throw error;
        } finally {
          endConstruction(frame);
        }
      }
    };
  } else {
    const Base = base as unknown as new (...args: unknown[]) => object;
    C = class extends Base {
      constructor(...args: unknown[]) {
        const frame = beginConstruction(new.target, C, args);
        try {
          super(...args);
          enterConstruction(this, frame);
          body?.(this);
        } catch (error) {
          failConstruction(frame, error);
          throw error;
        } finally {
          endConstruction(frame);
        }
      }
    };
  }
  Object.defineProperty(C, "name", { value: name });
  defineMapped(C, { attributes: [] });
  listen(C, "init", (state: InstanceState) => void canary.push([name, "init", state.class_.name]), { raw: true });
  return C;
}

/** A plain class (no frames), with or without a logging constructor. */
function plainClass(name: string, base: Ctor | undefined, body: ((self: object) => void) | undefined): Ctor {
  const Base = (base ?? Object) as unknown as new (...args: unknown[]) => object;
  const C = body
    ? class extends Base {
        constructor(...args: unknown[]) {
          super(...args);
          body!(this);
        }
      }
    : class extends Base {};
  Object.defineProperty(C, "name", { value: name });
  return C as unknown as Ctor;
}

/**
 * Builds a chain from a spec like "Ai_bi_Ci" and returns its classes by letter plus the canary.
 * Uppercase: mapped; `i`: declares a constructor body that logs.
 */
function chain(spec: string): { classes: Record<string, Ctor>; canary: Entry[]; make: (letter: string) => Entry[] } {
  const canary: Entry[] = [];
  const classes: Record<string, Ctor> = {};
  let base: Ctor | undefined;
  for (const part of spec.split("_")) {
    const letter = part[0]!;
    const name = letter.toUpperCase();
    const body = part.endsWith("i") ? () => void canary.push([name, "ctor"]) : undefined;
    const cls = letter === name ? mappedClass(name, base, body, canary) : plainClass(name, base, body);
    classes[name] = cls;
    base = cls;
  }
  const make = (letter: string): Entry[] => {
    canary.length = 0;
    new (classes[letter] as unknown as Newable)();
    return [...canary];
  };
  return { classes, canary, make };
}

const matrix: Array<[spec: string, letter: string, expected: Entry[]]> = [
  ["ai", "A", [["A", "ctor"]]],
  ["A", "A", [["A", "init", "A"]]],
  ["Ai", "A", [["A", "init", "A"], ["A", "ctor"]]],
  ["ai_B", "A", [["A", "ctor"]]],
  ["ai_B", "B", [["A", "ctor"], ["B", "init", "B"]]],
  ["ai_Bi", "B", [["A", "ctor"], ["B", "init", "B"], ["B", "ctor"]]],
  ["Ai_bi", "B", [["A", "init", "B"], ["A", "ctor"], ["B", "ctor"]]],
  ["Ai_Bi", "B", [["B", "init", "B"], ["A", "ctor"], ["B", "ctor"]]],
  ["Ai_B", "B", [["B", "init", "B"], ["A", "ctor"]]],
  ["Ai_Bi_Ci", "C", [["C", "init", "C"], ["A", "ctor"], ["B", "ctor"], ["C", "ctor"]]],
  ["Ai_bi_Ci", "B", [["A", "init", "B"], ["A", "ctor"], ["B", "ctor"]]],
  ["Ai_bi_Ci", "C", [["C", "init", "C"], ["A", "ctor"], ["B", "ctor"], ["C", "ctor"]]],
  ["Ai_b_Ci", "B", [["A", "init", "B"], ["A", "ctor"]]],
  ["Ai_b_Ci", "C", [["C", "init", "C"], ["A", "ctor"], ["C", "ctor"]]],
  ["Ai_B_Ci", "B", [["B", "init", "B"], ["A", "ctor"]]],
  ["Ai_B_Ci", "C", [["C", "init", "C"], ["A", "ctor"], ["C", "ctor"]]],
  ["Ai_B_C", "C", [["C", "init", "C"], ["A", "ctor"]]],
  ["A_Bi_C", "A", [["A", "init", "A"]]],
  ["A_Bi_C", "B", [["B", "init", "B"], ["B", "ctor"]]],
  ["A_Bi_C", "C", [["C", "init", "C"], ["B", "ctor"]]],
  ["A_B_Ci", "C", [["C", "init", "C"], ["C", "ctor"]]],
  ["A_B_C", "A", [["A", "init", "A"]]],
  ["A_B_C", "B", [["B", "init", "B"]]],
  ["A_B_C", "C", [["C", "init", "C"]]],
];

for (const [spec, letter, expected] of matrix) {
  test(`InitTest ${spec}: ${letter}()`, (t) => {
    const { make } = chain(spec);
    t.deepEqual(make(letter), expected);
    t.is(openConstructionFrames(), 0);
  });
}

test("no double state: one init per construction, one state (test_no_double_state)", (t) => {
  const { classes, make } = chain("Ai_Bi_Ci");
  t.is(make("C").filter((e) => e[1] === "init").length, 1);
  const c = new (classes.C as unknown as Newable)();
  t.is(instanceState(c), instanceState(c));
  t.is(instanceState(c).manager, managerOfClass(classes.C!));
});

test("init receives the arguments given to new, not those passed to super()", (t) => {
  const seen: unknown[] = [];
  const A = mappedClass("A", undefined, undefined, []);
  const B = mappedClass("B", A, undefined, []);
  listen(B, "init", (_obj: object, args: unknown[]) => void seen.push(args));
  new (B as unknown as new (...a: unknown[]) => object)(1, "two");
  t.deepEqual(seen, [[1, "two"]]);
});

test("constructor defaults keep their identity (test_defaulted_init)", (t) => {
  const DEFAULT = { marker: true };
  const canary: Entry[] = [];
  const A = mappedClass("A", undefined, undefined, canary) as unknown as new () => object;
  class X extends A {
    b: number;
    c: object;
    constructor(_a: string, b = 123, c: object = DEFAULT) {
      super();
      this.b = b;
      this.c = c;
    }
  }
  const x = new X("foo");
  t.is(x.b, 123);
  t.is(x.c, DEFAULT);
});

test("initFailure fires once with the error, which is rethrown unchanged", (t) => {
  const events: unknown[] = [];
  const boom = new Error("boom");
  const A = mappedClass("A", undefined, undefined, []);
  const B = mappedClass("B", A, () => {
    throw boom;
  }, []);
  listen(B, "initFailure", (_obj: object, args: unknown[], error: unknown) => void events.push(["failure", args, error]));
  const thrown = t.throws(() => new (B as unknown as new (n: number) => object)(5));
  t.is(thrown, boom);
  t.deepEqual(events, [["failure", [5], boom]]);
  t.is(openConstructionFrames(), 0);
});

test("initFailure does not fire for an error raised before init (before super())", (t) => {
  const events: unknown[] = [];
  const A = mappedClass("A", undefined, undefined, []);
  class Early extends (A as unknown as new () => object) {
    constructor() {
      throw new Error("early");
      super(); // eslint-disable-line no-unreachable
    }
  }
  listen(A, "initFailure", (): void => void events.push("failure"), { propagate: true });
  t.throws(() => new Early(), { message: "early" });
  t.deepEqual(events, []);
  t.is(openConstructionFrames(), 0);
});

test("an init listener that throws propagates without initFailure (as in SQLAlchemy)", (t) => {
  const events: unknown[] = [];
  const A = mappedClass("A", undefined, undefined, []);
  listen(A, "init", (): void => {
    throw new Error("listener");
  });
  listen(A, "initFailure", (): void => void events.push("failure"));
  t.throws(() => new (A as unknown as new () => object)(), { message: "listener" });
  t.deepEqual(events, []);
  t.is(openConstructionFrames(), 0);
});

test("constructions nested in super() arguments and in constructor bodies get their own frames", (t) => {
  const canary: Entry[] = [];
  const A = mappedClass("A", undefined, undefined, canary);
  const inner: object[] = [];
  const B = mappedClass("B", A, () => void inner.push(new (A as unknown as new () => object)()), canary);
  class C extends (B as unknown as new (x: unknown) => object) {
    constructor() {
      const frame = beginConstruction(new.target, C, []);
      try {
        super(new (A as unknown as new () => object)());
        enterConstruction(this, frame);
      } finally {
        endConstruction(frame);
      }
    }
  }
  defineMapped(C, { attributes: [] });
  listen(C, "init", (state: InstanceState) => void canary.push(["C", "init", state.class_.name]), { raw: true });
  new C();
  t.deepEqual(canary, [
    ["A", "init", "A"],
    ["C", "init", "C"],
    ["A", "init", "A"],
  ]);
  t.is(openConstructionFrames(), 0);
});

test("a recursive construction of the same class before super() does not join the outer frame", (t) => {
  const canary: Entry[] = [];
  const A = mappedClass("A", undefined, undefined, canary);
  let depth = 0;
  class R extends (A as unknown as new () => object) {
    constructor() {
      const frame = beginConstruction(new.target, R, []);
      try {
        if (depth++ === 0) new R();
        super();
        enterConstruction(this, frame);
      } finally {
        endConstruction(frame);
      }
    }
  }
  defineMapped(R, { attributes: [] });
  listen(R, "init", (state: InstanceState) => void canary.push(["R", "init", state.class_.name]), { raw: true });
  new R();
  t.deepEqual(canary, [
    ["R", "init", "R"],
    ["R", "init", "R"],
  ]);
  t.is(openConstructionFrames(), 0);
});

// ---------------------------------------------------------------------------------------------
// Constructions nobody listens to take no frame (the fast path); listeners added later are seen.

/** A mapped class in the transformer's shape, without listeners. */
function quietClass(name: string, base: Ctor | undefined, body?: (self: object) => void): Ctor {
  let C: Ctor;
  const Base = base as unknown as (new (...args: unknown[]) => object) | undefined;
  if (Base === undefined) {
    C = class {
      constructor(...args: unknown[]) {
        const frame = beginConstruction(new.target, C, args);
        try {
          enterConstruction(this, frame);
          body?.(this);
        } catch (error) {
          failConstruction(frame, error);
          throw error;
        } finally {
          endConstruction(frame);
        }
      }
    };
  } else {
    C = class extends Base {
      constructor(...args: unknown[]) {
        const frame = beginConstruction(new.target, C, args);
        try {
          super(...args);
          enterConstruction(this, frame);
          body?.(this);
        } catch (error) {
          failConstruction(frame, error);
          throw error;
        } finally {
          endConstruction(frame);
        }
      }
    };
  }
  Object.defineProperty(C, "name", { value: name });
  defineMapped(C, { attributes: [{ key: `${name.toLowerCase()}Value`, kind: "scalar" }] });
  return C;
}

test("a base's non-propagating init listener does not fire for a listener-less mapped subclass", (t) => {
  const seen: unknown[] = [];
  const A = quietClass("A", undefined);
  const B = quietClass("B", A);
  listen(A, "init", (_a, args) => void seen.push(["A", args]));
  new (B as unknown as Newable)(1, 2);
  t.deepEqual(seen, []);
  new (A as unknown as Newable)(3);
  t.deepEqual(seen, [["A", [3]]]);
  t.is(openConstructionFrames(), 0);
});

test("a listener added after frameless constructions fires for the next one, with the arguments of new", (t) => {
  const A = quietClass("A", undefined, (self) => void ((self as Record<string, unknown>)["aValue"] = 7));
  const B = quietClass("B", A);
  const first = new (B as unknown as Newable)("x");
  t.deepEqual(Object.keys(first), [], "no own data properties on the fast path");
  t.deepEqual([...instanceState(first).committedState.keys()], ["aValue"], "values set on the fast path are pending additions");
  const seen: unknown[] = [];
  listen(B, "init", (b, args) => void seen.push([Object.keys(b).length, args]));
  listen(B, "initFailure", (_b, _args, error) => void seen.push(["failed", (error as Error).message]));
  new (B as unknown as Newable)("y", 2);
  t.deepEqual(seen, [[0, ["y", 2]]]);
  t.is(openConstructionFrames(), 0);
});

test("a throwing constructor on the fast path rethrows unchanged and leaks no frame", (t) => {
  const boom = new Error("boom");
  const A = quietClass("A", undefined, () => {
    throw boom;
  });
  const B = quietClass("B", A);
  t.is(t.throws(() => new (B as unknown as Newable)()), boom);
  t.is(openConstructionFrames(), 0);
  const seen: unknown[] = [];
  listen(B, "initFailure", (_b, args, error) => void seen.push([args, error]));
  t.is(t.throws(() => new (B as unknown as Newable)(5)), boom);
  t.deepEqual(seen, [[[5], boom]]);
  t.is(openConstructionFrames(), 0);
});
