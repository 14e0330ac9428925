// Several analysts on one topic: the ratings picker (document ratings, an analyst, or the consensus), the disagreement
// view (matrix cells coloured by how far the analysts are apart, names on hover) and, with an analyst's key entered,
// their own ratings edited from the matrix. app.js calls init() once, lensParams() for the assessment request and
// afterMatrix() whenever it has drawn the matrix; everything else lives here.

const KEY_STORE = "narrative.analystKey"; // sessionStorage: the key lives as long as the tab, never in the URL
const SCALE = ["CC", "C", "N", "I", "II", "NA"];

let ctx = null; // { state, h, fill, api, reload }
const own = { key: sessionStorage.getItem(KEY_STORE) ?? "", me: null };
const view = { value: new URLSearchParams(location.search).get("ratings") ?? "document", disagreement: null, showSpread: false, analysts: [] };

export function init(context) {
  ctx = context;
  const tools = document.querySelector(".area-matrix .matrix-tools");
  const { h } = ctx;
  const picker = h("select", { id: "ratings-view", dataset: { testid: "ratings-view" }, "aria-label": "Whose ratings" });
  picker.addEventListener("change", () => {
    view.value = picker.value;
    const url = new URL(location.href);
    if (view.value === "document") url.searchParams.delete("ratings");
    else url.searchParams.set("ratings", view.value);
    history.replaceState(null, "", url);
    ctx.reload();
  });
  const spread = h("button", { type: "button", id: "show-spread", dataset: { testid: "show-spread" }, "aria-pressed": "false",
    title: "Colour each cell by how far the analysts' ratings of it are apart", text: "disagreement" });
  spread.addEventListener("click", () => {
    view.showSpread = !view.showSpread;
    spread.setAttribute("aria-pressed", String(view.showSpread));
    decorate();
  });
  const key = h("input", { id: "analyst-key", dataset: { testid: "analyst-key" }, type: "password", autocomplete: "off",
    placeholder: "analyst key", title: "Your analyst key: lets you edit your own ratings from the matrix", value: own.key });
  key.addEventListener("change", () => setKey(key.value.trim()));
  tools.append(h("span", { class: "ratings-tools" },
    h("label", {}, "Ratings: ", picker), spread, key, h("span", { id: "analyst-me", dataset: { testid: "analyst-me" }, class: "note" })));
  const card = document.querySelector(".area-matrix");
  card.append(h("div", { id: "disagreement", dataset: { testid: "disagreement" }, class: "disagreement" }));
  loadAnalysts();
  if (own.key) setKey(own.key);
}

/** The assessment's query parameters for the chosen ratings. */
export function lensParams() {
  if (view.value === "consensus") return { view: "consensus" };
  if (view.value.startsWith("analyst:")) return { analyst: view.value.slice(8) };
  return {};
}

/** After the matrix is drawn: load the disagreement at the same (asOf, knownAt), then mark and wire the cells. */
export async function afterMatrix() {
  decorate();
  const { state, api } = ctx;
  if (!state.topic) return;
  try {
    view.disagreement = await api("disagreement", `/api/topics/${encodeURIComponent(state.topic.id)}/disagreement`,
      { asOf: state.asOf, knownAt: state.knownAt });
  } catch (e) {
    if (e?.name === "AbortError") return;
    view.disagreement = null;
  }
  renderDisagreement();
  decorate();
}

async function loadAnalysts() {
  try {
    const res = await fetch("/api/analysts", { headers: { Accept: "application/json" } });
    view.analysts = res.ok ? await res.json() : [];
  } catch {
    view.analysts = [];
  }
  const picker = document.querySelector("#ratings-view");
  const { h, fill } = ctx;
  fill(picker,
    h("option", { value: "document", text: "document ratings" }),
    h("option", { value: "consensus", text: "consensus (median)" }),
    ...view.analysts.map((a) => h("option", { value: `analyst:${a.id}`, text: `${a.name} (${a.id})` })));
  if (![...picker.options].some((o) => o.value === view.value)) view.value = "document";
  picker.value = view.value;
  picker.dataset.ready = "true";
}

async function setKey(key) {
  own.key = key;
  own.me = null;
  const label = document.querySelector("#analyst-me");
  if (!key) {
    sessionStorage.removeItem(KEY_STORE);
    label.textContent = "";
    decorate();
    return;
  }
  const res = await fetch("/api/analysts/me", { headers: { Accept: "application/json", "X-Api-Key": key } }).catch(() => null);
  if (!res?.ok) {
    label.textContent = "key not accepted";
    decorate();
    return;
  }
  own.me = await res.json();
  sessionStorage.setItem(KEY_STORE, key);
  label.textContent = `editing as ${own.me.name} — click a cell`;
  // Editing happens in one's own view.
  const mine = `analyst:${own.me.id}`;
  const picker = document.querySelector("#ratings-view");
  if ([...picker.options].some((o) => o.value === mine) && view.value !== mine) {
    picker.value = mine;
    picker.dispatchEvent(new Event("change"));
  } else decorate();
}

