/**
 * Compiler options end to end, through the real `tspc` (ts-patch 3.3.0, TypeScript 5.9 from this
 * repository's node_modules): `tspc -b` with project references, `tspc --watch`, `incremental`,
 * `declaration` + `sourceMap` (compared with plain `tsc`), `experimentalDecorators` +
 * `emitDecoratorMetadata`, `target` unset and `esnext`, `module` nodenext with `.mts` files.
 * Each project is written to one temporary directory per test file (with
 * `node_modules/class-instrumentation` linked to this repository, resolved like a user's
 * plugin entry); the one-shot builds start in parallel when the file loads.
 */
import test from "ava";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./transformer-harness.js";

const run = promisify(execFile);
const tspc = path.join(repoRoot, "node_modules", "ts-patch", "bin", "tspc.js");
const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
const workDir = mkdtempSync(path.join(tmpdir(), "ci-options-"));
const plugin = [{ transform: "class-instrumentation/transformer" }];

test.after.always(() => {
  rmSync(workDir, { recursive: true, force: true });
});

interface Result {
  readonly status: number;
  readonly output: string;
}

/** Writes a project (files relative to its directory) and links the package and @types. */
function project(name: string, files: Record<string, string | object>): string {
  const dir = path.join(workDir, name);
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  symlinkSync(repoRoot, path.join(dir, "node_modules", "class-instrumentation"), "dir");
  symlinkSync(path.join(repoRoot, "node_modules", "@types"), path.join(dir, "node_modules", "@types"), "dir");
  return dir;
}

/** ts-patch reads its cache of the patched compiler under a lock it waits 2 s for: under load, a retry. */
const lockFailure = /Could not acquire lock/;

/** At most this many compilers at once (the suite runs other test files alongside). */
let running = 0;
const queue: Array<() => void> = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= 3) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

function exec(cwd: string, args: readonly string[], compiler = tspc): Promise<Result> {
  return limited(async () => {
    for (let attempt = 1; ; attempt++) {
      let result: Result;
      try {
        const { stdout, stderr } = await run(process.execPath, [compiler, ...args], { cwd, env: { ...process.env, TSP_SKIP_CACHE: "" }, timeout: 120_000 });
        result = { status: 0, output: stdout + stderr };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        result = { status: typeof e.code === "number" ? e.code : -1, output: (e.stdout ?? "") + (e.stderr ?? "") };
      }
      if (!lockFailure.test(result.output) || attempt === 3) return result;
    }
  });
}

