/**
 * The runtime's import graph, as Node loads it: the `require` calls of the compiled modules (so
 * type-only imports, which TypeScript erases, do not count). No circle of value imports, and no
 * import pointing up a layer: class / instance / attribute layering as in SQLAlchemy, with the
 * dependency-free foundation at the bottom and the public entry points at the top. A new module
 * must be given a layer here.
 */
import test from "ava";
import { readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

const runtimeDir = path.resolve(__dirname, "..", "runtime");

/** Layer of each runtime module (lower layers must not import higher ones). */
const LAYERS: ReadonlyArray<readonly string[]> = [
  // 0 foundation: constants, errors, the accessor template, slot storage (importing only base)
  ["base", "errors", "accessor-template", "slots"],
  // 1 replaceable lookups and listener storage
  ["lookups", "dispatch"],
  // 2 construction frames, instance lookups
  ["construct", "access"],
  // 3 instance layer: states and the collections they own
  ["state", "collections"],
  // 4 attribute layer: impls and descriptors, history values, accessor installation
  ["attributes", "history", "accessors"],
  // 5 class layer: managers
  ["instrumentation"],
  // 6 events on classes, instances and attributes; backrefs built on them
  ["events", "backref"],
  // 7 registration and operations by name, identity maps, class definition, serialization, the decorators
  ["registration", "operations", "identity", "define", "serialize", "mapped"],
  // 8 entry points
  ["index", "ext/index"],
];

function modules(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...modules(full, `${prefix}${name}/`));
    else if (name.endsWith(".js")) out.push(prefix + name.slice(0, -3));
  }
  return out;
}

function valueImports(module: string): string[] {
  const source = readFileSync(path.join(runtimeDir, `${module}.js`), "utf8");
  const out: string[] = [];
  for (const match of source.matchAll(/require\("(\.[^"]+)"\)/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(module), match[1]!)).replace(/\.js$/, "");
    out.push(target);
  }
  return out;
}

const all = modules(runtimeDir);
const graph = new Map(all.map((m) => [m, valueImports(m)]));
const layerOf = new Map<string, number>();
LAYERS.forEach((names, i) => names.forEach((n) => layerOf.set(n, i)));

test("every runtime module has a layer", (t) => {
  t.deepEqual(
    all.filter((m) => !layerOf.has(m)),
    [],
  );
});

test("no value import points up a layer", (t) => {
  const upward: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if ((layerOf.get(to) ?? Infinity) > (layerOf.get(from) ?? -Infinity)) upward.push(`${from} (layer ${layerOf.get(from)}) -> ${to} (layer ${layerOf.get(to)})`);
    }
  }
  t.deepEqual(upward, []);
});

test("no circle of value imports", (t) => {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (m: string): void => {
    state.set(m, "open");
    stack.push(m);
    for (const to of graph.get(m) ?? []) {
      if (state.get(to) === "open") cycles.push([...stack.slice(stack.indexOf(to)), to].join(" -> "));
      else if (state.get(to) === undefined) visit(to);
    }
    stack.pop();
    state.set(m, "done");
  };
  for (const m of all) if (state.get(m) === undefined) visit(m);
  t.deepEqual(cycles, []);
});

test("the accessor template imports nothing", (t) => {
  t.deepEqual(graph.get("accessor-template"), []);
});
