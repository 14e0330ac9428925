// The chart card: weighted inconsistency per hypothesis over the topic's period (uPlot), cut at the as-of date, with
// the likelihood band and the item lanes under it. The lanes share the chart's x mapping, so anything that has a date
// (judgments, signposts) can become one more lane: add a renderer to LANES.

import { drawSignpostMatches } from "./method.js";
import {
  $, DAY, api, colourOf, commonParams, fill, fmt, fromDay, h, hyp, hypothesisIds, isAbort, labelOf, load, on, state, toDay,
  topicPath,
} from "./core.js";
import { markerShape, renderItemLane, TYPE_COLOURS } from "./lanes.js";

let chart = null;
let uPlotModule = null;
const px = () => devicePixelRatio;
const chartHeight = () => (window.innerWidth >= 1800 ? 340 : 260);

/** The chart's uPlot instance (null until drawn): exports and later panels read its geometry. */
export const currentChart = () => chart;

/** Where a date falls on the plot, in CSS pixels from the plot area's left edge. */
export const xOfDate = (iso) => chart?.valToPos(toDay(iso), "x") ?? 0;

/** The plot area in CSS pixels relative to the chart's canvas. */
export function plotBox() {
  if (!chart) return null;
  const b = chart.bbox;
  return { left: b.left / px(), top: b.top / px(), width: b.width / px(), height: b.height / px() };
}

export async function loadContext() {
  try {
    const whole = { asOf: state.topic.periodEnd, ...commonParams() };
    const [periods, coincidence, timing] = await Promise.all([
      api("context", "/api/context-periods"),
      // Signals and aid decisions over the whole period, for the chart markers (the panels ask for their own date).
      api("signals", topicPath("coincidence"), whole),
      api("milestones", topicPath("timing"), whole),
    ]);
    state.periods = periods;
    state.aidPeriods = periods.filter((p) => p.category === "aid-debate");
    state.signals = coincidence.signals;
    state.milestones = timing.milestones;
    state.signalTiming = Object.fromEntries(timing.signals.map((s) => [s.itemId, s]));
    chart?.redraw(false, false);
    renderChartNotes();
  } catch (e) {
    // The context decorates the chart; without it the chart still stands, and the notes say what is missing.
    if (isAbort(e)) return;
    console.error(e);
    fill($("#chart-notes"), h("li", { class: "error", text: `Context periods and signals could not be loaded: ${e.message}` }));
  }
}

export function loadTimeline() {
  const card = $("#chart-card");
  const box = $("#chart");
  if (!chart) fill(box, h("p", { class: "empty chart-placeholder", text: "Loading the timeline…" }));
  return load(card, box, async () => {
    try {
      state.timeline = await api("timeline", topicPath("timeline"), {
        from: state.topic.periodStart,
        to: state.topic.periodEnd,
        step: "day",
        ...commonParams(),
      });
    } catch (e) {
      if (!isAbort(e)) {
        chart?.destroy();
        chart = null;
        state.timeline = null;
        renderLanes();
      }
      throw e;
    }
    await drawChart();
    renderChartNotes();
  });
}

/** The series cut at the as-of date: what comes after it is not known at that date, so it is not drawn. */
function seriesData() {
  const points = state.timeline.points;
  const xs = points.map((p) => toDay(p.at));
  const cut = (p, v) => (p.at <= state.asOf ? v : null);
  return [xs, ...hypothesisIds().map((id) => points.map((p) => cut(p, p.scores[id] ?? null)))];
}

