// Vigil's live dashboard: vanilla JS, no build step, nothing loaded from elsewhere.
// Reads /api/whoami, /api/slos, /api/incidents, /api/silences, /api/series; follows /api/stream
// (server-sent events, read with fetch so the token travels in the Authorization header, not the URL).
// Responders also write: ack, resolve, comment, and create and expire silences.
"use strict";

const TOKEN_KEY = "vigil.token";
const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3 };
const STATUS_RANK = { triggered: 0, acknowledged: 1, resolved: 2 };
const STATUS_TEXT = { ok: "OK", burning: "Burning", breached: "Breached", no_data: "No data" };

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  me: null,
  board: null,
  incidents: new Map(),
  selected: null,
  events: new Map(), // incident id → events, for the open detail
  silences: [], // active and pending silences, as GET /api/silences lists them
  view: "board",
  stream: null, // AbortController of the live stream
  connected: false,
};

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const ns = ["svg", "path", "line", "rect", "text", "polyline", "g", "title"].includes(tag) ? "http://www.w3.org/2000/svg" : null;
  const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// -- formatting -----------------------------------------------------------------------------------

function fmt(value, format) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (format === "percent") {
    const pct = value * 100;
    return (pct >= 99 && pct < 100 ? pct.toFixed(2) : pct.toFixed(1)) + " %";
  }
  if (format === "seconds") return value < 1 ? Math.round(value * 1000) + " ms" : value.toFixed(2) + " s";
  return Math.abs(value) >= 100 ? value.toFixed(0) : String(Math.round(value * 100) / 100);
}

function span(seconds) {
  const s = Math.max(0, seconds);
  if (s < 60) return Math.round(s) + " s";
  if (s < 3600) return Math.round(s / 60) + " min";
  if (s < 86400) return (s / 3600).toFixed(1) + " h";
  return (s / 86400).toFixed(1) + " d";
}

const ago = (ts) => span(Date.now() / 1000 - ts);
const until = (ts) => span(ts - Date.now() / 1000);

const clock = (ts) => new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

// A moment that may be days away: the time alone today, else with the date.
function when(ts) {
  const d = new Date(ts * 1000);
  const today = d.toDateString() === new Date().toDateString();
  const time = { hour: "2-digit", minute: "2-digit" };
  return today ? d.toLocaleTimeString([], time) : d.toLocaleString([], { weekday: "short", day: "numeric", month: "short", ...time });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The API's duration syntax (correlator/durations.py): units y w d h m s ms, largest first, each at
// most once, e.g. 30m, 2h, 1h30m, 3d. Seconds, or null when `text` is not a duration.
const DURATION = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const UNIT_SECONDS = [365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001];
const MAX_SILENCE_SECONDS = 365 * 86400;

function parseDuration(text) {
  const m = DURATION.exec(text.trim());
  if (!m || m.slice(1).every((v) => v === undefined)) return null;
  return m.slice(1).reduce((sum, v, i) => sum + (v === undefined ? 0 : Number(v) * UNIT_SECONDS[i]), 0);
}

function say(text) {
  $("status").textContent = text;
}

// -- API --------------------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { Authorization: "Bearer " + state.token };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    cache: "no-store",
  });
  let body = null;
  try {
    body = await resp.json();
  } catch (_) {
    body = null;
  }
  if (!resp.ok) throw new HttpError(resp.status, (body && body.error) || resp.statusText);
  return body;
}

// -- sign in ----------------------------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("/api/whoami");
  } catch (err) {
    state.token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(err.status === 401 ? "That token is not valid." : "Sign-in failed: " + err.message);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("login").hidden = true;
  $("nav").hidden = false;
  $("me").hidden = false;
  $("me-name").textContent = state.me.name;
  $("me-role").textContent = state.me.role;
  document.body.dataset.role = state.me.role;
  showView(state.view);
  loadIncidents();
  api("/api/slos").then(renderBoard, () => {});
  connect();
}

