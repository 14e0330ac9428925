// Narrative explorer: one page over the read API. Every panel is redrawn from the API for the chosen
// (topic, as-of, known-at); nothing is computed here that the API already answers.

import * as analysts from "./analysts.js";

const $ = (sel) => document.querySelector(sel);
const DAY = 86400;
const COLOURS = ["#2563eb", "#dc2626", "#059669", "#9333ea", "#d97706", "#0891b2"];
const RATING_WORDS = { CC: "very consistent", C: "consistent", N: "neutral", I: "inconsistent", II: "very inconsistent", NA: "not applicable" };
const RELIABILITY = { A: "completely reliable", B: "usually reliable", C: "fairly reliable", D: "not usually reliable", E: "unreliable", F: "reliability cannot be judged" };
const CREDIBILITY = { 1: "confirmed", 2: "probably true", 3: "possibly true", 4: "doubtful", 5: "improbable", 6: "truth cannot be judged" };

const state = {
  topics: [],
  topic: null, // the topic object from /api/topics
  asOf: null, // "yyyy-mm-dd"
  knownAt: null, // ISO instant or null for "now"
  claim: null,
  sort: "published",
  aidPeriods: [],
  signals: [],
  milestones: [], // aid decisions (timing test), for the chart ticks
  signalTiming: {}, // itemId -> { nextMilestone, daysToMilestone }
  timeline: null,
  assessment: null,
  sensitivity: null, // /api/topics/{topic}/sensitivity at the same (asOf, knownAt) as the assessment
  changesFollowAsOf: true,
};

// ---------- small helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// replaceChildren() would turn a null child into the text "null".
const fill = (el, ...children) => el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));

const toDay = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / 1000;
const fromDay = (secs) => new Date(secs * 1000).toISOString().slice(0, 10);
const addDays = (iso, n) => fromDay(toDay(iso) + n * DAY);
const dayIndex = (iso) => Math.round((toDay(iso) - toDay(state.topic.periodStart)) / DAY);
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(d));
const labelOf = (id) => state.topic?.hypotheses.find((x) => x.id === id)?.label ?? id;
const colourOf = (id) => COLOURS[Math.max(0, state.topic?.hypotheses.findIndex((x) => x.id === id) ?? 0) % COLOURS.length];
const isAbort = (e) => e?.name === "AbortError";

function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// One AbortController per kind of request: a newer request of the same kind cancels the stale one.
const inflight = new Map();
async function api(kind, path, params = {}) {
  inflight.get(kind)?.abort();
  const ctl = new AbortController();
  inflight.set(kind, ctl);
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  const url = qs.size ? `${path}?${qs}` : path;
  let res;
  try {
    res = await fetch(url, { signal: ctl.signal, headers: { Accept: "application/json" } });
  } catch (e) {
    if (isAbort(e)) throw e;
    throw new ApiError("The API is not reachable. Is Narrative.Api running?", 0);
  } finally {
    if (inflight.get(kind) === ctl && ctl.signal.aborted) inflight.delete(kind);
  }
  const body = await res.json().catch(() => null);
  if (ctl.signal.aborted) throw new DOMException("stale", "AbortError");
  if (!res.ok) throw new ApiError(body?.detail ?? body?.title ?? `${res.status} ${res.statusText}`, res.status);
  if (bannerKind === "offline") setBanner(null);
  return body;
}

// The banner says either that the API is unreachable (cleared by the next answer) or something that stays until replaced.
let bannerKind = null;
function setBanner(message, retry, kind = retry ? "offline" : "notice") {
  const b = $("#banner");
  bannerKind = message ? kind : null;
  fill(b);
  if (!message) {
    b.hidden = true;
    return;
  }
  b.append(h("span", { text: message }));
  if (retry) b.append(h("button", { type: "button", onclick: retry, text: "retry" }));
  b.hidden = false;
}

function showError(container, e) {
  if (isAbort(e)) return;
  console.error(e);
  if (e.status === 0) setBanner(e.message, () => redrawAll());
  fill(container, h("p", { class: "error", text: e.message }));
}

const commonParams = () => ({ knownAt: state.knownAt });

// ---------- URL state ----------

function readUrl() {
  const q = new URLSearchParams(location.search);
  return { topic: q.get("topic"), asOf: q.get("asOf"), knownAt: q.get("knownAt"), claim: q.get("claim") };
}

function writeUrl() {
  const q = new URLSearchParams();
  if (state.topic) q.set("topic", state.topic.id);
  if (state.asOf) q.set("asOf", state.asOf);
  if (state.knownAt) q.set("knownAt", state.knownAt);
  if (state.claim) q.set("claim", state.claim);
  history.replaceState(null, "", `${location.pathname}?${q}`);
}

// ---------- controls ----------

