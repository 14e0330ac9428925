// The assessment card (verdict, scores, robustness, coincidence) and the ACH matrix card, both from one assessment.

import {
  $, CREDIBILITY, RATING_WORDS, RELIABILITY, api, colourOf, commonParams, emit, errorBox, fill, fmt, h, hyp, hypothesisIds,
  isAbort, labelOf, setFailed, setLoading, setReady, state, topicPath,
} from "./core.js";
import { openCard } from "./card.js";
import { quoteBadge } from "./capture.js";
import * as analysts from "./analysts.js";
import { JUDGMENTS_NOTE, UNDISCONFIRMED_NOTE } from "./method.js";

export async function loadAssessment() {
  const panel = $("#assessment");
  const matrixCard = $("#matrix-card");
  setLoading(panel);
  setLoading(matrixCard);
  const asOf = state.asOf;
  try {
    const [a, s] = await Promise.all([
      api("assessment", topicPath("assessment"), { asOf, ...commonParams(), ...analysts.lensParams() }),
      api("sensitivity", topicPath("sensitivity"), { asOf, ...commonParams() }),
    ]);
    state.assessment = a;
    state.sensitivity = s;
    renderAssessment(a);
    renderRobustness(a, s);
    renderMatrix();
    analysts.afterMatrix();
    // Tests and users can tell which date the panel shows.
    panel.dataset.asOf = asOf;
    setReady(panel);
    setReady(matrixCard);
    emit("assessment", a);
  } catch (e) {
    if (isAbort(e)) return;
    state.assessment = null;
    state.sensitivity = null;
    panel.dataset.asOf = "";
    for (const id of ["#leading", "#likelihood", "#confidence", "#evidence-count", "#robustness", "#likelihood-basis"]) $(id).textContent = "–";
    fill($("#scores"));
    fill($("#matrix"));
    const note = $("#assessment-note");
    note.hidden = false;
    note.className = "";
    fill(note, errorBox(e));
    setFailed(panel, e);
    setFailed(matrixCard, e, $("#matrix-empty"));
    $("#matrix-empty").hidden = false;
    emit("assessment", null);
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
    leading.append(hyp(a.leading), " ", h("code", { text: a.leading }));
    fill($("#likelihood"), h("span", { class: "word", text: a.likelihood }), " ", h("small", { text: `p ≈ ${fmt(a.probability)}` }));
    fill($("#confidence"), h("span", { class: "word", text: a.confidence }));
    const [first, second] = [...a.hypotheses].sort((x, y) => x.rank - y.rank);
    const tied = second && Math.abs(first.weightedInconsistency - second.weightedInconsistency) < 1e-9;
    note.hidden = !tied;
    note.textContent = tied ? "The top hypotheses tie on weighted inconsistency; the lead is a tie-break, not a finding." : "";
  }
  $("#evidence-count").textContent = String(a.evidence.length);
  const scored = a.evidence.filter((e) => e.scored).length;
  const judgments = a.evidence.filter((e) => e.lane === "judgments" && !e.scored).length;
  $("#scored-count").textContent = `(${scored} scored; ${judgments} judgments in their lane; ${a.evidence.length - scored - judgments} repeat a claim scored once)`;

  const max = Math.max(1, ...a.hypotheses.map((x) => x.weightedInconsistency));
  fill($("#scores"),
    h("thead", {}, h("tr", {}, h("th", { text: "rank" }), h("th", { text: "hypothesis" }), h("th", { text: "inconsistency" }), h("th", { text: "weighted" }),
      h("th", { title: "Share of scored claims rated for the hypothesis; below 0.8 it cannot lead", text: "coverage" }))),
    h("tbody", {}, [...a.hypotheses].sort((x, y) => x.rank - y.rank).map((x) =>
      h("tr", { dataset: { hypothesis: x.id } },
        h("td", { text: x.rank }),
        h("td", { title: state.topic.hypotheses.find((t) => t.id === x.id)?.description ?? "" }, hyp(x.id, x.label)),
        h("td", { class: "num", text: fmt(x.inconsistency, 1) }),
        h("td", { class: "num" },
          h("span", { class: "meter", vars: { "--w": `${((6 * x.weightedInconsistency) / max).toFixed(2)}rem`, "--c": colourOf(x.id) } }),
          fmt(x.weightedInconsistency),
          x.undisconfirmed ? h("span", { class: "badge undisconfirmed", title: UNDISCONFIRMED_NOTE, text: "undisconfirmed" }) : null),
        h("td", { class: "num", dataset: { testid: "coverage", canLead: String(x.canLead ?? true) } }, fmt(x.coverage ?? 1),
          x.canLead === false ? h("span", { class: "badge cannot-lead", title: "Rated on less than 0.8 of the scored claims: it cannot lead", text: "cannot lead" }) : null)),
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

/** The matrix rows in the order the page shows them (the export writes the same order): the judgments lane last. */
export function matrixRows() {
  const rows = [...(state.assessment?.evidence ?? [])];
  const lane = (e) => (e.lane === "judgments" ? 1 : 0);
  if (state.sort === "diagnosticity") rows.sort((x, y) => lane(x) - lane(y) || y.diagnosticity - x.diagnosticity || x.publishedAt.localeCompare(y.publishedAt) || x.itemId.localeCompare(y.itemId));
  else rows.sort((x, y) => lane(x) - lane(y) || x.publishedAt.localeCompare(y.publishedAt) || x.itemId.localeCompare(y.itemId));
  return rows;
}

export function renderMatrix() {
  const a = state.assessment;
  const table = $("#matrix");
  const empty = $("#matrix-empty");
  if (!a) return;
  if (a.evidence.length === 0) {
    fill(table);
    empty.hidden = false;
    empty.className = "empty";
    empty.textContent = "No evidence yet at this date.";
    return;
  }
  empty.hidden = true;
  const hyps = hypothesisIds();
  const score = Object.fromEntries(a.hypotheses.map((x) => [x.id, x.weightedInconsistency]));
  const without = new Map((state.sensitivity?.claims ?? []).map((c) => [c.claim, c]));
  const linchpins = new Set(state.sensitivity?.linchpins ?? []);
  const rows = matrixRows();
  const firstJudgment = rows.find((e) => e.lane === "judgments");

  fill(table,
    h("thead", {},
      h("tr", {},
        h("th", { text: "published" }),
        h("th", { text: "source" }),
        h("th", { title: "Admiralty source reliability (A–F)", text: "rel." }),
        h("th", { title: "Admiralty information credibility (1–6)", text: "cred." }),
        h("th", { text: "claim" }),
        h("th", { text: "type" }),
        ...hyps.map((id) => h("th", { class: "hcol", title: labelOf(id) }, hyp(id, id), h("small", { text: fmt(score[id]) }))),
        h("th", { class: "num", title: "How well the item separates the hypotheses", text: "diag." }),
      ),
    ),
    h("tbody", {}, rows.flatMap((e) => {
      const row = h("tr", {
        class: [e.scored ? "" : "unscored", linchpins.has(e.claim) ? "linchpin" : "", e.lane === "judgments" ? "judgment" : ""].join(" ").trim(),
        dataset: { itemId: e.itemId, derivative: String(e.derivative), contested: String(e.contested), linchpin: String(linchpins.has(e.claim)), lane: e.lane ?? "evidence" },
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
          quoteBadge(e),
          h("button", {
            type: "button", class: "row-card", dataset: { testid: "row-card" }, title: "Summary, quote, speaker and the article",
            "aria-label": `details of ${e.itemId}`, text: "details",
            onclick: (ev) => {
              ev.stopPropagation();
              openCard(ev.currentTarget, [e], true);
            },
          })),
        h("td", { class: "type", text: e.type }),
        ...hyps.map((id) => {
          const r = e.ratings[id];
          // Never rated: unrated, which is not consistent (it adds nothing and lowers the hypothesis's coverage).
          if (r === undefined) return h("td", { class: "r r-unrated", title: `${labelOf(id)}: unrated`, dataset: { unrated: "true" }, text: "·" });
          return h("td", { class: `r r-${r}`, title: `${labelOf(id)}: ${RATING_WORDS[r] ?? r}`, text: r });
        }),
        h("td", { class: "num", text: fmt(e.diagnosticity, 1) }),
      );
      // A click anywhere else on the row opens the same card as the lane's markers.
      row.addEventListener("click", (ev) => {
        // In an analyst's own view a rating cell is edited in place (analysts.js), not opened.
        if (ev.target.closest("a, button, select") || ev.target.closest("table.editable td.r")) return;
        ev.stopPropagation();
        openCard(row, [e], true);
      });
      // The judgments lane opens with its heading row.
      return e === firstJudgment ? [h("tr", { class: "lane-head", dataset: { testid: "judgments-lane" } },
        h("td", { colspan: String(7 + hyps.length), title: JUDGMENTS_NOTE, text: `Judgments lane: ${a.judgments === "include" ? "scored (judgments=include)" : "shown, not scored"}` })), row] : [row];
    })),
  );
}

export async function loadCoincidence() {
  const p = $("#coincidence");
  p.textContent = "Coincidence with aid debates: loading…";
  try {
    const c = await api("coincidence", topicPath("coincidence"), { asOf: state.asOf, ...commonParams() });
    p.textContent = c.n === 0
      ? "No independent signal published yet in the period."
      : `Independent signals inside aid debates: ${c.k} of ${c.n} (aid debates cover ${Math.round(c.coverage * 100)}% of days; lift ${fmt(c.lift)}, p = ${fmt(c.pValue, 3)}).`;
  } catch (e) {
    if (!isAbort(e)) fill(p, errorBox(e));
  }
}
