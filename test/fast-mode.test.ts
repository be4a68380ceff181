/**
 * Instances keep V8's fast (in-object) properties: an object whose properties turned into a
 * dictionary makes every access a hash lookup, the accessors' included. The runtime path of
 * `@mapped` removes the fields a class defined on the instance (so that its accessors are
 * reached), which must not be what sends the instance to dictionary mode. Checked with V8's
 * `%HasFastProperties` in a child process (`--allow-natives-syntax`).
 */
import test from "ava";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const runtimeIndex = path.resolve(__dirname, "..", "runtime", "index.js");

test("instances of runtime-path and registered classes keep fast properties through construction, state and changes", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "ci-fast-"));
  try {
    const script = path.join(dir, "main.js");
    writeFileSync(
      script,
      `
const rt = require(${JSON.stringify(runtimeIndex)});
class Point { x = 1; y = 2; label = "p"; tags = []; }
const Mapped = rt.mapped(Point);
class Reg { constructor() { this.a = 1; this.b = 2; } }
rt.registerClass(Reg);
rt.registerAttribute(Reg, "a");
rt.registerAttribute(Reg, "b");
const out = {};
const p = new Mapped();
out.constructed = %HasFastProperties(p);
rt.instanceState(p).commitAll();
p.x = 5;
p.tags.push("t");
out.changed = %HasFastProperties(p);
out.values = [p.x, p.y, p.label, [...p.tags]];
const r = new Reg();
rt.instanceState(r).commitAll();
r.a = 3;
out.registered = %HasFastProperties(r);
console.log(JSON.stringify(out));
`,
    );
    const r = spawnSync(process.execPath, ["--allow-natives-syntax", script], {
      encoding: "utf8",
      env: { ...process.env, CLASS_INSTRUMENTATION_RUNTIME_PATH: "1" },
    });
    t.is(r.status, 0, r.stderr);
    t.deepEqual(JSON.parse(r.stdout.trim()), { constructed: true, changed: true, values: [5, 2, "p", ["t"]], registered: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