function setupControls() {
  $("#topic").addEventListener("change", (e) => selectTopic(e.target.value, null));

  const range = $("#asof-range");
  const redrawSoon = debounce(() => redrawAsOf(), 180);
  range.addEventListener("input", () => {
    setAsOf(addDays(state.topic.periodStart, +range.value), { fromRange: true });
    redrawSoon();
  });
  range.addEventListener("change", () => {
    setAsOf(addDays(state.topic.periodStart, +range.value), { fromRange: true });
    redrawAsOf();
  });
  $("#asof").addEventListener("change", (e) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(e.target.value)) return;
    setAsOf(e.target.value);
    redrawAsOf();
  });

  $("#known-at").addEventListener("change", (e) => {
    state.knownAt = e.target.value ? new Date(`${e.target.value}Z`).toISOString() : null;
    redrawAll();
  });
  $("#known-now").addEventListener("click", () => {
    $("#known-at").value = "";
    state.knownAt = null;
    redrawAll();
  });

  for (const b of document.querySelectorAll("button.sort")) {
    b.addEventListener("click", () => {
      state.sort = b.dataset.sort;
      for (const o of document.querySelectorAll("button.sort")) o.setAttribute("aria-pressed", String(o === b));
      renderMatrix();
      analysts.afterMatrix();
    });
  }

  const changesEdited = () => {
    state.changesFollowAsOf = false;
    loadChanges();
  };
  $("#changes-from").addEventListener("change", changesEdited);
  $("#changes-to").addEventListener("change", changesEdited);

  // Claim links live in several panels; one delegated handler opens the provenance view.
  document.addEventListener("click", (e) => {
    const a = e.target.closest("[data-claim]");
    if (!a) return;
    e.preventDefault();
    openClaim(a.dataset.claim);
  });
}

function setAsOf(iso, { fromRange = false } = {}) {
  state.asOf = iso;
  $("#asof").value = iso;
  if (!fromRange && state.topic) {
    const i = dayIndex(iso);
    $("#asof-range").value = String(Math.min(Math.max(i, 0), +$("#asof-range").max));
  }
  if (state.changesFollowAsOf) $("#changes-to").value = iso;
  chart?.redraw(false, false);
  writeUrl();
}

// ---------- topic ----------

async function start() {
  setupControls();
  analysts.init({ state, h, fill, api, reload: () => loadAssessment() });
  connectAlerts();
  const wanted = readUrl();
  if (wanted.knownAt) {
    state.knownAt = wanted.knownAt;
    $("#known-at").value = wanted.knownAt.slice(0, 19);
  }
  try {
    state.topics = await api("topics", "/api/topics");
  } catch (e) {
    if (isAbort(e)) return;
    fill($("#topic"), h("option", { text: "unavailable" }));
    setBanner(e.status === 0 ? e.message : `Topics could not be loaded: ${e.message}`, () => location.reload());
    return;
  }
  const select = $("#topic");
  fill(select, ...state.topics.map((t) => h("option", { value: t.id, text: t.title })));
  select.disabled = state.topics.length === 0;
  if (state.topics.length === 0) {
    fill(select, h("option", { text: "no topics yet" }));
    setBanner("No topics have been ingested yet. Ingest a corpus (POST /api/topics and /api/documents, or start with --seeds).");
    return;
  }
  if (wanted.topic && !state.topics.some((t) => t.id === wanted.topic)) {
    setBanner(`Unknown topic '${wanted.topic}'. Showing '${state.topics[0].id}' instead.`);
  }
  state.claim = wanted.claim;
  await selectTopic(state.topics.some((t) => t.id === wanted.topic) ? wanted.topic : state.topics[0].id, wanted.asOf);
}

async function selectTopic(id, asOf) {
  state.topic = state.topics.find((t) => t.id === id);
  $("#topic").value = id;
  const { periodStart, periodEnd } = state.topic;
  const range = $("#asof-range");
  range.max = String(dayIndex(periodEnd));
  $("#period-start").textContent = periodStart;
  $("#period-end").textContent = periodEnd;
  $("#changes-from").value = periodStart;
  state.changesFollowAsOf = true;
  setAsOf(asOf && /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? asOf : periodEnd);
  await redrawAll();
}

function redrawAll() {
  return Promise.all([loadContext(), loadTimeline(), redrawAsOf()]);
}

// Everything that depends on the as-of date.
function redrawAsOf() {
  return Promise.all([loadAssessment(), loadCoincidence(), loadTiming(), loadAudit(), loadChanges(), state.claim ? loadProvenance() : null]);
}

// ---------- chart ----------

let chart = null;
let uPlotModule = null;

async function loadContext() {
  try {
    const whole = { asOf: state.topic.periodEnd, ...commonParams() };
    const [periods, coincidence, timing] = await Promise.all([
      api("context", "/api/context-periods"),
      // Signals and aid decisions over the whole period, for the chart markers (the panels ask for their own date).
      api("signals", `/api/topics/${encodeURIComponent(state.topic.id)}/coincidence`, whole),
      api("milestones", `/api/topics/${encodeURIComponent(state.topic.id)}/timing`, whole),
    ]);
    state.aidPeriods = periods.filter((p) => p.category === "aid-debate");
    state.signals = coincidence.signals;
    state.milestones = timing.milestones;
    state.signalTiming = Object.fromEntries(timing.signals.map((s) => [s.itemId, s]));
    chart?.redraw(false, false);
    renderChartNotes();
  } catch (e) {
    if (!isAbort(e)) console.error(e);
  }
}

async function loadTimeline() {
  const box = $("#chart");
  box.setAttribute("aria-busy", "true");
  try {
    state.timeline = await api("timeline", `/api/topics/${encodeURIComponent(state.topic.id)}/timeline`, {
      from: state.topic.periodStart,
      to: state.topic.periodEnd,
      step: "day",
      ...commonParams(),
    });
    await drawChart();
    renderChartNotes();
  } catch (e) {
    chart?.destroy();
    chart = null;
    showError(box, e);
  } finally {
    box.removeAttribute("aria-busy");
  }
}

