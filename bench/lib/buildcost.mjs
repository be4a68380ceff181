// Build cost: a generated project of 200 @mapped classes (8 fields each: 4 strings, 4 numbers;
// every fifth class extends the class before it, across files when they are in different files),
// compiled by plain tsc and by tspc with the transformer, wall time per run. tspc without the
// plugin is measured too, to separate ts-patch's own start-up cost from the transformer's.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_OPTIONS, prepareWork } from "./build.mjs";
import { TRANSFORMER, TSC, TSPC, WORK } from "./paths.mjs";

export const CLASSES = 200;
const PER_FILE = 4;
const DIR = join(WORK, "buildcost");

function generate() {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(join(DIR, "src"), { recursive: true });
  const fileOf = (k) => `m${String(Math.floor(k / PER_FILE)).padStart(3, "0")}`;
  const files = new Map();
  for (let k = 0; k < CLASSES; k++) {
    const file = fileOf(k);
    if (!files.has(file)) files.set(file, { imports: new Set(), body: [] });
    const entry = files.get(file);
    const derived = k % 5 === 4;
    if (derived && fileOf(k - 1) !== file) entry.imports.add(`import { Entity${k - 1} } from "./${fileOf(k - 1)}";`);
    const p = `f${k}_`;
    entry.body.push(
      [
        derived ? `export class Entity${k} extends Entity${k - 1} {` : `@mapped\nexport class Entity${k} {`,
        `  ${p}name: string = "";`,
        `  ${p}email: string;`,
        `  ${p}city: string = "unknown";`,
        `  ${p}note: string = "";`,
        `  ${p}count: number = 0;`,
        `  ${p}score: number;`,
        `  ${p}rank: number = ${k};`,
        `  ${p}ratio: number = 0.5;`,
        derived
          ? `  constructor(email: string, score: number) {\n    super(email, score);\n    this.${p}email = email.toLowerCase();\n    this.${p}score = score * 2;\n  }`
          : `  constructor(email: string, score: number) {\n    this.${p}email = email;\n    this.${p}score = score;\n  }`,
        `  describe${k}(): string {\n    return \`\${this.${p}name} <\${this.${p}email}> \${this.${p}score.toFixed(2)}\`;\n  }`,
        `}`,
      ].join("\n"),
    );
  }
  for (const [file, { imports, body }] of files) {
    const text = [`import { mapped } from "class-instrumentation";`, ...imports, "", body.join("\n\n"), ""].join("\n");
    writeFileSync(join(DIR, "src", `${file}.ts`), text);
  }
  const config = (outDir, plugins) =>
    JSON.stringify({ compilerOptions: { ...BASE_OPTIONS, useDefineForClassFields: true, rootDir: "src", outDir, ...(plugins ? { plugins } : {}) }, include: ["src"] }, null, 2);
  writeFileSync(join(DIR, "tsconfig.tsc.json"), config("out-tsc"));
  writeFileSync(join(DIR, "tsconfig.tspc-plain.json"), config("out-tspc-plain"));
  writeFileSync(join(DIR, "tsconfig.tspc.json"), config("out-tspc", [{ transform: TRANSFORMER }]));
}

const VARIANTS = [
  { id: "tsc", label: "plain tsc", tool: TSC, config: "tsconfig.tsc.json" },
  { id: "tspc", label: "tspc + transformer", tool: TSPC, config: "tsconfig.tspc.json" },
  { id: "tspc-plain", label: "tspc, no plugin (ts-patch alone)", tool: TSPC, config: "tsconfig.tspc-plain.json" },
];

function runOnce(variant) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [variant.tool, "-p", variant.config], { cwd: DIR, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${variant.label} failed:\n${r.stdout}${r.stderr}`);
  return ms;
}

/** Runs every variant `runs` times, interleaved, after one untimed warm-up run each. */
export function measureBuildCost(runs, log = () => {}) {
  prepareWork();
  generate();
  for (const v of VARIANTS) runOnce(v); // warm the file cache and ts-patch's cache
  const out = readFileSync(join(DIR, "out-tspc", "m000.js"), "utf8");
  if (!out.includes("defineMapped")) throw new Error("tspc output has no defineMapped call: the transformer did not run");
  const times = Object.fromEntries(VARIANTS.map((v) => [v.id, []]));
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    for (const v of order) times[v.id].push(runOnce(v));
    log(`  build-cost run ${r + 1}/${runs}: ${VARIANTS.map((v) => `${v.id} ${Math.round(times[v.id][r])} ms`).join(", ")}`);
  }
  return { classes: CLASSES, files: Math.ceil(CLASSES / PER_FILE), variants: VARIANTS.map(({ id, label }) => ({ id, label })), times };
}
