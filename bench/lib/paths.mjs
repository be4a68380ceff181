// Locations shared by the bench modules.
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH);
export const WORK = join(BENCH, ".work");
export const OUT = join(WORK, "out");
export const RESULTS = join(BENCH, "results");

export const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
export const TSPC = join(ROOT, "node_modules", "ts-patch", "bin", "tspc.js");
export const TRANSFORMER = join(ROOT, "dist", "transformer", "index.js");
export const RUNTIME = join(ROOT, "dist", "runtime", "index.js");
