/**
 * Compatibility matrix, end to end: each host of docs/compatibility.md builds (or runs) a small
 * app with the packed package installed like a user's, and the output is run and checked.
 *
 * Every fixture under `test/compat/<name>/` has its own package.json with exact versions. The
 * test packs this repository (`npm pack`; `npm test` builds dist first), copies each fixture and
 * the shared app (`test/compat/_app/src`) to a temporary directory, runs
 * `npm install --no-audit --no-fund` there (nothing is reused between runs) and then the rows of
 * that fixture, one after another. Fixtures install and run concurrently (installs: 4 at a time,
 * builds: 2). The rows and their documented setup live in `test/compat/rows.json`; a full run
 * writes its results to `test-results/compat-results.json` (untracked: `npm test` leaves the tree as it
 * was), and `npm run compat:docs` copies them to `docs/compat-results.json` and renders
 * `docs/compatibility.md` with `scripts/compat-table.mjs`.
 *
 * `COMPAT_ONLY=ts7,vite` restricts the run to some fixtures (no results file is then written).
 */
import test from "ava";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { ExecutionContext } from "ava";
import * as ts from "typescript";
import { createTransformer } from "../transformer/index.js";
import { repoRoot } from "./transformer-harness.js";

interface Row {
  readonly id: string;
  readonly host: string;
  readonly versions: string;
  readonly fixture?: string;
  readonly external?: string;
}

interface Result {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

const compatDir = path.join(repoRoot, "test", "compat");
const rows = JSON.parse(readFileSync(path.join(compatDir, "rows.json"), "utf8")) as Row[];
const only = process.env.COMPAT_ONLY?.split(",").filter((s) => s !== "");
const workDir = mkdtempSync(path.join(tmpdir(), "ci-compat-"));
const started = Date.now();
const MINUTES = 60_000;
/** Where a full run writes its results (git-ignored); `npm run compat:docs` renders docs/ from it. */
const resultsFile = path.join(repoRoot, "test-results", "compat-results.json");

/** Runs a command; never throws. */
function sh(cwd: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, TSP_SKIP_CACHE: "1", npm_config_update_notifier: "false", ...env }, maxBuffer: 64 << 20, timeout: 6 * MINUTES },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ status: error === null ? 0 : typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
  });
}

/** Runs a Node script of a fixture with this Node. */
const node = (cwd: string, ...args: string[]): Promise<Result> => sh(cwd, process.execPath, args);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const npx = process.platform === "win32" ? "npx.cmd" : "npx";
/** Runs a Node script with Node 22 from npm (the fixture pins node@22.23.3; npx uses that copy). */
const node22 = (cwd: string, ...args: string[]): Promise<Result> => sh(cwd, npx, ["-y", "-p", "node@22.23.3", "node", ...args]);

