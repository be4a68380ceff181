/**
 * The runtime path of `@mapped` (runtime/mapped.ts) exercised in process: the decorators are
 * applied by hand with the legacy (experimentalDecorators) calling convention, as a tool that
 * runs no transformer would apply them.
 */
import test from "ava";
import {
  InvalidRequestError,
  ReservedAttributeError,
  UnmappedInstanceError,
  attribute,
  getAttribute,
  getHistory,
  instanceDict,
  instanceState,
  isInstrumented,
  managerOfClass,
  mapped,
  registerAttribute,
  registerClass,
} from "../runtime/index.js";

test("issue 9 bug 13: @attribute({ backref }) without kind on a list field takes the collection kind from the first value", (t) => {
  class PostBase {
    title = "p";
    author: object | null = null;
  }
  class AuthorBase {
    posts: PostBase[] = [];
  }
  attribute({ backref: "author" })(AuthorBase.prototype, "posts");
  attribute({ backref: "posts" })(PostBase.prototype, "author");
  const Post = mapped(PostBase);
  const Author = mapped(AuthorBase);
  const a = new Author();
  const p = new Post();
  a.posts.push(p);
  t.is(p.author, a, "the backref mirrors the append");
  t.deepEqual(getHistory(a, "posts").added, [p]);
  const q = new Post();
  q.author = a;
  t.deepEqual([...a.posts], [p, q], "and the reverse direction appends");
});

test("issue 9 bug 13: a backref attribute whose kind cannot be told says which kind to add", (t) => {
  class NodeBase {
    children: unknown = null;
    parent: unknown = null;
  }
  attribute({ backref: "parent" })(NodeBase.prototype, "children");
  const Node = mapped(NodeBase);
  const n = new Node();
  const error = t.throws(() => {
    n.children = [new Node()];
  }, { instanceOf: InvalidRequestError });
  t.regex(error!.message, /NodeBase\.children|children/);
  t.regex(error!.message, /@attribute\(\{ kind: "collection", backref: "parent" \}\)/);
});

test("issue 9 bug 10: attributes named like Object.prototype members read undefined until set, and serialize", (t) => {
  class Odd {}
  registerClass(Odd);
  for (const key of ["valueOf", "hasOwnProperty", "__proto__", "toString"]) registerAttribute(Odd, key);
  const a = Object.create(Odd.prototype) as Record<string, unknown>;
  managerOfClass(Odd).setupInstance(a as never);
  t.is(a["valueOf"], undefined, "an unset valueOf is not Object.prototype.valueOf");
  t.is(getAttribute(a as object, "toString"), undefined);
  t.false("hasOwnProperty" in instanceDict(a));
  a["__proto__"] = { polluted: true };
  t.deepEqual(getAttribute(a as object, "__proto__"), { polluted: true });
  t.is(getAttribute(a as object, "valueOf"), undefined, "a __proto__ attribute does not change other unset reads");
  a["hasOwnProperty"] = "own";
  t.is(a["hasOwnProperty"], "own");
  t.deepEqual(getHistory(a as object, "hasOwnProperty").added, ["own"]);
});

test("issue 9 bug 10: a valueOf attribute serializes; a constructor attribute is refused with the fix", (t) => {
  class RecBase {
    title = "t";
  }
  const Rec = mapped(RecBase);
  const r = new Rec() as unknown as Record<string, unknown>;
  registerAttribute(Rec, "valueOf");
  t.is(JSON.stringify(r), '{"title":"t"}', "an unset valueOf is not serialized as a function");
  r["valueOf"] = 3;
  t.is(JSON.stringify(r), '{"title":"t","valueOf":3}');
  const error = t.throws(() => registerAttribute(Rec, "constructor"), { instanceOf: ReservedAttributeError });
  t.regex(error!.message, /Rename the attribute/);
  t.is(JSON.stringify(r), '{"title":"t","valueOf":3}');
});