async function drawChart() {
  const box = $("#chart");
  const points = state.timeline.points;
  if (points.length === 0) {
    chart?.destroy();
    chart = null;
    fill(box, h("p", { class: "empty", text: "No timeline for this period." }));
    return;
  }
  try {
    uPlotModule ??= (await import("./vendor/uPlot.esm.js")).default;
  } catch {
    fill(box, h("p", { class: "error", text: "The chart library is missing: run ops/web-build (npm ci && npm run build in src/Narrative.Api/web)." }));
    return;
  }
  const uPlot = uPlotModule;
  const hyps = state.topic.hypotheses.map((x) => x.id);
  const xs = points.map((p) => toDay(p.at));
  const data = [xs, ...hyps.map((id) => points.map((p) => p.scores[id] ?? null))];
  const opts = {
    width: Math.max(320, box.clientWidth),
    height: chartHeight(),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    legend: { show: true, mount: (u, el) => fill($("#chart-legend"), el) },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [{}, { label: "weighted inconsistency", size: 60 }],
    series: [
      { label: "date", value: (u, v) => (v === null ? "–" : fromDay(v)) },
      ...hyps.map((id) => ({ label: labelOf(id), stroke: colourOf(id), width: 2, value: (u, v) => fmt(v) })),
    ],
    hooks: { drawClear: [drawBands], draw: [drawMarkers] },
  };
  chart?.destroy();
  fill(box);
  chart = new uPlot(opts, data, box);
  chart.over.addEventListener("click", () => {
    const v = chart.posToVal(chart.cursor.left, "x");
    if (!Number.isFinite(v)) return;
    const iso = fromDay(Math.round(v / DAY) * DAY);
    if (iso < state.topic.periodStart || iso > state.topic.periodEnd) return;
    setAsOf(iso);
    redrawAsOf();
  });
}

const chartHeight = () => (window.innerWidth >= 1800 ? 360 : 280);

// Aid-debate periods as shaded bands under the series.
function drawBands(u) {
  const { ctx, bbox } = u;
  ctx.save();
  for (const p of state.aidPeriods) {
    const x0 = Math.max(bbox.left, u.valToPos(toDay(p.start), "x", true));
    const x1 = Math.min(bbox.left + bbox.width, u.valToPos(toDay(p.end) + DAY, "x", true));
    if (x1 <= x0) continue;
    ctx.fillStyle = "rgba(250, 204, 21, 0.18)";
    ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
    ctx.fillStyle = "rgba(120, 90, 0, 0.9)";
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.fillText(`aid debate: ${p.id}`, x0 + 4 * devicePixelRatio, bbox.top + 12 * devicePixelRatio, x1 - x0 - 8 * devicePixelRatio);
  }
  ctx.restore();
}

// Signals (where published), leading changes (with a label) and the as-of line.
function drawMarkers(u) {
  const { ctx, bbox } = u;
  const px = devicePixelRatio;
  const xOf = (iso) => u.valToPos(toDay(iso), "x", true);
  const inside = (x) => x >= bbox.left && x <= bbox.left + bbox.width;
  ctx.save();
  for (const s of state.signals) {
    const x = xOf(s.publishedAt);
    if (!inside(x)) continue;
    ctx.strokeStyle = "rgba(79, 70, 229, 0.55)";
    ctx.setLineDash([2 * px, 3 * px]);
    ctx.lineWidth = px;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top + 18 * px);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = s.publishedAt <= state.asOf ? "#4f46e5" : "rgba(79, 70, 229, 0.35)";
    const y = bbox.top + bbox.height - 6 * px;
    ctx.beginPath();
    ctx.moveTo(x, y - 6 * px);
    ctx.lineTo(x + 5 * px, y);
    ctx.lineTo(x, y + 6 * px);
    ctx.lineTo(x - 5 * px, y);
    ctx.closePath();
    ctx.fill();
  }
  // Aid decisions (milestones of the timing test): a labelled tick from the top edge.
  ctx.font = `${10 * px}px system-ui, sans-serif`;
  for (const m of state.milestones) {
    const x = xOf(m.at);
    if (!inside(x)) continue;
    ctx.strokeStyle = "#b91c1c";
    ctx.lineWidth = 2 * px;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + 14 * px);
    ctx.stroke();
    ctx.fillStyle = "#b91c1c";
    ctx.fillText(`▼ ${m.at.slice(5)}`, x - 4 * px, bbox.top + 24 * px);
  }
  for (const p of state.timeline?.points.filter((q) => q.changed) ?? []) {
    const x = xOf(p.at);
    if (!inside(x)) continue;
    ctx.strokeStyle = colourOf(p.leading);
    ctx.lineWidth = 2 * px;
    ctx.setLineDash([6 * px, 4 * px]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = colourOf(p.leading);
    ctx.font = `bold ${11 * px}px system-ui, sans-serif`;
    ctx.fillText(`→ ${p.leading ?? "no leader"}`, x + 4 * px, bbox.top + 28 * px);
  }
  if (state.asOf) {
    const x = xOf(state.asOf);
    if (inside(x)) {
      ctx.strokeStyle = "#111827";
      ctx.lineWidth = 2 * px;
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      ctx.fillStyle = "#111827";
      ctx.font = `${11 * px}px system-ui, sans-serif`;
      const label = `as of ${state.asOf}`;
      const w = ctx.measureText(label).width;
      ctx.fillText(label, x + 4 * px + w > bbox.left + bbox.width ? x - w - 4 * px : x + 4 * px, bbox.top + bbox.height - 16 * px);
    }
  }
  ctx.restore();
}

