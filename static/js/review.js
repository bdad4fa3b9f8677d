// The reviewer's grid: clicking a cell (or Enter on it) opens a small comment box;
// each comment becomes a hidden "cell_comment:<row>:<column>" field of the return
// form, is shown on the cell and listed above the return button.
(() => {
  const grid = document.querySelector(".review-grid--commentable");
  const form = document.getElementById("return-form");
  const editor = document.getElementById("comment-editor");
  if (!grid || !form || !editor) return;
  const text = document.getElementById("comment-text");
  const label = document.getElementById("comment-label");
  const fields = document.getElementById("comment-fields");
  const list = document.getElementById("pending-comments");
  let current = null;

  const fieldFor = (key) =>
    fields.querySelector(`input[name="${CSS.escape("cell_comment:" + key)}"]`);

  const refresh = (cell) => {
    const key = cell.dataset.cell;
    const field = fieldFor(key);
    const shown = cell.querySelector(".pending-comment");
    shown.textContent = field ? field.value : "";
    shown.hidden = !field;
    cell.classList.toggle("has-pending-comment", Boolean(field));
    let item = list.querySelector(`li[data-cell="${CSS.escape(key)}"]`);
    if (!field) {
      if (item) item.remove();
      return;
    }
    if (!item) {
      item = document.createElement("li");
      item.dataset.cell = key;
      list.appendChild(item);
    }
    item.textContent = `${cell.dataset.label}: ${field.value}`;
  };

  const open = (cell) => {
    current = cell;
    const field = fieldFor(cell.dataset.cell);
    label.textContent = cell.dataset.label;
    text.value = field ? field.value : "";
    editor.hidden = false;
    text.focus();
  };

  const close = () => {
    editor.hidden = true;
    if (current) current.focus();
    current = null;
  };

  grid.addEventListener("click", (event) => {
    const cell = event.target.closest("td.review-cell");
    if (cell) open(cell);
  });
  grid.addEventListener("keydown", (event) => {
    const cell = event.target.closest("td.review-cell");
    if (cell && event.key === "Enter") {
      event.preventDefault();
      open(cell);
    }
  });
  document.getElementById("comment-done").addEventListener("click", () => {
    if (!current) return;
    const key = current.dataset.cell;
    let field = fieldFor(key);
    const value = text.value.trim();
    if (value) {
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "cell_comment:" + key;
        fields.appendChild(field);
      }
      field.value = value;
    } else if (field) {
      field.remove();
    }
    refresh(current);
    close();
  });
  document.getElementById("comment-remove").addEventListener("click", () => {
    if (!current) return;
    const field = fieldFor(current.dataset.cell);
    if (field) field.remove();
    refresh(current);
    close();
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
})();
