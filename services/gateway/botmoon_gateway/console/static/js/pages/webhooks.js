// Webhooks: endpoints (create, edit, delete; a secret is shown once), "send test", deliveries with every attempt.
import { api, query } from "../api.js";
import { badge, clear, field, formDialog, h, json, time } from "../dom.js";
import { attempt, notice } from "../notice.js";
import { dataTable } from "../table.js";

export async function render(main) {
  const secretBox = h("div", { id: "wh-secret", "aria-live": "polite" });
  const endpoints = dataTable({ caption: "Webhook endpoints", rows: [], empty: "No endpoint yet.",
    rowAttrs: (e) => ({ dataset: { endpointId: e.id } }), columns: [
      { key: "id", label: "Id", num: true },
      { key: "name", label: "Name", render: (e) => e.name || "—" },
      { key: "url", label: "URL", render: (e) => h("span", { class: "mono" }, e.url) },
      { key: "has_secret", label: "Signed", render: (e) => (e.has_secret ? badge("yes", "good") : badge("no", "plain")) },
      { key: "enabled", label: "Enabled", render: (e) => (e.enabled ? badge("yes", "good") : badge("no", "plain")) },
      { key: "actions", label: "Actions", render: (e) => h("div", { class: "row" },
        button("Send test", `Send a test to ${e.name || e.url}`, () => sendTest(e)),
        button("Edit", `Edit ${e.name || e.url}`, () => edit(e)),
        button("Delete", `Delete ${e.name || e.url}`, () => remove(e), "danger")) },
    ] });
  const filterEndpoint = h("select", { id: "wh-filter-endpoint" }, h("option", { value: "" }, "Any endpoint"));
  const filterStatus = h("select", { id: "wh-filter-status" }, h("option", { value: "" }, "Any status"),
    ["delivered", "failed", "pending", "retrying"].map((s) => h("option", { value: s }, s)));
  const deliveries = h("div", { id: "wh-deliveries" });

  async function loadEndpoints() {
    const reply = await attempt(() => api("/api/webhooks/endpoints"));
    if (!reply) return;
    endpoints.update(reply.endpoints);
    const keep = filterEndpoint.value;
    clear(filterEndpoint, h("option", { value: "" }, "Any endpoint"), reply.endpoints.map((e) =>
      h("option", { value: e.id, selected: String(e.id) === keep }, `${e.id} · ${e.name || e.url}`)));
  }
  async function loadDeliveries() {
    const reply = await attempt(() => api(`/api/webhooks/deliveries${query({ endpoint_id: filterEndpoint.value,
      status: filterStatus.value, limit: 100 })}`));
    if (reply) clear(deliveries, deliveryList(reply.deliveries));
  }
  const reload = async () => {
    await loadEndpoints();
    await loadDeliveries();
  };
  filterEndpoint.addEventListener("change", loadDeliveries);
  filterStatus.addEventListener("change", loadDeliveries);

  function button(label, aria, action, cls = "") {
    return h("button", { type: "button", class: `small ${cls}`, "aria-label": aria,
      dataset: { action: label.toLowerCase().replace(" ", "-") }, onclick: async (event) => {
        event.target.disabled = true;
        await attempt(action);
        event.target.disabled = false;
        await reload();
      } }, label);
  }
  async function sendTest(endpoint) {
    const reply = await api("/api/webhook/test", { method: "POST", body: { endpoint_id: endpoint.id } });
    const d = reply.delivery;
    notice(`Test ${d.status} after ${d.attempts} attempt(s)${d.response_code ? ` (HTTP ${d.response_code})` : ""}.`,
      d.status === "delivered");
  }
  async function edit(endpoint) {
    const form = await formDialog(`Edit endpoint ${endpoint.id}`, endpointFields(endpoint));
    if (!form) return;
    const body = endpointBody(form);
    if (form.get("secret_mode") !== "own") delete body.secret;
    const reply = await api(`/api/webhooks/endpoints/${endpoint.id}`, { method: "PUT", body });
    showSecret(reply.endpoint);
    notice("Saved the endpoint.", true);
  }
  async function remove(endpoint) {
    const sure = await formDialog(`Delete endpoint ${endpoint.id}?`, [h("p", {},
      `${endpoint.url} will get no more signals. Its deliveries stay in the log.`)], { submit: "Delete", danger: true });
    if (!sure) return;
    await api(`/api/webhooks/endpoints/${endpoint.id}`, { method: "DELETE" });
    notice("Deleted the endpoint.", true);
  }
  function showSecret(endpoint) {
    if (!endpoint.secret) {
      clear(secretBox);
      return;
    }
    const value = h("code", { class: "secret", id: "wh-secret-value" }, endpoint.secret);
    clear(secretBox, h("div", { class: "callout", role: "status" },
      h("strong", {}, `Signing secret of endpoint ${endpoint.id}: `), value,
      h("p", {}, "Copy it now: it is not shown again. Receivers check the webhook-signature header with it."),
      h("div", { class: "row" },
        h("button", { type: "button", class: "small", onclick: async () => {
          await attempt(() => navigator.clipboard.writeText(endpoint.secret));
          notice("Copied.", true);
        } }, "Copy"),
        h("button", { type: "button", class: "small", onclick: () => clear(secretBox) }, "I have saved it"))));
  }

  const create = h("form", { class: "panel", id: "wh-create", "aria-labelledby": "wh-create-title" },
    h("h2", { id: "wh-create-title" }, "Add an endpoint"), h("div", { class: "fields" }, endpointFields()),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add endpoint")));
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(create);
    const body = endpointBody(form);
    body.generate_secret = form.get("secret_mode") === "generate";
    if (form.get("secret_mode") !== "own") delete body.secret;
    const reply = await attempt(() => api("/api/webhooks/endpoints", { method: "POST", body }));
    if (!reply) return;
    create.reset();
    showSecret(reply.endpoint);
    notice(`Added endpoint ${reply.endpoint.id}.`, true);
    await reload();
  });

  main.append(h("h1", {}, "Webhooks"), create, secretBox,
    h("h2", {}, "Endpoints"), endpoints,
    h("div", { class: "row spread" }, h("h2", {}, "Deliveries"),
      h("div", { class: "row bottom" }, field("Endpoint", filterEndpoint), field("Status", filterStatus),
        h("button", { type: "button", onclick: loadDeliveries }, "Refresh"))),
    deliveries);
  await reload();
  return null;
}