async function drawChart() {
  const box = $("#chart");
  const points = state.timeline.points;
  if (points.length === 0) {
    chart?.destroy();
    chart = null;
    fill(box, h("p", { class: "empty", text: "No timeline for this period." }));
    renderLanes();
    return;
  }
  try {
    uPlotModule ??= (await import("../vendor/uPlot.esm.js")).default;
  } catch {
    fill(box, h("p", { class: "error", text: "The chart library is missing: run ops/web-build (npm ci && npm run build in src/Narrative.Api/web)." }));
    return;
  }
  const uPlot = uPlotModule;
  const hyps = hypothesisIds();
  const max = Math.max(1, ...points.flatMap((p) => hyps.map((id) => p.scores[id] ?? 0)));
  const opts = {
    width: Math.max(320, box.clientWidth),
    height: chartHeight(),
    // Room above the plot for the as-of label, so it never covers a line.
    padding: [22, 18, 0, 0],
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    legend: { show: true, mount: (u, el) => fill($("#chart-legend"), el) },
    cursor: { drag: { x: false, y: false } },
    // A score of 0 is drawn a little above the axis, not on it.
    scales: { x: { time: true, range: [toDay(state.topic.periodStart), toDay(state.topic.periodEnd)] }, y: { range: () => [-max * 0.06, max * 1.12] } },
    axes: [{}, { label: "weighted inconsistency", size: 64, filter: (u, splits) => splits.map((v) => (v < 0 ? null : v)) }],
    series: [
      { label: "date", value: (u, v) => (v === null ? "–" : fromDay(v)) },
      ...hyps.map((id) => ({ label: labelOf(id), stroke: colourOf(id), width: 2, value: (u, v) => fmt(v) })),
    ],
    hooks: { drawClear: [drawBands], draw: [drawMarkers, renderLanes] },
  };
  chart?.destroy();
  fill(box);
  chart = new uPlot(opts, seriesData(), box);
  chart.over.addEventListener("click", () => {
    const v = chart.posToVal(chart.cursor.left, "x");
    if (!Number.isFinite(v)) return;
    const iso = fromDay(Math.round(v / DAY) * DAY);
    if (iso < state.topic.periodStart || iso > state.topic.periodEnd) return;
    document.dispatchEvent(new CustomEvent("narrative:as-of", { detail: iso }));
  });
}

/** Redraws for a new as-of date without asking the API again. */
export function cutAtAsOf() {
  if (!chart || !state.timeline) return;
  chart.setData(seriesData(), false);
}

// Context periods as shaded bands under the series, labelled by their labels.
function drawBands(u) {
  const { ctx, bbox } = u;
  ctx.save();
  for (const p of state.aidPeriods) {
    const x0 = Math.max(bbox.left, u.valToPos(toDay(p.start), "x", true));
    const x1 = Math.min(bbox.left + bbox.width, u.valToPos(toDay(p.end) + DAY, "x", true));
    if (x1 <= x0) continue;
    ctx.fillStyle = "rgba(250, 204, 21, 0.18)";
    ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
    ctx.fillStyle = "rgba(120, 90, 0, 0.95)";
    ctx.font = `${11 * px()}px system-ui, sans-serif`;
    ctx.fillText(fitText(ctx, p.label, x1 - x0 - 8 * px()), x0 + 4 * px(), bbox.top + 12 * px());
  }
  ctx.restore();
}

/** The text cut with an ellipsis to fit the width (canvas fillText would squeeze it instead). */
export function fitText(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? "" : `${text.slice(0, lo).trimEnd()}…`;
}

