// Text table for stdout and a Markdown summary for bench/README.md.
import { OPS } from "./ops.mjs";
import { fmt, fmtRatio } from "./stats.mjs";

export const HEAP_MODES = [
  { id: "fresh", label: "heap: new instance", baseline: "fresh" },
  { id: "clean", label: "heap: loaded + committed", baseline: "clean" },
  { id: "modified", label: "heap: 2 attributes modified", baseline: "modified" },
  { id: "cleanMap", label: "heap: committed, in an IdentityMap", baseline: "clean" },
  { id: "modifiedMap", label: "heap: modified, in an IdentityMap", baseline: "modified" },
];

const spread = (s) => (Number.isFinite(s?.min) ? `${fmt(s.min)}–${fmt(s.max)}` : "–");

function pad(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ")).join("\n");
}

/** Rows [section, subject label, absolute, unit, ratio median, ratio spread]. */
export function tableRows(results, subjects) {
  const rows = [];
  const label = (id) => subjects.find((s) => s.id === id)?.id ?? id;
  for (const op of OPS) {
    const entries = results.ops[op.id];
    if (!entries) continue;
    for (const [id, e] of Object.entries(entries)) {
      rows.push({ section: op.label, subject: label(id), abs: op.unit.startsWith("µs") ? e.ns.median / 1000 : e.ns.median, unit: op.unit, ratio: e.ratio, spreadAbs: e.ns });
    }
  }
  for (const mode of HEAP_MODES) {
    for (const [id, h] of Object.entries(results.heap ?? {})) {
      if (!h[mode.id]) continue;
      rows.push({ section: mode.label, subject: label(id), abs: h[mode.id].bytes.median, unit: "bytes/instance", ratio: h[mode.id].ratio });
    }
  }
  if (results.build) {
    for (const [id, s] of Object.entries(results.build.ms)) {
      rows.push({ section: `build ${results.build.classes} mapped classes`, subject: id, abs: s.median, unit: "ms", ratio: results.build.ratios[id] });
    }
  }
  return rows;
}

export function renderText(results, subjects, targetsBySubject, skipped) {
  const out = [];
  const rows = tableRows(results, subjects);
  let section;
  const table = [["", "subject", "median", "unit", "ratio to plain", "ratio spread (min–max over rounds)"]];
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      table.push([section, "", "", "", "", ""]);
    }
    table.push(["", r.subject, fmt(r.abs), r.unit, fmtRatio(r.ratio?.median), spread(r.ratio)]);
  }
  out.push(pad(table));
  if (skipped.size > 0) {
    out.push("", "Skipped:");
    for (const [id, reason] of skipped) out.push(`  ${id}: ${reason.split("\n")[0]}`);
  }
  for (const [id, checks] of Object.entries(targetsBySubject)) {
    out.push("", `Targets for ${id}:`);
    const t = [["target", "limit", "measured", "result"]];
    for (const c of checks) t.push([c.label, c.limit, fmtRatio(c.value), c.pass === null ? "n/a" : c.pass ? "PASS" : "FAIL"]);
    out.push(pad(t));
  }
  return out.join("\n");
}

export function renderMarkdown(results, subjects, targetsBySubject, meta) {
  const out = [];
  out.push(`Measured ${meta.date} on ${meta.machine.cpu} (${meta.machine.cores} cores), ${meta.machine.os}, Node ${meta.versions.node} (V8 ${meta.versions.v8}); ` +
    `TypeScript ${meta.versions.typescript}, ts-patch ${meta.versions["ts-patch"]}, MobX ${meta.versions.mobx}, @vue/reactivity ${meta.versions["@vue/reactivity"]}, mitata ${meta.versions.mitata}. ` +
    `${meta.rounds} rounds; median of the per-round medians, spread = min–max of the per-round ratios.`);
  out.push("");
  out.push("| operation | subject | median | ratio to plain | spread |");
  out.push("| --- | --- | ---: | ---: | ---: |");
  let section;
  for (const r of tableRows(results, subjects)) {
    const first = r.section !== section;
    section = r.section;
    out.push(`| ${first ? r.section : ""} | ${r.subject} | ${fmt(r.abs)} ${r.unit} | ${fmtRatio(r.ratio?.median)} | ${spread(r.ratio)} |`);
  }
  for (const [id, checks] of Object.entries(targetsBySubject)) {
    out.push("", `Targets (${id}):`, "", "| target | limit | measured | |", "| --- | --- | ---: | --- |");
    for (const c of checks) out.push(`| ${c.label} | ${c.limit} | ${fmtRatio(c.value)} | ${c.pass === null ? "n/a" : c.pass ? "pass" : "**fail**"} |`);
  }
  return out.join("\n") + "\n";
}
