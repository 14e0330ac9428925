// The capture dialog: the page an item's quote was checked against, with the quotes marked.

import { $, api, fill, h, setFailed, state } from "./core.js";

// quoteVerified is null for documents without a capture: no badge then.
export function quoteBadge(e) {
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
    setFailed($("#capture"), e, body);
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