function showLogin(message) {
  if (state.stream) state.stream.abort();
  state.stream = null;
  const dialog = $("silence-dialog");
  if (dialog) dialog.remove(); // the next person to sign in may be a viewer
  state.silences = [];
  $("silences").replaceChildren();
  $("login").hidden = false;
  $("board").hidden = true;
  $("charts").hidden = true;
  $("nav").hidden = true;
  $("me").hidden = true;
  $("banner").hidden = true;
  $("login-error").textContent = message || "";
  $("token").focus();
}

function isResponder() {
  return state.me && (state.me.role === "responder" || state.me.role === "admin");
}

// -- live stream ------------------------------------------------------------------------------------

function setConnected(up) {
  state.connected = up;
  document.body.dataset.live = up ? "up" : "down";
  $("banner").hidden = up;
  $("live-dot").classList.toggle("down", !up);
  $("live-dot").title = up ? "live" : "reconnecting";
  $("live-dot").setAttribute("aria-label", up ? "live" : "reconnecting");
}

async function connect() {
  let delay = 1000;
  const controller = new AbortController();
  if (state.stream) state.stream.abort();
  state.stream = controller;
  while (!controller.signal.aborted) {
    try {
      const resp = await fetch("/api/stream", {
        headers: { Authorization: "Bearer " + state.token, Accept: "text/event-stream" },
        cache: "no-store",
        signal: controller.signal,
      });
      if (resp.status === 401) {
        showLogin("Your token is no longer accepted.");
        return;
      }
      if (!resp.ok || !resp.body) throw new Error("stream answered " + resp.status);
      setConnected(true);
      delay = 1000;
      loadIncidents(); // whatever happened while we were away
      await readEvents(resp.body, controller.signal);
    } catch (err) {
      if (controller.signal.aborted) return;
    }
    if (controller.signal.aborted) return;
    setConnected(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

async function readEvents(body, signal) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}));
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":") || line === "") continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = text;
        else if (field === "data") data.push(text);
      }
      if (data.length) dispatch(name, data.join("\n"));
    }
  }
}

function dispatch(name, data) {
  let payload;
  try {
    payload = JSON.parse(data);
  } catch (_) {
    return;
  }
  if (name === "slos") renderBoard(payload);
  else if (name === "incident") onIncidentEvent(payload);
  else if (name === "silence") loadSilences(); // created or ended somewhere: the list's states come from the API
}

function onIncidentEvent(event) {
  const incident = event.incident;
  const known = state.incidents.get(incident.id);
  state.incidents.set(incident.id, incident);
  if (state.events.has(incident.id)) {
    state.events.get(incident.id).push({ event: event.event, ts: event.ts, actor: event.actor, note: event.note });
  }
  renderIncidents();
  if (state.selected === incident.id) renderDetail();
  if (!known) say(`New incident ${incident.id}: ${incident.title}`);
  else if (event.event === "acknowledged") say(`${incident.id} acknowledged by ${event.actor || "someone"}`);
  else if (event.event === "resolved") say(`${incident.id} resolved`);
}

// -- incidents --------------------------------------------------------------------------------------

async function loadIncidents() {
  // Until the worker has read the incidents topic, /api/incidents answers 503: wait for whoami's "ready".
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      if ((await api("/api/whoami")).ready) break;
    } catch (_) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  try {
    const body = await api("/api/incidents?limit=200");
    for (const inc of body.incidents) state.incidents.set(inc.id, inc);
    renderIncidents();
    if (state.selected) renderDetail();
  } catch (_) {
    /* the live stream still brings changes */
  }
  loadSilences();
}

function sortedIncidents() {
  return [...state.incidents.values()].sort(
    (a, b) =>
      (a.status === "resolved") - (b.status === "resolved") ||
      (a.status === "resolved" ? 0 : (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9)) ||
      b.opened_at - a.opened_at,
  );
}

