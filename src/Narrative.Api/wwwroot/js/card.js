// The item card: summary, quote, speaker, source grade and a link to the article, for one or several evidence rows.
// Markers open it on hover and focus (and pin it on click); matrix rows open it pinned. The text comes from
// /api/documents/{id}, fetched once per document.

import { $, CREDIBILITY, RELIABILITY, api, errorBox, fill, h, isAbort, state } from "./core.js";

const documents = new Map();
function documentOf(id) {
  const key = `${id}|${state.knownAt ?? ""}`;
  if (!documents.has(key)) {
    const p = api(`document-${key}`, `/api/documents/${encodeURIComponent(id)}`, { knownAt: state.knownAt });
    p.catch(() => documents.delete(key));
    documents.set(key, p);
  }
  return documents.get(key);
}

let anchor = null;
let pinned = false;
let hideTimer = null;

const card = () => $("#item-card");

/** Makes el open the card for getItems(): on hover and focus (transient), on click (pinned until closed). */
export function bindCard(el, getItems) {
  el.addEventListener("mouseenter", () => !pinned && openCard(el, getItems(), false));
  el.addEventListener("focus", () => !pinned && openCard(el, getItems(), false));
  el.addEventListener("mouseleave", () => !pinned && hideSoon());
  el.addEventListener("blur", () => !pinned && hideSoon());
  el.addEventListener("click", (ev) => {
    ev.stopPropagation();
    openCard(el, getItems(), true);
  });
}

export function openCard(el, items, pin) {
  clearTimeout(hideTimer);
  anchor = el;
  pinned = pin;
  const c = card();
  c.dataset.pinned = String(pin);
  c.dataset.items = items.map((e) => e.itemId).join(" ");
  fill(c,
    h("div", { class: "card-head" },
      h("strong", { text: items.length === 1 ? `${items[0].type} · ${items[0].publishedAt}` : `${items.length} ${items[0].type}s · ${items[0].publishedAt}` }),
      h("button", { type: "button", class: "close", "aria-label": "close the card", text: "×", onclick: closeCard })),
    h("div", { class: "card-items" }, items.map(itemView)));
  c.hidden = false;
  place(c, el);
}

export function closeCard() {
  pinned = false;
  anchor = null;
  card().hidden = true;
}

function hideSoon() {
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => {
    if (!pinned && !card().matches(":hover") && !card().contains(document.activeElement)) closeCard();
  }, 250);
}

// Next to the anchor, inside the viewport.
function place(c, el) {
  const r = el.getBoundingClientRect();
  const w = c.offsetWidth;
  const hgt = c.offsetHeight;
  let left = Math.min(window.innerWidth - w - 8, Math.max(8, r.left + r.width / 2 - w / 2));
  let top = r.bottom + 8;
  if (top + hgt > window.innerHeight - 8) top = Math.max(8, r.top - hgt - 8);
  left += window.scrollX;
  top += window.scrollY;
  c.style.setProperty("--left", `${left}px`);
  c.style.setProperty("--top", `${top}px`);
}

function itemView(e) {
  const text = h("div", { class: "item-text", dataset: { testid: "card-text" } }, h("p", { class: "muted", text: "loading…" }));
  const article = h("article", { class: "item", dataset: { itemId: e.itemId } },
    h("header", {},
      h("span", { class: `type-badge t-${e.type}`, text: e.type }), " ",
      h("span", { class: "date", text: e.publishedAt }), " · ",
      h("strong", { text: e.source }), " ",
      h("span", { class: `grade g-${e.reliability}`, dataset: { testid: "card-grade" }, title: `source ${RELIABILITY[e.reliability] ?? ""}; information ${CREDIBILITY[e.credibility] ?? ""}`, text: `${e.reliability}${e.credibility}` }),
      h("small", { text: ` ${RELIABILITY[e.reliability] ?? ""} source · ${CREDIBILITY[e.credibility] ?? ""}` })),
    text,
    h("p", { class: "card-links" },
      h("a", { href: "#", dataset: { claim: e.claim }, text: `claim ${e.claim}` }),
      e.derivative ? h("span", { class: "badge derivative", text: "derivative" }) : null,
      e.contested ? h("span", { class: "badge contested", text: "contested" }) : null));
  documentOf(e.documentId).then((doc) => {
    const item = doc.items.find((x) => x.itemId === e.itemId);
    fill(text,
      item ? h("p", { class: "summary", dataset: { testid: "card-summary" }, text: item.summary }) : null,
      item?.quote ? h("blockquote", { dataset: { testid: "card-quote" }, text: `“${item.quote}”` }) : null,
      item?.attributedTo ? h("p", { class: "speaker", dataset: { testid: "card-speaker" }, text: `— ${item.attributedTo}` }) : null,
      h("p", { class: "doc" },
        doc.url
          ? h("a", { href: doc.url, target: "_blank", rel: "noopener noreferrer", dataset: { testid: "card-link" }, text: `${doc.title} ↗` })
          : h("span", { dataset: { testid: "card-link" }, text: `${doc.title} (no link recorded)` })));
    if (anchor && !card().hidden) place(card(), anchor);
  }).catch((err) => {
    if (!isAbort(err)) fill(text, errorBox(err));
  });
  return article;
}

document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && !card().hidden) {
    const back = anchor;
    closeCard();
    back?.focus?.();
  }
});
document.addEventListener("click", (ev) => {
  if (pinned && !card().contains(ev.target)) closeCard();
});
card().addEventListener("mouseleave", () => !pinned && hideSoon());
card().addEventListener("focusout", () => !pinned && hideSoon());