function renderChartNotes() {
  const notes = $("#chart-notes");
  if (!state.timeline) return;
  const items = [];
  items.push(
    h("li", { class: "key-bands" }, h("span", { class: "swatch band" }), "aid-debate periods ",
      state.aidPeriods.map((p) => h("span", { class: "tag", title: p.label, text: `${p.start} → ${p.end}` }))),
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
  const changes = state.timeline.points.filter((p) => p.changed);
  if (changes.length === 0) {
    const lead = state.timeline.points.at(-1)?.leading;
    items.push(h("li", { class: "muted", text: `The leading hypothesis did not change in this period${lead ? ` (${labelOf(lead)} throughout)` : ""}.` }));
  }
  for (const p of changes) {
    items.push(
      h("li", { class: "change", dataset: { changeAt: p.at } },
        h("strong", { style: `color:${colourOf(p.leading)}`, text: p.leading === null ? `${p.at}: no hypothesis leads` : `${p.at}: ${labelOf(p.leading)} leads` }),
        p.robustness ? h("small", { class: "robustness", title: "origins that must go before the lead is lost", text: ` (robustness ${p.robustnessExact ? "" : "≤ "}${p.robustness})` }) : "",
        p.causes.length ? " because of " : "",
        p.causes.map((c, i) => [i ? ", " : "", h("code", { text: c })])),
    );
  }
  fill(notes, ...items);
}

let resizeTimer = null;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => chart?.setSize({ width: Math.max(320, $("#chart").clientWidth), height: chartHeight() }), 100);
}).observe(document.documentElement);

// ---------- assessment + matrix ----------

async function loadAssessment() {
  const panel = $("#assessment");
  panel.setAttribute("aria-busy", "true");
  const asOf = state.asOf;
  try {
    const path = `/api/topics/${encodeURIComponent(state.topic.id)}`;
    const [a, s] = await Promise.all([
      api("assessment", `${path}/assessment`, { asOf, ...commonParams(), ...analysts.lensParams() }),
      api("sensitivity", `${path}/sensitivity`, { asOf, ...commonParams() }),
    ]);
    state.assessment = a;
    state.sensitivity = s;
    renderAssessment(a);
    renderRobustness(a, s);
    renderMatrix();
    analysts.afterMatrix();
    // Tests and users can tell which date the panel shows.
    panel.dataset.asOf = asOf;
    panel.setAttribute("aria-busy", "false");
  } catch (e) {
    if (isAbort(e)) return;
    state.assessment = null;
    state.sensitivity = null;
    panel.dataset.asOf = "";
    panel.setAttribute("aria-busy", "false");
    for (const id of ["#leading", "#likelihood", "#confidence", "#evidence-count", "#robustness", "#likelihood-basis"]) $(id).textContent = "–";
    fill($("#scores"));
    fill($("#matrix"));
    const note = $("#assessment-note");
    note.hidden = false;
    note.className = "error";
    note.textContent = e.status === 404 ? `Unknown topic: ${e.message}` : e.message;
    if (e.status === 0) setBanner(e.message, () => redrawAll());
  }
}

function renderAssessment(a) {
  $("#assessment-when").textContent = `as of ${a.asOf.slice(0, 10)} · known at ${a.knownAt.slice(0, 19).replace("T", " ")}Z · position ${a.position}`;
  const note = $("#assessment-note");
  note.className = "note";
  const leading = $("#leading");
  fill(leading);
  leading.dataset.hypothesis = a.leading ?? "";
  if (a.leading === null) {
    leading.append(h("span", { class: "muted", text: "none yet" }));
    fill($("#likelihood"), h("span", { class: "word", text: a.likelihood }));
    fill($("#confidence"), h("span", { class: "word", text: a.confidence }));
    note.hidden = false;
    note.textContent = a.evidence.length === 0
      ? `No evidence is known as of ${a.asOf.slice(0, 10)}. Move the as-of date later to see an assessment.`
      : `No claim known as of ${a.asOf.slice(0, 10)} counts against any hypothesis, so none leads.`;
  } else {
    leading.append(
      h("span", { class: "hyp", style: `--c:${colourOf(a.leading)}`, text: labelOf(a.leading) }),
      " ",
      h("code", { text: a.leading }),
    );
    fill($("#likelihood"), h("span", { class: "word", text: a.likelihood }), " ", h("small", { text: `p ≈ ${fmt(a.probability)}` }));
    fill($("#confidence"), h("span", { class: "word", text: a.confidence }));
    const [first, second] = [...a.hypotheses].sort((x, y) => x.rank - y.rank);
    const tied = second && Math.abs(first.weightedInconsistency - second.weightedInconsistency) < 1e-9;
    note.hidden = !tied;
    note.textContent = tied ? "The top hypotheses tie on weighted inconsistency; the lead is a tie-break, not a finding." : "";
  }
  $("#evidence-count").textContent = String(a.evidence.length);
  const scored = a.evidence.filter((e) => e.scored).length;
  $("#scored-count").textContent = `(${scored} scored; ${a.evidence.length - scored} repeat a claim scored once)`;

  const max = Math.max(1, ...a.hypotheses.map((x) => x.weightedInconsistency));
  fill($("#scores"),
    h("thead", {}, h("tr", {}, h("th", { text: "rank" }), h("th", { text: "hypothesis" }), h("th", { text: "inconsistency" }), h("th", { text: "weighted" }))),
    h("tbody", {}, [...a.hypotheses].sort((x, y) => x.rank - y.rank).map((x) =>
      h("tr", { dataset: { hypothesis: x.id } },
        h("td", { text: x.rank }),
        h("td", { title: state.topic.hypotheses.find((t) => t.id === x.id)?.description ?? "" },
          h("span", { class: "hyp", style: `--c:${colourOf(x.id)}`, text: x.label })),
        h("td", { class: "num", text: fmt(x.inconsistency, 1) }),
        h("td", { class: "num" }, h("span", { class: "meter", style: `width:${((6 * x.weightedInconsistency) / max).toFixed(2)}rem;--c:${colourOf(x.id)}` }), fmt(x.weightedInconsistency))),
    )),
  );
}

