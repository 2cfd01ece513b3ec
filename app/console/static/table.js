// Sortable tables: click a header of a table marked data-sortable to sort its rows by that column.
export function cellValue(cell, numeric) {
  const text = (cell?.dataset.sort ?? cell?.textContent ?? "").trim();
  if (!numeric) return text;
  const number = parseFloat(text.replace(/[^0-9.+-]/g, ""));
  return Number.isNaN(number) ? -Infinity : number;
}

export function sortRows(table, column, numeric, ascending) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows).filter((row) => row.cells.length > column);
  const collator = new Intl.Collator("zh-CN");
  rows.sort((a, b) => {
    const x = cellValue(a.cells[column], numeric);
    const y = cellValue(b.cells[column], numeric);
    const order = numeric ? x - y : collator.compare(x, y);
    return ascending ? order : -order;
  });
  body.append(...rows);
}

export function makeSortable(table) {
  const headers = Array.from(table.tHead?.rows[0]?.cells ?? []);
  headers.forEach((th, column) => {
    th.dataset.sortReady = "";
    th.tabIndex = 0;
    const sort = () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((other) => other.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      sortRows(table, column, th.hasAttribute("data-numeric"), ascending);
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (event) => { if (event.key === "Enter") sort(); });
  });
}

document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