function renderIncidents() {
  const list = $("incidents");
  const items = sortedIncidents();
  const open = items.filter((i) => i.status !== "resolved").length;
  $("inc-count").textContent = `${open} open, ${items.length - open} resolved`;
  list.replaceChildren(
    ...(items.length
      ? items.map((inc) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: `incident sev-${inc.severity} ${inc.status}`,
                "data-incident": inc.id,
                "data-status": inc.status,
                "aria-current": state.selected === inc.id ? "true" : null,
                onclick: () => select(inc.id),
              },
              h("span", { class: "title" }, inc.title),
              h(
                "span",
                { class: "meta" },
                h("span", { class: "sev" }, inc.severity),
                h("span", { class: `status-${inc.status}` }, inc.status),
                h("span", {}, "services: " + inc.services.join(", ")),
                inc.root_cause ? h("span", {}, "root cause: " + inc.root_cause) : null,
                inc.suspects && inc.suspects.length ? h("span", {}, `suspects: ${inc.suspects.length}`) : null,
                h("span", {}, "age " + ago(inc.opened_at)),
                inc.acknowledged_by ? h("span", {}, "acked by " + inc.acknowledged_by) : null,
              ),
            ),
          ),
        )
      : [h("li", { class: "empty" }, "No incidents. All quiet.")]),
  );
}

async function select(id) {
  state.selected = id;
  renderIncidents();
  renderDetail();
  $("detail").focus();
  try {
    const body = await api("/api/incidents/" + encodeURIComponent(id));
    state.incidents.set(id, body.incident);
    state.events.set(id, body.events);
    if (state.selected === id) renderDetail();
  } catch (_) {
    /* the list's snapshot is still shown */
  }
}

function renderDetail() {
  const box = $("detail");
  const inc = state.incidents.get(state.selected);
  if (!inc) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const timeline = [...(inc.timeline || [])].reverse();
  const prior = box.querySelector("#action-msg");
  // A live event re-renders the open incident: keep the focus and a half-written note where they were.
  const same = box.dataset.incident === inc.id;
  const focused = same && box !== document.activeElement && box.contains(document.activeElement) ? document.activeElement.id : "";
  const note = same && box.querySelector("#note") ? box.querySelector("#note").value : "";
  box.dataset.incident = inc.id;
  box.replaceChildren(
    ...[
    h("h3", { id: "detail-title" }, inc.title),
    h(
      "dl",
      {},
      h("dt", {}, "Id"), h("dd", {}, inc.id),
      h("dt", {}, "Status"), h("dd", { class: `status-${inc.status}`, "data-field": "status" }, inc.status),
      h("dt", {}, "Severity"), h("dd", {}, inc.severity),
      h("dt", {}, "Services"), h("dd", {}, inc.services.join(", ")),
      h("dt", {}, "Root cause"), h("dd", {}, inc.root_cause || "—"),
      h("dt", {}, "Opened"), h("dd", {}, `${clock(inc.opened_at)} (${ago(inc.opened_at)} ago)`),
      h("dt", {}, "Acknowledged by"), h("dd", { "data-field": "acknowledged_by" }, inc.acknowledged_by || "—"),
      h("dt", {}, "Why joined"), h("dd", {}, (inc.reasons || []).join("; ") || "—"),
      h("dt", {}, "Suspects"),
      h("dd", {}, inc.suspects && inc.suspects.length ? h("ul", {}, inc.suspects.map((s) => h("li", {}, s.summary || `${s.service} ${s.version || ""}`))) : "—"),
      h("dt", {}, "Alerts"),
      h("dd", {}, h("ul", {}, (inc.alert_details || []).map((a) => h("li", {}, `${a.alertname} on ${a.labels.service || "?"}: ${a.status} (${a.severity})`)))),
    ),
    isResponder() ? actions(inc) : null,
    h("p", { class: "msg", id: "action-msg", role: "status" }, prior ? prior.textContent : ""),
    h("h4", {}, "Timeline"),
    h("ol", { class: "timeline", reversed: true }, timeline.map((t) => h("li", {}, h("time", { datetime: new Date(t.ts * 1000).toISOString() }, clock(t.ts)), t.text))),
    ].filter(Boolean),
  );
  if (note && $("note")) $("note").value = note;
  if (focused && $(focused)) $(focused).focus();
}