// After the as-of date: greyed out. Then aid decisions, leading changes up to the as-of date, and the as-of line.
function drawMarkers(u) {
  const { ctx, bbox } = u;
  const p = px();
  const xOf = (iso) => u.valToPos(toDay(iso), "x", true);
  const right = bbox.left + bbox.width;
  const inside = (x) => x >= bbox.left && x <= right;
  ctx.save();
  const cut = state.asOf ? xOf(state.asOf) : right;
  if (cut < right) {
    const x0 = Math.max(bbox.left, cut);
    ctx.fillStyle = "rgba(229, 231, 235, 0.55)";
    ctx.fillRect(x0, bbox.top, right - x0, bbox.height);
    ctx.strokeStyle = "rgba(156, 163, 175, 0.35)";
    ctx.lineWidth = p;
    ctx.beginPath();
    for (let x = x0 - bbox.height; x < right; x += 10 * p) {
      ctx.moveTo(Math.max(x, x0), bbox.top + bbox.height - Math.max(0, x0 - x));
      ctx.lineTo(Math.min(x + bbox.height, right), bbox.top + Math.max(0, x + bbox.height - right));
    }
    ctx.stroke();
    if (right - x0 > 150 * p) {
      ctx.fillStyle = "#6b7280";
      ctx.font = `italic ${11 * p}px system-ui, sans-serif`;
      ctx.textAlign = "center";
      ctx.fillText("not yet known at the as-of date", (x0 + right) / 2, bbox.top + bbox.height / 2);
      ctx.textAlign = "start";
    }
  }
  // Aid decisions (milestones of the timing test): a labelled tick from the top edge.
  ctx.font = `${10 * p}px system-ui, sans-serif`;
  let lastLabel = -Infinity;
  for (const m of state.milestones) {
    const x = xOf(m.at);
    if (!inside(x)) continue;
    ctx.strokeStyle = "#b91c1c";
    ctx.lineWidth = 2 * p;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + 14 * p);
    ctx.stroke();
    // Decisions a few days apart share one label.
    if (x - lastLabel < 44 * p) continue;
    lastLabel = x;
    ctx.fillStyle = "#b91c1c";
    ctx.fillText(`▼ ${m.at.slice(5)}`, x - 4 * p, bbox.top + 25 * p);
  }
  for (const q of state.timeline?.points.filter((x) => x.changed && x.at <= state.asOf) ?? []) {
    const x = xOf(q.at);
    if (!inside(x)) continue;
    ctx.strokeStyle = colourOf(q.leading);
    ctx.lineWidth = 2 * p;
    ctx.setLineDash([6 * p, 4 * p]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = colourOf(q.leading);
    ctx.font = `bold ${11 * p}px system-ui, sans-serif`;
    // Left of its line when it would run past the as-of date.
    const text = `→ ${q.leading ? labelOf(q.leading) : "no leader"}`;
    const w = ctx.measureText(text).width;
    ctx.fillText(text, x + 4 * p + w > cut ? x - 4 * p - w : x + 4 * p, bbox.top + 40 * p);
  }
  drawSignpostMatches(u, xOf);
  if (state.asOf && inside(cut)) {
    ctx.strokeStyle = "#111827";
    ctx.lineWidth = 2 * p;
    ctx.beginPath();
    ctx.moveTo(cut, bbox.top - 4 * p);
    ctx.lineTo(cut, bbox.top + bbox.height);
    ctx.stroke();
    // The label sits above the plot (in the chart's top padding), clear of every line.
    ctx.font = `bold ${11 * p}px system-ui, sans-serif`;
    const label = `as of ${state.asOf}`;
    const w = ctx.measureText(label).width;
    const x = cut + 6 * p + w > right ? cut - w - 6 * p : cut + 6 * p;
    ctx.fillStyle = "#111827";
    ctx.fillText(label, x, bbox.top - 7 * p);
    drawEnds(u, cut);
  }
  ctx.restore();
}

// Each line ends at the as-of date in a dot, with its score written left of the cut (nothing is drawn after it).
function drawEnds(u, cut) {
  const p = px();
  const point = state.timeline?.points.find((q) => q.at === state.asOf);
  if (!point) return;
  const ends = hypothesisIds().map((id) => ({ id, v: point.scores[id], y: u.valToPos(point.scores[id] ?? 0, "y", true) }))
    .filter((e) => e.v !== undefined && e.v !== null).sort((a, b) => a.y - b.y);
  const { ctx } = u;
  {
    ctx.font = `bold ${10.5 * p}px system-ui, sans-serif`;
    ctx.textAlign = "right";
    let lastY = -Infinity;
    for (const e of ends) {
      ctx.fillStyle = colourOf(e.id);
      ctx.beginPath();
      ctx.arc(cut, e.y, 3.5 * p, 0, 2 * Math.PI);
      ctx.fill();
      const y = Math.max(e.y - 4 * p, lastY + 12 * p);
      lastY = y;
      const text = fmt(e.v);
      const w = ctx.measureText(text).width;
      ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
      ctx.fillRect(cut - 8 * p - w - 2 * p, y - 10 * p, w + 4 * p, 12 * p);
      ctx.fillStyle = colourOf(e.id);
      ctx.fillText(text, cut - 8 * p, y);
    }
    ctx.textAlign = "start";
  }
}