function endpointFields(endpoint) {
  const prefix = endpoint ? "edit" : "new";
  const id = (name) => `${prefix}-${name}`;
  const headers = h("textarea", { id: id("headers"), name: "headers", rows: 2, class: "code",
    placeholder: "Authorization: Bearer …" });
  headers.value = endpoint ? Object.entries(endpoint.headers).map(([k, v]) => `${k}: ${v}`).join("\n") : "";
  const mode = (value, label, checked) => h("label", { for: id(`mode-${value}`) }, h("input", { type: "radio",
    name: "secret_mode", id: id(`mode-${value}`), value, checked }), ` ${label}`);
  return [
    field("URL", h("input", { id: id("url"), name: "url", type: "url", required: true, value: endpoint?.url,
      placeholder: "https://example.com/hook" }), { double: true }),
    field("Name", h("input", { id: id("name"), name: "name", value: endpoint?.name, maxlength: 200 })),
    h("fieldset", { class: "field" }, h("legend", {}, "Signing secret"),
      endpoint ? mode("keep", "keep", true) : mode("generate", "generate", true),
      mode("own", "my own"), endpoint ? null : mode("none", "none")),
    field("Own secret (8+ characters)", h("input", { id: id("secret"), name: "secret", type: "password",
      minlength: 8, autocomplete: "off" })),
    field("Extra headers (one “Name: value” a line)", headers),
    h("label", { for: id("enabled"), class: "row" }, h("input", { type: "checkbox", id: id("enabled"), name: "enabled",
      checked: endpoint ? endpoint.enabled : true }), "Enabled"),
  ];
}

function endpointBody(form) {
  const headers = {};
  for (const line of String(form.get("headers") || "").split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return { url: String(form.get("url")).trim(), name: String(form.get("name") || ""),
    secret: String(form.get("secret") || "") || undefined, headers, enabled: form.get("enabled") !== null };
}

function deliveryList(rows) {
  if (!rows.length) return h("p", { class: "empty panel" }, "No delivery yet.");
  return h("ul", { class: "problems", id: "wh-delivery-list" }, rows.map((d) => h("li", { class: "delivery",
    dataset: { deliveryId: d.delivery_id } }, h("details", { class: "panel" },
    h("summary", {}, badge(d.status), ` ${d.event} → `, h("span", { class: "mono" }, d.url),
      ` · ${d.attempts} attempt(s)`, d.response_code ? ` · HTTP ${d.response_code}` : "", ` · ${time(d.created_at)}`),
    d.error ? h("p", { class: "error" }, d.error) : null,
    dataTable({ caption: "Attempts", rows: d.attempt_log, empty: "No attempt recorded.", columns: [
      { key: "number", label: "#", num: true }, { key: "status", label: "Status", render: (a) => badge(a.status) },
      { key: "response_code", label: "HTTP", num: true }, { key: "latency_ms", label: "Latency (ms)", num: true },
      { key: "error", label: "Error", render: (a) => a.error || "—" },
      { key: "at", label: "At", render: (a) => time(a.at) },
    ] }),
    h("h4", {}, "Payload"), h("pre", {}, json(d.payload))))));
}