function actions(inc) {
  const resolved = inc.status === "resolved";
  const note = h("textarea", { id: "note", name: "note", maxlength: 2000 });
  const act = (kind) => async () => {
    const text = note.value.trim();
    if (kind === "comment" && !text) {
      $("action-msg").textContent = "Write a comment first.";
      note.focus();
      return;
    }
    try {
      await api(`/api/incidents/${encodeURIComponent(inc.id)}/${kind}`, { method: "POST", body: text ? { note: text } : {} });
      $("action-msg").textContent = `${kind} sent; waiting for the incident to change…`;
      note.value = "";
    } catch (err) {
      $("action-msg").textContent = `${kind} failed: ${err.message}`;
    }
  };
  return h(
    "div",
    { class: "actions" },
    h("label", { for: "note" }, "Note (optional for ack and resolve)"),
    note,
    h("button", { type: "button", class: "primary", id: "ack", disabled: resolved || inc.status === "acknowledged", onclick: act("ack") }, "Acknowledge"),
    h("button", { type: "button", id: "resolve", disabled: resolved, onclick: act("resolve") }, "Resolve"),
    h("button", { type: "button", id: "comment", onclick: act("comment") }, "Comment"),
    h("button", { type: "button", id: "silence", "aria-haspopup": "dialog", onclick: () => openSilenceForm(inc) }, "Silence…"),
  );
}

// -- silences --------------------------------------------------------------------------------------

const DURATION_CHOICES = [
  ["15m", "15 min"],
  ["1h", "1 h"],
  ["4h", "4 h"],
  ["24h", "24 h"],
];

// The silence form: a modal <dialog>, built once for a responder and refilled each time it opens.
// It lives outside the incident detail, which re-renders on every live event.
function silenceDialog() {
  let dialog = $("silence-dialog");
  if (dialog) return dialog;
  const field = (attrs) => h(attrs.rows ? "textarea" : "input", { spellcheck: "false", autocomplete: "off", ...attrs });
  dialog = h(
    "dialog",
    { id: "silence-dialog", class: "silence-dialog", "aria-labelledby": "sil-title-form", "aria-describedby": "sil-for" },
    h(
      "form",
      { id: "silence-form", class: "silence-form", novalidate: true, onsubmit: submitSilence, oninput: clearFault, onchange: clearFault },
      h("h3", { id: "sil-title-form" }, "New silence"),
      h("p", { id: "sil-for", class: "hint" }),
      h("label", { for: "sil-matchers" }, "Matchers, one per line"),
      field({ id: "sil-matchers", name: "matchers", rows: 3, required: true, "aria-describedby": "sil-matchers-hint" }),
      h(
        "p",
        { id: "sil-matchers-hint", class: "hint" },
        h("code", {}, 'label="value"'), ", ", h("code", {}, 'label!="value"'), ", ",
        h("code", {}, 'label=~"regex"'), " or ", h("code", {}, 'label!~"regex"'),
        " (regexes match the whole value). Alerts that match every line are silenced.",
      ),
      h(
        "fieldset",
        { class: "durations", "aria-describedby": "sil-ends" },
        h("legend", {}, "Duration"),
        DURATION_CHOICES.map(([value, text]) =>
          h("label", { class: "choice" }, h("input", { type: "radio", name: "duration", id: `sil-dur-${value}`, value, onchange: showSilenceEnd }), text),
        ),
        h("label", { class: "choice" }, h("input", { type: "radio", name: "duration", id: "sil-dur-custom", value: "custom", onchange: showSilenceEnd }), "Custom"),
        h(
          "span",
          { class: "custom" },
          h("label", { for: "sil-custom", class: "visually-hidden" }, "Custom duration"),
          field({
            id: "sil-custom",
            name: "custom",
            type: "text",
            size: 8,
            placeholder: "e.g. 90m",
            "aria-describedby": "sil-custom-hint",
            oninput: () => {
              $("sil-dur-custom").checked = true;
              showSilenceEnd();
            },
          }),
        ),
        h("p", { id: "sil-custom-hint", class: "hint wide" }, "Custom: e.g. 30m, 2h, 1h30m, 3d (units y w d h m s ms, largest first); at most 365 d."),
        h("p", { id: "sil-ends", class: "hint wide" }),
      ),
      h("label", { for: "sil-comment" }, "Comment"),
      field({ id: "sil-comment", name: "comment", rows: 2, required: true, maxlength: 1024 }),
      h("p", { id: "sil-error", class: "error", role: "alert" }),
      h(
        "div",
        { class: "form-buttons" },
        h("button", { type: "button", id: "sil-cancel", onclick: () => dialog.close() }, "Cancel"),
        h("button", { type: "submit", id: "sil-submit", class: "primary" }, "Create silence"),
      ),
    ),
  );
  // Escape closes a modal dialog by itself (a "cancel" event, then "close"); either way focus goes
  // back to the button that opened it, which a live re-render of the detail may have replaced.
  dialog.addEventListener("close", () => {
    const opener = $("silence");
    if (opener) opener.focus();
  });
  document.body.append(dialog);
  return dialog;
}