async function node(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [file], { cwd: path.dirname(file), timeout: 30_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

const compilerOptions = {
  target: "ES2022",
  lib: ["ES2022"],
  module: "commonjs",
  strict: true,
  rootDir: "src",
  outDir: "dist",
  types: ["node"],
  plugins: plugin,
};

/** A mapped model: a parameter property, a scalar with an initializer and a list. */
const models = (extra = ""): string => `import { mapped } from "class-instrumentation";

@mapped
export class Item {
  id = 0;
  tags: string[] = [];${extra}
  constructor(public name: string) {}
}
`;

/** Prints the history of Item after commitAll() and a change, and its own keys. */
const main = (from: string, extra = "", extraFields = ""): string => `import { getHistory, instanceState, managerOfClass } from "class-instrumentation";
import { Item } from "${from}";

const item = new Item("ada");
const created = getHistory(item, "name").added;
instanceState(item).commitAll();
item.name = "grace";
item.tags.push("x");
${extra}
console.log(JSON.stringify({
  created,
  name: getHistory(item, "name"),
  tags: getHistory(item, "tags").added,
  own: Object.keys(item),
  keys: Array.from(managerOfClass(Item).keys()),${extraFields}
}));
`;

const expected = {
  created: ["ada"],
  name: { added: ["grace"], unchanged: [], deleted: ["ada"] },
  tags: ["x"],
  own: [],
};

// ---------------------------------------------------------------------------------------------
// Project references: `tspc -b` builds `lib` (composite) then `app`, which uses and extends its class.

const refsDir = (() => {
  const root = path.join(workDir, "refs");
  project("refs/lib", {
    "tsconfig.json": { compilerOptions: { ...compilerOptions, composite: true, declaration: true }, include: ["src"] },
    "src/models.ts": models(),
  });
  project("refs/app", {
    "tsconfig.json": { compilerOptions, references: [{ path: "../lib" }], include: ["src"] },
    "src/main.ts": main(
      "../../lib/dist/models",
      `class Special extends Item {\n  level = 1;\n}\nconst special = new Special("bob");`,
      `\n  extra: { specialOwn: Object.keys(special), specialMapped: managerOfClass(Special).has("level") },`,
    ),
  });
  return root;
})();
const refsBuild = exec(path.join(refsDir, "app"), ["-b"]);

test("tspc -b with project references: the referencing project uses a mapped class of the referenced one", async (t) => {
  t.timeout(180_000);
  const built = await refsBuild;
  t.is(built.status, 0, built.output);
  t.true(existsSync(path.join(refsDir, "lib", "dist", "models.d.ts")));
  t.true(existsSync(path.join(refsDir, "lib", "tsconfig.tsbuildinfo")));
  const libJs = readFileSync(path.join(refsDir, "lib", "dist", "models.js"), "utf8");
  t.regex(libJs, /defineMapped/, "the referenced project is instrumented");
  const result = await node(path.join(refsDir, "app", "dist", "main.js"));
  t.like(result, expected);
  t.deepEqual(result.keys, ["name", "id", "tags"]);
  t.deepEqual(result.extra, { specialOwn: [], specialMapped: true }, "a subclass in the referencing project is mapped too");
});

// ---------------------------------------------------------------------------------------------
// incremental: a second build after an edit re-emits the edited file, instrumented.

const incrementalDir = project("incremental", {
  "tsconfig.json": { compilerOptions: { ...compilerOptions, incremental: true }, include: ["src"] },
  "src/models.ts": models(),
  "src/main.ts": main("./models"),
});
const incrementalBuild = (async () => {
  const first = await exec(incrementalDir, ["-p", "tsconfig.json"]);
  const firstJs = readFileSync(path.join(incrementalDir, "dist", "models.js"), "utf8");
  writeFileSync(path.join(incrementalDir, "src", "models.ts"), models("\n  added = 5;"));
  const second = await exec(incrementalDir, ["-p", "tsconfig.json"]);
  return { first, firstJs, second };
})();

test("incremental: a second build after adding a field instruments the new field", async (t) => {
  t.timeout(180_000);
  const { first, firstJs, second } = await incrementalBuild;
  t.is(first.status, 0, first.output);
  t.is(second.status, 0, second.output);
  t.true(existsSync(path.join(incrementalDir, "tsconfig.tsbuildinfo")));
  t.notRegex(firstJs, /key: "added"/);
  const js = readFileSync(path.join(incrementalDir, "dist", "models.js"), "utf8");
  t.regex(js, /key: "added"/);
  t.regex(js, /this\.added = 5/);
  const result = await node(path.join(incrementalDir, "dist", "main.js"));
  t.like(result, expected);
  t.deepEqual(result.keys, ["name", "id", "tags", "added"]);
});

// ---------------------------------------------------------------------------------------------
// declaration + sourceMap: the .d.ts equals plain tsc's; moved initializers map to their fields.

const declarationSource = `import { mapped } from "class-instrumentation";

@mapped
export class Point {
  x = 1;
  label: string = "origin";
  tags?: string[];
  constructor(public readonly id: number) {}
}

export class Point3 extends Point {
  z = 3;
}
`;
const declarationOptions = { ...compilerOptions, declaration: true, sourceMap: true, declarationMap: true };
const declarationDir = project("declaration", {
  "tsconfig.json": { compilerOptions: declarationOptions, include: ["src"] },
  "tsconfig.plain.json": { compilerOptions: { ...declarationOptions, outDir: "plain", plugins: [] }, include: ["src"] },
  "src/point.ts": declarationSource,
});
const declarationBuilds = Promise.all([exec(declarationDir, ["-p", "tsconfig.json"]), exec(declarationDir, ["-p", "tsconfig.plain.json"], tsc)]);

test("declaration and sourceMap: the .d.ts equals plain tsc's, moved initializers map back to their fields", async (t) => {
  t.timeout(180_000);
  const [withIt, plain] = await declarationBuilds;
  t.is(withIt.status, 0, withIt.output);
  t.is(plain.status, 0, plain.output);
  const dts = readFileSync(path.join(declarationDir, "dist", "point.d.ts"), "utf8");
  t.is(dts, readFileSync(path.join(declarationDir, "plain", "point.d.ts"), "utf8"));
  t.is(
    readFileSync(path.join(declarationDir, "dist", "point.d.ts.map"), "utf8"),
    readFileSync(path.join(declarationDir, "plain", "point.d.ts.map"), "utf8"),
  );
  const js = readFileSync(path.join(declarationDir, "dist", "point.js"), "utf8");
  t.regex(js, /defineMapped/);
  const map = JSON.parse(readFileSync(path.join(declarationDir, "dist", "point.js.map"), "utf8")) as { mappings: string; sources: string[] };
  t.deepEqual(map.sources, ["../src/point.ts"]);
  const lines = firstSourceLines(map.mappings);
  const jsLines = js.split("\n");
  const sourceLines = declarationSource.split("\n");
  const check = (generated: string, original: string): void => {
    const at = jsLines.findIndex((l) => l.includes(generated));
    t.true(at >= 0, generated);
    t.is(lines[at], sourceLines.findIndex((l) => l.includes(original)), `${generated} maps to the line of ${original}`);
  };
  check("this.x = 1", "x = 1;");
  check(`this.label = "origin"`, `label: string = "origin"`);
  check("this.z = 3", "z = 3;");
});

// ---------------------------------------------------------------------------------------------
// Decorator flavours and targets.

const decoratedSource = `import { mapped, attribute, transient } from "class-instrumentation";

// Both decorator flavours: (cls) / (cls, context) and (proto, key, descriptor) / (method, context).
function logged(...args: any[]): any {
  (globalThis as { decorated?: string[] }).decorated = [...((globalThis as { decorated?: string[] }).decorated ?? []), args[0].name];
  return args[0];
}
function noted(..._args: any[]): any {
  return undefined;
}

export class Tag {}

@mapped
@logged
export class Item {
  id = 0;
  @attribute({ kind: "scalar" }) tags: string[] = [];
  @transient scratch = "s";
  owner: Tag | null = null;
  constructor(public name: string, when: Date) {
    void when;
  }
  @noted
  rename(name: string): void {
    this.name = name;
  }
}
`;
const decoratedMain = `import { getHistory, instanceState, managerOfClass } from "class-instrumentation";
import { Item } from "./models";

const item = new Item("ada", new Date(0));
instanceState(item).commitAll();
item.rename("grace");
console.log(JSON.stringify({
  name: getHistory(item, "name"),
  own: Object.keys(item),
  keys: Array.from(managerOfClass(Item).keys()),
  decorated: (globalThis as { decorated?: string[] }).decorated,
  tagsKind: managerOfClass(Item).get("tags")?.impl?.constructor.name,
}));
`;
const metadataDir = project("metadata", {
  "tsconfig.json": { compilerOptions: { ...compilerOptions, target: "ES2015", experimentalDecorators: true, emitDecoratorMetadata: true }, include: ["src"] },
  "src/models.ts": decoratedSource,
  "src/main.ts": decoratedMain,
});
const metadataBuild = exec(metadataDir, ["-p", "tsconfig.json"]);

test("experimentalDecorators with emitDecoratorMetadata", async (t) => {
  t.timeout(180_000);
  const built = await metadataBuild;
  t.is(built.status, 0, built.output);
  const js = readFileSync(path.join(metadataDir, "dist", "models.js"), "utf8");
  t.regex(js, /__metadata\("design:paramtypes", \[String, Date\]\)/, "constructor parameter metadata kept");
  t.regex(js, /__metadata\("design:type", Function\)/, "method metadata kept");
  t.notRegex(js, /__metadata\("design:type", (Array|Object|String)\)/, "no metadata for the removed fields");
  const result = await node(path.join(metadataDir, "dist", "main.js"));
  t.deepEqual(result, {
    name: { added: ["grace"], unchanged: [], deleted: ["ada"] },
    own: ["scratch"],
    keys: ["name", "id", "tags", "owner"],
    decorated: ["Item"],
    tagsKind: "ScalarAttributeImpl",
  });
});

// Targets with TC39 decorators. Foreign decorators stay native under ESNext (Node 20 cannot run
// them), so this source has only the decorators the transformer compiles away.
const plainDecoratedSource = decoratedSource
  .replace("@logged\n", "")
  .replace("  @noted\n", "")
  .replace("export class Item {", "export class Item {\n  static {\n    (globalThis as { decorated?: string[] }).decorated = [this.name];\n  }");
const targets = ["(unset)", "ESNext"] as const;
const targetBuilds = targets.map((target) => {
  const options: Record<string, unknown> = { ...compilerOptions, lib: ["ES2022"] };
  if (target === "(unset)") delete options.target;
  else options.target = target;
  const dir = project(`target-${target === "(unset)" ? "unset" : target}`, {
    "tsconfig.json": { compilerOptions: options, include: ["src"] },
    "src/models.ts": target === "ESNext" ? plainDecoratedSource : decoratedSource,
    "src/main.ts": decoratedMain,
  });
  return { target, dir, build: exec(dir, ["-p", "tsconfig.json"]) };
});

for (const { target, dir, build } of targetBuilds) {
  test(`target ${target} (TC39 decorators)`, async (t) => {
    t.timeout(180_000);
    const built = await build;
    t.is(built.status, 0, built.output);
    const js = readFileSync(path.join(dir, "dist", "models.js"), "utf8");
    if (target === "(unset)") t.notRegex(js, /\bclass Item\b/, "TypeScript 5.9's default target (ES5) lowers classes");
    else {
      t.regex(js, /static \{\s*ci(_\d+)?\.defineMapped/, "ESNext keeps the registration static block");
      t.notRegex(js, /^\s*@/m, "no decorator left in the output");
    }
    const result = await node(path.join(dir, "dist", "main.js"));
    t.deepEqual(result, {
      name: { added: ["grace"], unchanged: [], deleted: ["ada"] },
      own: ["scratch"],
      keys: ["name", "id", "tags", "owner"],
      decorated: ["Item"],
      tagsKind: "ScalarAttributeImpl",
    });
  });
}

// ---------------------------------------------------------------------------------------------
// module nodenext with .mts files (ES modules emitted as .mjs).

const mtsDir = project("nodenext-mts", {
  "tsconfig.json": { compilerOptions: { ...compilerOptions, module: "nodenext", moduleResolution: "nodenext" }, include: ["src"] },
  "src/models.mts": models(),
  "src/main.mts": main("./models.mjs"),
});
const mtsBuild = exec(mtsDir, ["-p", "tsconfig.json"]);

test("module nodenext with .mts files", async (t) => {
  t.timeout(180_000);
  const built = await mtsBuild;
  t.is(built.status, 0, built.output);
  t.deepEqual(readdirSync(path.join(mtsDir, "dist")).sort(), ["main.mjs", "models.mjs"]);
  const js = readFileSync(path.join(mtsDir, "dist", "models.mjs"), "utf8");
  t.regex(js, /^import \* as ci(_\d+)? from "class-instrumentation";/m);
  const result = await node(path.join(mtsDir, "dist", "main.mjs"));
  t.like(result, expected);
});

// ---------------------------------------------------------------------------------------------
// --watch: the first build, then an edit adding a field, then the rebuild.

test("tspc --watch rebuilds an edited file with the new field instrumented", async (t) => {
  t.timeout(240_000);
  const dir = project("watch", {
    "tsconfig.json": { compilerOptions, include: ["src"] },
    "src/models.ts": models(),
    "src/main.ts": main("./models"),
  });
  let output = "";
  let waiter: (() => void) | undefined;
  let exited = false;
  const start = (): ChildProcess => {
    output = "";
    exited = false;
    const child = spawn(process.execPath, [tspc, "-p", "tsconfig.json", "--watch", "--preserveWatchOutput"], {
      cwd: dir,
      env: { ...process.env, TSP_SKIP_CACHE: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      waiter?.();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", () => {
      exited = true;
      waiter?.();
    });
    return child;
  };
  /** Resolves when `output` holds `count` "Watching for file changes" lines; rejects after `ms` or when the watcher exits. */
  const builds = (count: number, ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = undefined;
        reject(new Error(`timed out after ${ms} ms waiting for build ${count}:\n${output}`));
      }, ms);
      const check = (): void => {
        const done = (output.match(/Watching for file changes/g) ?? []).length >= count;
        if (!done && !exited) return;
        clearTimeout(timer);
        waiter = undefined;
        if (done) resolve();
        else reject(new Error(`the watcher exited before build ${count}:\n${output}`));
      };
      waiter = check;
      check();
    });
  let child = start();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await builds(1, 120_000);
        break;
      } catch (error) {
        if (!lockFailure.test(output) || attempt === 3) throw error;
        child = start();
      }
    }
    t.regex(output, /Found 0 errors/);
    const first = readFileSync(path.join(dir, "dist", "models.js"), "utf8");
    t.regex(first, /defineMapped/);
    t.notRegex(first, /key: "added"/);
    // Let the watcher settle its file watches before editing.
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(path.join(dir, "src", "models.ts"), models("\n  added = 5;"));
    await builds(2, 60_000);
    t.notRegex(output, /error TS/, output);
    const js = readFileSync(path.join(dir, "dist", "models.js"), "utf8");
    t.regex(js, /key: "added"/);
    t.regex(js, /this\.added = 5/);
    t.notRegex(js, /^\s*added = 5/m, "the new field is not left as a class field");
    const result = await node(path.join(dir, "dist", "main.js"));
    t.like(result, expected);
    t.deepEqual(result.keys, ["name", "id", "tags", "added"]);
  } finally {
    child.kill();
  }
});

/** The first source line (0-based) each generated line maps to, from a VLQ mappings string. */
function firstSourceLines(mappings: string): Array<number | undefined> {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const result: Array<number | undefined> = [];
  let sourceLine = 0;
  for (const group of mappings.split(";")) {
    let first: number | undefined;
    for (const segment of group.split(",")) {
      if (segment === "") continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = chars.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >> 1) : value >> 1);
          value = 0;
          shift = 0;
        }
      }
      if (values.length >= 4) {
        sourceLine += values[2]!;
        first ??= sourceLine;
      }
    }
    result.push(first);
  }
  return result;
}
