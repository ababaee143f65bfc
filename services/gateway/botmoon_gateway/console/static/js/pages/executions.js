// Executions: the history with filters, and one execution's output.
import { api, query } from "../api.js";
import { badge, field, h, json, time } from "../dom.js";
import { attempt } from "../notice.js";
import { dataTable } from "../table.js";

const STATUSES = ["completed", "failed", "timeout", "killed", "rejected"];

export async function render(main, [id]) {
  if (id) return renderOne(main, id);
  const status = h("select", { id: "ex-status", name: "status" }, h("option", { value: "" }, "Any"),
    STATUSES.map((s) => h("option", { value: s }, s)));
  const name = h("input", { id: "ex-name", name: "name", type: "search", placeholder: "part of the name" });
  const algorithm = h("input", { id: "ex-algo", name: "algorithm", type: "search", placeholder: "algo_…" });
  const limit = h("select", { id: "ex-limit", name: "limit" }, [50, 200, 500].map((n) => h("option", { value: n }, n)));
  const table = dataTable({ caption: "Executions", rows: [], pageSize: 25, sortable: true, empty: "No execution.",
    columns: [
      { key: "execution_id", label: "Id", render: (r) => h("a", { href: `#/executions/${r.execution_id}` },
        r.execution_id) },
      { key: "name", label: "Name" },
      { key: "status", label: "Status", render: (r) => badge(r.status) },
      { key: "execution_time_ms", label: "Time (ms)", num: true },
      { key: "algorithm_id", label: "Algorithm" },
      { key: "created_at", label: "When", render: (r) => time(r.created_at) },
    ] });
  const count = h("p", { class: "muted", "aria-live": "polite" });
  let rows = [];
  const filter = () => {
    const wanted = name.value.trim().toLowerCase();
    const algo = algorithm.value.trim();
    const shown = rows.filter((r) => (!status.value || r.status === status.value)
      && (!wanted || r.name.toLowerCase().includes(wanted)) && (!algo || (r.algorithm_id || "").includes(algo)));
    count.textContent = `${shown.length} of ${rows.length} newest executions`;
    table.update(shown);
  };
  const load = async () => {
    const reply = await attempt(() => api(`/api/ai/executions${query({ limit: limit.value })}`));
    if (reply) {
      rows = reply.executions;
      filter();
    }
  };
  for (const input of [status, name, algorithm]) input.addEventListener("input", filter);
  limit.addEventListener("change", load);
  main.append(h("h1", {}, "Executions"),
    h("form", { class: "fields panel", role: "search", onsubmit: (e) => e.preventDefault() },
      field("Status", status), field("Name", name), field("Algorithm id", algorithm), field("Newest", limit),
      h("div", { class: "field" }, h("button", { type: "button", onclick: load }, "Refresh"))),
    count, table);
  await load();
  return null;
}

async function renderOne(main, id) {
  main.append(h("p", {}, h("a", { href: "#/executions" }, "← All executions")));
  const row = await attempt(() => api(`/api/ai/executions/${encodeURIComponent(id)}`));
  if (!row) {
    main.append(h("h1", {}, "Execution not found"));
    return null;
  }
  main.append(h("h1", {}, row.name, " ", badge(row.status)), executionView(row));
  return null;
}

/** One execution's details; the Code page shows the same after Execute. */
export function executionView(row) {
  return h("div", { class: "panel", id: "execution" },
    h("dl", { class: "kv" },
      h("dt", {}, "Id"), h("dd", { class: "mono" }, row.execution_id),
      h("dt", {}, "Status"), h("dd", {}, badge(row.status), row.kill_reason ? ` (${row.kill_reason})` : ""),
      h("dt", {}, "Time"), h("dd", {}, `${row.execution_time_ms} ms`),
      h("dt", {}, "When"), h("dd", {}, time(row.created_at)),
      row.algorithm_id ? [h("dt", {}, "Algorithm"), h("dd", { class: "mono" }, row.algorithm_id)] : null,
      row.truncated ? [h("dt", {}, "Output"), h("dd", {}, "truncated at the size limit")] : null),
    h("h3", {}, "Result"), h("pre", { class: "result" }, row.result === null ? "None" : json(row.result)),
    h("h3", {}, "Output"), h("pre", { class: "stdout" }, row.output || "(nothing printed)"),
    row.stderr ? [h("h3", {}, "Errors printed"), h("pre", { class: "stderr" }, row.stderr)] : null,
    row.error ? [h("h3", {}, "Error"), h("div", { class: "callout bad" },
      h("strong", {}, `${row.error.type}: `), row.error.message, row.error.line ? ` (line ${row.error.line})` : ""),
    row.error.traceback ? h("pre", {}, row.error.traceback) : null] : null,
    row.problems && row.problems.length ? [h("h3", {}, "Problems"), h("ul", {},
      row.problems.map((p) => h("li", {}, `line ${p.line}, column ${p.column}: ${p.rule}: ${p.message}`)))] : null);
}
