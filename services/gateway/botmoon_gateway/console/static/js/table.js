// A table with optional sorting (buttons in the headers, aria-sort) and paging.
import { h, uid } from "./dom.js";

/**
 * columns: [{ key, label, num, render(row), value(row), sortable }]; rows: objects.
 * pageSize 0 shows every row. Returns the element; `element.update(rows)` redraws with new rows.
 */
export function dataTable({ columns, rows, caption, pageSize = 0, empty = "Nothing yet.", rowAttrs, sortable = false }) {
  let data = rows.slice();
  let sortKey = null;
  let ascending = true;
  let page = 0;
  const wrap = h("div", { class: "table-wrap" });
  const valueOf = (column, row) => (column.value ? column.value(row) : row[column.key]);

  function sorted() {
    if (!sortKey) return data;
    const column = columns.find((c) => c.key === sortKey);
    const factor = ascending ? 1 : -1;
    return data.slice().sort((a, b) => {
      const x = valueOf(column, a);
      const y = valueOf(column, b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * factor;
    });
  }

  function header(column) {
    const canSort = sortable && column.sortable !== false;
    const sort = sortKey === column.key ? (ascending ? "ascending" : "descending") : null;
    const label = canSort
      ? h("button", { type: "button", class: "sort", dataset: { key: column.key }, onclick: () => {
        ascending = sortKey === column.key ? !ascending : true;
        sortKey = column.key;
        page = 0;
        draw(column.key);
      } }, column.label)
      : column.label;
    return h("th", { scope: "col", class: column.num ? "num" : null, "aria-sort": sort }, label);
  }

  function draw(focusKey) {
    const all = sorted();
    const pages = pageSize ? Math.max(1, Math.ceil(all.length / pageSize)) : 1;
    page = Math.min(page, pages - 1);
    const shown = pageSize ? all.slice(page * pageSize, (page + 1) * pageSize) : all;
    const body = shown.length
      ? shown.map((row) => h("tr", rowAttrs ? rowAttrs(row) : {}, columns.map((column) => h("td",
        { class: column.num ? "num" : null, "data-label": column.label }, column.render ? column.render(row) : format(row[column.key])))))
      : [h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty))];
    const table = h("table", {}, caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, columns.map(header))), h("tbody", {}, body));
    const pager = pageSize && all.length > pageSize
      ? h("div", { class: "pager" },
        h("button", { type: "button", class: "small", disabled: page === 0, onclick: () => { page -= 1; draw(); } },
          "Previous"),
        h("span", { "aria-live": "polite" }, `Page ${page + 1} of ${pages} · ${all.length} rows`),
        h("button", { type: "button", class: "small", disabled: page >= pages - 1, onclick: () => { page += 1; draw(); } },
          "Next"))
      : null;
    wrap.replaceChildren(sortable ? sortBar() : "", table, pager || "");
    if (focusKey) {
      table.querySelector(`th button.sort[data-key="${focusKey}"]`)?.focus();
    }
  }

  // Phones show rows as cards without the header row: the sort order is chosen here instead.
  const sortId = uid("sort");
  function sortBar() {
    const choices = columns.filter((c) => c.sortable !== false).flatMap((c) => [
      h("option", { value: `${c.key}:asc`, selected: sortKey === c.key && ascending }, `${c.label} ↑`),
      h("option", { value: `${c.key}:desc`, selected: sortKey === c.key && !ascending }, `${c.label} ↓`)]);
    const select = h("select", { id: sortId, onchange: () => {
      const [key, order] = select.value.split(":");
      sortKey = key || null;
      ascending = order !== "desc";
      page = 0;
      draw();
      wrap.querySelector(`#${sortId}`)?.focus();
    } }, h("option", { value: "" }, "as listed"), choices);
    return h("div", { class: "sort-bar" }, h("label", { for: sortId }, "Sort by"), select);
  }

  wrap.update = (next) => {
    data = next.slice();
    draw();
  };
  draw();
  return wrap;
}

function format(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return value.toLocaleString("en-US", { maximumFractionDigits: 6 });
  return String(value);
}
