/**
 * Accessors where code generation from strings is refused (a Content-Security-Policy without
 * 'unsafe-eval'; here `node --disallow-code-generation-from-strings`): the runtime falls back to
 * closures with the same fast paths, and only that refusal selects them.
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { closureAccessor } from "../runtime/accessors.js";
import { getHistory, instanceState, registerAttribute, registerClass } from "../runtime/index.js";

const runtimeDir = path.resolve(__dirname, "..", "runtime");

test("under --disallow-code-generation-from-strings the closures serve every access and track changes", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "ci-codegen-"));
  try {
    const script = path.join(dir, "main.js");
    writeFileSync(
      script,
      `
const rt = require(${JSON.stringify(path.join(runtimeDir, "index.js"))});
const { codeGenerationAvailable } = require(${JSON.stringify(path.join(runtimeDir, "accessors.js"))});
let refused = false;
try { new Function("return 1"); } catch (e) { refused = e instanceof EvalError; }
class User { constructor(name) { this.name = name; this.tags = []; } }
rt.registerClass(User);
rt.registerAttribute(User, "name");
rt.registerAttribute(User, "tags", { kind: "collection" });
const u = new User("ada");
const state = rt.instanceState(u);
state.commitAll();
u.name = "grace";
u.name = "hopper";
u.tags.push("x");
const h = rt.getHistory(u, "name");
const tags = rt.getHistory(u, "tags");
console.log(JSON.stringify({
  refused,
  codegen: codeGenerationAvailable(),
  name: u.name,
  history: [h.added, h.unchanged, h.deleted],
  tags: [tags.added, tags.unchanged, tags.deleted],
  modified: state.modified,
  keys: Object.keys(u),
}));
`,
    );
    const r = spawnSync(process.execPath, ["--disallow-code-generation-from-strings", script], { encoding: "utf8" });
    t.is(r.status, 0, r.stderr);
    t.deepEqual(JSON.parse(r.stdout.trim()), {
      refused: true,
      codegen: false,
      name: "hopper",
      history: [["hopper"], [], ["ada"]],
      tags: [["x"], [], []],
      modified: true,
      keys: [],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the closure accessors behave like the generated ones (history of the first write after a commit)", (t) => {
  class Item {
    declare label: string;
    constructor(label: string) {
      this.label = label;
    }
  }
  registerClass(Item);
  const attr = registerAttribute(Item, "label");
  Object.defineProperty(Item.prototype, "label", closureAccessor(attr as never));
  const item = new Item("a");
  t.is(item.label, "a");
  instanceState(item).commitAll();
  item.label = "b";
  item.label = "c";
  const h = getHistory(item, "label");
  t.deepEqual([h.added, h.unchanged, h.deleted], [["c"], [], ["a"]]);
});
