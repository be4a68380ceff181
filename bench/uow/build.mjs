// Builds the unit-of-work subject: the example Session (examples/unit-of-work/src/session.ts and
// mapping.ts, copied unchanged) plus the benchmark's Row entity, compiled by tspc with the
// transformer into bench/.work/out/uow/.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_OPTIONS, compile, prepareWork } from "../lib/build.mjs";
import { BENCH, OUT, ROOT, TRANSFORMER, WORK } from "../lib/paths.mjs";

export const UOW_OUT = join(OUT, "uow");

export function buildUowSubject(log) {
  prepareWork();
  const src = join(WORK, "src-uow");
  mkdirSync(src, { recursive: true });
  for (const file of ["session.ts", "mapping.ts"]) copyFileSync(join(ROOT, "examples", "unit-of-work", "src", file), join(src, file));
  copyFileSync(join(BENCH, "uow", "rows.ts"), join(src, "rows.ts"));
  const config = join(WORK, "tsconfig.uow.json");
  const compilerOptions = { ...BASE_OPTIONS, types: ["node"], esModuleInterop: true, outDir: "out/uow", rootDir: "src-uow", plugins: [{ transform: TRANSFORMER }] };
  writeFileSync(config, JSON.stringify({ compilerOptions, files: ["src-uow/rows.ts"] }, null, 2) + "\n");
  const r = compile("tspc", config);
  if (!r.ok) throw new Error(`tspc failed on the unit-of-work subject:\n${r.output}`);
  log(`  built uow        (tspc, ${Math.round(r.ms)} ms)`);
  return join(UOW_OUT, "rows.js");
}