// What the likelihood word rests on, and how many origins the lead can lose (the API's basis and flip set).
function renderRobustness(a, s) {
  const b = a.basis;
  const robustness = $("#robustness");
  const flip = s.flipSet;
  robustness.dataset.origins = flip ? String(flip.origins.length) : "";
  if (!flip) {
    robustness.textContent = "–";
  } else {
    fill(robustness,
      h("span", { class: "word", title: `Removing ${flip.origins.join(", ")} loses the lead`, text: `${flip.exact ? "" : "≤ "}${flip.origins.length} origin${flip.origins.length === 1 ? "" : "s"}` }),
      " ", h("small", { text: flip.origins.length === 1 ? "one origin carries the lead" : `the lead survives the loss of any ${flip.origins.length - 1}` }));
  }
  const basis = $("#likelihood-basis");
  if (a.leading === null) {
    basis.textContent = "";
    return;
  }
  const held = b.heldBy.length ? ` Held below “${b.modelLikelihood}” by ${b.heldBy.join(", ")}.` : "";
  basis.textContent = `Likelihood rests on ${b.origins} independent origin${b.origins === 1 ? "" : "s"} from ${b.sources} source${b.sources === 1 ? "" : "s"} `
    + `(${b.goodSources} graded A/B); margin ${fmt(b.margin)}; ${Math.round(b.agreement * 100)}% of origins favour the leader.${held}`;
}

function renderMatrix() {
  const a = state.assessment;
  const table = $("#matrix");
  const empty = $("#matrix-empty");
  if (!a) return;
  if (a.evidence.length === 0) {
    fill(table);
    empty.hidden = false;
    empty.textContent = "No evidence yet at this date.";
    return;
  }
  empty.hidden = true;
  const hyps = state.topic.hypotheses.map((x) => x.id);
  const score = Object.fromEntries(a.hypotheses.map((x) => [x.id, x.weightedInconsistency]));
  const rows = [...a.evidence];
  const without = new Map((state.sensitivity?.claims ?? []).map((c) => [c.claim, c]));
  const linchpins = new Set(state.sensitivity?.linchpins ?? []);
  if (state.sort === "diagnosticity") rows.sort((x, y) => y.diagnosticity - x.diagnosticity || x.publishedAt.localeCompare(y.publishedAt) || x.itemId.localeCompare(y.itemId));
  else rows.sort((x, y) => x.publishedAt.localeCompare(y.publishedAt) || x.itemId.localeCompare(y.itemId));

  fill(table,
    h("thead", {},
      h("tr", {},
        h("th", { text: "published" }),
        h("th", { text: "source" }),
        h("th", { title: "Admiralty source reliability (A–F)", text: "rel." }),
        h("th", { title: "Admiralty information credibility (1–6)", text: "cred." }),
        h("th", { text: "claim" }),
        h("th", { text: "type" }),
        ...hyps.map((id) => h("th", { class: "hcol", title: labelOf(id) },
          h("span", { class: "hyp", style: `--c:${colourOf(id)}`, text: id }), h("small", { text: fmt(score[id]) }))),
        h("th", { class: "num", title: "How well the item separates the hypotheses", text: "diag." }),
      ),
    ),
    h("tbody", {}, rows.map((e) =>
      h("tr", {
        class: [e.scored ? "" : "unscored", linchpins.has(e.claim) ? "linchpin" : ""].join(" ").trim(),
        dataset: { itemId: e.itemId, derivative: String(e.derivative), contested: String(e.contested), linchpin: String(linchpins.has(e.claim)) },
      },
        h("td", { class: "date", text: e.publishedAt }),
        h("td", { title: e.documentId, text: e.source }),
        h("td", { class: `grade g-${e.reliability}`, title: RELIABILITY[e.reliability] ?? "", text: e.reliability }),
        h("td", { class: "num", title: CREDIBILITY[e.credibility] ?? "", text: e.credibility }),
        h("td", { class: "claim" },
          h("a", { href: `?${new URLSearchParams({ topic: state.topic.id, asOf: state.asOf, claim: e.claim })}`, dataset: { claim: e.claim }, title: e.itemId, text: e.claim }),
          e.derivative ? h("span", { class: "badge derivative", title: `re-report of ${e.derivedFrom ?? "an earlier carrier"}`, text: "derivative" }) : null,
          e.contested ? h("span", { class: "badge contested", title: `contested by ${e.contestedBy.join(", ")}`, text: "contested" }) : null,
          e.scored ? null : h("span", { class: "badge unscored-badge", title: "This claim is scored once; this appearance repeats it", text: "not scored" }),
          e.scored && linchpins.has(e.claim) ? h("span", {
            class: "badge linchpin",
            title: `Without this claim ${without.get(e.claim)?.leadingWithout ? `${labelOf(without.get(e.claim).leadingWithout)} would lead` : "no hypothesis would lead"}`,
            text: "linchpin",
          }) : null,
          quoteBadge(e)),
        h("td", { class: "type", text: e.type }),
        ...hyps.map((id) => {
          const r = e.ratings[id] ?? "NA";
          return h("td", { class: `r r-${r}`, title: `${labelOf(id)}: ${RATING_WORDS[r] ?? r}`, text: r });
        }),
        h("td", { class: "num", text: fmt(e.diagnosticity, 1) }),
      ),
    )),
  );
}

// ---------- capture ----------

