// The ACH method's parts of the explorer: the signposts card and their matches on the chart, and the words for the
// judgments lane and the undisconfirmed flag. app.js loads the signposts with the as-of loaders; chart.js draws the
// matches; assessment.js uses the notes.

import { api, commonParams, fill, h, state, topicPath } from "./core.js";

export const UNDISCONFIRMED_NOTE =
  "Undisconfirmed: no scored observation rates this hypothesis inconsistent. ACH leans on disconfirmation, so a hypothesis nothing contradicts is a warning (it may predict what every other one predicts), not a win.";

export const JUDGMENTS_NOTE =
  "Judgments (items of type assessment) are other analysts' readings of the evidence. They are shown in their own lane and not scored; ?judgments=include scores them under the old rule.";

// The signposts at (asOf, knownAt): one row each with status and outcome, and their matches for the chart.
export async function loadSignposts() {
  const body = document.querySelector("#signposts-body");
  if (!body) return;
  try {
    const r = await api("signposts", topicPath("signposts"), { asOf: state.asOf, ...commonParams() });
    state.signposts = r.signposts;
    if (r.signposts.length === 0) {
      fill(body, h("p", { class: "empty", text: "No signposts set for this topic (POST /api/topics/{topic}/signposts)." }));
      return;
    }
    fill(body, h("table", { class: "signposts", dataset: { testid: "signposts-table" } },
      h("thead", {}, h("tr", {}, ["signpost", "hypothesis", "expects", "window", "status", "matches"].map((t) => h("th", { text: t })))),
      h("tbody", {}, r.signposts.map((s) => h("tr", { dataset: { signpost: s.id, status: s.status } },
        h("td", { title: s.description, text: s.id }),
        h("td", { text: s.hypothesis }),
        h("td", { text: s.expect }),
        h("td", { class: "date", text: `${s.from} → ${s.deadline}` }),
        h("td", {}, h("span", { class: `badge sp-${s.status}`, text: s.status }), s.outcome ? h("small", { text: ` ${s.outcome}` }) : null),
        h("td", { text: s.matches.map((m) => `${m.itemId} (${m.publishedAt})`).join(", ") || "–" }),
      ))),
    ));
  } catch (e) {
    if (e?.name === "AbortError") return;
    state.signposts = [];
    fill(body, h("p", { class: "error", text: e.message }));
  }
}

// A ring at each signpost match on the chart's time axis (green when the match bears the hypothesis out, red when it fails it).
export function drawSignpostMatches(u, xOf) {
  const { ctx, bbox } = u;
  const px = devicePixelRatio;
  for (const s of state.signposts ?? []) {
    for (const m of s.matches) {
      const x = xOf(m.publishedAt);
      if (x < bbox.left || x > bbox.left + bbox.width) continue;
      ctx.strokeStyle = s.outcome === "failed" ? "#b91c1c" : "#15803d";
      ctx.lineWidth = 2 * px;
      ctx.beginPath();
      ctx.arc(x, bbox.top + 40 * px, 6 * px, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = `${10 * px}px system-ui, sans-serif`;
      ctx.fillText(`⚑ ${s.id}`, x + 8 * px, bbox.top + 44 * px);
    }
  }
}
