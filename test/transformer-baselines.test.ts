/**
 * Baselines of the transformer: every `fixtures/cases/*.ts` is compiled in memory once per
 * combination of its header options (`// @target: es2015, es2022`), with the transformer as a
 * `before` transformer. The emitted JS (generated accessor bodies collapsed to one line), the
 * transformer's diagnostics and — for CommonJS variants — what the program prints when run must
 * match the committed files under `fixtures/baselines/reference/`. Every variant of a case must
 * print the same thing: behaviour does not depend on target or useDefineForClassFields.
 *
 * A mismatch writes the new output to `fixtures/baselines/local/` (git-ignored) and fails;
 * review the diff, then `npm run baseline:accept`.
 */
import test from "ava";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { accessorSource, ACCESSOR_PARAMS } from "../runtime/accessor-template.js";
import {
  collapseAccessors,
  compileFiles,
  compilerOptionsOf,
  formatDiagnostics,
  readFixture,
  repoRoot,
  runCommonJs,
  variantsOf,
} from "./transformer-harness.js";

const casesDir = path.join(repoRoot, "fixtures", "cases");
const referenceDir = path.join(repoRoot, "fixtures", "baselines", "reference");
const localDir = path.join(repoRoot, "fixtures", "baselines", "local");

/** Compares `actual` with the reference file `name`; on mismatch writes it to local/ and returns a message. */
function checkBaseline(name: string, actual: string | undefined): string | undefined {
  const reference = path.join(referenceDir, name);
  const expected = existsSync(reference) ? readFileSync(reference, "utf8") : undefined;
  if (expected === actual) return undefined;
  mkdirSync(localDir, { recursive: true });
  const local = path.join(localDir, name);
  writeFileSync(local, actual ?? "");
  if (actual === undefined) return `${name}: reference exists but the case no longer produces it (local/ has an empty file; accepting deletes it)`;
  return expected === undefined ? `${name}: new baseline (written to local/)` : `${name}: differs from the reference (written to local/)`;
}

const cases = readdirSync(casesDir).filter((f) => f.endsWith(".ts")).sort();
const produced = new Set<string>();
const ranCases = new Set<string>();

for (const file of cases) {
  const fixture = readFixture(path.join(casesDir, file));
  test(`baseline: ${fixture.name}`, (t) => {
    const failures: string[] = [];
    const outs = new Map<string, Array<[string, string]>>();
    for (const variant of variantsOf(fixture)) {
      const options = compilerOptionsOf(variant);
      const compiled = compileFiles(fixture.files, options, variant.settings.get("transform") !== "false", variant.settings.get("program") !== "false");
      const suffix = variant.name === "" ? "" : `(${variant.name})`;
      const js = [...compiled.outputs]
        .filter(([name]) => /\.(js|mjs|cjs|d\.ts)$/.test(name))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, text]) => (compiled.outputs.size > 1 ? `//// [${name}]\n` : "") + (variant.settings.get("expandaccessors") === "true" ? text : collapseAccessors(text)))
        .join("\n");
      const jsName = `${fixture.name}${suffix}.js`;
      produced.add(jsName);
      const jsFailure = checkBaseline(jsName, js);
      if (jsFailure) failures.push(jsFailure);
      const errors = formatDiagnostics(compiled.diagnostics);
      const errorsName = `${fixture.name}${suffix}.errors.txt`;
      if (errors !== "") produced.add(errorsName);
      const errorsFailure = checkBaseline(errorsName, errors === "" ? undefined : errors + "\n");
      if (errorsFailure && !(errors === "" && !existsSync(path.join(referenceDir, errorsName)))) failures.push(errorsFailure);
      if (options.module === ts.ModuleKind.CommonJS) {
        // Variants may differ in behaviour only by how the class was built (with or without the
        // transformer, with or without a program): one output per such group.
        const group = [...variant.settings]
          .filter(([k]) => (k === "program" || k === "transform") && (fixture.options.get(k)?.length ?? 0) > 1)
          .map(([k, v]) => `${k}=${v}`)
          .join(",");
        const list = outs.get(group) ?? [];
        list.push([variant.name, runCommonJs(compiled.outputs)]);
        outs.set(group, list);
      }
    }
    for (const [group, list] of outs) {
      if (new Set(list.map(([, o]) => o)).size > 1) {
        failures.push(`${fixture.name}: variants print different output:\n` + list.map(([v, o]) => `--- ${v || "(default)"}\n${o}`).join("\n"));
      }
      const outName = `${fixture.name}${group === "" ? "" : `(${group})`}.out.txt`;
      produced.add(outName);
      const outFailure = checkBaseline(outName, list[0]![1]);
      if (outFailure) failures.push(outFailure);
    }
    ranCases.add(fixture.name);
    t.deepEqual(failures, [], "review fixtures/baselines/local/, then run `npm run baseline:accept`");
  });
}

