// Shared by every panel: the page state, DOM helpers, the API client and the loading/error states of a card.
// No inline styles anywhere: colours go through CSS custom properties set with the CSSOM (allowed by a strict CSP).

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
export const DAY = 86400;
export const COLOURS = ["#2563eb", "#dc2626", "#059669", "#9333ea", "#d97706", "#0891b2"];
export const RATING_WORDS = { CC: "very consistent", C: "consistent", N: "neutral", I: "inconsistent", II: "very inconsistent", NA: "not applicable" };
export const RELIABILITY = { A: "completely reliable", B: "usually reliable", C: "fairly reliable", D: "not usually reliable", E: "unreliable", F: "reliability cannot be judged" };
export const CREDIBILITY = { 1: "confirmed", 2: "probably true", 3: "possibly true", 4: "doubtful", 5: "improbable", 6: "truth cannot be judged" };

export const state = {
  topics: [],
  topic: null, // the topic object from /api/topics
  asOf: null, // "yyyy-mm-dd"
  knownAt: null, // ISO instant or null for "now"
  claim: null,
  sort: "published",
  periods: [], // every context period (/api/context-periods)
  aidPeriods: [],
  signals: [],
  milestones: [], // aid decisions (timing test), for the chart ticks
  signalTiming: {}, // itemId -> { nextMilestone, daysToMilestone }
  timeline: null,
  assessment: null,
  sensitivity: null, // /api/topics/{topic}/sensitivity at the same (asOf, knownAt) as the assessment
  changesFollowAsOf: true,
  signposts: [], // /api/topics/{topic}/signposts at (asOf, knownAt): status and matches (method.js)
};

// A tiny event bus, so that panels added later (analysts, judgments) can follow the as-of date without app.js knowing them.
const listeners = new Map();
export const on = (name, fn) => listeners.set(name, [...(listeners.get(name) ?? []), fn]);
export const emit = (name, ...args) => (listeners.get(name) ?? []).map((fn) => fn(...args));

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "vars") for (const [name, value] of Object.entries(v)) el.style.setProperty(name, value);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// replaceChildren() would turn a null child into the text "null".
export const fill = (el, ...children) => el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));

export const toDay = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / 1000;
export const fromDay = (secs) => new Date(secs * 1000).toISOString().slice(0, 10);
export const addDays = (iso, n) => fromDay(toDay(iso) + n * DAY);
export const dayIndex = (iso) => Math.round((toDay(iso) - toDay(state.topic.periodStart)) / DAY);
export const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(d));
export const labelOf = (id) => state.topic?.hypotheses.find((x) => x.id === id)?.label ?? id;
export const colourOf = (id) => COLOURS[Math.max(0, state.topic?.hypotheses.findIndex((x) => x.id === id) ?? 0) % COLOURS.length];
export const hypothesisIds = () => state.topic.hypotheses.map((x) => x.id);
export const isAbort = (e) => e?.name === "AbortError";
export const topicPath = (rest) => `/api/topics/${encodeURIComponent(state.topic.id)}/${rest}`;
export const commonParams = () => ({ knownAt: state.knownAt });
export const hyp = (id, text = labelOf(id)) =>
  id === null || id === undefined ? h("span", { class: "muted", text: "none" }) : h("span", { class: "hyp", vars: { "--c": colourOf(id) }, text });

export function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/** A failed request: the problem's title (and detail) as the API gave them. */
export class ApiError extends Error {
  constructor(title, detail, status) {
    super(detail && detail !== title ? `${title}: ${detail}` : title);
    this.title = title;
    this.detail = detail;
    this.status = status;
  }
}

// One AbortController per kind of request: a newer request of the same kind cancels the stale one.
const inflight = new Map();
export async function api(kind, path, params = {}) {
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
    throw new ApiError("The API is not reachable", "is Narrative.Api running?", 0);
  } finally {
    if (inflight.get(kind) === ctl && ctl.signal.aborted) inflight.delete(kind);
  }
  const body = await res.json().catch(() => null);
  if (ctl.signal.aborted) throw new DOMException("stale", "AbortError");
  if (!res.ok) throw new ApiError(body?.title ?? `${res.status} ${res.statusText}`, body?.detail, res.status);
  if (bannerKind === "offline") setBanner(null);
  return body;
}

// The banner says either that the API is unreachable (cleared by the next answer) or something that stays until replaced.
let bannerKind = null;
export function setBanner(message, retry, kind = retry ? "offline" : "notice") {
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

// ---------- a card's loading / ready / error state ----------

// Each card has a status line in its heading: "loading…" while a request runs, the problem title when it failed.
function statusOf(card) {
  let s = card.querySelector(":scope > h2 .card-status");
  if (!s) {
    s = h("span", { class: "card-status", role: "status", "aria-live": "polite", dataset: { testid: "card-status" } });
    card.querySelector(":scope > h2")?.append(s);
  }
  return s;
}

export function setLoading(card) {
  card.dataset.state = "loading";
  card.setAttribute("aria-busy", "true");
  statusOf(card).textContent = "loading…";
}

export function setReady(card) {
  card.dataset.state = "ready";
  card.setAttribute("aria-busy", "false");
  statusOf(card).textContent = "";
}

/** Shows the failure in the card (and in the banner when the API is down). Aborted (stale) requests are not failures. */
export function setFailed(card, e, body = null) {
  if (isAbort(e)) return;
  console.error(e);
  card.dataset.state = "error";
  card.setAttribute("aria-busy", "false");
  statusOf(card).textContent = "failed";
  if (e.status === 0) setBanner(e.message, () => emit("redraw-all"));
  if (body) fill(body, errorBox(e));
}

export const errorBox = (e) => h("p", { class: "error", role: "alert", dataset: { testid: "error" } },
  h("strong", { text: e.title ?? "Something went wrong" }),
  e.detail && e.detail !== e.title ? ` — ${e.detail}` : e.title ? "" : ` — ${e.message}`,
  e.status ? h("small", { text: ` (HTTP ${e.status})` }) : null);

/** Runs a panel's load with its card in the loading state, then ready, or failed with the error in its body. */
export async function load(card, body, work) {
  setLoading(card);
  try {
    await work();
    setReady(card);
  } catch (e) {
    setFailed(card, e, body);
  }
}