function openSilenceForm(inc) {
  const dialog = silenceDialog();
  const service = inc.root_cause || inc.services[0] || "";
  dialog.dataset.incident = inc.id;
  $("sil-for").textContent = `For incident ${inc.id}: ${inc.title}`;
  $("sil-matchers").value = service ? `service="${service}"` : "";
  $("sil-dur-1h").checked = true;
  $("sil-custom").value = "";
  $("sil-comment").value = `silenced from the dashboard during ${inc.id}`;
  silenceError("", null);
  $("sil-submit").disabled = false;
  showSilenceEnd();
  if (!dialog.open) dialog.showModal();
  const matchers = $("sil-matchers");
  matchers.focus();
  matchers.setSelectionRange(matchers.value.length, matchers.value.length);
}

// The chosen duration: {text, seconds} or {error}.
function chosenDuration() {
  const picked = document.querySelector("#silence-form input[name=duration]:checked");
  const text = picked.value === "custom" ? $("sil-custom").value.trim() : picked.value;
  if (picked.value !== "custom") return { text, seconds: parseDuration(text) };
  if (!text) return { error: "Custom duration: write one, e.g. 90m or 2h." };
  const seconds = parseDuration(text);
  if (seconds === null) return { error: `Custom duration: "${text}" is not a duration; write e.g. 30m, 2h, 1h30m or 3d (units y w d h m s ms, largest first).` };
  if (seconds <= 0) return { error: "Custom duration: must be longer than 0." };
  if (seconds > MAX_SILENCE_SECONDS) return { error: "Custom duration: a silence may last at most 365 days." };
  return { text, seconds };
}

function showSilenceEnd() {
  const chosen = chosenDuration();
  $("sil-ends").textContent = chosen.error ? "" : `Ends ${when(Date.now() / 1000 + chosen.seconds)} (in ${span(chosen.seconds)}).`;
}

// Once the field at fault is changed (or a preset replaces a bad custom duration), its message goes.
function clearFault(event) {
  const faulty = document.querySelector("#silence-form [aria-invalid=true]");
  if (!faulty) return;
  if (event.target === faulty || (faulty.id === "sil-custom" && event.target.name === "duration")) {
    faulty.removeAttribute("aria-invalid");
    $("sil-error").textContent = "";
  }
}

// Show `message` in the form ("" clears it) and mark `field` (an element id) as the one at fault.
function silenceError(message, field) {
  $("sil-error").textContent = message;
  for (const id of ["sil-matchers", "sil-custom", "sil-comment"]) {
    if (id === field) $(id).setAttribute("aria-invalid", "true");
    else $(id).removeAttribute("aria-invalid");
  }
  if (field) $(field).focus();
}