// ---------- the lanes under the chart ----------

// Each lane is a renderer (box, geometry) → element; the likelihood band and the items are the first two.
const LANES = [renderLikelihoodLane, renderItemLane];

/** Lanes that later features add (a judgments lane, signposts): fn(geometry) returns an element or null. */
export const addLane = (fn) => LANES.push(fn);

// What the lanes were last drawn from: redraws of the chart that change none of it keep the same elements (and an open card).
let drawnFrom = null;

function renderLanes() {
  const lanes = $("#lanes");
  const box = plotBox();
  if (!box || !state.timeline) {
    drawnFrom = null;
    fill(lanes);
    return;
  }
  const from = [state.asOf, state.timeline, state.assessment, box.left, box.width, LANES.length];
  if (drawnFrom && from.every((x, i) => x === drawnFrom[i])) return;
  drawnFrom = from;
  const geometry = { ...box, xOf: xOfDate, cut: xOfDate(state.asOf) };
  $("#chart").dataset.cutX = String(Math.round(box.left + geometry.cut));
  $("#chart").dataset.asOf = state.asOf;
  fill(lanes, ...LANES.map((lane) => lane(geometry)));
}

// The leader's probability (the assessment's p) as a band, coloured by the leader, with its ICD 203 word.
function renderLikelihoodLane(g) {
  const height = 44;
  const canvas = h("canvas", { id: "likelihood-band", dataset: { testid: "likelihood-band" }, role: "img" });
  canvas.width = Math.round(g.width * px());
  canvas.height = Math.round(height * px());
  canvas.style.width = `${g.width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  const p = px();
  const points = state.timeline.points;
  const xs = (iso) => g.xOf(iso) * p;
  const step = points.length > 1 ? toDay(points[1].at) - toDay(points[0].at) : DAY;
  ctx.fillStyle = "#f9fafb";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  // ICD 203 band edges: very unlikely | unlikely | even | likely | very likely | almost certain.
  ctx.strokeStyle = "#e5e7eb";
  ctx.lineWidth = p;
  for (const edge of [0.2, 0.45, 0.55, 0.8, 0.95]) {
    const y = canvas.height * (1 - edge);
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(canvas.width, y);
    ctx.stroke();
  }
  const known = points.filter((q) => q.at <= state.asOf);
  for (const q of known) {
    if (q.probability === null || q.probability === undefined) continue;
    // The step that ends at the point, so that the band ends where the lines end: at the as-of date. Both edges are
    // rounded the same way, so that neighbouring days neither overlap (a darker seam) nor leave a gap.
    const x0 = Math.round(g.xOf(fromDay(toDay(q.at) - step)) * p);
    const x1 = Math.round(xs(q.at));
    const top = Math.round(canvas.height * (1 - q.probability));
    ctx.fillStyle = colourOf(q.leading);
    ctx.globalAlpha = 0.55;
    ctx.fillRect(x0, top, Math.max(1, x1 - x0), canvas.height - top);
    ctx.globalAlpha = 1;
  }
  // The word over each run of equal words.
  ctx.font = `${10.5 * p}px system-ui, sans-serif`;
  ctx.textBaseline = "top";
  let run = null;
  const flush = (end) => {
    if (!run || run.word === "undetermined") return;
    const x0 = g.xOf(fromDay(toDay(run.from) - step)) * p;
    const x1 = xs(end);
    // The word and the leader, or the word alone where the run is short.
    const text = [`${run.word} · ${labelOf(run.leading)}`, run.word].find((t) => x1 - x0 > ctx.measureText(t).width + 8 * p);
    if (text) {
      ctx.fillStyle = "#111827";
      ctx.fillText(text, x0 + 4 * p, 3 * p);
    }
  };
  for (const q of known) {
    const word = q.likelihood ?? "undetermined";
    if (!run || run.word !== word || run.leading !== q.leading) {
      flush(run?.to ?? q.at);
      run = { word, leading: q.leading, from: q.at, to: q.at };
    } else run.to = q.at;
  }
  if (run) flush(run.to);
  const last = known.at(-1);
  canvas.setAttribute("aria-label", last?.probability != null
    ? `Likelihood of the leading hypothesis over time; at ${last.at}: ${last.likelihood} (p ≈ ${fmt(last.probability)}) that ${labelOf(last.leading)}`
    : "Likelihood of the leading hypothesis over time: undetermined so far");
  if (last) canvas.dataset.last = JSON.stringify({ at: last.at, likelihood: last.likelihood, probability: last.probability });
  return h("div", { class: "lane likelihood-lane" },
    h("span", { class: "lane-label", vars: { "--w": `${g.left}px` }, title: "p of the leading hypothesis (ICD 203 words; the likelihood model's p)" }, "likelihood"),
    h("div", { class: "lane-plot", vars: { "--left": `${g.left}px`, "--w": `${g.width}px` } }, canvas));
}

export function renderChartNotes() {
  const notes = $("#chart-notes");
  if (!state.timeline) return;
  const items = [];
  items.push(
    h("li", { class: "key-bands" }, h("span", { class: "swatch band" }), "aid-debate periods ",
      state.aidPeriods.map((p) => h("span", { class: "tag", title: `${p.id}: ${p.start} → ${p.end}`, dataset: { period: p.id }, text: `${p.label} (${p.start} → ${p.end})` }))),
  );
  items.push(
    h("li", { dataset: { testid: "milestones" } }, h("span", { class: "swatch milestone" }), `aid decisions (${state.milestones.length}): `,
      state.milestones.map((m) => h("span", { class: "tag milestone", title: m.label, dataset: { milestone: m.id }, text: m.at }))),
  );
  const distance = (s) => {
    const t = state.signalTiming[s.itemId];
    return t?.nextMilestone ? ` · ${t.daysToMilestone} d before ${t.nextMilestone}` : " · no later decision";
  };
  items.push(
    h("li", {}, h("span", { class: "swatch signal" }), `independent signals (${state.signals.length}): `,
      state.signals.map((s) => h("span", { class: "tag signal", title: `${s.itemId} (${s.documentId})`, dataset: { signal: s.itemId }, text: s.publishedAt + distance(s) }))),
  );
  const changes = state.timeline.points.filter((p) => p.changed && p.at <= state.asOf);
  if (changes.length === 0) {
    const lead = state.timeline.points.filter((p) => p.at <= state.asOf).at(-1)?.leading;
    items.push(h("li", { class: "muted", text: `The leading hypothesis did not change up to ${state.asOf}${lead ? ` (${labelOf(lead)} throughout)` : ""}.` }));
  }
  for (const p of changes) {
    items.push(
      h("li", { class: "change", dataset: { changeAt: p.at } },
        h("strong", {}, `${p.at}: `, p.leading === null ? "no hypothesis leads" : [hyp(p.leading), " leads"]),
        p.robustness ? h("small", { class: "robustness", title: "origins that must go before the lead is lost", text: ` (robustness ${p.robustnessExact ? "" : "≤ "}${p.robustness})` }) : "",
        p.causes.length ? " because of " : "",
        p.causes.map((c, i) => [i ? ", " : "", h("code", { text: c })])),
    );
  }
  fill(notes, ...items);
}

on("as-of", () => {
  cutAtAsOf();
  renderChartNotes();
});
// The item lane follows the assessment (the items known at the as-of date).
on("assessment", () => chart && renderLanes());

let resizeTimer = null;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => chart?.setSize({ width: Math.max(320, $("#chart").clientWidth), height: chartHeight() }), 100);
}).observe(document.documentElement);

export { markerShape, TYPE_COLOURS };
