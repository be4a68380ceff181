// Echoes a TAP stream and ends it with one "N passed, M failed" line (", K skipped" when some
// were skipped); exits non-zero when a test failed or the stream reported no test at all.
import { createInterface } from "node:readline";

let passed = 0;
let failed = 0;
let skipped = 0;
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  console.log(line);
  if (/^not ok \d+/.test(line)) failed++;
  else if (/^ok \d+.*# (SKIP|TODO)/i.test(line)) skipped++;
  else if (/^ok \d+/.test(line)) passed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