async function submitSilence(event) {
  event.preventDefault();
  const dialog = $("silence-dialog");
  const matchers = $("sil-matchers").value.split("\n").map((m) => m.trim()).filter(Boolean);
  const comment = $("sil-comment").value.trim();
  const duration = chosenDuration();
  if (!matchers.length) return silenceError("Give at least one matcher, e.g. service=\"advisor-api\".", "sil-matchers");
  if (duration.error) return silenceError(duration.error, "sil-custom");
  if (!comment) return silenceError("Say why in the comment.", "sil-comment");
  silenceError("", null);
  const submit = $("sil-submit");
  submit.disabled = true;
  const incident = dialog.dataset.incident;
  let body;
  try {
    body = await api("/api/silences", { method: "POST", body: { matchers, duration: duration.text, comment } });
  } catch (err) {
    submit.disabled = false;
    // The server names the field at fault ("body.matchers[1]: not a label matcher …"): show it as is.
    const field = /^body\.matchers/.test(err.message) ? "sil-matchers" : /^body\.comment/.test(err.message) ? "sil-comment" : null;
    const message = err.status ? err.message : `Could not reach the server: ${err.message}`;
    if (dialog.open) silenceError(message, field);
    else say(`Silence failed: ${message}`); // closed with Escape meanwhile
    return;
  }
  dialog.close();
  const text = `Silence ${body.silence_id} created for ${matchers.join(", ")}; ends ${when(body.ends_at)} (in ${until(body.ends_at)}).`;
  const msg = $("action-msg");
  if (msg && state.selected === incident) msg.textContent = text;
  else say(text);
  await refreshSilences((list) => list.some((s) => s.id === body.silence_id));
}

async function loadSilences() {
  try {
    const body = await api("/api/silences");
    state.silences = body.silences;
  } catch (_) {
    return false; // not caught up yet, or signed out: the next refresh tries again
  }
  renderSilences();
  return true;
}

// The API answers 202 before the command is on the topic its read model follows: look again until
// `done(list)` holds, for a few seconds.
async function refreshSilences(done) {
  for (let attempt = 0; attempt < 20; attempt++) {
    if ((await loadSilences()) && done(state.silences)) return;
    await sleep(500);
  }
}

async function expireSilence(silence, button) {
  button.disabled = true;
  try {
    await api("/api/silences/" + encodeURIComponent(silence.id), { method: "DELETE" });
    $("sil-msg").textContent = `Silence ${silence.id} expired.`;
  } catch (err) {
    button.disabled = false;
    $("sil-msg").textContent = `Expire failed: ${err.message}`;
    return;
  }
  await refreshSilences((list) => !list.some((s) => s.id === silence.id));
}

function renderSilences() {
  const list = $("silences");
  const active = state.silences.filter((s) => s.state === "active").length;
  const pending = state.silences.length - active;
  $("sil-count").textContent = `${active} active` + (pending ? `, ${pending} pending` : "");
  list.replaceChildren(
    ...(state.silences.length
      ? state.silences.map((s) =>
          h(
            "li",
            { class: `silence ${s.state}`, "data-silence": s.id, "data-state": s.state },
            h("div", { class: "matchers" }, s.matchers.map((m) => h("code", {}, m))),
            h(
              "div",
              { class: "meta" },
              s.state === "pending" ? h("span", {}, "starts ", h("time", { datetime: new Date(s.starts_at * 1000).toISOString() }, when(s.starts_at))) : null,
              h("span", {}, "ends ", h("time", { datetime: new Date(s.ends_at * 1000).toISOString() }, when(s.ends_at)), ` (in ${until(s.ends_at)})`),
              h("span", {}, "by " + s.created_by),
              h("span", { class: "sid" }, s.id),
            ),
            h("p", { class: "comment" }, s.comment),
            isResponder()
              ? h(
                  "button",
                  { type: "button", class: "expire", "data-expire": s.id, "aria-label": `Expire silence ${s.matchers.join(", ")}`, onclick: (e) => expireSilence(s, e.currentTarget) },
                  "Expire",
                )
              : null,
          ),
        )
      : [h("li", { class: "empty" }, "No active silences.")]),
  );
}

// -- SLA board --------------------------------------------------------------------------------------

