// Code: paste or load code, validate (problems at their line and column), execute, deploy.
import { api } from "../api.js";
import { badge, clear, field, h } from "../dom.js";
import { codeEditor, problemList, savedDraft } from "../editor.js";
import { attempt, notice } from "../notice.js";
import { executionView } from "./executions.js";

const HELLO = 'print("Hello from Botmoon")\nresult = {"answer": 42}\n';

export async function render(main) {
  const problems = h("div", { id: "code-problems", "aria-live": "polite" });
  const editor = codeEditor({ id: "code", label: "Python code", value: savedDraft() || HELLO,
    onChange: () => clear(problems) });
  const output = h("div", { id: "code-output", "aria-live": "polite" });
  const rules = h("select", { id: "code-rules" },
    h("option", { value: "/api/ai/validate" }, "sandbox rules"),
    h("option", { value: "/api/backtest/validate" }, "sandbox rules + strategy interface"));
  const name = h("input", { id: "code-name", value: "MyAlgorithm", maxlength: 200, required: true });
  const autoRun = h("input", { id: "code-autorun", type: "checkbox", checked: true });
  const file = h("input", { id: "code-file", type: "file", accept: ".py,text/x-python,text/plain" });
  const buttons = [];
  const busy = async (button, action) => {
    for (const b of buttons) b.disabled = true;
    const label = button.textContent;
    button.textContent = `${label}…`;
    try {
      await action();
    } finally {
      button.textContent = label;
      for (const b of buttons) b.disabled = false;
    }
  };

  async function validate() {
    const reply = await attempt(() => api(rules.value, { method: "POST", body: { code: editor.get() } }));
    if (!reply) return;
    const v = reply.validation;
    clear(problems, h("h2", {}, "Validation ", badge(v.valid ? "valid" : "invalid", v.valid ? "good" : "bad")),
      problemList("problem-list", v, editor));
  }
  async function execute() {
    const row = await attempt(() => api("/api/ai/execute", { method: "POST",
      body: { code: editor.get(), name: name.value || "AI_Execution" } }));
    if (!row) return;
    if (row.problems && row.problems.length) {
      clear(problems, h("h2", {}, "Validation ", badge("invalid", "bad")),
        problemList("problem-list", { errors: row.problems, warnings: [] }, editor));
    }
    clear(output, h("h2", {}, "Execution ", badge(row.status)), executionView(row));
  }
  async function deploy() {
    const reply = await attempt(() => api("/api/ai/deploy", { method: "POST",
      body: { code: editor.get(), name: name.value, auto_run: autoRun.checked, return_result: true } }));
    if (!reply) return;
    clear(problems, h("h2", {}, "Validation ", badge(reply.validation.valid ? "valid" : "invalid",
      reply.validation.valid ? "good" : "bad")), problemList("problem-list", reply.validation, editor));
    if (!reply.algorithm_id) {
      clear(output, h("div", { class: "callout bad" }, "Not deployed: the code did not pass validation."));
      return;
    }
    const strategies = await attempt(() => api("/api/strategies"));
    const strategy = strategies && strategies.strategies.find((s) => s.algorithm_id === reply.algorithm_id);
    clear(output, h("div", { class: "callout good", id: "deployed" },
      h("strong", {}, "Deployed "), h("span", { class: "mono" }, reply.algorithm_id), ` (${reply.status}). `,
      strategy ? ["It defines a strategy: ", h("a", { href: `#/strategies/${strategy.id}` }, "start it"), "."]
        : "It defines no strategy class, so it cannot run live."),
    reply.execution ? executionView(reply.execution) : null);
  }
  async function loadExample() {
    const reply = await attempt(() => api("/api/backtest/example"));
    if (reply) {
      editor.set(reply.code);
      notice("Loaded the example strategy.", true);
    }
  }
  file.addEventListener("change", async () => {
    if (file.files[0]) editor.set(await file.files[0].text());
  });

  const make = (label, action, primary = false) => {
    const button = h("button", { type: "button", class: primary ? "primary" : null,
      onclick: () => busy(button, action) }, label);
    buttons.push(button);
    return button;
  };
  main.append(h("h1", {}, "Code"),
    h("div", { class: "panel" },
      h("form", { class: "fields", onsubmit: (e) => e.preventDefault() },
        field("Load a file", file), field("Name", name),
        field("Check against", rules),
        h("div", { class: "field" }, h("label", { for: "code-autorun", class: "row" }, autoRun,
          "Run once when deployed")),
        h("div", { class: "field" }, make("Example strategy", loadExample))),
      h("p", { class: "hint" }, "Tab indents; press Escape then Tab to leave the editor."),
      editor,
      h("div", { class: "actions" }, make("Validate", validate, true), make("Execute", execute),
        make("Deploy", deploy))),
    problems, output);
  return null;
}
