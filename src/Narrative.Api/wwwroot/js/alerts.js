// Live alerts (Server-Sent Events from /api/alerts/stream).

import { $, h } from "./core.js";

let alertRetry = 2;
let stream = null;

// A page kept in the back/forward cache would hold its stream open, and the browser allows only six connections to a
// host: close it when the page is hidden, open it again when the page is shown.
addEventListener("pagehide", () => {
  stream?.close();
  stream = null;
});
addEventListener("pageshow", (e) => e.persisted && !stream && connectAlerts());

export function connectAlerts() {
  const status = $("#alerts-status");
  const set = (s, text) => {
    status.dataset.state = s;
    status.querySelector(".text").textContent = text;
  };
  set("connecting", "alerts connecting…");
  const es = new EventSource("/api/alerts/stream");
  stream = es;
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