function sparkline(points, threshold, format, label) {
  const width = 200;
  const height = 36;
  const svg = h("svg", { class: "spark", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": label });
  if (!points || points.length < 2) return svg;
  const values = points.map((p) => p[1]);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (threshold !== null && threshold !== undefined && format !== "percent") {
    lo = Math.min(lo, threshold);
    hi = Math.max(hi, threshold);
  }
  if (hi - lo < 1e-9) {
    hi += 0.5 * (Math.abs(hi) || 1) * 0.01;
    lo -= 0.5 * (Math.abs(lo) || 1) * 0.01;
  }
  const t0 = points[0][0];
  const t1 = points[points.length - 1][0];
  const x = (t) => ((t - t0) / Math.max(1, t1 - t0)) * width;
  const y = (v) => height - 2 - ((v - lo) / (hi - lo)) * (height - 4);
  if (threshold !== null && threshold !== undefined && threshold >= lo && threshold <= hi) {
    svg.append(h("line", { class: "goal", x1: 0, x2: width, y1: y(threshold), y2: y(threshold) }));
  }
  svg.append(h("polyline", { class: "line", points: points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ") }));
  return svg;
}

function renderBoard(board) {
  // The tiles are redrawn every 10 s, so they are no live region (a screen reader would read them all
  // each time): a tile whose status changes is announced instead.
  const before = new Map((state.board ? state.board.slos : []).map((t) => [`${t.name} ${t.service} ${t.group}`, t.status]));
  const changed = board.slos.filter((t) => {
    const was = before.get(`${t.name} ${t.service} ${t.group}`);
    return was !== undefined && was !== t.status;
  });
  if (changed.length) say(changed.map((t) => `${t.name}${t.service ? " on " + t.service : ""}: ${STATUS_TEXT[t.status] || t.status}`).join("; "));
  state.board = board;
  $("board-time").textContent = "as of " + clock(board.generated_at);
  $("tiles").replaceChildren(
    ...board.slos.map((t) => {
      const status = STATUS_TEXT[t.status] || t.status;
      const budget = t.budget_remaining;
      return h(
        "li",
        { class: `tile ${t.status}`, "data-slo": t.name, "data-status": t.status },
        h("h3", {}, h("span", {}, t.name), h("span", { class: `badge st-${t.status}` }, status)),
        h("div", { class: "svc" }, t.service || "no service reporting yet"),
        h("p", { class: "value" }, h("span", { class: "visually-hidden" }, "now "), fmt(t.value, "percent")),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "objective"), h("dd", {}, fmt(t.objective, "percent")),
          h("dt", {}, `over ${t.period}`), h("dd", {}, fmt(t.period_value, "percent")),
          h("dt", {}, "budget left"),
          h("dd", { class: budget !== null && budget < 0 ? "neg" : null }, budget === null ? "—" : (budget * 100).toFixed(1) + " %"),
          h("dt", {}, "now ="), h("dd", {}, "last " + t.window),
        ),
        sparkline(t.spark, t.objective, "percent", `${t.name} over the last hour`),
      );
    }),
  );
  $("rules").replaceChildren(
    ...(board.rules.length
      ? board.rules.map((r) =>
          h(
            "tr",
            { "data-rule": r.name, "data-status": r.status },
            h("td", {}, r.name),
            h("td", {}, r.service + (r.group ? ` (${r.group})` : "")),
            h("td", {}, fmt(r.value, r.format)),
            h("td", {}, `${r.op} ${fmt(r.threshold, r.format)}`),
            h("td", {}, h("span", { class: `badge st-${r.status}` }, STATUS_TEXT[r.status] || r.status)),
            h("td", { class: "spark-cell" }, sparkline(r.spark, r.threshold, r.format, `${r.name} on ${r.service} over the last hour`)),
          ),
        )
      : [h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No threshold rules in this pack."))]),
  );
}

// -- charts -----------------------------------------------------------------------------------------

async function loadCharts() {
  let listing;
  try {
    listing = await api("/api/series");
  } catch (err) {
    $("chart-list").replaceChildren(h("p", { class: "msg" }, "Cannot list series: " + err.message));
    return;
  }
  const select = $("chart-service");
  const services = [...new Set(listing.series.map((s) => s.service))].sort();
  const current = select.value;
  select.replaceChildren(...services.map((s) => h("option", { value: s, selected: s === current }, s)));
  const service = select.value;
  const range = $("chart-range").value;
  const wanted = listing.series.filter((s) => s.service === service);
  if (!wanted.length) {
    $("chart-list").replaceChildren(h("p", { class: "msg" }, "No series yet: the first points arrive within 10 s of data."));
    return;
  }
  const charts = await Promise.all(
    wanted.map((s) => {
      const q = new URLSearchParams({ rule: s.name, service: s.service, range });
      if (s.group) q.set("group", s.group);
      return api("/api/series?" + q).catch(() => null);
    }),
  );
  $("chart-list").replaceChildren(...charts.filter(Boolean).map(chart));
}

function chart(series) {
  const width = 600;
  const height = 180;
  const left = 48;
  const bottom = 18;
  const plotW = width - left - 6;
  const plotH = height - bottom - 6;
  const values = series.points.map((p) => p[1]);
  let lo = Math.min(series.threshold, ...values);
  let hi = Math.max(series.threshold, ...values);
  if (series.format === "percent" && series.kind === "slo") hi = Math.max(hi, 1);
  if (hi - lo < 1e-9) {
    hi += 1e-3;
    lo -= 1e-3;
  }
  const x = (t) => left + ((t - series.from) / Math.max(1, series.to - series.from)) * plotW;
  const y = (v) => 6 + plotH - ((v - lo) / (hi - lo)) * plotH;
  const title = `${series.name} on ${series.service}${series.group ? " (" + series.group + ")" : ""}`;
  const svg = h("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${title}, last ${series.range}` });
  svg.append(h("line", { class: "axis", x1: left, x2: left, y1: 6, y2: 6 + plotH }));
  svg.append(h("line", { class: "axis", x1: left, x2: width - 6, y1: 6 + plotH, y2: 6 + plotH }));
  svg.append(h("text", { x: 2, y: 12 }, fmt(hi, series.format)));
  svg.append(h("text", { x: 2, y: 6 + plotH }, fmt(lo, series.format)));
  svg.append(h("text", { x: left, y: height - 4 }, clock(series.from)));
  svg.append(h("text", { x: width - 60, y: height - 4 }, clock(series.to)));
  for (const inc of series.incidents) {
    const x0 = Math.max(left, x(inc.opened_at));
    const x1 = Math.min(width - 6, x(inc.resolved_at || series.to));
    svg.append(h("rect", { class: "mark", x: x0, y: 6, width: Math.max(1, x1 - x0), height: plotH }, h("title", {}, `${inc.id} ${inc.severity}: ${inc.title}`)));
    svg.append(h("line", { class: "mark-start", x1: x0, x2: x0, y1: 6, y2: 6 + plotH }));
  }
  svg.append(h("line", { class: "goal", x1: left, x2: width - 6, y1: y(series.threshold), y2: y(series.threshold) }, h("title", {}, `threshold ${series.op} ${fmt(series.threshold, series.format)}`)));
  if (series.points.length > 1) {
    svg.append(h("polyline", { class: "line", points: series.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ") }));
  }
  const last = values.length ? values[values.length - 1] : null;
  return h(
    "figure",
    { class: "chart" },
    h("h3", {}, title),
    svg,
    h("figcaption", { class: "msg" }, `now ${fmt(last, series.format)}; threshold ${series.op} ${fmt(series.threshold, series.format)}; ${series.incidents.length} incident(s) marked`),
  );
}

// -- views ------------------------------------------------------------------------------------------

function showView(view) {
  state.view = view;
  $("board").hidden = view !== "board";
  $("charts").hidden = view !== "charts";
  $("tab-board").setAttribute("aria-pressed", String(view === "board"));
  $("tab-charts").setAttribute("aria-pressed", String(view === "charts"));
  if (view === "charts") loadCharts();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("token").value.trim());
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = "";
    state.me = null;
    showLogin("");
  });
  $("tab-board").addEventListener("click", () => showView("board"));
  $("tab-charts").addEventListener("click", () => showView("charts"));
  $("chart-form").addEventListener("submit", (e) => {
    e.preventDefault();
    loadCharts();
  });
  $("chart-service").addEventListener("change", loadCharts);
  $("chart-range").addEventListener("change", loadCharts);
  setInterval(() => {
    if (state.me && state.view === "board") {
      renderIncidents();
      loadSilences();
    }
  }, 15000);
  if (state.token) signIn(state.token);
  else showLogin("");
});
