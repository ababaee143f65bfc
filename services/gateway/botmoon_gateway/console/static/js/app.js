// The console's shell: hash routes (every view has a URL), navigation, theme, notices and the API key prompt.
import { forgetKey, hasKey, onKeyNeeded } from "./api.js";
import { hideNotice, notice } from "./notice.js";

const PAGES = {
  overview: () => import("./pages/overview.js"),
  code: () => import("./pages/code.js"),
  backtest: () => import("./pages/backtest.js"),
  sweeps: () => import("./pages/sweeps.js"),
  strategies: () => import("./pages/strategies.js"),
  webhooks: () => import("./pages/webhooks.js"),
  executions: () => import("./pages/executions.js"),
};
const TITLES = { overview: "Overview", code: "Code", backtest: "Backtest", sweeps: "Sweeps", strategies: "Strategies",
  webhooks: "Webhooks", executions: "Executions" };

const main = document.getElementById("main");
let leave = null;
let generation = 0;

async function route() {
  const parts = (location.hash.replace(/^#\/?/, "") || "overview").split("/").map(decodeURIComponent);
  const name = PAGES[parts[0]] ? parts[0] : "overview";
  const current = ++generation;
  if (leave) leave();
  leave = null;
  hideNotice();
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${TITLES[name]} · Botmoon console`;
  const page = await PAGES[name]();
  if (current !== generation) return;
  main.replaceChildren();
  try {
    leave = (await page.render(main, parts.slice(1))) || null;
  } catch (error) {
    notice(error);
  }
  const heading = main.querySelector("h1");
  if (heading && document.activeElement === document.body) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

function setUpTheme() {
  const button = document.getElementById("theme");
  const dark = () => document.documentElement.dataset.theme === "dark"
    || (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
  const label = () => {
    button.textContent = dark() ? "Light" : "Dark";
    button.setAttribute("aria-label", dark() ? "Switch to light theme" : "Switch to dark theme");
  };
  button.addEventListener("click", () => {
    const next = dark() ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("botmoon.theme", next);
    label();
    window.dispatchEvent(new Event("themechange"));
  });
  label();
}

function setUpKeyPrompt() {
  const dialog = document.getElementById("key-dialog");
  const form = document.getElementById("key-form");
  const input = document.getElementById("key-input");
  const error = document.getElementById("key-error");
  const forget = document.getElementById("forget-key");
  dialog.addEventListener("cancel", (event) => event.preventDefault());
  onKeyNeeded((refused) => new Promise((resolve) => {
    error.hidden = !refused;
    error.textContent = refused ? "That key was refused; try another." : "";
    input.value = "";
    form.onsubmit = () => {
      forget.hidden = false;
      resolve(input.value.trim());
    };
    if (!dialog.open) dialog.showModal();
    input.focus();
  }));
  forget.hidden = !hasKey();
  forget.addEventListener("click", () => {
    forgetKey();
    forget.hidden = true;
    route();
  });
}

setUpTheme();
setUpKeyPrompt();
window.addEventListener("hashchange", route);
route();