function renderDisagreement() {
  const box = document.querySelector("#disagreement");
  const { h, fill } = ctx;
  const d = view.disagreement;
  if (!d || d.analysts.length === 0) {
    fill(box, h("p", { class: "empty", text: "No analyst has rated this topic's evidence yet (as of this date)." }));
    return;
  }
  fill(box,
    h("h3", { text: "Where the analysts disagree" }),
    h("p", { class: "note" },
      `Consensus leads with ${d.consensusLeading ?? "none"} (documents: ${d.documentLeading ?? "none"}). `,
      d.leaderDiffers ? h("strong", { dataset: { testid: "leader-differs" }, text: "Not every analyst's leading hypothesis is the consensus's." }) : "Every analyst's leader is the consensus's."),
    h("ul", { class: "analyst-leads" }, d.analysts.map((a) =>
      h("li", { dataset: { analyst: a.id }, class: a.differsFromConsensus ? "differs" : "" },
        h("strong", { text: a.id }), ` leads with ${a.leading ?? "none"} (${a.claimsRated} claims rated)`))),
    d.mostDisputed.length
      ? h("p", { class: "note" }, "Most disputed (spread × diagnosticity): ", d.mostDisputed.join(", "))
      : null);
}

// Cells: the per-cell author (yours, the document's, the consensus's), the disagreement colouring and the editor.
function decorate() {
  const table = document.querySelector("#matrix");
  const a = ctx?.state.assessment;
  if (!table || !a) return;
  const hyps = ctx.state.topic.hypotheses.map((x) => x.id);
  const byItem = new Map(a.evidence.map((e) => [e.itemId, e]));
  const claims = new Map((view.disagreement?.claims ?? []).map((c) => [c.claim, c]));
  const editable = own.me && view.value === `analyst:${own.me.id}`;
  table.classList.toggle("editable", Boolean(editable));
  for (const row of table.querySelectorAll("tbody tr")) {
    const e = byItem.get(row.dataset.itemId);
    if (!e) continue;
    row.dataset.ratingsBy = e.ratingsBy ?? "document";
    const cells = [...row.querySelectorAll("td.r")];
    cells.forEach((td, i) => {
      const hyp = hyps[i];
      const by = e.cellsBy?.[hyp] ?? "document";
      td.dataset.by = by;
      td.classList.toggle("by-analyst", by !== "document");
      const c = claims.get(e.claim);
      const spread = c?.spreadByHypothesis?.[hyp] ?? 0;
      td.classList.remove("spread-0", "spread-1", "spread-2", "spread-3", "spread-4");
      delete td.dataset.spread;
      const names = c ? Object.entries(c.ratings).filter(([, r]) => r[hyp]).map(([who, r]) => `${who}: ${r[hyp]}`) : [];
      if (view.showSpread && c) {
        td.classList.add(`spread-${Math.min(4, spread)}`);
        td.dataset.spread = String(spread);
      }
      const base = td.title.split("\n")[0];
      td.title = [base, by !== "document" ? `rated by ${by}` : null, names.length ? `analysts: ${names.join(", ")}` : null].filter(Boolean).join("\n");
      td.onclick = editable ? () => edit(td, e, hyp) : null;
    });
  }
}

function edit(td, e, hyp) {
  if (td.querySelector("select")) return;
  const { h } = ctx;
  const current = e.ratings[hyp] ?? "NA";
  const select = h("select", { "aria-label": `Your rating of ${e.claim} for ${hyp}`, dataset: { testid: "rating-editor" } },
    ...SCALE.map((r) => h("option", { value: r, text: r, selected: r === current })));
  td.textContent = "";
  td.append(select);
  select.focus();
  select.addEventListener("click", (ev) => ev.stopPropagation());
  select.addEventListener("change", () => save(e, hyp, select.value));
  select.addEventListener("blur", () => ctx.reload());
}

async function save(e, hyp, rating) {
  // A newer rating of a claim replaces the analyst's older one wholly: send every cell they rated, with the new one.
  const mine = Object.fromEntries(Object.entries(e.cellsBy ?? {}).filter(([, by]) => by === own.me.id).map(([k]) => [k, e.ratings[k]]));
  mine[hyp] = rating;
  const res = await fetch(`/api/topics/${encodeURIComponent(ctx.state.topic.id)}/ratings`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-Api-Key": own.key },
    body: JSON.stringify({ ratings: [{ claim: e.claim, ratings: mine }] }),
  });
  const label = document.querySelector("#analyst-me");
  if (!res.ok) {
    const p = await res.json().catch(() => null);
    label.textContent = `not saved: ${p?.detail ?? p?.title ?? res.status}`;
    return;
  }
  label.textContent = `saved ${e.claim} · ${hyp}: ${rating}`;
  // The read model follows the log within moments; ask again until it shows the new rating.
  for (let i = 0; i < 20; i++) {
    await ctx.reload();
    const now = ctx.state.assessment?.evidence.find((x) => x.itemId === e.itemId);
    if (now?.ratings[hyp] === rating && now?.cellsBy?.[hyp] === own.me.id) break;
    await new Promise((r) => setTimeout(r, 250));
  }
}
