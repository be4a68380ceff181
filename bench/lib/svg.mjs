// A horizontal bar chart of every ratio to plain, on a log scale, as a standalone SVG (no deps).
import { tableRows } from "./report.mjs";
import { fmtRatio } from "./stats.mjs";

const COLORS = {
  plain: "#9e9e9e",
  "plain-assign": "#c7c7c7",
  "ours-tspc": "#1f77b4",
  "ours-runtime": "#6baed6",
  "ours-register": "#9ecae1",
  mobx: "#e6550d",
  vue: "#31a354",
  "snapshot-generic": "#9467bd",
  "snapshot-generated": "#c5b0d5",
  tsc: "#9e9e9e",
  tspc: "#1f77b4",
  "tspc-plain": "#9ecae1",
};

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function renderSvg(results, subjects, title) {
  const rows = tableRows(results, subjects).filter((r) => Number.isFinite(r.ratio?.median) && r.ratio.median > 0);
  const values = rows.map((r) => r.ratio.median);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(0.5, ...values))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(2, ...values))));
  const labelW = 230;
  const plotW = 560;
  const valueW = 70;
  const rowH = 15;
  const headH = 20;
  const top = 56;
  const x = (v) => labelW + (Math.log10(v / lo) / Math.log10(hi / lo)) * plotW;

  const parts = [];
  let y = top;
  let section;
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      y += 6;
      parts.push(`<text x="8" y="${y + 13}" class="h">${esc(section)}</text>`);
      y += headH;
    }
    const w = Math.max(1, x(r.ratio.median) - x(lo));
    const color = COLORS[r.subject] ?? "#777";
    parts.push(`<text x="${labelW - 6}" y="${y + 11}" class="l" text-anchor="end">${esc(r.subject)}</text>`);
    parts.push(`<rect x="${x(lo)}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${color}"><title>${esc(`${r.subject}: ${fmtRatio(r.ratio.median)} (spread ${fmtRatio(r.ratio.min)}–${fmtRatio(r.ratio.max)})`)}</title></rect>`);
    if (Number.isFinite(r.ratio.min) && r.ratio.max > r.ratio.min) {
      parts.push(`<line x1="${x(r.ratio.min).toFixed(1)}" x2="${x(r.ratio.max).toFixed(1)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" class="s"/>`);
    }
    parts.push(`<text x="${(labelW + plotW + 6).toFixed(1)}" y="${y + 11}" class="l">${esc(fmtRatio(r.ratio.median))}</text>`);
    y += rowH;
  }
  const height = y + 30;
  const grid = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    grid.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${top}" y2="${y}" class="${Math.abs(v - 1) < 1e-9 ? "one" : "g"}"/>`);
    grid.push(`<text x="${x(v)}" y="${top - 4}" class="t" text-anchor="middle">${v >= 1 ? v : v.toPrecision(1)}×</text>`);
    grid.push(`<text x="${x(v)}" y="${y + 14}" class="t" text-anchor="middle">${v >= 1 ? v : v.toPrecision(1)}×</text>`);
  }
  const width = labelW + plotW + valueW;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
.h { font-size: 12px; font-weight: bold; fill: #222; }
.l { font-size: 10.5px; fill: #333; }
.t { font-size: 10px; fill: #666; }
.g { stroke: #e3e3e3; stroke-width: 1; }
.one { stroke: #444; stroke-width: 1; stroke-dasharray: 3 2; }
.s { stroke: #000; stroke-opacity: 0.55; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="20" style="font-size: 14px; font-weight: bold">${esc(title)}</text>
<text x="8" y="36" class="t">Ratio to the plain class (log scale; lower is better; thin line = min–max over rounds). Collect-changed: ratio to a hand-kept dirty list; build: ratio to plain tsc.</text>
${grid.join("\n")}
${parts.join("\n")}
</svg>
`;
}
