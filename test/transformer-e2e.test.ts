/**
 * End to end: the fixture projects of `fixtures/projects/` are copied to a temporary directory
 * (with `node_modules/class-instrumentation` linked to this repository), built by the real `tspc`
 * of ts-patch 3.3.0 with TypeScript 5.9 from this repository's node_modules — the plugin entry
 * is `{ "transform": "class-instrumentation/transformer" }`, resolved like a user's — and run with
 * Node. The three builds run in parallel, once, shared by the assertions.
 */
import test from "ava";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./transformer-harness.js";

const run = promisify(execFile);
const tspc = path.join(repoRoot, "node_modules", "ts-patch", "bin", "tspc.js");
const workDir = mkdtempSync(path.join(tmpdir(), "ci-e2e-"));

interface Built {
  readonly dir: string;
  readonly status: number;
  readonly output: string;
}

/** Copies a fixture project, links the package and @types, builds it with tspc. */
async function build(name: string): Promise<Built> {
  const dir = path.join(workDir, name);
  cpSync(path.join(repoRoot, "fixtures", "projects", name), dir, { recursive: true });
  mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  symlinkSync(repoRoot, path.join(dir, "node_modules", "class-instrumentation"), "dir");
  symlinkSync(path.join(repoRoot, "node_modules", "@types"), path.join(dir, "node_modules", "@types"), "dir");
  try {
    const { stdout, stderr } = await run(process.execPath, [tspc, "-p", "tsconfig.json"], { cwd: dir, env: { ...process.env, TSP_SKIP_CACHE: "" } });
    return { dir, status: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { dir, status: typeof e.code === "number" ? e.code : -1, output: (e.stdout ?? "") + (e.stderr ?? "") };
  }
}

async function runNode(built: Built, entry: string): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(built.dir, entry)], { cwd: built.dir });
  return stdout;
}

const builds = {
  cjs: build("app-cjs"),
  esm: build("app-esm"),
  bad: build("bad"),
};

test.after.always(() => {
  rmSync(workDir, { recursive: true, force: true });
});

test("tspc builds a CommonJS project (legacy decorators, decorator metadata, re-exported aliases, cross-file subclass)", async (t) => {
  const built = await builds.cjs;
  t.is(built.status, 0, built.output);
  const result = JSON.parse(await runNode(built, "dist/main.js")) as Record<string, unknown>;
  t.deepEqual(result.trace, ['init Account ["ada"]', 'init Savings ["bob"]']);
  t.deepEqual(result.ownKeys, [["scratch"], ["scratch"]], "only the @transient field is an own property");
  t.true(result.savingsMapped);
  t.deepEqual(result.rate, { added: [0.03], unchanged: [], deleted: [0.02] });
  t.deepEqual(result.entries, [10]);
  t.is(result.balance, 10);
  t.deepEqual(result.json, { currency: "CHF", id: 0, owner: "bob", entries: [10], rate: 0.03, scratch: "scratch" });
});

test("declaration output of a tspc build keeps the fields as declared", async (t) => {
  const built = await builds.cjs;
  const dts = readFileSync(path.join(built.dir, "dist", "models.d.ts"), "utf8");
  t.regex(dts, /id: number;/);
  t.regex(dts, /entries: number\[\];/);
  t.regex(dts, /currency: string/);
  t.true(existsSync(path.join(built.dir, "dist", "models.js.map")));
});

test("tspc builds an ES module project (nodenext, TC39 decorators, namespace import, an auto-accessor)", async (t) => {
  const built = await builds.esm;
  t.is(built.status, 0, built.output);
  const result = JSON.parse(await runNode(built, "dist/main.js")) as Record<string, unknown>;
  t.deepEqual(result.own, []);
  t.deepEqual(result.kinds, ["label:ScalarAttributeImpl", "children:CollectionAttributeImpl", "parent:ScalarObjectAttributeImpl", "visits:ScalarAttributeImpl"]);
  t.deepEqual(result.added, ["leaf"]);
  t.deepEqual(result.visits, { added: [1], unchanged: [], deleted: [0] }, "`accessor visits = 0` is tracked");
});

test("user mistakes are tspc diagnostics with codes and positions; exit status 2; classes still work", async (t) => {
  const built = await builds.bad;
  t.is(built.status, 2, built.output);
  t.regex(built.output, /src\/main\.ts\(10,3\): error TSCI1001: The constructor of mapped class 'Twice' must call super\(\) exactly once/);
  t.regex(built.output, /src\/main\.ts\(19,3\): error TSCI1003: Field '\[key\]' of mapped class 'Computed' has a computed name/);
  t.notRegex(built.output, /TypeError|at .*\.js:\d+/, "no crash");
  const result = JSON.parse(await runNode(built, "dist/main.js")) as Record<string, unknown>;
  t.deepEqual(result.events, ["init"]);
  t.deepEqual(result.json, { id: 1 });
  t.deepEqual(result.computed, { k: 2 });
});
