// The message line above the page, for errors and confirmations.
import { ApiError } from "./api.js";

const box = () => document.getElementById("notice");

/** Show a message: errors stay until the next route, confirmations fade. */
export function notice(message, ok = false) {
  const el = box();
  const text = message instanceof ApiError || message instanceof Error ? message.message : String(message);
  el.textContent = text;
  el.className = ok ? "notice ok" : "notice";
  el.setAttribute("role", ok ? "status" : "alert");
  el.hidden = false;
  if (ok) setTimeout(() => { if (el.textContent === text) el.hidden = true; }, 4000);
}

export function hideNotice() {
  box().hidden = true;
}

/** Runs an async action, showing its error as a notice; returns its value, or undefined after an error. */
export async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    if (error.name !== "AbortError") notice(error);
    return undefined;
  }
}