/** A small semaphore. */
function limiter(slots: number): <T>(job: () => Promise<T>) => Promise<T> {
  let free = slots;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (free === 0) await new Promise<void>((r) => waiting.push(r));
    else free--;
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
const installSlot = limiter(4);
const buildSlot = limiter(2);

const packed: Promise<string> = (async () => {
  const r = await sh(repoRoot, npm, ["pack", "--silent", "--pack-destination", workDir]);
  if (r.status !== 0) throw new Error(`npm pack failed:\n${r.stderr}`);
  const tgz = readdirSync(workDir).find((f) => f.endsWith(".tgz"))!;
  renameSync(path.join(workDir, tgz), path.join(workDir, "class-instrumentation.tgz"));
  return path.join(workDir, "class-instrumentation.tgz");
})();

const installs = new Map<string, Promise<string>>();
/** Copies and installs a fixture (once); resolves to its directory. */
function fixture(name: string): Promise<string> {
  let p = installs.get(name);
  if (p === undefined) {
    p = (async () => {
      await packed;
      const dir = path.join(workDir, name);
      cpSync(path.join(compatDir, "_app"), dir, { recursive: true });
      cpSync(path.join(compatDir, name), dir, { recursive: true });
      const r = await installSlot(() => sh(dir, npm, ["install", "--no-audit", "--no-fund", "--loglevel=error"]));
      if (r.status !== 0) throw new Error(`npm install in ${name} failed:\n${r.stdout}\n${r.stderr}`);
      return dir;
    })();
    installs.set(name, p);
  }
  return p;
}

/** Rows of one fixture run in order: each waits for the previous one. */
const chains = new Map<string, Promise<unknown>>();
function step<T>(fixtureName: string, job: (dir: string) => Promise<T>): Promise<T> {
  const previous = chains.get(fixtureName) ?? fixture(fixtureName);
  const next = previous.then(
    () => fixture(fixtureName).then((dir) => buildSlot(() => job(dir))),
    () => fixture(fixtureName).then((dir) => buildSlot(() => job(dir))),
  );
  chains.set(fixtureName, next.catch(() => undefined));
  return next;
}

const output = (r: Result): string => `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The checks every host shares; `transformed` tells the build-time path from the runtime path. */
function checkApp(t: ExecutionContext, r: Result, transformed: boolean): void {
  t.is(r.status, 0, output(r));
  const line = r.stdout.trim().split("\n").pop() ?? "";
  const result = JSON.parse(line) as Record<string, unknown>;
  t.is(result.transformed, transformed, line);
  if (transformed) t.deepEqual(result.keysBefore, ["label", "note", "children", "parent", "tag"]);
  t.deepEqual(result.own, [], "attributes are not own properties");
  t.deepEqual(result.label, { added: ["renamed"], unchanged: [], deleted: ["root"] });
  t.deepEqual(result.childrenAdded, ["leaf"]);
  t.is(result.describe, "describe-marker renamed(1)");
  t.deepEqual(result.json, { label: "leaf", children: [], parent: null, tag: "initial-tag" });
}

/** Maps `needle` in a bundle back through its source map: it must land on the user's line of models.ts. */
function checkSourceMap(t: ExecutionContext, jsFile: string, mapFile: string): void {
  const js = readFileSync(jsFile, "utf8");
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")));
  const models = readFileSync(path.join(compatDir, "_app", "src", "models.ts"), "utf8").split("\n");
  for (const needle of ['"initial-tag"', "describe-marker"]) {
    const at = js.indexOf(needle);
    t.true(at >= 0, `${needle} in ${jsFile}`);
    const before = js.slice(0, at).split("\n");
    const entry = map.findEntry(before.length - 1, before[before.length - 1]!.length) as { originalSource?: string; originalLine?: number };
    t.regex(entry.originalSource ?? "", /models\.ts$/, `${needle} maps to models.ts`);
    const expected = models.findIndex((l) => l.includes(needle.replace(/"/g, "")));
    t.is(entry.originalLine, expected, `${needle} maps to line ${expected + 1} of models.ts`);
  }
}

const outcomes = new Map<string, { status: "pass" | "fail"; seconds: number }>();
const titleToId = new Map<string, string>();

/** One row of the matrix. */
function row(id: string, body: (t: ExecutionContext) => Promise<void>): void {
  const meta = rows.find((r) => r.id === id);
  if (meta === undefined) throw new Error(`row ${id} is not in test/compat/rows.json`);
  if (only !== undefined && !only.includes(meta.fixture ?? "")) return;
  const title = `compat ${id}: ${meta.host}, ${meta.versions}`;
  titleToId.set(title, id);
  test(title, async (t) => {
    t.timeout(9 * MINUTES);
    await body(t);
  });
}

/** Build with a command, then run `entry`. */
function buildAndRun(id: string, fixtureName: string, transformed: boolean, build: (dir: string) => Promise<Result>, entry: string): void {
  row(id, async (t) => {
    const [b, r] = await step(fixtureName, async (dir) => {
      const built = await build(dir);
      return [built, built.status === 0 ? await node(dir, entry) : built] as const;
    });
    t.is(b.status, 0, output(b));
    checkApp(t, r, transformed);
  });
}

const bin = (dir: string, name: string): string => path.join(dir, "node_modules", ".bin", name);

// Heavy fixtures first, so that they start installing first.
row("ts-jest-compiler", async (t) => {
  const r = await step("jest", (dir) => node(dir, "node_modules/jest/bin/jest.js", "-c", "jest.compiler.config.js", "--ci"));
  t.is(r.status, 0, output(r));
  t.regex(r.stderr, /1 passed/);
});
row("ts-jest-hook", async (t) => {
  const r = await step("jest", (dir) => node(dir, "node_modules/jest/bin/jest.js", "-c", "jest.hook.config.js", "--ci"));
  t.is(r.status, 0, output(r));
  t.regex(r.stderr, /1 passed/);
});
row("unplugin-vite", async (t) => {
  const dir = await fixture("vite");
  const [b, r] = await step("vite", async (d) => {
    const built = await node(d, "node_modules/vite/bin/vite.js", "build", "--logLevel", "warn");
    return [built, await node(d, "dist/main.js")] as const;
  });
  t.is(b.status, 0, output(b));
  checkApp(t, r, true);
  checkSourceMap(t, path.join(dir, "dist", "main.js"), path.join(dir, "dist", "main.js.map"));
});
row("vitest", async (t) => {
  // Vitest 5 needs Node >= 22.12 (on Node 20 its reporter crashes when a test fails): Node 22 from npm.
  const [v, r] = await step("vite", async (dir) => [await node22(dir, "--version"), await node22(dir, "node_modules/vitest/vitest.mjs", "run")] as const);
  t.regex(v.stdout, /^v22\./, output(v));
  t.is(r.status, 0, output(r));
  t.regex(r.stdout, /1 passed/);
});
buildAndRun("ts-loader", "webpack", true, (dir) => node(dir, "build.js", "ts-loader"), "dist-ts-loader/main.js");
buildAndRun("unplugin-webpack", "webpack", true, (dir) => node(dir, "build.js", "unplugin"), "dist-unplugin/main.js");
row("unplugin-rollup", async (t) => {
  const dir = await fixture("rollup-esbuild");
  const [b, r] = await step("rollup-esbuild", async (d) => {
    const built = await node(d, "node_modules/rollup/dist/bin/rollup", "-c", "--silent");
    return [built, await node(d, "dist-rollup/main.js")] as const;
  });
  t.is(b.status, 0, output(b));
  checkApp(t, r, true);
  checkSourceMap(t, path.join(dir, "dist-rollup", "main.js"), path.join(dir, "dist-rollup", "main.js.map"));
});
row("unplugin-esbuild", async (t) => {
  const dir = await fixture("rollup-esbuild");
  const [b, r] = await step("rollup-esbuild", async (d) => {
    const built = await node(d, "esbuild.mjs");
    return [built, await node(d, "dist-esbuild/main.js")] as const;
  });
  t.is(b.status, 0, output(b));
  checkApp(t, r, true);
  checkSourceMap(t, path.join(dir, "dist-esbuild", "main.js"), path.join(dir, "dist-esbuild", "main.js.map"));
});

buildAndRun("tspc-ts5.0", "tspc-ts5.0", true, (dir) => node(dir, "node_modules/ts-patch/bin/tspc.js", "-p", "."), "dist/main.js");
buildAndRun("tspc-ts5.4", "tspc-ts5.4", true, (dir) => node(dir, "node_modules/ts-patch/bin/tspc.js", "-p", "."), "dist/main.js");
buildAndRun("tspc-ts5.9", "ts5.9", true, (dir) => node(dir, "node_modules/ts-patch/bin/tspc.js", "-p", "."), "dist/main.js");
buildAndRun("tspc-ts6.0", "tspc-ts6.0", true, (dir) => node(dir, "node_modules/ts-patch/bin/tspc.js", "-p", "."), "dist/main.js");
buildAndRun("ts-patch-install", "ts-patch-install", true, (dir) => node(dir, "node_modules/typescript/bin/tsc", "-p", "."), "dist/main.js");
buildAndRun("ttsc-ts4.9", "ttsc-ts4.9", true, (dir) => node(dir, "node_modules/ttypescript/bin/tsc", "-p", "."), "dist/main.js");
row("tspc4-ts6.0", async (t) => {
  const [v, b, r] = await step("tspc4-ts6.0", async (dir) => {
    const version = await node22(dir, "--version");
    const built = await node22(dir, "node_modules/ts-patch/bin/tspc.js", "-p", ".");
    return [version, built, built.status === 0 ? await node22(dir, "dist/main.js") : built] as const;
  });
  t.regex(v.stdout, /^v22\./, output(v));
  t.is(b.status, 0, output(b));
  checkApp(t, r, true);
});

buildAndRun("program-emit", "ts5.9", true, (dir) => node(dir, "emit.js"), "dist-emit/main.js");
buildAndRun("transpile-module", "ts5.9", true, (dir) => node(dir, "transpile.js"), "dist-transpile/main.js");
row("ts-node-compiler", async (t) => {
  const r = await step("ts5.9", (dir) => node(dir, "node_modules/ts-node/dist/bin.js", "-C", "ts-patch/compiler", "src/main.ts"));
  checkApp(t, r, true);
});
row("ts-node-hook", async (t) => {
  const r = await step("ts5.9", (dir) => node(dir, "ts-node-hook.js"));
  checkApp(t, r, true);
});

row("ts7-tsc", async (t) => {
  const [b, r, p] = await step("ts7", async (dir) => {
    const built = await node(dir, "node_modules/typescript/bin/tsc", "-p", ".");
    return [built, await node(dir, "dist/main.js"), await node(dir, "check-plugin.js")] as const;
  });
  t.is(b.status, 0, `TypeScript 7 ignores the plugins entry silently\n${output(b)}`);
  checkApp(t, r, false);
  t.is(p.status, 0, output(p));
  const plugin = JSON.parse(p.stdout.trim()) as { refused: string; transformedWithTs6: boolean };
  t.regex(plugin.refused, /^\[CI1011\] .*>=4\.9 <7.* 7\.0\.2, which has no transformer API.*npm i -D ts6@npm:typescript@6\.0\.3.*import ts6 from "ts6".*typescript: ts6/s, "startup fails with a message naming the fix");
  t.true(plugin.transformedWithTs6, "with TypeScript 6 passed as `typescript` the plugin works");
});
row("ts7-unplugin-ts6", async (t) => {
  const r = await step("ts7", (dir) => node(dir, "check-plugin.mjs"));
  t.is(r.status, 0, output(r));
  t.deepEqual(JSON.parse(r.stdout.trim()), { transformedWithTs6: true }, "the README's ESM snippet (`import ts6 from \"ts6\"`) runs the plugin");
});
row("ts7-tspc6", async (t) => {
  const [check, b, r] = await step("ts7-tspc6", async (dir) => {
    const checked = await node(dir, "node_modules/ts7/bin/tsc", "-p", ".", "--noEmit");
    const built = await node(dir, "node_modules/ts-patch/bin/tspc.js", "-p", ".");
    return [checked, built, built.status === 0 ? await node(dir, "dist/main.js") : built] as const;
  });
  t.is(check.status, 0, `TypeScript 7 type-checks the project\n${output(check)}`);
  t.is(b.status, 0, output(b));
  checkApp(t, r, true);
});