test("issue 9 bugs 7/12: a spread or Object.assign copy is not mistaken for a Proxy of the instance", (t) => {
  class PointBase {
    x = 1;
    y = 2;
  }
  const Point = mapped(PointBase);
  // Stateless, a runtime-path instance carries a plain dirty word (inert on a copy); its state
  // redefines it non-enumerable.
  const fresh = new Point();
  t.deepEqual(Object.getOwnPropertySymbols({ ...fresh }).map((s) => s.description).sort(), [
    "class-instrumentation.dirty",
    "class-instrumentation.slot:x",
    "class-instrumentation.slot:y",
  ]);
  instanceState(fresh);
  t.deepEqual(Object.getOwnPropertySymbols({ ...fresh }).map((s) => s.description).sort(), [
    "class-instrumentation.slot:x",
    "class-instrumentation.slot:y",
  ]);
  const p = new Point();
  instanceState(p).commitAll();
  for (const copy of [{ ...p }, Object.assign({}, p)]) {
    t.throws(() => instanceState(copy), { instanceOf: UnmappedInstanceError }, "the copy is not tracked as p");
    t.deepEqual(Object.keys(copy), [], "no internal string keys");
    const internal = Object.getOwnPropertySymbols(copy).filter((s) => !String(s.description).startsWith("class-instrumentation.slot:"));
    t.deepEqual(internal, [], "a copy carries the values only: no state, no dirty word");
    t.deepEqual(JSON.parse(JSON.stringify(copy)), {});
  }
  p.x = 5;
  t.deepEqual(getHistory(p, "x").added, [5], "p keeps its own tracking");
  t.deepEqual(JSON.parse(JSON.stringify(p)), { x: 5, y: 2 });
});

test("issue 9 bug 12: JSON.stringify of a backref cycle throws the standard circular-structure TypeError", (t) => {
  class ParentBase {
    name = "parent";
    children: object[] = [];
  }
  class ChildBase {
    name = "child";
    parent: object | null = null;
  }
  const Parent = mapped(ParentBase);
  const Child = mapped(ChildBase);
  const p = new Parent();
  const c = new Child();
  p.children.push(c);
  c.parent = p;
  t.throws(() => JSON.stringify(p), { instanceOf: TypeError, message: /circular structure/i });
  c.parent = null;
  t.is(JSON.stringify(p), '{"name":"parent","children":[{"name":"child","parent":null}]}');
  const shared = new Child();
  const q = new Parent();
  q.children.push(shared, shared);
  t.is(JSON.stringify(q), '{"name":"parent","children":[{"name":"child","parent":null},{"name":"child","parent":null}]}', "a shared (acyclic) instance is not a cycle");
});

test("issue 9 bug 12: an expired object serializes its loaded values (through the loader), not {}", (t) => {
  class DocBase {
    title = "draft";
  }
  const Doc = mapped({ expiredAttributeLoader: (state, keys) => {
    for (const k of keys) state.dict[k] = `loaded ${k}`;
  } })(DocBase);
  const d = new Doc();
  instanceState(d).commitAll();
  instanceState(d).expire();
  t.is(JSON.stringify(d), '{"title":"loaded title"}');
});

test("runtime path: once instances repeat their fields, construction reuses what it learnt, and still learns new fields", (t) => {
  class RowBase {
    a = 1;
    b = "x";
    constructor(extra?: number) {
      if (extra !== undefined) (this as unknown as { late: number }).late = extra;
    }
  }
  const Row = mapped(RowBase);
  const rows = [new Row(), new Row(), new Row()];
  for (const r of rows) t.deepEqual([r.a, r.b, Object.keys(r).length], [1, "x", 0]);
  const extra = new Row(5);
  t.true(isInstrumented(extra, "late" as never), "a field first seen on a later instance becomes an attribute");
  t.deepEqual(getHistory(extra, "late" as never).added, [5]);
  const again = new Row();
  instanceState(again).commitAll();
  again.a = 2;
  t.deepEqual(getHistory(again, "a").deleted, [1]);
  t.deepEqual(Object.keys(again), [], "the fields are attributes, not own properties");
});
