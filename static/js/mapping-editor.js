// The indicator mapping editor: narrow the (long) list of cells by row code or
// label and by mapped / unmapped / refused, show each chosen indicator's name,
// and bring the cells a save refused into view. Filtering only hides table rows:
// hidden choices are still sent with the form, so nothing is lost.
(() => {
  const table = document.getElementById("mapping-table");
  const toolbar = document.getElementById("mapping-toolbar");
  if (!table || !toolbar) return;
  const text = document.getElementById("mapping-filter-text");
  const state = document.getElementById("mapping-filter-state");
  const count = document.getElementById("mapping-filter-count");
  const empty = document.getElementById("mapping-filter-empty");
  const groups = Array.from(table.querySelectorAll("tbody.mapping-group"));
  const cells = Array.from(table.querySelectorAll("tr.mapping-cell"));
  const names = new Map(
    Array.from(document.querySelectorAll("#mapping-indicator-choices option")).map(
      (option) => [option.value, option.dataset.name || ""],
    ),
  );

  // Vietnamese typed without diacritics still matches ("dan so" finds "Dân số").
  const fold = (value) =>
    value
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d")
      .replace(/Đ/g, "D")
      .toLowerCase()
      .trim();

  const indicatorOf = (row) => row.querySelector("input.mapping-indicator");
  const isMapped = (row) => indicatorOf(row).value.trim() !== "";

  const searchable = new Map();
  groups.forEach((group) => {
    const head = fold(`${group.dataset.row} ${group.dataset.label}`);
    group.querySelectorAll("tr.mapping-cell").forEach((row) => {
      searchable.set(row, `${head} ${fold(row.dataset.cell)} ${fold(row.dataset.columnLabel || "")}`);
    });
  });

  const apply = () => {
    const words = fold(text.value).split(/\s+/).filter(Boolean);
    const wanted = state.value;
    let shown = 0;
    cells.forEach((row) => {
      const haystack = searchable.get(row);
      const visible =
        words.every((word) => haystack.includes(word)) &&
        (wanted === "all" ||
          (wanted === "mapped" && isMapped(row)) ||
          (wanted === "unmapped" && !isMapped(row)) ||
          (wanted === "refused" && row.classList.contains("mapping-cell--refused")));
      row.hidden = !visible;
      if (visible) shown += 1;
    });
    groups.forEach((group) => {
      group.hidden = !group.querySelector("tr.mapping-cell:not([hidden])");
    });
    count.textContent = count.dataset.template
      .replace("__SHOWN__", shown.toLocaleString(document.documentElement.lang))
      .replace("__TOTAL__", cells.length.toLocaleString(document.documentElement.lang));
    empty.hidden = shown !== 0;
  };

  const reveal = (row) => {
    if (row.hidden) {
      text.value = "";
      state.value = "all";
      apply();
    }
    row.scrollIntoView({ block: "center" });
    indicatorOf(row).focus({ preventScroll: true });
  };

  toolbar.hidden = false;
  text.addEventListener("input", apply);
  state.addEventListener("change", apply);
  table.addEventListener("input", (event) => {
    const input = event.target.closest("input.mapping-indicator");
    if (!input) return;
    const label = input.parentElement.querySelector(".mapping-indicator-name");
    label.textContent = names.get(input.value.trim()) || "";
  });
  document.querySelectorAll("[data-mapping-target]").forEach((link) => {
    link.addEventListener("click", (event) => {
      const row = document.getElementById(link.dataset.mappingTarget);
      if (!row) return;
      event.preventDefault();
      reveal(row);
    });
  });
  apply();

  const refused = table.querySelector("tr.mapping-cell--refused");
  if (refused) reveal(refused);
})();
