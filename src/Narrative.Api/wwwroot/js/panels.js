// The cards that follow the as-of date with one request each: timing, changes, provenance and audit.

import { $, api, commonParams, emit, fill, fmt, h, hyp, load, state, topicPath } from "./core.js";

// ---------- timing ----------

// The timing test: do the independent signals fall within W days before an aid decision, more than chance explains?
export function loadTiming() {
  const body = $("#timing-body");
  return load($("#timing"), body, async () => {
    const t = await api("timing", topicPath("timing"), { asOf: state.asOf, ...commonParams() });
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
  });
}

// ---------- changes ----------

export function loadChanges() {
  const body = $("#changes-body");
  const from = $("#changes-from").value;
  const to = $("#changes-to").value;
  if (!from || !to) {
    fill(body, h("p", { class: "empty", text: "Pick two dates." }));
    return Promise.resolve();
  }
  return load($("#changes"), body, async () => renderChanges(await api("changes", topicPath("changes"), { from, to, ...commonParams() })));
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
      hyp(c.leadingBefore), " → ",
      hyp(c.leadingAfter),
      c.leadingBefore === c.leadingAfter ? h("small", { text: " (unchanged)" }) : h("strong", { text: " (changed)" })),
    h("table", { class: "scores" },
      h("thead", {}, h("tr", {}, h("th", { text: "hypothesis" }), h("th", { text: "before" }), h("th", { text: "after" }), h("th", { text: "Δ" }))),
      h("tbody", {}, c.scores.map((s) => h("tr", {},
        h("td", {}, hyp(s.hypothesis, s.hypothesis)),
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

export function openClaim(claim) {
  state.claim = claim;
  emit("url");
  loadProvenance();
  $("#provenance").scrollIntoView({ block: "nearest", behavior: "smooth" });
}

export function loadProvenance() {
  const panel = $("#provenance");
  const body = $("#provenance-body");
  const claim = state.claim;
  panel.dataset.claim = claim;
  return load(panel, body, async () => {
    try {
      renderProvenance(await api("provenance", `/api/claims/${encodeURIComponent(claim)}/provenance`, { asOf: state.asOf, ...commonParams() }));
    } catch (e) {
      if (e.status !== 404) throw e;
      fill(body, h("h3", {}, h("code", { text: claim })), h("p", { class: "empty", text: `Not known as of ${state.asOf}: ${e.detail ?? e.message}` }));
    }
  });
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

export function loadAudit() {
  const body = $("#audit-body");
  const params = { asOf: state.asOf, ...commonParams() };
  const path = topicPath("audit");
  return load($("#audit"), body, async () => {
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
  });
}