// A reference file that no case produces any more (its case or variant is gone) fails the run:
// the hook throws after writing the empty local file that `npm run baseline:accept` turns into a
// deletion. Only cases whose test ran are judged (a `--match` run leaves the others alone).
test.after.always("no stale reference baselines", () => {
  if (!existsSync(referenceDir)) return;
  const stale: string[] = [];
  for (const name of readdirSync(referenceDir)) {
    const stem = name.replace(/(\(.*\))?\.(js|errors\.txt|out\.txt)$/, "");
    const caseGone = !cases.includes(`${stem}.ts`);
    if (caseGone || (ranCases.has(stem) && !produced.has(name))) {
      checkBaseline(name, undefined);
      stale.push(name);
    }
  }
  if (stale.length > 0) {
    throw new Error(`stale reference baselines (no case produces them): ${stale.join(", ")}; run \`npm run baseline:accept\` to delete them`);
  }
});

test("generated accessor factories are exactly accessorSource(key)", (t) => {
  const files = new Map([
    [
      "main.ts",
      `import { mapped } from "class-instrumentation";\n@mapped class K { "odd key\\"" = 1; plain = 2; }\nexport {};\n`,
    ],
  ]);
  const compiled = compileFiles(files, compilerOptionsOf({ name: "", settings: new Map() }));
  const js = compiled.outputs.get("main.js")!;
  const printer = ts.createPrinter();
  const normalize = (text: string): string => {
    const sf = ts.createSourceFile("x.js", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    return printer.printFile(sf);
  };
  for (const key of ['odd key"', "plain"]) {
    const start = js.indexOf(`key: ${JSON.stringify(key)}`);
    t.true(start >= 0, key);
    const fnStart = js.indexOf("accessor: function", start) + "accessor: ".length;
    const sf = ts.createSourceFile("out.js", js, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    let found: ts.FunctionExpression | undefined;
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionExpression(n) && n.getStart(sf) === fnStart) found = n;
      else ts.forEachChild(n, visit);
    };
    visit(sf);
    t.truthy(found, key);
    const emitted = normalize(`(${found!.getText(sf)});`);
    const expected = normalize(`(function (${ACCESSOR_PARAMS.join(", ")}) {${accessorSource(key)}\n});`);
    t.is(emitted, expected, key);
  }
});

test("declaration output is unchanged by the transformer", (t) => {
  const fixture = readFixture(path.join(casesDir, "basic.ts"));
  const options = { ...compilerOptionsOf({ name: "", settings: new Map() }), declaration: true };
  const withIt = compileFiles(fixture.files, options, true);
  const without = compileFiles(fixture.files, options, false);
  t.is(withIt.outputs.get("main.d.ts"), without.outputs.get("main.d.ts"));
  t.truthy(withIt.outputs.get("main.d.ts"));
});

test("source maps map moved initializers to their field lines", (t) => {
  const files = new Map([
    ["main.ts", `import { mapped } from "class-instrumentation";\n@mapped\nexport class P {\n  x = 1;\n  y = "two";\n}\n`],
  ]);
  const options = { ...compilerOptionsOf({ name: "", settings: new Map() }), sourceMap: true };
  const compiled = compileFiles(files, options);
  const js = compiled.outputs.get("main.js")!;
  const map = JSON.parse(compiled.outputs.get("main.js.map")!) as { mappings: string };
  const lines = decodeMappings(map.mappings);
  const jsLines = js.split("\n");
  const lineOf = (needle: string): number => jsLines.findIndex((l) => l.includes(needle));
  t.is(lines[lineOf("this.x = 1")], 3, "this.x = 1 maps to line 4 (0-based 3)");
  t.is(lines[lineOf(`this.y = "two"`)], 4);
});

/** The first source line each generated line maps to (0-based), from a VLQ mappings string. */
function decodeMappings(mappings: string): Array<number | undefined> {
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
