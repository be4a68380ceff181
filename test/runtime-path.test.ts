/**
 * One behavioural suite, several builds. The scenarios of `fixtures/behaviour/*.ts` (mapped
 * classes doing what users do: initializers, parameter properties, inheritance, collections,
 * history, events, failing constructors, toJSON/inspect, `@transient`, `@attribute`, expiry) each
 * print a deterministic trace. They are built
 *
 * - by the real `tspc` (ts-patch 3.3.0, TypeScript 5.9) with the plugin line of the README: the
 *   reference trace;
 * - by plain `tsc` without the plugin (the runtime path of `@mapped`), with
 *   `useDefineForClassFields` true and false × `experimentalDecorators` true and false;
 * - by esbuild 0.28 (bundled with the runtime, TC39 decorators; and transpiled file by file with
 *   legacy decorators and [[Set]] fields), and through `node --import tsx`;
 *
 * run with Node, and every trace must equal the tspc one, except for the differences listed in
 * {@link DIFFERENCES}, which are asserted line by line (documented in docs/transformer.md,
 * "Without the transformer", and in the README).
 */
import test from "ava";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./transformer-harness.js";

const run = promisify(execFile);
const scenarioDir = path.join(repoRoot, "fixtures", "behaviour");
const scenarios = readdirSync(scenarioDir).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
const workDir = mkdtempSync(path.join(tmpdir(), "ci-behaviour-"));

test.after.always(() => {
  rmSync(workDir, { recursive: true, force: true });
});

/** How a build treats class fields: [[Define]] (`useDefineForClassFields`) or [[Set]]. */
type Fields = "define" | "set";

interface BuildSpec {
  readonly name: string;
  readonly fields: Fields;
  readonly experimentalDecorators: boolean;
}

/** A temporary project with the scenarios under src/ and the package linked like a user's. */
function project(name: string, compilerOptions: Record<string, unknown>): string {
  const dir = path.join(workDir, name);
  mkdirSync(path.join(dir, "src"), { recursive: true });
  mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  for (const s of scenarios) copyFileSync(path.join(scenarioDir, `${s}.ts`), path.join(dir, "src", `${s}.ts`));
  symlinkSync(repoRoot, path.join(dir, "node_modules", "class-instrumentation"), "dir");
  symlinkSync(path.join(repoRoot, "node_modules", "@types"), path.join(dir, "node_modules", "@types"), "dir");
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "commonjs" }));
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "commonjs",
      strict: true,
      skipLibCheck: true,
      types: ["node"],
      rootDir: "src",
      outDir: "dist",
      ...compilerOptions,
    },
    include: ["src"],
  };
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  return dir;
}

async function node(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, args, { cwd });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const message = (e.stderr ?? e.message).split("\n").find((l) => /^\w*Error\b/.test(l)) ?? e.stderr ?? e.message;
    return `${e.stdout ?? ""}!!! exited with an error: ${message}\n`;
  }
}

type Traces = ReadonlyMap<string, string>;

