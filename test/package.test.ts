/**
 * What `npm pack` ships: the LICENSE, the docs the README links to (every relative link of the
 * README and docs/ resolves to a packed file, and every `#anchor` to a heading of it), the root
 * stubs for resolvers without `exports`, and source maps that carry their sources (the `.ts`
 * files are not shipped). Run after `npm run build` (`npm test` builds first).
 */
import test from "ava";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./transformer-harness.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const packed = (JSON.parse(execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, encoding: "utf8" })) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
const shipped = new Set(packed);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.split("\n")) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m === null) continue;
    anchors.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-"));
  }
  return anchors;
}

test("package: LICENSE, README, docs and the root stubs are packed", (t) => {
  for (const file of ["LICENSE", "README.md", "docs/api.md", "docs/transformer.md", "docs/compatibility.md", "ext.js", "ext.d.ts", "transformer.js", "transformer.d.ts", "unplugin.js", "unplugin.d.ts"]) {
    t.true(shipped.has(file), `${file} is in the package`);
  }
  t.false(packed.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("examples/")), "no TypeScript sources outside examples/");
});

test("package: every relative link of the README and docs/ resolves inside the package, anchors included", (t) => {
  const documents = packed.filter((f) => f.endsWith(".md"));
  t.true(documents.includes("README.md"));
  let checked = 0;
  for (const doc of documents) {
    const text = readFileSync(path.join(repoRoot, doc), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/i.test(link)) continue;
      const [target, anchor] = link.split("#") as [string, string | undefined];
      const file = target === "" ? doc : path.posix.normalize(path.posix.join(path.posix.dirname(doc), target)).replace(/\/$/, "");
      const exists = shipped.has(file) || packed.some((f) => f.startsWith(`${file}/`));
      t.true(exists, `${doc}: link ${link} points at ${file}, which is not in the package`);
      if (anchor !== undefined && exists && file.endsWith(".md")) {
        t.true(anchorsOf(readFileSync(path.join(repoRoot, file), "utf8")).has(anchor), `${doc}: link ${link}: no heading #${anchor} in ${file}`);
      }
      checked++;
    }
  }
  t.true(checked > 5, `${checked} links checked`);
});

test("package: every source map carries the content of its sources", (t) => {
  const maps = packed.filter((f) => f.endsWith(".js.map"));
  t.true(maps.length > 10);
  for (const map of maps) {
    const json = JSON.parse(readFileSync(path.join(repoRoot, map), "utf8")) as { sources: string[]; sourcesContent?: Array<string | null> };
    t.is(json.sourcesContent?.length, json.sources.length, `${map} has sourcesContent`);
    t.true((json.sourcesContent ?? []).every((c) => typeof c === "string" && c.length > 0), `${map}: every source inlined`);
  }
});

test("package-lock.json: its root entry matches package.json, so `npm install` leaves it as committed", (t) => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as { name: string; version: string; packages: Record<string, Record<string, unknown>> };
  t.is(lock.name, pkg.name as string);
  t.is(lock.version, pkg.version as string);
  const root = lock.packages[""]!;
  for (const field of ["name", "version", "license", "dependencies", "devDependencies", "peerDependencies", "peerDependenciesMeta", "engines"]) {
    t.deepEqual(root[field], pkg[field], `package-lock.json packages[""].${field}`);
  }
  const devDependencies = pkg.devDependencies as Record<string, string>;
  for (const [name, version] of Object.entries(devDependencies)) {
    t.is(lock.packages[`node_modules/${name}`]?.version, version, `${name} is locked at the pinned ${version}`);
  }
});
