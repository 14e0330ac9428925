// The item lane under the chart: one row per item type, a marker per (type, publication date) for the items known at
// the as-of date. A marker opens the item card on hover, focus or click.

import { h, state } from "./core.js";
import { bindCard } from "./card.js";

export const TYPES = ["signal", "statement", "action", "rebuttal", "assessment", "report"];
export const TYPE_COLOURS = {
  signal: "#4f46e5", statement: "#0f766e", action: "#b45309", rebuttal: "#be123c", assessment: "#7c3aed", report: "#475569",
};
export const markerShape = (type) => ({ signal: "diamond", statement: "circle", action: "triangle", rebuttal: "cross", assessment: "square", report: "square" }[type] ?? "circle");

/** The markers of the lane: [{ type, date, items }], in type order then date. */
export function itemMarkers() {
  const evidence = state.assessment?.evidence ?? [];
  const byKey = new Map();
  const start = state.topic?.periodStart ?? "";
  for (const e of evidence) {
    // Items published before the topic's period share one marker at the lane's left edge.
    const earlier = e.publishedAt < start;
    const key = `${e.type}|${earlier ? "earlier" : e.publishedAt}`;
    if (!byKey.has(key)) byKey.set(key, { type: e.type, date: earlier ? start : e.publishedAt, earlier, items: [] });
    byKey.get(key).items.push(e);
  }
  const order = (t) => (TYPES.includes(t) ? TYPES.indexOf(t) : TYPES.length);
  return [...byKey.values()].sort((a, b) => order(a.type) - order(b.type) || a.date.localeCompare(b.date));
}

export const laneTypes = (markers) => [...new Set(markers.map((m) => m.type))].sort((a, b) => TYPES.indexOf(a) - TYPES.indexOf(b));

export function renderItemLane(g) {
  const markers = itemMarkers();
  const types = laneTypes(markers);
  const lane = h("div", {
    id: "item-lane", class: "lane item-lane", role: "group", dataset: { testid: "item-lane" },
    "aria-label": `Items known as of ${state.asOf}, by type: hover or focus a marker for its card`,
  });
  if (!state.assessment) {
    lane.append(h("p", { class: "empty lane-empty", text: "Items appear here when the assessment has loaded." }));
    return lane;
  }
  if (markers.length === 0) {
    lane.append(h("p", { class: "empty lane-empty", text: `No item is known as of ${state.asOf}.` }));
    return lane;
  }
  for (const type of types) {
    const row = h("div", { class: "lane-row", dataset: { type } },
      h("span", { class: "lane-label", vars: { "--w": `${g.left}px` }, text: type }));
    const plot = h("div", { class: "lane-plot", vars: { "--left": `${g.left}px`, "--w": `${g.width}px` } });
    for (const m of markers.filter((x) => x.type === type)) {
      const count = m.items.length;
      const button = h("button", {
        type: "button",
        class: `marker m-${markerShape(type)}${m.earlier ? " earlier" : ""}`,
        vars: { "--x": `${m.earlier ? 9 : g.xOf(m.date)}px`, "--c": TYPE_COLOURS[type] ?? "#475569" },
        dataset: { testid: "item-marker", type, date: m.date, items: m.items.map((e) => e.itemId).join(" ") },
        "aria-label": `${count} ${type}${count === 1 ? "" : "s"} published ${m.earlier ? `before ${m.date}` : m.date}`,
      }, count > 1 ? h("span", { class: "count", text: count }) : null);
      bindCard(button, () => m.items);
      plot.append(button);
    }
    row.append(plot);
    lane.append(row);
  }
  return lane;
}