/** Builds with `bin` (tspc or tsc) and runs every scenario; a compiler error fails the build. */
async function compileAndRun(name: string, bin: string, compilerOptions: Record<string, unknown>): Promise<Traces> {
  const dir = project(name, compilerOptions);
  try {
    await run(process.execPath, [bin, "-p", "tsconfig.json"], { cwd: dir, env: { ...process.env, TSP_SKIP_CACHE: "" } });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`${name} build failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
  const traces = await Promise.all(scenarios.map((s) => node([path.join(dir, "dist", `${s}.js`)], dir)));
  return new Map(scenarios.map((s, i) => [s, traces[i]!]));
}

const tspcBin = path.join(repoRoot, "node_modules", "ts-patch", "bin", "tspc.js");
const tscBin = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");

/** The reference: tspc with the README's plugin line. */
const reference = compileAndRun("tspc", tspcBin, { plugins: [{ transform: "class-instrumentation/transformer" }] });

const tscBuilds: BuildSpec[] = [];
for (const fields of ["define", "set"] as const) {
  for (const experimentalDecorators of [false, true]) {
    tscBuilds.push({ name: `tsc(${fields},${experimentalDecorators ? "legacy" : "tc39"} decorators)`, fields, experimentalDecorators });
  }
}
const tscTraces = new Map(
  tscBuilds.map((b) => [
    b.name,
    compileAndRun(b.name.replace(/\W+/g, "-"), tscBin, { useDefineForClassFields: b.fields === "define", experimentalDecorators: b.experimentalDecorators }),
  ]),
);

// esbuild: its build API, bundling the runtime in (TC39 decorators, [[Define]] fields), and
// transpiling file by file (legacy decorators, [[Set]] fields) with the runtime required at run time.
const esbuildBuilds: Array<BuildSpec & { readonly bundle: boolean }> = [
  { name: "esbuild(bundle,define,tc39 decorators)", fields: "define", experimentalDecorators: false, bundle: true },
  { name: "esbuild(transform,set,legacy decorators)", fields: "set", experimentalDecorators: true, bundle: false },
];

async function esbuildAndRun(spec: (typeof esbuildBuilds)[number]): Promise<Traces> {
  const esbuild = await import("esbuild");
  const dir = project(spec.name.replace(/\W+/g, "-"), {});
  await esbuild.build({
    entryPoints: scenarios.map((s) => path.join(dir, "src", `${s}.ts`)),
    outdir: path.join(dir, "dist"),
    bundle: spec.bundle,
    platform: "node",
    format: "cjs",
    target: "node18",
    logLevel: "silent",
    keepNames: true, // else the bundle renames colliding classes (InstrumentedList2 in inspect output)
    tsconfigRaw: { compilerOptions: { experimentalDecorators: spec.experimentalDecorators, useDefineForClassFields: spec.fields === "define" } },
  });
  const traces = await Promise.all(scenarios.map((s) => node([path.join(dir, "dist", `${s}.js`)], dir)));
  return new Map(scenarios.map((s, i) => [s, traces[i]!]));
}
const esbuildTraces = new Map(esbuildBuilds.map((b) => [b.name, esbuildAndRun(b)]));

/** `node --import tsx` straight from the TypeScript source (tsx reads the project's tsconfig). */
const tsxScenarios = ["events", "inheritance"];
const tsxSpec: BuildSpec = { name: "tsx(define,tc39 decorators)", fields: "define", experimentalDecorators: false };
async function tsxRun(): Promise<Traces> {
  const dir = project("tsx", { useDefineForClassFields: true });
  symlinkSync(path.join(repoRoot, "node_modules", "tsx"), path.join(dir, "node_modules", "tsx"), "dir");
  const traces = await Promise.all(tsxScenarios.map((s) => node(["--import", "tsx", path.join("src", `${s}.ts`)], dir)));
  return new Map(tsxScenarios.map((s, i) => [s, traces[i]!]));
}
const tsxTraces = tsxRun();

/**
 * The documented differences of the runtime path: for a scenario, the lines (by their label,
 * the text before the first `:`) whose text differs, with the expected text per field semantics.
 * Every other line must be identical to the tspc trace.
 */
type Expected = Partial<Record<Fields, string>>;
/** Keyed by the tspc line (with ` #n` for its n-th occurrence when occurrences differ). */
const DIFFERENCES: Record<string, Record<string, Expected>> = {
  decorators: {
    // Attribute order is registration order: @attribute fields at class definition, the others when first seen.
    "modified: true json: {\"title\":\"t\",\"labels\":[\"l\"],\"body\":\"c\",\"code\":\"abc\",\"lines\":[\"pushed\"],\"scratch\":5}": {
      define: "modified: true json: {\"labels\":[\"l\"],\"body\":\"c\",\"code\":\"abc\",\"lines\":[\"pushed\"],\"title\":\"t\",\"scratch\":5}",
      set: "modified: true json: {\"labels\":[\"l\"],\"body\":\"c\",\"code\":\"abc\",\"lines\":[\"pushed\"],\"title\":\"t\",\"scratch\":5}",
    },
  },
  events: {
    // [[Define]]: `init` fires after the constructor; when it throws, neither init nor initFailure fire
    // (the instance never reached the wrapper). [[Set]]: `init` fires at the first write to a known
    // attribute (from the second construction on), after that initializer's expression ran.
    "round 1 ok: init [\"ada\",10] loaded=[] | owner initializer | balance initializer | ctor body": {
      define: "round 1 ok: owner initializer | balance initializer | ctor body | init [\"ada\",10] loaded=[]",
      set: "round 1 ok: owner initializer | balance initializer | ctor body | init [\"ada\",10] loaded=[]",
    },
    "round 1 failing: init [\"bob\",-1] loaded=[] | owner initializer | balance initializer | ctor body | initFailure [\"bob\",-1] negative opening -1 | caught RangeError: negative opening -1": {
      define: "round 1 failing: owner initializer | balance initializer | ctor body | caught RangeError: negative opening -1",
      set: "round 1 failing: owner initializer | init [\"bob\",-1] loaded=[] | balance initializer | ctor body | initFailure [\"bob\",-1] negative opening -1 | caught RangeError: negative opening -1",
    },
    "round 2 ok: init [\"ada\",10] loaded=[] | owner initializer | balance initializer | ctor body": {
      define: "round 2 ok: owner initializer | balance initializer | ctor body | init [\"ada\",10] loaded=[]",
      set: "round 2 ok: owner initializer | init [\"ada\",10] loaded=[] | balance initializer | ctor body",
    },
    "round 2 failing: init [\"bob\",-1] loaded=[] | owner initializer | balance initializer | ctor body | initFailure [\"bob\",-1] negative opening -1 | caught RangeError: negative opening -1": {
      define: "round 2 failing: owner initializer | balance initializer | ctor body | caught RangeError: negative opening -1",
      set: "round 2 failing: owner initializer | init [\"bob\",-1] loaded=[] | balance initializer | ctor body | initFailure [\"bob\",-1] negative opening -1 | caught RangeError: negative opening -1",
    },
  },
  inheritance: {
    // Dog is undecorated: a plain subclass for construction (init gets the arguments it passed to
    // super(), after Animal's constructor under [[Define]]); its fields are own properties until the
    // runtime first looks at the instance. [[Set]]: fields without initializer are seen when assigned
    // (attribute order); from the second construction on, init fires at the first attribute write.
    "round 1 dog: init Dog [\"rex\",\"ann\"] | Animal ctor rex | Dog ctor ann": {
      define: "round 1 dog: Animal ctor rex | init Dog [\"rex\"] | Dog ctor ann",
      set: "round 1 dog: Animal ctor rex | init Dog [\"rex\"] | Dog ctor ann",
    },
    "dog own keys: [] #1": {
      define: "dog own keys: [\"owner\",\"tricks\",\"good\"]",
      set: "dog own keys: [\"owner\",\"tricks\",\"good\"]",
    },
    "dog json: {\"name\":\"rex\",\"legs\":4,\"owner\":\"bob\",\"tricks\":[\"sit\"],\"good\":false}": {
      set: "dog json: {\"legs\":4,\"name\":\"rex\",\"owner\":\"bob\",\"tricks\":[\"sit\"],\"good\":false}",
    },
    "round 1 bird: init Bird [\"tweety\"] | Animal ctor tweety": {
      define: "round 1 bird: Animal ctor tweety | init Bird [\"tweety\"]",
    },
    "bird json: {\"name\":\"tweety\",\"legs\":2,\"wings\":2}": {
      set: "bird json: {\"legs\":2,\"name\":\"tweety\",\"wings\":2}",
    },
    "round 2 dog: init Dog [\"rex\",\"ann\"] | Animal ctor rex | Dog ctor ann": {
      define: "round 2 dog: Animal ctor rex | init Dog [\"rex\"] | Dog ctor ann",
      set: "round 2 dog: init Dog [\"rex\"] | Animal ctor rex | Dog ctor ann",
    },
    "dog own keys: [] #2": {
      define: "dog own keys: [\"owner\",\"tricks\",\"good\"]",
    },
    "round 2 bird: init Bird [\"tweety\"] | Animal ctor tweety": {
      define: "round 2 bird: Animal ctor tweety | init Bird [\"tweety\"]",
    },
  },
  fields: {
    // [[Set]]: `note` and `size` have no initializer, so they are registered in the order first assigned.
    "json: {\"id\":1,\"x\":5,\"y\":3,\"label\":\"(1,2)\",\"note\":\"n\",\"size\":10,\"extra\":\"e\"}": {
      set: "json: {\"id\":1,\"x\":5,\"y\":3,\"label\":\"(1,2)\",\"size\":10,\"note\":\"n\",\"extra\":\"e\"}",
    },
    "json: {\"id\":2,\"x\":5,\"y\":3,\"label\":\"(1,2)\",\"note\":\"n\",\"size\":20,\"extra\":\"e\"}": {
      set: "json: {\"id\":2,\"x\":5,\"y\":3,\"label\":\"(1,2)\",\"size\":20,\"note\":\"n\",\"extra\":\"e\"}",
    },
  },
};

/** The tspc trace with the documented differences of `fields` applied. */
function expectedTrace(reference: string, scenario: string, fields: Fields): string {
  const diffs = DIFFERENCES[scenario] ?? {};
  const seen = new Map<string, number>();
  const lines = reference.split("\n").map((line) => {
    const n = (seen.get(line) ?? 0) + 1;
    seen.set(line, n);
    const expected = (diffs[`${line} #${n}`] ?? diffs[line])?.[fields];
    return expected ?? line;
  });
  return lines.join("\n");
}

function check(name: string, fields: Fields, traces: Promise<Traces>, only?: readonly string[]): void {
  for (const scenario of only ?? scenarios) {
    test(`${name}: ${scenario} behaves as the tspc build`, async (t) => {
      const ref = (await reference).get(scenario)!;
      t.notRegex(ref, /!!! exited with an error/, "the tspc build runs");
      const actual = (await traces).get(scenario)!;
      t.is(actual, expectedTrace(ref, scenario, fields));
    });
  }
}

for (const b of tscBuilds) check(b.name, b.fields, tscTraces.get(b.name)!);
for (const b of esbuildBuilds) check(b.name, b.fields, esbuildTraces.get(b.name)!);
check(tsxSpec.name, tsxSpec.fields, tsxTraces, tsxScenarios);

// CI_BEHAVIOUR_DUMP=dir writes every trace there (`<build>.<scenario>.txt`) to compare by hand.
const dumpDir = process.env.CI_BEHAVIOUR_DUMP;
if (dumpDir !== undefined && dumpDir !== "") {
  test.after.always(async () => {
    mkdirSync(dumpDir, { recursive: true });
    const all: Array<[string, Promise<Traces>]> = [["tspc", reference], ...tscTraces, ...esbuildTraces, [tsxSpec.name, tsxTraces]];
    for (const [name, traces] of all) {
      for (const [scenario, trace] of await traces.catch(() => new Map<string, string>())) {
        writeFileSync(path.join(dumpDir, `${name.replace(/\W+/g, "-")}.${scenario}.txt`), trace);
      }
    }
  });
}

test("the tspc build instruments every scenario's classes at build time (no runtime wrapper)", async (t) => {
  const ref = await reference;
  t.is(ref.size, scenarios.length);
  for (const [scenario, trace] of ref) t.notRegex(trace, /!!! exited with an error/, scenario);
});
