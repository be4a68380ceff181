/**
 * The runtime path of `@mapped` (runtime/mapped.ts) exercised in process: the decorators are
 * applied by hand with the legacy (experimentalDecorators) calling convention, as a tool that
 * runs no transformer would apply them.
 */
import test from "ava";
import { InvalidRequestError, attribute, getHistory, mapped } from "../runtime/index.js";

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