// quoteVerified is null for documents without a capture: no badge then.
function quoteBadge(e) {
  if (e.quoteVerified === null || e.quoteVerified === undefined) return null;
  return h("button", {
    type: "button",
    class: `badge ${e.quoteVerified ? "quote-verified" : "quote-unverified"}`,
    dataset: { captureId: e.captureId, testid: "quote-badge" },
    title: e.quoteVerified ? "The quote is in the captured page: open it" : "The quote is not in the capture's current main text: open it",
    onclick: (ev) => {
      ev.stopPropagation();
      openCapture(e.captureId, e.quote);
    },
    text: e.quoteVerified ? "quote ✓" : "quote ✗",
  });
}

// The capture's main text with the verified quotes of its document marked, the removed boilerplate folded away.
async function openCapture(id, current) {
  const dialog = $("#capture");
  const body = $("#capture-body");
  fill(body, h("p", { class: "empty", text: "Loading…" }));
  if (!dialog.open) dialog.showModal();
  try {
    const c = await api("capture", `/api/captures/${encodeURIComponent(id)}`);
    const quotes = [...new Set((state.assessment?.evidence ?? []).filter((e) => e.captureId === id && e.quoteVerified).map((e) => e.quote))];
    const spans = [];
    for (const q of quotes) {
      const p = await api(`capture-${q}`, `/api/captures/${encodeURIComponent(id)}/text`, { around: q });
      if (p.found) spans.push({ start: p.start, end: p.end, current: q === current });
    }
    renderCapture(c, spans, current);
  } catch (e) {
    showError(body, e);
  }
}

// Splits the main text into paragraphs and wraps each quote's range in <mark>.
function markedParagraphs(text, spans) {
  const out = [];
  let offset = 0;
  for (const para of text.split("\n\n")) {
    const start = text.indexOf(para, offset);
    const end = start + para.length;
    offset = end;
    const parts = [];
    let at = start;
    for (const s of spans.filter((x) => x.start < end && x.end > start).sort((a, b) => a.start - b.start)) {
      const from = Math.max(s.start, at);
      if (from > at) parts.push(text.slice(at, from));
      if (Math.min(s.end, end) > from) parts.push(h("mark", { class: s.current ? "current" : null, text: text.slice(from, Math.min(s.end, end)) }));
      at = Math.max(at, Math.min(s.end, end));
    }
    if (at < end) parts.push(text.slice(at, end));
    out.push(h("p", {}, parts));
  }
  return out;
}

function renderCapture(c, spans, current) {
  const fact = (label, value) => (value ? h("div", {}, h("dt", { text: label }), h("dd", {}, value)) : null);
  fill($("#capture-body"),
    h("h3", { text: c.title ?? "(no title found)" }),
    h("dl", { class: "facts" },
      fact("page", h("a", { href: c.url, rel: "noopener noreferrer", target: "_blank", text: c.url })),
      fact("retrieved", c.retrievedAt.slice(0, 16).replace("T", " ")),
      fact("published", c.publishedAt ? `${c.publishedAt} (${c.publishedAtConfidence} confidence)` : "no date found"),
      fact("byline", c.byline.join(", ")),
      fact("cites", c.citedOutlets.map((o) => (o.sourceId ? `${o.name} (${o.sourceId})` : o.name)).join(", ")),
      fact("raw page", h("a", { href: `/api/captures/${encodeURIComponent(c.captureId)}/raw`, target: "_blank", text: `${c.bytes} bytes · sha256 ${c.sha256.slice(0, 12)}…` })),
      current ? fact("passage", h("a", { href: `/api/captures/${encodeURIComponent(c.captureId)}/text?${new URLSearchParams({ around: current })}`, target: "_blank", text: "this quote in context" })) : null),
    h("div", { class: "capture-text", dataset: { testid: "capture-text" } }, markedParagraphs(c.mainText, spans)),
    h("details", { class: "removed", dataset: { testid: "capture-removed" } },
      h("summary", { text: `Removed as boilerplate: ${c.removedChars} characters in ${c.removed.length} blocks` }),
      h("ul", {}, c.removed.map((r) => h("li", { title: r.reason }, h("small", { text: `${r.reason}: ` }), r.text)))),
  );
  $("#capture mark.current")?.scrollIntoView({ block: "center" });
}

async function loadCoincidence() {
  const p = $("#coincidence");
  try {
    const c = await api("coincidence", `/api/topics/${encodeURIComponent(state.topic.id)}/coincidence`, { asOf: state.asOf, ...commonParams() });
    p.textContent = c.n === 0
      ? "No independent signal published yet in the period."
      : `Independent signals inside aid debates: ${c.k} of ${c.n} (aid debates cover ${Math.round(c.coverage * 100)}% of days; lift ${fmt(c.lift)}, p = ${fmt(c.pValue, 3)}).`;
  } catch (e) {
    if (!isAbort(e)) p.textContent = "";
  }
}

// ---------- timing ----------

