/*
 * The entry grid: a report form that behaves like the spreadsheet officers know.
 *
 * - Arrow keys, Enter / Shift+Enter and Tab / Shift+Tab move between input cells;
 *   Escape puts back what the cell held; Shift+F2 opens the cell's comment.
 * - A block copied from Excel or LibreOffice (tab-separated lines) pastes from the
 *   focused cell to the right and down; computed and closed cells keep their values.
 * - Numbers are read by the rule of reporting/engine/values.py ("1.234,5" and
 *   "1234.5" are both 1234.5) for instant feedback; the server has the last word.
 * - Computed cells recompute while typing from the formulas the server sends,
 *   with exact decimal arithmetic (BigInt); the saved figures are the server's.
 * - Drafts save after a pause, and with the Save button. A failed save keeps what was
 *   typed on the page and on this device (localStorage, per report and revision),
 *   retries with backoff, and comes back after a reload.
 * - A conflict shows both versions of each differing cell; submit confirms first.
 *
 * No inline script: the page hands over its data as application/json (json_script).
 */
(function () {
  "use strict";

  var dataNode = document.getElementById("entry-data");
  var grid = document.getElementById("entry-grid");
  if (!dataNode || !grid) {
    return;
  }
  var config = JSON.parse(dataNode.textContent);
  var messages = config.messages;
  var HAS_BIGINT = typeof BigInt === "function";

  function byId(id) {
    return document.getElementById(id);
  }

  function fmt(template, params) {
    return String(template).replace(/%\((\w+)\)([sdr])/g, function (all, name, kind) {
      var value = params && Object.prototype.hasOwnProperty.call(params, name)
        ? params[name] : "";
      return kind === "r" ? "'" + String(value) + "'" : String(value);
    });
  }

  /* --- Earlier periods beside each cell ------------------------------------------ */

  var priorToggle = byId("prior-toggle");
  if (priorToggle) {
    priorToggle.hidden = false;
    priorToggle.addEventListener("click", function () {
      var shown = grid.classList.toggle("show-prior");
      priorToggle.setAttribute("aria-pressed", shown ? "true" : "false");
    });
  }

  /* --- Exact decimals: value = m * 10^-e, m a BigInt ------------------------------- */

  var DIVISION_PLACES = 20;
  var ZERO = HAS_BIGINT ? BigInt(0) : 0;
  var ONE = HAS_BIGINT ? BigInt(1) : 1;
  var TWO = HAS_BIGINT ? BigInt(2) : 2;
  var TEN = HAS_BIGINT ? BigInt(10) : 10;

  function pow10(n) {
    var result = ONE;
    for (var i = 0; i < n; i += 1) {
      result = result * TEN;
    }
    return result;
  }

  function dec(m, e) {
    return { m: m, e: e };
  }

  function normalize(d) {
    while (d.e > 0 && d.m % TEN === ZERO) {
      d = dec(d.m / TEN, d.e - 1);
    }
    return d;
  }

  function decFromPlain(plain) {
    var negative = plain.charAt(0) === "-";
    var text = negative ? plain.slice(1) : plain;
    var parts = text.split(".");
    var fraction = parts[1] || "";
    var m = BigInt((parts[0] || "0") + fraction);
    return normalize(dec(negative ? -m : m, fraction.length));
  }

  function align(a, b) {
    var e = Math.max(a.e, b.e);
    return [a.m * pow10(e - a.e), b.m * pow10(e - b.e), e];
  }

  function add(a, b) {
    var x = align(a, b);
    return normalize(dec(x[0] + x[1], x[2]));
  }

  function sub(a, b) {
    var x = align(a, b);
    return normalize(dec(x[0] - x[1], x[2]));
  }

  function mul(a, b) {
    return normalize(dec(a.m * b.m, a.e + b.e));
  }

  function roundDiv(num, den) {
    // Half away from zero, as Decimal's ROUND_HALF_UP.
    var negative = (num < ZERO) !== (den < ZERO);
    if (num < ZERO) { num = -num; }
    if (den < ZERO) { den = -den; }
    var q = num / den;
    if ((num % den) * TWO >= den) {
      q = q + ONE;
    }
    return negative ? -q : q;
  }

  function DivisionByZero() {}

  function div(a, b) {
    if (b.m === ZERO) {
      throw new DivisionByZero();
    }
    var k = DIVISION_PLACES + b.e - a.e;
    var num = a.m;
    var den = b.m;
    if (k >= 0) { num = num * pow10(k); } else { den = den * pow10(-k); }
    return normalize(dec(roundDiv(num, den), DIVISION_PLACES));
  }

  function groupThousands(digits) {
    var out = "";
    while (digits.length > 3) {
      out = "." + digits.slice(-3) + out;
      digits = digits.slice(0, -3);
    }
    return digits + out;
  }

  function formatVi(d) {
    if (d === null || d === undefined) {
      return "";
    }
    var places = config.maxPlaces;
    if (d.e > places) {
      d = normalize(dec(roundDiv(d.m, pow10(d.e - places)), places));
    }
    var negative = d.m < ZERO;
    var digits = String(negative ? -d.m : d.m);
    while (digits.length <= d.e) {
      digits = "0" + digits;
    }
    var whole = digits.slice(0, digits.length - d.e);
    var fraction = digits.slice(digits.length - d.e);
    var text = groupThousands(whole) + (fraction ? "," + fraction : "");
    return negative && text !== "0" ? "-" + text : text;
  }

  /* --- Reading a typed value (mirror of reporting/engine/values.py) ---------------- */

  var MAX_ABS_DIGITS = 15; // |value| < 1e15
  // A leading group never starts with 0 ("0.250" is a quarter), as on the server.
  var GROUPED_DOTS = /^[1-9]\d{0,2}(\.\d{3})+$/;
  var GROUPED_COMMAS = /^[1-9]\d{0,2}(,\d{3})+$/;
  var PLAIN = /^(\d+(\.\d+)?|\.\d+)$/;
  var DIGITS = /^\d+$/;
  var TRUE_WORDS = ["có", "co", "x", "1", "yes", "true"];
  var FALSE_WORDS = ["không", "khong", "0", "no", "false"];

  function CellError(code, params) {
    this.code = code;
    this.params = params || {};
  }

  function count(text, character) {
    return text.split(character).length - 1;
  }

  function toPlain(text) {
    var hasComma = text.indexOf(",") !== -1;
    var hasDot = text.indexOf(".") !== -1;
    if (hasComma && hasDot) {
      var decimalMark = text.lastIndexOf(",") > text.lastIndexOf(".") ? "," : ".";
      var groupMark = decimalMark === "," ? "." : ",";
      var at = text.lastIndexOf(decimalMark);
      var whole = text.slice(0, at);
      var fraction = text.slice(at + 1);
      if (fraction && !DIGITS.test(fraction)) {
        throw new CellError("not_a_number", { value: text });
      }
      var grouped = groupMark === "." ? GROUPED_DOTS : GROUPED_COMMAS;
      if (!(grouped.test(whole) || DIGITS.test(whole))) {
        throw new CellError("bad_grouping_mixed", { value: text });
      }
      return whole.split(groupMark).join("") + "." + fraction;
    }
    if (hasComma) {
      if (count(text, ",") > 1) {
        if (GROUPED_COMMAS.test(text)) {
          return text.split(",").join("");
        }
        throw new CellError("bad_grouping_commas", { value: text });
      }
      return text.replace(",", ".");
    }
    if (count(text, ".") > 1 || GROUPED_DOTS.test(text)) {
      if (GROUPED_DOTS.test(text)) {
        return text.split(".").join("");
      }
      throw new CellError("bad_grouping_dots", { value: text });
    }
    return text;
  }

  function parseNumber(raw, dataType) {
    var original = String(raw || "").trim();
    var text = String(raw || "").normalize("NFKC").replace(/[\s\u00a0\u202f]/g, "");
    if (!text) {
      return null;
    }
    var negative = false;
    if (text.charAt(0) === "(" && text.charAt(text.length - 1) === ")") {
      negative = true;
      text = text.slice(1, -1);
    }
    var first = text.charAt(0);
    if (first === "-" || first === "\u2212" || first === "+") {
      negative = negative !== (first !== "+");
      text = text.slice(1);
    }
    if (text.charAt(text.length - 1) === "%") {
      if (dataType !== "percent") {
        throw new CellError("percent_not_allowed", {});
      }
      text = text.slice(0, -1);
    }
    if (["nan", "inf", "infinity"].indexOf(text.toLowerCase()) !== -1) {
      throw new CellError("not_finite", { value: original });
    }
    var plain = toPlain(text);
    if (!PLAIN.test(plain)) {
      throw new CellError("not_a_number", { value: original });
    }
    var parts = plain.split(".");
    var whole = (parts[0] || "0").replace(/^0+(?=\d)/, "");
    var fraction = parts[1] || "";
    if (whole.length > MAX_ABS_DIGITS) {
      throw new CellError("too_large", { value: original });
    }
    if (dataType === "integer") {
      if (/[1-9]/.test(fraction)) {
        throw new CellError("not_whole", { value: original });
      }
      fraction = "";
    } else if (fraction.length > config.maxPlaces) {
      throw new CellError("too_many_places", { places: config.maxPlaces });
    }
    if (!HAS_BIGINT) {
      return { plain: (negative ? "-" : "") + whole + (fraction ? "." + fraction : "") };
    }
    var value = decFromPlain(whole + (fraction ? "." + fraction : ""));
    return negative ? dec(-value.m, value.e) : value;
  }

  /* Return {value, error}: value a decimal for numeric cells (null when empty or in
     error), error a sentence or "". */
  function readCell(raw, dataType) {
    var text = String(raw || "").normalize("NFC").trim();
    try {
      if (dataType === "text") {
        if (text.length > config.maxText) {
          throw new CellError("text_too_long", { max: config.maxText });
        }
        return { value: null, error: "" };
      }
      if (dataType === "boolean") {
        var word = text.toLowerCase();
        if (text && TRUE_WORDS.indexOf(word) === -1 && FALSE_WORDS.indexOf(word) === -1) {
          throw new CellError("not_yes_no", {});
        }
        return { value: null, error: "" };
      }
      return { value: parseNumber(text, dataType), error: "" };
    } catch (error) {
      if (error instanceof CellError) {
        return { value: null, error: fmt(messages[error.code], error.params) };
      }
      throw error;
    }
  }

  function displayOf(raw, dataType) {
    var read = readCell(raw, dataType);
    if (read.error) {
      return raw;
    }
    if (dataType === "boolean") {
      var word = String(raw || "").trim().toLowerCase();
      if (TRUE_WORDS.indexOf(word) !== -1) { return messages.yes; }
      if (FALSE_WORDS.indexOf(word) !== -1) { return messages.no; }
      return "";
    }
    if (dataType === "text" || read.value === null || !HAS_BIGINT) {
      return String(raw || "").trim();
    }
    return formatVi(read.value);
  }

  function plainText(d) {
    var negative = d.m < ZERO;
    var digits = String(negative ? -d.m : d.m);
    while (digits.length <= d.e) {
      digits = "0" + digits;
    }
    var whole = digits.slice(0, digits.length - d.e);
    var fraction = digits.slice(digits.length - d.e);
    var text = whole + (fraction ? "." + fraction : "");
    return negative && text !== "0" ? "-" + text : text;
  }

  // For checking this reading against the server's (tests/reporting/test_entry_browser.py).
  window.entryGrid = {
    read: function (raw, dataType) {
      try {
        var value = parseNumber(raw, dataType);
        return { value: value === null ? null : plainText(value), code: "" };
      } catch (error) {
        if (error instanceof CellError) {
          return { value: null, code: error.code.replace(/_(mixed|commas|dots)$/, "") };
        }
        throw error;
      }
    },
    display: function (plain) {
      return formatVi(decFromPlain(plain));
    }
  };

  /* --- The cells ------------------------------------------------------------------- */

  var inputs = Array.prototype.slice.call(grid.querySelectorAll("input[data-cell]"));
  var inputByKey = {};
  var outputByKey = {};
  var matrix = [];
  var positions = new Map();

  inputs.forEach(function (input) {
    inputByKey[input.dataset.cell] = input;
  });
  Array.prototype.forEach.call(grid.querySelectorAll("output[data-cell]"), function (output) {
    outputByKey[output.dataset.cell] = output;
  });
  Array.prototype.forEach.call(grid.tBodies[0].rows, function (row) {
    var cells = row.querySelectorAll("td.cell");
    if (!cells.length) {
      return;
    }
    var line = [];
    Array.prototype.forEach.call(cells, function (td, column) {
      var input = td.querySelector("input[data-cell]");
      line.push(input || null);
      if (input) {
        positions.set(input, { row: matrix.length, column: column });
      }
    });
    matrix.push(line);
  });

  function cellName(key) {
    var at = key.lastIndexOf(":");
    return { row: key.slice(0, at), column: key.slice(at + 1) };
  }

  /* --- Computed cells -------------------------------------------------------------- */

  function recompute() {
    if (!HAS_BIGINT) {
      return;
    }
    var numbers = {};
    inputs.forEach(function (input) {
      var type = input.dataset.type;
      if (type === "integer" || type === "decimal" || type === "percent") {
        numbers[input.dataset.cell] = readCell(input.value, type).value;
      }
    });
    var results = {};
    var busy = {};

    function valueOf(key) {
      if (Object.prototype.hasOwnProperty.call(config.formulas, key)) {
        if (!Object.prototype.hasOwnProperty.call(results, key)) {
          if (busy[key]) {
            return null;
          }
          busy[key] = true;
          results[key] = evaluate(config.formulas[key]);
          busy[key] = false;
        }
        return results[key];
      }
      var value = numbers[key];
      return value === undefined ? null : value;
    }

    function walk(node) {
      if (node.n !== undefined) { return decFromPlain(node.n); }
      if (node.ref !== undefined) {
        var value = valueOf(node.ref);
        return value === null ? dec(ZERO, 0) : value;
      }
      if (node.sum !== undefined) {
        return node.sum.reduce(function (total, key) {
          var item = valueOf(key);
          return item === null ? total : add(total, item);
        }, dec(ZERO, 0));
      }
      if (node.neg !== undefined) {
        var operand = walk(node.neg);
        return dec(-operand.m, operand.e);
      }
      var left = walk(node.l);
      var right = walk(node.r);
      if (node.op === "+") { return add(left, right); }
      if (node.op === "-") { return sub(left, right); }
      if (node.op === "*") { return mul(left, right); }
      return div(left, right);
    }

    function evaluate(node) {
      if (!node) {
        return null;
      }
      try {
        return walk(node);
      } catch (error) {
        if (error instanceof DivisionByZero) {
          return null;
        }
        throw error;
      }
    }

    Object.keys(outputByKey).forEach(function (key) {
      var text = formatVi(valueOf(key));
      if (outputByKey[key].textContent !== text) {
        outputByKey[key].textContent = text;
      }
    });
  }

  var recomputeQueued = false;
  function queueRecompute() {
    if (recomputeQueued) {
      return;
    }
    recomputeQueued = true;
    window.requestAnimationFrame(function () {
      recomputeQueued = false;
      recompute();
    });
  }

  /* --- Errors on cells ------------------------------------------------------------- */

  function setCellError(input, message) {
    var td = input.closest("td");
    var holder = byId(input.id + "-error");
    if (message) {
      if (!holder) {
        holder = document.createElement("span");
        holder.className = "cell-error";
        holder.id = input.id + "-error";
        input.insertAdjacentElement("afterend", holder);
      }
      holder.textContent = message;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", holder.id);
      td.classList.add("has-error");
    } else {
      if (holder) {
        holder.remove();
      }
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      td.classList.remove("has-error");
    }
  }

  function checkCell(input, reformat) {
    var read = readCell(input.value, input.dataset.type);
    setCellError(input, read.error);
    if (reformat && !read.error) {
      var shown = displayOf(input.value, input.dataset.type);
      if (shown !== input.value) {
        input.value = shown;
      }
    }
    return !read.error;
  }

  function localProblems() {
    return inputs.filter(function (input) {
      return input.getAttribute("aria-invalid") === "true";
    });
  }

  var summary = byId("problem-summary");
  var summaryList = byId("problem-list");
  var summaryCount = byId("problem-count");

  function showProblems(errors, sentences, message) {
    inputs.forEach(function (input) {
      var key = input.dataset.cell;
      setCellError(input, errors[key] || "");
    });
    if (!summary) {
      return;
    }
    var keys = Object.keys(errors);
    if (!keys.length) {
      summary.hidden = true;
      return;
    }
    summaryList.textContent = "";
    keys.forEach(function (key, index) {
      var item = document.createElement("li");
      var input = inputByKey[key];
      var text = sentences && sentences[index] ? sentences[index]
        : fmt(messages.cell_problem, { row: cellName(key).row, column: cellName(key).column, message: errors[key] });
      if (input) {
        var link = document.createElement("a");
        link.href = "#" + input.id;
        link.textContent = text;
        link.addEventListener("click", function (event) {
          event.preventDefault();
          input.focus();
        });
        item.appendChild(link);
      } else {
        item.textContent = text;
      }
      summaryList.appendChild(item);
    });
    summaryCount.textContent = message || fmt(messages.problems, { count: keys.length });
    summary.hidden = false;
  }

  function hideProblems() {
    if (summary) {
      summary.hidden = true;
    }
  }

  if (!config.editable) {
    return;
  }

  /* --- Status line ----------------------------------------------------------------- */

  var statusLine = byId("entry-status");
  function status(text, kind) {
    statusLine.textContent = text;
    statusLine.className = "entry-status" + (kind ? " is-" + kind : "");
  }

  /* --- Keyboard -------------------------------------------------------------------- */

  function focusCell(input) {
    input.focus();
    input.select();
  }

  function neighbour(input, rowStep, columnStep) {
    var at = positions.get(input);
    var row = at.row + rowStep;
    var column = at.column + columnStep;
    while (row >= 0 && row < matrix.length && column >= 0 && column < matrix[row].length) {
      if (matrix[row][column]) {
        return matrix[row][column];
      }
      row += rowStep;
      column += columnStep;
    }
    return null;
  }

  function go(input, rowStep, columnStep) {
    var next = neighbour(input, rowStep, columnStep);
    if (next) {
      focusCell(next);
    }
  }

  var noteButton = document.createElement("button");
  noteButton.type = "button";
  noteButton.className = "note-button";
  noteButton.tabIndex = -1;
  noteButton.textContent = "\u270e";

  var pointerFocus = false;
  grid.addEventListener("mousedown", function () {
    pointerFocus = true;
  });

  grid.addEventListener("focusin", function (event) {
    var input = event.target;
    if (!positions.has(input)) {
      return;
    }
    input.dataset.before = input.value;
    if (!pointerFocus) {
      input.select();
    }
    pointerFocus = false;
    var key = input.dataset.cell;
    var name = cellName(key);
    noteButton.dataset.noteCell = key;
    noteButton.setAttribute("aria-label", fmt(messages.note_for, name));
    noteButton.title = fmt(messages.note_for, name);
    input.closest("td").appendChild(noteButton);
  });

  grid.addEventListener("focusout", function (event) {
    var input = event.target;
    if (positions.has(input)) {
      checkCell(input, true);
    }
  });

  grid.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!positions.has(input) || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var length = input.value.length;
    var start = input.selectionStart;
    var end = input.selectionEnd;
    switch (event.key) {
      case "ArrowUp":
        event.preventDefault();
        go(input, -1, 0);
        break;
      case "ArrowDown":
        event.preventDefault();
        go(input, 1, 0);
        break;
      case "ArrowLeft":
        if (start === 0 && (end === 0 || end === length) && !event.shiftKey) {
          event.preventDefault();
          go(input, 0, -1);
        }
        break;
      case "ArrowRight":
        if (end === length && (start === length || start === 0) && !event.shiftKey) {
          event.preventDefault();
          go(input, 0, 1);
        }
        break;
      case "Enter":
        event.preventDefault();
        checkCell(input, true);
        go(input, event.shiftKey ? -1 : 1, 0);
        break;
      case "Escape":
        if (input.dataset.before !== undefined && input.value !== input.dataset.before) {
          input.value = input.dataset.before;
          changed(input);
          input.select();
        }
        break;
      case "F2":
        if (event.shiftKey) {
          event.preventDefault();
          openNote(input.dataset.cell);
        }
        break;
      default:
        break;
    }
  });

  /* --- Paste a block --------------------------------------------------------------- */

  grid.addEventListener("paste", function (event) {
    var input = event.target;
    if (!positions.has(input) || !event.clipboardData) {
      return;
    }
    var text = event.clipboardData.getData("text/plain");
    var lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
    if (lines.length === 1 && lines[0].indexOf("\t") === -1) {
      return; // one value: the browser pastes it into the cell
    }
    event.preventDefault();
    var at = positions.get(input);
    var filled = 0;
    var skipped = 0;
    lines.forEach(function (line, rowOffset) {
      var row = matrix[at.row + rowOffset];
      if (!row) {
        return;
      }
      line.split("\t").forEach(function (value, columnOffset) {
        var column = at.column + columnOffset;
        if (column >= row.length) {
          return;
        }
        var target = row[column];
        if (!target) {
          if (value.trim()) {
            skipped += 1;
          }
          return;
        }
        target.value = value.trim();
        checkCell(target, true);
        filled += 1;
      });
    });
    input.dataset.before = input.value;
    markDirty();
    queueRecompute();
    status(
      skipped
        ? fmt(messages.pasted_skipped, { count: filled, skipped: skipped })
        : fmt(messages.pasted, { count: filled }),
      ""
    );
  });

  /* --- Comments -------------------------------------------------------------------- */

  var comments = {};
  Object.keys(config.comments || {}).forEach(function (key) {
    comments[key] = config.comments[key];
  });
  var noteEditor = byId("note-editor");
  var noteText = byId("note-text");
  var noteLabel = byId("note-label");
  var noteCell = null;

  function showComment(key) {
    var input = inputByKey[key];
    if (!input) {
      return;
    }
    var td = input.closest("td");
    td.classList.toggle("has-comment", Boolean(comments[key]));
    if (comments[key]) {
      td.title = comments[key];
    } else {
      td.removeAttribute("title");
    }
  }

  function openNote(key) {
    noteCell = key;
    noteLabel.textContent = fmt(messages.note_for, cellName(key));
    noteText.value = comments[key] || "";
    noteEditor.hidden = false;
    noteText.focus();
  }

  function closeNote(keep) {
    if (noteCell === null) {
      return;
    }
    var key = noteCell;
    noteCell = null;
    if (keep) {
      var text = noteText.value.trim();
      if ((comments[key] || "") !== text) {
        if (text) { comments[key] = text; } else { delete comments[key]; }
        showComment(key);
        markDirty();
      }
    }
    noteEditor.hidden = true;
    if (inputByKey[key]) {
      inputByKey[key].focus();
    }
  }

  noteButton.addEventListener("click", function () {
    openNote(noteButton.dataset.noteCell);
  });
  byId("note-done").addEventListener("click", function () {
    closeNote(true);
  });
  byId("note-remove").addEventListener("click", function () {
    noteText.value = "";
    closeNote(true);
  });
  noteText.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeNote(false);
    }
  });

  /* --- What was typed, kept on this device until the server has it ---------------- */

  var base = config.revision;
  var baseInputs = document.querySelectorAll("input[name=base_revision]");
  var storagePrefix = "entry:" + config.submission + ":";
  var editCount = 0;
  var dirty = false;
  var locked = false;

  function setBase(number) {
    base = number;
    Array.prototype.forEach.call(baseInputs, function (field) {
      field.value = String(number);
    });
  }

  function collect() {
    var values = {};
    inputs.forEach(function (input) {
      values[input.dataset.cell] = input.value;
    });
    var notes = {};
    Object.keys(comments).forEach(function (key) {
      notes[key] = comments[key];
    });
    return { values: values, comments: notes };
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null;
    }
  }

  function journalKeys() {
    var store = storage();
    var keys = [];
    if (!store) {
      return keys;
    }
    for (var i = 0; i < store.length; i += 1) {
      var key = store.key(i);
      if (key && key.indexOf(storagePrefix) === 0) {
        keys.push(key);
      }
    }
    return keys;
  }

  function clearJournal() {
    var store = storage();
    journalKeys().forEach(function (key) {
      store.removeItem(key);
    });
  }

  function writeJournal() {
    var store = storage();
    if (!store) {
      return;
    }
    var snapshot = collect();
    snapshot.revision = base;
    snapshot.at = Date.now();
    try {
      journalKeys().forEach(function (key) {
        if (key !== storagePrefix + base) {
          store.removeItem(key);
        }
      });
      store.setItem(storagePrefix + base, JSON.stringify(snapshot));
    } catch (error) {
      // A full or forbidden storage: the values are still on the page.
    }
  }

  var journalTimer = null;
  var autosaveTimer = null;

  function markDirty() {
    editCount += 1;
    dirty = true;
    if (!savingNow) {
      status(messages.unsaved, "");
    }
    window.clearTimeout(journalTimer);
    journalTimer = window.setTimeout(writeJournal, 250);
    scheduleAutosave();
    scheduleCheck();
  }

  function changed(input) {
    var read = readCell(input.value, input.dataset.type);
    if (!read.error && input.getAttribute("aria-invalid") === "true") {
      setCellError(input, "");
    }
    markDirty();
    queueRecompute();
  }

  grid.addEventListener("input", function (event) {
    if (positions.has(event.target)) {
      changed(event.target);
    }
  });

  function scheduleAutosave() {
    window.clearTimeout(autosaveTimer);
    if (locked || conflictOpen) {
      return;
    }
    autosaveTimer = window.setTimeout(function () {
      if (dirty && !localProblems().length && !retryTimer) {
        save();
      }
    }, config.autosaveMs);
  }

  /* --- Saving ---------------------------------------------------------------------- */

  var form = byId("entry-form");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var savingNow = null;
  var saveAgain = false;
  var retryTimer = null;
  var attempt = 0;
  var conflictOpen = false;

  function post(url, payload) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": token,
        "X-Requested-With": "XMLHttpRequest"
      },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () {
        return {};
      }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  /* --- Checks while typing --------------------------------------------------------- */
  /* The typed values go to the server's rule engine after a short pause; the cells a
     violation involves are marked with its message, and the list under the grid
     repeats them. Nothing is saved by a check. */

  var checkTimer = null;
  var checkSequence = 0;
  var liveList = byId("live-violation-list");

  function cellOf(key) {
    var element = inputByKey[key] || outputByKey[key] ||
      grid.querySelector("[data-cell='" + key.replace(/'/g, "") + "']");
    return element ? element.closest("td") : null;
  }

  function markViolations(violations, listed) {
    Array.prototype.forEach.call(grid.querySelectorAll("td.has-violation"), function (td) {
      td.classList.remove("has-violation", "violation-error", "violation-warning", "violation-info");
      Array.prototype.forEach.call(td.querySelectorAll(".cell-violation"), function (note) {
        note.remove();
      });
    });
    if (liveList && listed) {
      liveList.textContent = "";
    }
    violations.forEach(function (violation) {
      var seen = {};
      (violation.cells || []).forEach(function (cell) {
        var key = cell.row + ":" + cell.column;
        if (cell.form || cell.period || cell.scope || seen[key]) {
          return;
        }
        seen[key] = true;
        var td = cellOf(key);
        if (!td) {
          return;
        }
        td.classList.add("has-violation", "violation-" + violation.importance);
        var note = document.createElement("span");
        note.className = "cell-violation";
        note.textContent = violation.message;
        td.appendChild(note);
      });
      if (liveList && listed) {
        var item = document.createElement("li");
        item.className = "violation violation-" + violation.importance;
        var tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = messages[violation.importance] || violation.importance;
        item.appendChild(tag);
        item.appendChild(document.createTextNode(" " + violation.message));
        liveList.appendChild(item);
      }
    });
  }

  function checkNow() {
    checkSequence += 1;
    var sequence = checkSequence;
    post(config.checkUrl, { values: collect().values }).then(function (reply) {
      if (sequence === checkSequence && reply.status === 200) {
        markViolations(reply.data.violations || [], true);
      }
    }).catch(function () {
      /* Offline: the check runs again on the next change and on submit. */
    });
  }

  function scheduleCheck() {
    if (!config.checkUrl) {
      return;
    }
    window.clearTimeout(checkTimer);
    checkTimer = window.setTimeout(checkNow, config.checkMs || 400);
  }

  markViolations(config.violations || [], false);

  function retryLater(message) {
    attempt += 1;
    var delay = Math.min(2000 * Math.pow(2, attempt - 1), 60000);
    writeJournal();
    status(fmt(message, { seconds: Math.round(delay / 1000) }), "error");
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      save();
    }, delay);
  }

  function applySaved(computed, sentAt) {
    if (sentAt !== editCount) {
      return; // typed since: the page's own figures are newer
    }
    Object.keys(outputByKey).forEach(function (key) {
      outputByKey[key].textContent = computed[key] || "";
    });
    inputs.forEach(function (input) {
      if (input !== document.activeElement) {
        checkCell(input, true);
      }
    });
  }

  function save() {
    if (savingNow) {
      saveAgain = true;
      return savingNow;
    }
    if (locked) {
      return Promise.resolve(false);
    }
    window.clearTimeout(autosaveTimer);
    window.clearTimeout(retryTimer);
    retryTimer = null;
    var sentAt = editCount;
    var snapshot = collect();
    status(messages.saving, "");
    savingNow = post(config.saveUrl, {
      base_revision: base,
      values: snapshot.values,
      comments: snapshot.comments
    }).then(function (answer) {
      var data = answer.data || {};
      if (answer.status === 200) {
        attempt = 0;
        setBase(data.revision);
        showProblems({}, [], "");
        applySaved(data.computed || {}, sentAt);
        if (sentAt === editCount) {
          dirty = false;
          clearJournal();
        } else {
          writeJournal();
          scheduleAutosave();
        }
        status(data.message, "ok");
        updateRevisionFact(data.message);
        return true;
      }
      if (answer.status === 400 && data.errors) {
        attempt = 0;
        writeJournal();
        showProblems(data.errors, data.problems, data.message);
        status(data.message, "error");
        return false;
      }
      if (answer.status === 409 && data.differences) {
        attempt = 0;
        writeJournal();
        showConflict(data);
        status(data.message, "error");
        return false;
      }
      if (answer.status === 403 || answer.status === 423) {
        locked = true;
        writeJournal();
        status(data.message || "", "error");
        return false;
      }
      if (answer.status === 400 || answer.status === 404) {
        writeJournal();
        status(data.message || String(answer.status), "error");
        return false;
      }
      retryLater(messages.server_error);
      return false;
    }, function () {
      retryLater(messages.offline);
      return false;
    }).then(function (result) {
      savingNow = null;
      if (saveAgain) {
        saveAgain = false;
        if (dirty && !retryTimer && !locked && !conflictOpen) {
          return save();
        }
      }
      return result;
    });
    return savingNow;
  }

  var revisionFact = byId("revision-fact");
  function updateRevisionFact(message) {
    if (revisionFact && message) {
      revisionFact.textContent = message;
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (noteCell !== null) {
      closeNote(true);
    }
    inputs.forEach(function (input) {
      checkCell(input, input !== document.activeElement);
    });
    save();
  });

  window.addEventListener("online", function () {
    if (retryTimer) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
      save();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) {
      writeJournal();
    }
  });

  /* --- Conflict -------------------------------------------------------------------- */

  var conflictPanel = byId("conflict-panel");
  var conflict = null;

  function showConflict(data) {
    conflict = data;
    conflictOpen = true;
    window.clearTimeout(autosaveTimer);
    conflictPanel.innerHTML = data.html;
    conflictPanel.hidden = false;
    bindConflict();
    conflictPanel.scrollIntoView({ block: "start" });
  }

  function bindConflict() {
    var theirs = conflictPanel.querySelector("[data-conflict=theirs]");
    var mine = conflictPanel.querySelector("[data-conflict=mine]");
    if (theirs) {
      theirs.addEventListener("click", function (event) {
        event.preventDefault();
        takeTheirs();
      });
    }
    if (mine) {
      mine.addEventListener("click", function (event) {
        event.preventDefault();
        keepMine();
      });
    }
  }

  function closeConflict() {
    conflictOpen = false;
    conflictPanel.hidden = true;
    conflictPanel.textContent = "";
  }

  function takeTheirs() {
    var values = conflict ? conflict.theirs_values : {};
    inputs.forEach(function (input) {
      input.value = values[input.dataset.cell] || "";
      setCellError(input, "");
    });
    Object.keys(comments).forEach(function (key) {
      delete comments[key];
      showComment(key);
    });
    var theirComments = conflict ? conflict.theirs_comments || {} : {};
    Object.keys(theirComments).forEach(function (key) {
      comments[key] = theirComments[key];
      showComment(key);
    });
    setBase(conflict.current_revision);
    dirty = false;
    editCount += 1;
    clearJournal();
    closeConflict();
    hideProblems();
    recompute();
    status(fmt(messages.took_theirs, { number: conflict.current_revision }), "ok");
  }

  function keepMine() {
    setBase(conflict.current_revision);
    closeConflict();
    writeJournal();
    save();
  }

  if (conflictPanel && !conflictPanel.hidden) {
    // The page came back from a plain form post with a conflict: its base revision
    // is already the newer one, so keeping mine is a plain save.
    conflictOpen = true;
    conflict = { current_revision: base, theirs_values: null };
    var theirsLink = conflictPanel.querySelector("[data-conflict=theirs]");
    var mineButton = conflictPanel.querySelector("[data-conflict=mine]");
    if (mineButton) {
      mineButton.addEventListener("click", function (event) {
        event.preventDefault();
        closeConflict();
        markDirty();
        save();
      });
    }
    if (theirsLink) {
      theirsLink.addEventListener("click", function () {
        clearJournal();
      });
    }
  }

  /* --- Submitting ------------------------------------------------------------------ */

  var submitForm = byId("submit-form");
  var confirmPanel = byId("submit-confirm");
  var submitResult = byId("submit-result");

  function makeReadOnly() {
    locked = true;
    inputs.forEach(function (input) {
      input.readOnly = true;
    });
    ["save-button", "submit-form"].forEach(function (id) {
      var element = byId(id);
      if (element) {
        element.hidden = true;
      }
    });
    noteButton.remove();
  }

  function submitNow() {
    confirmPanel.hidden = true;
    var ready = dirty || localProblems().length ? save() : Promise.resolve(true);
    ready.then(function () {
      if (dirty || localProblems().length || conflictOpen || locked) {
        if (!conflictOpen && !locked) {
          status(messages.fix_before_submit, "error");
        }
        return null;
      }
      status(messages.submitting, "");
      return post(config.submitUrl, { base_revision: base });
    }).then(function (answer) {
      if (!answer) {
        return;
      }
      var data = answer.data || {};
      if (answer.status !== 200) {
        status(data.message || String(answer.status), "error");
        return;
      }
      clearJournal();
      makeReadOnly();
      submitResult.textContent = data.message + " ";
      if (data.receipt_url) {
        var link = document.createElement("a");
        link.href = data.receipt_url;
        link.id = "receipt-link";
        link.textContent = messages.view_receipt;
        submitResult.appendChild(link);
      }
      submitResult.hidden = false;
      var pill = byId("report-status");
      if (pill) {
        pill.textContent = messages.submitted;
        pill.className = "status report-status-submitted";
      }
      status("", "");
      submitResult.scrollIntoView({ block: "center" });
    }, function () {
      retryLater(messages.offline);
    });
  }

  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      event.preventDefault();
      confirmPanel.hidden = false;
      byId("submit-confirm-yes").focus();
    });
    byId("submit-confirm-yes").addEventListener("click", submitNow);
    byId("submit-confirm-no").addEventListener("click", function () {
      confirmPanel.hidden = true;
      byId("submit-button").focus();
    });
  }

  /* --- Back after a reload: what was typed and not saved --------------------------- */

  function restore() {
    var store = storage();
    if (!store) {
      return;
    }
    var newest = null;
    journalKeys().forEach(function (key) {
      try {
        var snapshot = JSON.parse(store.getItem(key));
        if (snapshot && snapshot.values && (!newest || snapshot.at > newest.at)) {
          newest = snapshot;
        }
      } catch (error) {
        store.removeItem(key);
      }
    });
    if (!newest) {
      return;
    }
    var current = collect();
    var differing = 0;
    inputs.forEach(function (input) {
      var key = input.dataset.cell;
      var kept = newest.values[key];
      if (kept !== undefined && kept !== current.values[key]) {
        input.value = kept;
        checkCell(input, true);
        differing += 1;
      }
    });
    var keptComments = newest.comments || {};
    var noteKeys = Object.keys(keptComments).concat(Object.keys(comments));
    noteKeys.forEach(function (key) {
      if ((keptComments[key] || "") !== (comments[key] || "")) {
        if (keptComments[key]) { comments[key] = keptComments[key]; } else { delete comments[key]; }
        showComment(key);
        differing += 1;
      }
    });
    if (!differing) {
      clearJournal();
      return;
    }
    setBase(newest.revision);
    dirty = true;
    editCount += 1;
    recompute();
    var when = new Date(newest.at);
    var time = ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
    byId("restored-text").textContent = fmt(messages.restored, { count: differing, time: time });
    var notice = byId("restored-notice");
    notice.hidden = false;
    status(messages.unsaved, "");
    byId("restored-save").addEventListener("click", function () {
      notice.hidden = true;
      save();
    });
    byId("restored-discard").addEventListener("click", function () {
      clearJournal();
      window.location.reload();
    });
  }

  restore();
  recompute();
})();
