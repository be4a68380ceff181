/**
 * The published declarations (`dist/**\/*.d.ts`, built with `stripInternal`): they type-check on
 * their own, with the library checks a consumer's `skipLibCheck: false` runs; the examples
 * compile against them exactly as a user's code would; and `@internal` members are not in them.
 */
import test from "ava";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as ts from "typescript";

const root = path.resolve(__dirname, "..", "..");
const dist = path.join(root, "dist");

function check(rootNames: string[]): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    experimentalDecorators: false,
    types: ["node"],
    typeRoots: [path.join(root, "node_modules", "@types")],
    baseUrl: root,
    paths: {
      "class-instrumentation": [path.join(dist, "runtime", "index.d.ts")],
      "class-instrumentation/ext": [path.join(dist, "runtime", "ext", "index.d.ts")],
      "class-instrumentation/transformer": [path.join(dist, "transformer", "index.d.ts")],
      "class-instrumentation/unplugin": [path.join(dist, "transformer", "unplugin.d.ts")],
    },
  };
  const program = ts.createProgram(rootNames, options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.relative(root, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : "";
    return where + ts.flattenDiagnosticMessageText(d.messageText, "\n");
  });
}

test("the entry points' declarations type-check with skipLibCheck off", (t) => {
  const entries = ["runtime/index.d.ts", "runtime/ext/index.d.ts", "transformer/index.d.ts", "transformer/unplugin.d.ts"].map((f) => path.join(dist, f));
  t.deepEqual(check(entries), []);
});

test("the examples compile against the published declarations", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "ci-decl-"));
  try {
    const source = readFileSync(path.join(root, "examples", "custom-management", "custom-management.ts"), "utf8")
      .replace(/"\.\.\/\.\.\/runtime\/index\.js"/g, '"class-instrumentation"')
      .replace(/"\.\.\/\.\.\/runtime\/ext\/index\.js"/g, '"class-instrumentation/ext"');
    const file = path.join(dir, "custom-management.ts");
    writeFileSync(file, source);
    const demo = ["main.ts", "models.ts"].map((f) => path.join(root, "examples", "demo", "src", f));
    t.deepEqual(check([file, ...demo]), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("internal plumbing is not in the published declarations", (t) => {
  const index = readFileSync(path.join(dist, "runtime", "index.d.ts"), "utf8");
  for (const name of ["accessorSource", "accessorRuntime", "ACCESSOR_PARAMS", "slowGet", "slowSet", "firstSet", "slotDict"]) {
    t.false(index.includes(name), name);
  }
  const state = readFileSync(path.join(dist, "runtime", "state.d.ts"), "utf8");
  t.true(state.includes("commitAll"));
  for (const name of ["writeFirst", "recordChange", "adoptPendingValues", "CommittedValues", "dirtyBits"]) {
    t.false(state.includes(name), `InstanceState.${name} is @internal`);
  }
  const attributes = readFileSync(path.join(dist, "runtime", "attributes.d.ts"), "utf8");
  for (const name of ["fastBit", "plainSet", "addHolder", " bit("]) t.false(attributes.includes(name), `${name} is @internal`);
});
