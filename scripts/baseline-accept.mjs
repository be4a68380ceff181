// Accepts the transformer baselines written by a failing `npm test` run: moves every file of
// fixtures/baselines/local/ to fixtures/baselines/reference/ (an empty local file deletes the
// reference: the case no longer produces it). Review `git diff fixtures/baselines` afterwards.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const local = path.join(root, "fixtures", "baselines", "local");
const reference = path.join(root, "fixtures", "baselines", "reference");
if (!existsSync(local)) {
  console.log("No local baselines to accept.");
  process.exit(0);
}
mkdirSync(reference, { recursive: true });
let accepted = 0;
for (const name of readdirSync(local)) {
  const from = path.join(local, name);
  const to = path.join(reference, name);
  if (statSync(from).size === 0 && readFileSync(from, "utf8") === "") {
    rmSync(to, { force: true });
    rmSync(from);
    console.log(`deleted   ${name}`);
  } else {
    renameSync(from, to);
    console.log(`accepted  ${name}`);
  }
  accepted++;
}
rmSync(local, { recursive: true, force: true });
console.log(`${accepted} baseline file(s) accepted; review with git diff fixtures/baselines.`);