// The timing test: do the independent signals fall within W days before an aid decision, more than chance explains?
async function loadTiming() {
  const body = $("#timing-body");
  try {
    const t = await api("timing", `/api/topics/${encodeURIComponent(state.topic.id)}/timing`, { asOf: state.asOf, ...commonParams() });
    const pct = (x) => `${Math.round(x * 100)}%`;
    fill(body,
      h("p", { class: "reading", dataset: { testid: "timing-reading" }, text: t.reading }),
      h("dl", { class: "verdict" },
        h("div", {}, h("dt", { text: `Within ${t.window} days before a decision` }), h("dd", { dataset: { testid: "timing-t" }, text: `${t.t} of ${t.n} signals` })),
        h("div", {}, h("dt", { text: "By chance" }), h("dd", { text: `${pct(t.q)} of days · p = ${fmt(t.pValue, 3)}` })),
        h("div", {}, h("dt", { text: "Power (signals twice as frequent as chance)" }), h("dd", { dataset: { testid: "timing-power" }, text: fmt(t.power) })),
        h("div", {}, h("dt", { text: "Smallest p of 7, 14, 30 days, adjusted for 3 looks" }), h("dd", { text: fmt(t.minPAdjusted, 3) }))),
      h("table", { class: "scores" },
        h("thead", {}, h("tr", {}, ...["window", "T", "chance share", "p"].map((x) => h("th", { text: x })))),
        h("tbody", {}, ...t.windows.map((w) => h("tr", {},
          h("td", { text: `${w.window} d` }), h("td", { text: String(w.t) }), h("td", { text: pct(w.q) }), h("td", { text: fmt(w.pValue, 3) }))))),
      t.signals.length
        ? h("ul", { class: "notes" }, ...t.signals.map((s) => h("li", {},
          h("span", { class: "date", text: s.publishedAt }), " ", h("code", { text: s.itemId }),
          s.nextMilestone ? ` · ${s.daysToMilestone} days before ${t.milestones.find((m) => m.id === s.nextMilestone)?.label ?? s.nextMilestone}` : " · no decision after it yet")))
        : null);
  } catch (e) {
    showError(body, e);
  }
}

// ---------- changes ----------

async function loadChanges() {
  const body = $("#changes-body");
  const from = $("#changes-from").value;
  const to = $("#changes-to").value;
  if (!from || !to) {
    fill(body, h("p", { class: "empty", text: "Pick two dates." }));
    return;
  }
  try {
    const c = await api("changes", `/api/topics/${encodeURIComponent(state.topic.id)}/changes`, { from, to, ...commonParams() });
    renderChanges(c);
  } catch (e) {
    showError(body, e);
  }
}

function renderChanges(c) {
  const body = $("#changes-body");
  const itemList = (title, items, cls) =>
    items.length === 0 ? null : h("details", { class: cls, open: items.length <= 6 },
      h("summary", { text: `${title} (${items.length})` }),
      h("ul", {}, items.map((i) => h("li", { dataset: { itemId: i.itemId } },
        h("span", { class: "date", text: i.publishedAt }), " ", h("a", { href: "#", dataset: { claim: i.claim }, text: i.claim }),
        h("small", { text: ` ${i.documentId}` })))));
  const nothing = c.added.length + c.retracted.length + c.rerated.length === 0;
  fill(body,
    h("p", { class: "lead-change" }, "Leading: ",
      h("span", { class: "hyp", style: `--c:${colourOf(c.leadingBefore)}`, text: labelOf(c.leadingBefore) ?? "none" }), " → ",
      h("span", { class: "hyp", style: `--c:${colourOf(c.leadingAfter)}`, text: labelOf(c.leadingAfter) ?? "none" }),
      c.leadingBefore === c.leadingAfter ? h("small", { text: " (unchanged)" }) : h("strong", { text: " (changed)" })),
    h("table", { class: "scores" },
      h("thead", {}, h("tr", {}, h("th", { text: "hypothesis" }), h("th", { text: "before" }), h("th", { text: "after" }), h("th", { text: "Δ" }))),
      h("tbody", {}, c.scores.map((s) => h("tr", {},
        h("td", {}, h("span", { class: "hyp", style: `--c:${colourOf(s.hypothesis)}`, text: s.hypothesis })),
        h("td", { class: "num", text: fmt(s.weightedBefore) }),
        h("td", { class: "num", text: fmt(s.weightedAfter) }),
        h("td", { class: `num ${s.delta > 0 ? "up" : s.delta < 0 ? "down" : ""}`, text: `${s.delta > 0 ? "+" : ""}${fmt(s.delta)}` }))))),
    nothing ? h("p", { class: "empty", text: "No evidence was added, retracted or re-rated between these dates." }) : null,
    itemList("Added", c.added, "added"),
    itemList("Retracted", c.retracted, "retracted"),
    c.rerated.length === 0 ? null : h("details", { open: true }, h("summary", { text: `Re-rated (${c.rerated.length})` }),
      h("ul", {}, c.rerated.map((r) => h("li", { dataset: { itemId: r.itemId } }, h("code", { text: r.itemId }),
        `: ${Object.entries(r.ratingsBefore).map(([k, v]) => `${k} ${v}→${r.ratingsAfter[k] ?? "?"}`).join(", ")}; credibility ${r.credibilityBefore}→${r.credibilityAfter}`,
        r.reason ? h("small", { text: ` (${r.reason})` }) : null)))),
  );
}

// ---------- provenance ----------

function openClaim(claim) {
  state.claim = claim;
  writeUrl();
  loadProvenance();
  $("#provenance").scrollIntoView({ block: "nearest", behavior: "smooth" });
}

async function loadProvenance() {
  const panel = $("#provenance");
  const body = $("#provenance-body");
  const claim = state.claim;
  panel.dataset.claim = claim;
  panel.setAttribute("aria-busy", "true");
  try {
    const p = await api("provenance", `/api/claims/${encodeURIComponent(claim)}/provenance`, { asOf: state.asOf, ...commonParams() });
    renderProvenance(p);
  } catch (e) {
    if (isAbort(e)) return;
    if (e.status === 404) fill(body, h("h3", {}, h("code", { text: claim })), h("p", { class: "empty", text: `Not known as of ${state.asOf}: ${e.message}` }));
    else showError(body, e);
  }
  panel.setAttribute("aria-busy", "false");
}