// The README on a fresh install: its install line (versions as in the fixture), its tsconfig line,
// and its Example, IdentityMap and extension snippets, built with tspc under `strict` and run; the
// values and output their comments promise are checked.
row("readme", async (t) => {
  const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
  const install = /npm i -D typescript@(\S+) ts-patch@(\S+) class-instrumentation/.exec(readme);
  t.truthy(install, "the README has a pinned install line");
  const pinned = JSON.parse(readFileSync(path.join(compatDir, "readme", "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  t.deepEqual([install?.[1], install?.[2]], [pinned.devDependencies.typescript, pinned.devDependencies["ts-patch"]], "the fixture installs what the README says");
  const plugins = (JSON.parse(/```jsonc\n(\{ "compilerOptions": \{ "plugins".*\})\n```/.exec(readme)![1]!) as { compilerOptions: { plugins: unknown } }).compilerOptions.plugins;
  const example = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const promised = [...example.matchAll(/prints "([^"]*)"/g)].map((m) => m[1]);
  const checks: Array<[string, unknown]> = [];
  const source = example
    .split("\n")
    .map((line) => {
      const m = /^(\S.*?);\s+\/\/ (\{.*\}|true|false)$/.exec(line);
      if (m === null) return line;
      checks.push([m[1]!, JSON.parse(m[2]!.replace(/(\w+):/g, '"$1":'))]);
      return `console.log("CHECK " + JSON.stringify(${m[1]!}));`;
    })
    .join("\n");
  // The IdentityMap snippet, over ten mapped users: only the changed one is written back.
  const identity = /### Tracking what changed: `IdentityMap`\n\n```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const writeComment = "/* write obj[k] for k of values; sync getHistory(obj, k) for k of collections */";
  t.true(identity.includes(writeComment), "the IdentityMap snippet's flush placeholder");
  const identitySource = [
    'import { IdentityMap, mapped } from "class-instrumentation";',
    "@mapped class User { name: string; constructor(name: string) { this.name = name; } }",
    "const users = Array.from({ length: 10 }, (_, i) => new User(`user${i}`));",
    "const written: Array<[string, unknown]> = [];",
    identity.replace(writeComment, "for (const k of values) written.push([k, obj[k]]); void collections;"),
    "console.log(JSON.stringify(written));",
  ].join("\n");
  // The extension snippet, under `strict`, then used.
  const ext = /### Alternate instrumentation \(`class-instrumentation\/ext`\)\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const extSource = [
    'import { getHistory as historyOf } from "class-instrumentation";',
    ext,
    "const account = new Account();",
    "account.balance = 5;",
    'console.log(JSON.stringify({ stored: slots.get(account) ?? null, added: historyOf(account, "balance").added }));',
  ].join("\n");
  const [b, r, idr, exr] = await step("readme", async (dir) => {
    const config = JSON.parse(readFileSync(path.join(dir, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
    config.compilerOptions.plugins = plugins;
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(config));
    mkdirSync(path.join(dir, "readme"), { recursive: true });
    writeFileSync(path.join(dir, "readme", "example.ts"), source);
    writeFileSync(path.join(dir, "readme", "identity.ts"), identitySource);
    writeFileSync(path.join(dir, "readme", "ext.ts"), extSource);
    const built = await node(dir, "node_modules/ts-patch/bin/tspc.js", "-p", ".");
    if (built.status !== 0) return [built, built, built, built] as const;
    const runIt = (file: string): Promise<Result> => sh(dir, process.execPath, [`dist-readme/${file}.js`], { CLASS_INSTRUMENTATION_RUNTIME_PATH: "" });
    return [built, await runIt("example"), await runIt("identity"), await runIt("ext")] as const;
  });
  t.is(b.status, 0, `the README's snippets type-check under strict\n${output(b)}`);
  t.is(idr.status, 0, output(idr));
  t.deepEqual(JSON.parse(idr.stdout.trim()), [["name", "changed"]], "changes() yields the changed user only");
  t.is(exr.status, 0, output(exr));
  t.deepEqual(JSON.parse(exr.stdout.trim()), { stored: { balance: 5 }, added: [5] }, "the custom manager keeps the values");
  t.is(r.status, 0, output(r));
  t.is(r.stderr, "", "built with the transformer: no runtime-path warning");
  const lines = r.stdout.trim().split("\n");
  t.deepEqual(lines.filter((l) => !l.startsWith("CHECK ")), promised, "what the Example's comments say it prints");
  t.deepEqual(
    lines.filter((l) => l.startsWith("CHECK ")).map((l) => JSON.parse(l.slice(6)) as unknown),
    checks.map(([, expected]) => expected),
    checks.map(([expr]) => expr).join(", "),
  );
  t.true(checks.length >= 3 && promised.length >= 2);
});

// Package types: every entry point under each module resolution, and @arethetypeswrong/cli.
for (const [id, config, entry] of [
  ["types-node10", "node10", "out-node10/use.js"],
  ["types-node16-cjs", "node16-cjs", "out-node16-cjs/use.js"],
  ["types-nodenext-esm", "nodenext-esm", "out-nodenext-esm/use.mjs"],
  ["types-bundler", "bundler", "out-bundler/use.mjs"],
] as const) {
  row(id, async (t) => {
    const [b, r] = await step("resolvers", async (dir) => {
      const built = await node(dir, "node_modules/typescript/bin/tsc", "-p", `tsconfig.${config}.json`);
      return [built, built.status === 0 ? await node(dir, entry) : built] as const;
    });
    t.is(b.status, 0, `every entry point type-checks under ${config}\n${output(b)}`);
    t.is(r.status, 0, output(r));
    const values = JSON.parse(r.stdout.trim()) as Record<string, string>;
    t.deepEqual(values, {
      mapped: "function",
      getHistory: "function",
      ext: "function",
      transformer: "function",
      createTransformer: "function",
      unpluginDefault: "function",
      vite: "function",
      options: "object",
      state: "undefined",
    });
  });
}
row("types-esm-no-default", async (t) => {
  const r = await step("resolvers", (dir) => node(dir, "node_modules/typescript/bin/tsc", "-p", "tsconfig.bad-default.json"));
  t.not(r.status, 0, "a default import of the runtime from an ES module is a type error");
  t.regex(r.stdout, /bad-default\.mts\(3,8\): error TS1192/, output(r));
});
row("attw", async (t) => {
  const r = await step("attw", async (dir) => node(dir, "node_modules/@arethetypeswrong/cli/dist/index.js", await packed, "--format", "json"));
  t.is(r.status, 0, output(r));
  const report = JSON.parse(r.stdout) as { analysis: { entrypoints: Record<string, unknown>; problems: unknown[] } };
  t.deepEqual(Object.keys(report.analysis.entrypoints), [".", "./ext", "./transformer", "./unplugin", "./package.json"]);
  t.deepEqual(report.analysis.problems, [], "no problem for any entry point under node10, node16 (CJS and ESM) and bundler");
});
buildAndRun("plain-tsc", "runtime-path", false, (dir) => node(dir, "node_modules/typescript/bin/tsc", "-p", "."), "dist/main.js");
row("tsx", async (t) => {
  const r = await step("runtime-path", (dir) => sh(dir, bin(dir, "tsx"), ["src/main.ts"]));
  checkApp(t, r, false);
});
buildAndRun("swc", "runtime-path", false, (dir) => node(dir, "swc.js"), "dist-swc/main.js");

// In-process: the version check (no install needed).
test("compat: an unsupported TypeScript gets one diagnostic naming the version found and the supported range", (t) => {
  const messages: string[] = [];
  const old = Object.create(ts, { version: { value: "4.8.4" }, versionMajorMinor: { value: "4.8" } }) as typeof ts;
  const factory = createTransformer(undefined, { ts: old, onDiagnostic: (d) => messages.push(ts.flattenDiagnosticMessageText(d.messageText, "\n")) });
  const source = ts.createSourceFile("a.ts", "class A {}\nclass B {}", ts.ScriptTarget.ES2022);
  ts.transform([source, ts.createSourceFile("b.ts", "class C {}", ts.ScriptTarget.ES2022)], [factory]);
  t.is(messages.length, 1);
  t.regex(messages[0]!, /TypeScript 4\.8\.4/);
  t.regex(messages[0]!, />=4\.9 <7/);
  const ts7 = { version: "7.0.2", versionMajorMinor: "7.0" } as unknown as typeof ts;
  t.throws(() => createTransformer(undefined, { ts: ts7 }), { message: /CI1011.*>=4\.9 <7.* 7\.0\.2, which has no transformer API/s });
});

test.afterEach.always((t) => {
  // Hook titles read "afterEach.always hook for <test title>".
  const id = [...titleToId].find(([title]) => t.title.endsWith(` for ${title}`))?.[1];
  if (id !== undefined) outcomes.set(id, { status: t.passed ? "pass" : "fail", seconds: Math.round((Date.now() - started) / 1000) });
});

test.after.always(async () => {
  rmSync(workDir, { recursive: true, force: true });
  if (only !== undefined || outcomes.size === 0) return;
  const results = {
    generated: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    totalSeconds: Math.round((Date.now() - started) / 1000),
    rows: rows.map((r) => {
      if (r.external !== undefined) return { id: r.id, status: "external", coveredBy: r.external };
      const o = outcomes.get(r.id);
      return { id: r.id, status: o?.status ?? "not-run", finishedAfterSeconds: o?.seconds };
    }),
  };
  // Untracked: a test run never rewrites the docs. `npm run compat:docs` copies it into docs/.
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, JSON.stringify(results, null, 2) + "\n");
});
