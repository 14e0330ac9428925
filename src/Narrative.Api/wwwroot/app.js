// Narrative explorer: one page over the read API. Every card is redrawn from the API for the chosen
// (topic, as-of, known-at); nothing is computed here that the API already answers.
//
// This file holds the controls (topic, as-of, known-at), the URL and the order of loading. Each card lives in a
// module of js/: chart.js (chart and lanes), lanes.js (item markers), card.js (item card), assessment.js (assessment
// and matrix), panels.js (timing, changes, provenance, audit), method.js (signposts), capture.js, alerts.js and exports.js; core.js holds the
// state, the API client and the loading/error states. A new card registers its loader in AS_OF_LOADERS or
// TOPIC_LOADERS, or listens to the "as-of" and "assessment" events of core.js.

import { $, $$, addDays, api, dayIndex, debounce, emit, fill, h, isAbort, on, setBanner, state } from "./js/core.js";
import { currentChart, loadContext, loadTimeline } from "./js/chart.js";
import { loadAssessment, loadCoincidence, renderMatrix } from "./js/assessment.js";
import { loadAudit, loadChanges, loadProvenance, loadTiming, openClaim } from "./js/panels.js";
import { connectAlerts } from "./js/alerts.js";
import { setupExports } from "./js/exports.js";
import { closeCard } from "./js/card.js";
import * as analysts from "./js/analysts.js";
import { loadSignposts } from "./js/method.js";

/** Loaders that follow the as-of date. */
export const AS_OF_LOADERS = [loadAssessment, loadCoincidence, loadTiming, loadAudit, loadChanges, () => (state.claim ? loadProvenance() : null),
  () => loadSignposts().then(() => currentChart()?.redraw(false, false))];
/** Loaders that depend only on the topic and the known-at time. */
export const TOPIC_LOADERS = [loadContext, loadTimeline];

const isDate = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s ?? "");

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

  // The slider is the keyboard control: arrows step a day, PageUp/PageDown a week, Home/End jump to the period's ends.
  const range = $("#asof-range");
  const redrawSoon = debounce(() => redrawAsOf(), 180);
  range.addEventListener("keydown", (e) => {
    const step = { PageUp: 7, PageDown: -7 }[e.key];
    if (!step || !state.topic) return;
    e.preventDefault();
    moveAsOf(step);
  });
  range.addEventListener("input", () => {
    setAsOf(addDays(state.topic.periodStart, +range.value), { fromRange: true });
    redrawSoon();
  });
  range.addEventListener("change", () => {
    setAsOf(addDays(state.topic.periodStart, +range.value), { fromRange: true });
    redrawSoon();
  });
  for (const b of $$("button[data-step]")) b.addEventListener("click", () => moveAsOf(+b.dataset.step));
  $("#asof").addEventListener("change", (e) => {
    if (!isDate(e.target.value)) return;
    setAsOf(e.target.value);
    redrawAsOf();
  });
  document.addEventListener("narrative:as-of", (e) => {
    setAsOf(e.detail);
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

  for (const b of $$("button.sort")) {
    b.addEventListener("click", () => {
      state.sort = b.dataset.sort;
      for (const o of $$("button.sort")) o.setAttribute("aria-pressed", String(o === b));
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

  // Claim links live in several cards; one delegated handler opens the provenance view.
  document.addEventListener("click", (e) => {
    const a = e.target.closest("[data-claim]");
    if (!a || a.closest("#provenance")) return;
    e.preventDefault();
    closeCard();
    openClaim(a.dataset.claim);
  });
  setupExports();
  on("url", writeUrl);
  on("redraw-all", () => redrawAll());
}

function moveAsOf(days) {
  const { periodStart, periodEnd } = state.topic;
  const next = addDays(state.asOf, days);
  setAsOf(next < periodStart ? periodStart : next > periodEnd ? periodEnd : next);
  redrawAsOf();
}

function setAsOf(iso, { fromRange = false } = {}) {
  state.asOf = iso;
  $("#asof").value = iso;
  const range = $("#asof-range");
  if (!fromRange && state.topic) range.value = String(Math.min(Math.max(dayIndex(iso), 0), +range.max));
  range.setAttribute("aria-valuetext", iso);
  if (state.changesFollowAsOf) $("#changes-to").value = iso;
  writeUrl();
  emit("as-of", iso);
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
    for (const card of $$("main .card[data-state='loading']")) {
      card.dataset.state = "error";
      card.setAttribute("aria-busy", "false");
    }
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
  range.disabled = false;
  $("#period-start").textContent = periodStart;
  $("#period-end").textContent = periodEnd;
  $("#changes-from").value = periodStart;
  state.changesFollowAsOf = true;
  setAsOf(isDate(asOf) ? asOf : periodEnd);
  await redrawAll();
}

function redrawAll() {
  return Promise.all([...TOPIC_LOADERS.map((f) => f()), redrawAsOf()]);
}

// Everything that depends on the as-of date.
function redrawAsOf() {
  return Promise.all(AS_OF_LOADERS.map((f) => f()));
}

start();