function renderProvenance(p) {
  const first = p.firstAppearance;
  const derivatives = p.appearances.filter((a) => a.derivative);
  fill($("#provenance-body"),
    h("h3", {}, h("code", { text: p.claim })),
    h("dl", { class: "facts" },
      h("div", {}, h("dt", { text: "independent origins" }), h("dd", { id: "independent-origins", text: p.independentOrigins })),
      h("div", {}, h("dt", { text: "re-reports" }), h("dd", { text: derivatives.length })),
      first ? h("div", {}, h("dt", { text: "first appearance" }), h("dd", { id: "first-appearance", dataset: { documentId: first.documentId } },
        `${first.publishedAt} · ${first.source} · `, h("code", { text: first.documentId }))) : null),
    h("ol", { class: "appearances" }, p.appearances.map((a) =>
      h("li", { class: a.derivative ? "derivative" : "origin", dataset: { documentId: a.documentId, itemId: a.itemId, derivative: String(a.derivative) } },
        h("span", { class: "date", text: a.publishedAt }),
        h("span", { class: "src", text: a.source }),
        a.derivative
          ? h("span", { class: "badge derivative", text: "derivative" })
          : h("span", { class: "badge origin", text: "independent origin" }),
        h("code", { class: "doc", text: a.documentId }),
        a.derivative && a.derivedFrom ? h("small", { class: "from" }, "re-reports ", h("code", { text: a.derivedFrom })) : null))),
  );
}

// ---------- audit ----------

async function loadAudit() {
  const body = $("#audit-body");
  const params = { asOf: state.asOf, ...commonParams() };
  const path = `/api/topics/${encodeURIComponent(state.topic.id)}/audit`;
  try {
    const a = await api("audit", path, params);
    const ok = (b) => (b ? "verified" : "FAILED");
    const raw = `${path}?${new URLSearchParams(Object.entries(params).filter(([, v]) => v))}`;
    fill(body,
      h("ul", { class: "checks" },
        h("li", { id: "audit-replay", class: a.replayMatches ? "pass" : "fail", dataset: { value: String(a.replayMatches) } },
          h("strong", { text: a.replayMatches ? "✓" : "✗" }), ` replay from the log matches the answer: ${ok(a.replayMatches)}`),
        h("li", { id: "audit-chain", class: a.chainIntact ? "pass" : "fail", dataset: { value: String(a.chainIntact) } },
          h("strong", { text: a.chainIntact ? "✓" : "✗" }), ` hash chain intact: ${ok(a.chainIntact)}`)),
      a.failures?.length ? h("ul", { class: "error" }, a.failures.map((f) => h("li", { text: typeof f === "string" ? f : JSON.stringify(f) }))) : null,
      h("p", {}, `${a.events.length} events up to position ${a.position} · `, h("a", { href: raw, target: "_blank", rel: "noopener", text: "raw audit JSON" })),
      h("details", {}, h("summary", { text: "events" }),
        h("div", { class: "table-wrap short" }, h("table", { class: "events" },
          h("thead", {}, h("tr", {}, h("th", { text: "pos" }), h("th", { text: "stream" }), h("th", { text: "v" }), h("th", { text: "type" }), h("th", { text: "hash" }))),
          h("tbody", {}, a.events.map((e) => h("tr", {},
            h("td", { class: "num" }, h("a", { href: `/api/events?after=${e.position - 1}&limit=1`, target: "_blank", rel: "noopener", text: e.position })),
            h("td", { text: e.stream }), h("td", { class: "num", text: e.version }),
            h("td", { text: e.type.replace(/^narrative\./, "") }), h("td", { title: e.hash }, h("code", { text: e.hash.slice(0, 12) })))))))),
    );
  } catch (e) {
    showError(body, e);
  }
}

// ---------- alerts (Server-Sent Events) ----------

let alertRetry = 2;
function connectAlerts() {
  const status = $("#alerts-status");
  const set = (s, text) => {
    status.dataset.state = s;
    status.querySelector(".text").textContent = text;
  };
  set("connecting", "alerts connecting…");
  const es = new EventSource("/api/alerts/stream");
  es.onopen = () => {
    alertRetry = 2;
    set("live", "alerts live");
  };
  const onAlert = (ev) => {
    let a;
    try {
      a = JSON.parse(ev.data);
    } catch {
      a = { message: ev.data };
    }
    addAlert(a, ev.type);
  };
  es.onmessage = onAlert;
  es.addEventListener("alert", onAlert);
  es.onerror = () => {
    // A 404 or a dropped connection closes the stream for good; reconnect with a growing pause.
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      set("offline", `alerts offline · retrying in ${alertRetry}s`);
      setTimeout(connectAlerts, alertRetry * 1000);
      alertRetry = Math.min(alertRetry * 2, 60);
    } else {
      set("connecting", "alerts reconnecting…");
    }
  };
}

function addAlert(a, type) {
  // The stream sends the outbox envelope {id, kind, payload, createdAt}; the alert itself is the payload.
  if (a && a.payload && typeof a.payload === "object") a = { ...a.payload, at: a.payload.at ?? a.createdAt, id: a.id };
  const list = $("#alerts");
  $("#alerts-empty").hidden = true;
  const text = a.message ?? a.title ?? a.summary ?? a.kind ?? type;
  const when = a.at ?? a.raisedAt ?? a.occurredAt ?? new Date().toISOString();
  list.prepend(
    h("li", { class: `alert ${a.severity ?? ""}` },
      h("span", { class: "date", text: String(when).slice(0, 19).replace("T", " ") }), " ",
      a.topic ? h("code", { text: a.topic }) : null, " ", text,
      h("details", {}, h("summary", { text: "data" }), h("pre", { text: JSON.stringify(a, null, 2) }))),
  );
  while (list.children.length > 50) list.lastElementChild.remove();
}

start();
