// Exports, all made in the browser from what the page already holds: the matrix and the timeline (up to the as-of
// date) as CSV and JSON, and the chart card as a PNG.

import { $, colourOf, fmt, hypothesisIds, labelOf, state } from "./core.js";
import { currentChart, plotBox } from "./chart.js";
import { matrixRows } from "./assessment.js";
import { itemMarkers, laneTypes, TYPE_COLOURS } from "./lanes.js";

const baseName = (what, ext) => `narrative-${state.topic.id}-${what}-${state.asOf}.${ext}`;

function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// RFC 4180: quote a field when it holds a comma, a quote or a line break.
const csvField = (v) => {
  const s = v === null || v === undefined ? "" : Array.isArray(v) ? v.join(" ") : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
export const toCsv = (header, rows) => [header, ...rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";

/** The matrix as the API answered it: the assessment's evidence, in the page's order. */
export function matrixJson() {
  const a = state.assessment;
  return {
    topic: a.topic, asOf: a.asOf, knownAt: a.knownAt, position: a.position, leading: a.leading, likelihood: a.likelihood,
    probability: a.probability, confidence: a.confidence, hypotheses: a.hypotheses, evidence: matrixRows(),
  };
}

export function matrixCsv() {
  const hyps = hypothesisIds();
  const header = ["publishedAt", "itemId", "documentId", "source", "reliability", "credibility", "type", "claim", ...hyps,
    "diagnosticity", "scored", "derivative", "derivedFrom", "contested", "contestedBy"];
  const rows = matrixRows().map((e) => [e.publishedAt, e.itemId, e.documentId, e.source, e.reliability, e.credibility, e.type, e.claim,
    ...hyps.map((id) => e.ratings[id] ?? ""), e.diagnosticity, e.scored, e.derivative, e.derivedFrom, e.contested, e.contestedBy]);
  return toCsv(header, rows);
}

/** The timeline answer up to the as-of date: what GET …/timeline?from=<period start>&to=<as-of>&step=day answers. */
export function timelineJson() {
  const t = state.timeline;
  return { ...t, to: state.asOf, points: t.points.filter((p) => p.at <= state.asOf) };
}

export function timelineCsv() {
  const hyps = hypothesisIds();
  const header = ["at", "leading", "likelihood", "probability", "changed", ...hyps.map((id) => `score:${id}`), "robustness", "causes"];
  const rows = timelineJson().points.map((p) => [p.at, p.leading, p.likelihood, p.probability, p.changed, ...hyps.map((id) => p.scores[id]),
    p.robustness, p.causes]);
  return toCsv(header, rows);
}

const json = (x) => new Blob([JSON.stringify(x, null, 2)], { type: "application/json" });
const csv = (text) => new Blob([text], { type: "text/csv" });

// ---------- PNG: the chart card redrawn onto one canvas ----------

export async function chartPng() {
  const u = currentChart();
  if (!u) throw new Error("There is no chart to export yet.");
  const p = devicePixelRatio;
  const box = plotBox();
  const band = $("#likelihood-band");
  const markers = itemMarkers();
  const types = laneTypes(markers);
  const rowH = 18 * p;
  const title = 44 * p;
  const legend = 26 * p;
  const bandH = band ? band.height + 8 * p : 0;
  const width = u.ctx.canvas.width;
  const height = title + u.ctx.canvas.height + bandH + types.length * rowH + legend + 8 * p;
  const c = document.createElement("canvas");
  c.width = width;
  c.height = height;
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = "#111827";
  ctx.font = `bold ${15 * p}px system-ui, sans-serif`;
  ctx.fillText(`${state.topic.title}: weighted inconsistency, as of ${state.asOf}`, 8 * p, 18 * p);
  ctx.font = `${11 * p}px system-ui, sans-serif`;
  ctx.fillStyle = "#6b7280";
  const a = state.assessment;
  ctx.fillText(`known at ${state.knownAt ?? "now"}${a?.leading ? ` · leading: ${labelOf(a.leading)} (${a.likelihood}, p ≈ ${fmt(a.probability)}; ${a.confidence} confidence)` : ""}`, 8 * p, 36 * p);
  let y = title;
  ctx.drawImage(u.ctx.canvas, 0, y);
  y += u.ctx.canvas.height;
  const left = box.left * p;
  if (band) {
    y += 4 * p;
    ctx.drawImage(band, left, y);
    ctx.fillStyle = "#6b7280";
    ctx.font = `${10 * p}px system-ui, sans-serif`;
    ctx.fillText("likelihood", 4 * p, y + band.height / 2);
    y += band.height + 4 * p;
  }
  for (const type of types) {
    ctx.fillStyle = "#6b7280";
    ctx.font = `${10 * p}px system-ui, sans-serif`;
    ctx.fillText(type, 4 * p, y + rowH * 0.65);
    ctx.fillStyle = TYPE_COLOURS[type] ?? "#475569";
    for (const m of markers.filter((x) => x.type === type)) {
      const x = left + u.valToPos(Date.parse(`${m.date}T00:00:00Z`) / 1000, "x", true) - u.bbox.left;
      ctx.beginPath();
      ctx.arc(x, y + rowH / 2, 4 * p, 0, 2 * Math.PI);
      ctx.fill();
    }
    y += rowH;
  }
  y += 6 * p;
  let x = 8 * p;
  ctx.font = `${11 * p}px system-ui, sans-serif`;
  for (const id of hypothesisIds()) {
    ctx.fillStyle = colourOf(id);
    ctx.fillRect(x, y + 4 * p, 14 * p, 4 * p);
    x += 18 * p;
    ctx.fillStyle = "#111827";
    const text = labelOf(id);
    ctx.fillText(text, x, y + 10 * p);
    x += ctx.measureText(text).width + 16 * p;
  }
  return new Promise((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error("The browser made no PNG."))), "image/png"));
}

export function setupExports() {
  const actions = {
    "matrix-csv": () => download(baseName("matrix", "csv"), csv(matrixCsv())),
    "matrix-json": () => download(baseName("matrix", "json"), json(matrixJson())),
    "timeline-csv": () => download(baseName("timeline", "csv"), csv(timelineCsv())),
    "timeline-json": () => download(baseName("timeline", "json"), json(timelineJson())),
    "chart-png": async () => download(baseName("chart", "png"), await chartPng()),
  };
  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button[data-export]");
    if (!b) return;
    const ready = b.dataset.export.startsWith("matrix") ? state.assessment : state.timeline;
    if (!ready) return;
    try {
      await actions[b.dataset.export]();
    } catch (e) {
      console.error(e);
      b.title = `Export failed: ${e.message}`;
    }
  });
}
