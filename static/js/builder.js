/*
 * Form builder: small helpers for the paste boxes. Progressive enhancement only:
 * without this script the boxes are plain text areas and everything still works.
 *
 * - Tab types a tab in a box marked data-tab-input (Esc, then Tab, leaves the box).
 * - Line tools move the lines under the cursor up or down, and indent or outdent
 *   rows (the fourth field of a row line).
 * - Problem buttons (data-goto-line) select their line in the box.
 */
(function () {
  "use strict";

  var MAX_INDENT = 6;

  function lineBounds(text, start, end) {
    var first = text.lastIndexOf("\n", start - 1) + 1;
    var stop = end > start && text.charAt(end - 1) === "\n" ? end - 1 : end;
    var last = text.indexOf("\n", stop);
    return { first: first, last: last === -1 ? text.length : last };
  }

  function lineIndexAt(text, position) {
    return text.slice(0, position).split("\n").length - 1;
  }

  function selectLines(box, lines, firstIndex, count) {
    var start = 0;
    for (var i = 0; i < firstIndex; i += 1) {
      start += lines[i].length + 1;
    }
    var end = start;
    for (var j = firstIndex; j < firstIndex + count; j += 1) {
      end += lines[j].length + (j < firstIndex + count - 1 ? 1 : 0);
    }
    box.focus();
    box.setSelectionRange(start, end);
  }

  function splitFields(line) {
    if (line.indexOf("\t") !== -1) {
      return { fields: line.split("\t"), separator: "\t" };
    }
    if (line.indexOf("|") !== -1) {
      return {
        fields: line.split("|").map(function (part) { return part.trim(); }),
        separator: " | "
      };
    }
    return { fields: ["", line], separator: "\t" };
  }

  function leadingLevels(label) {
    var spaces = label.length - label.replace(/^[ \u00a0]+/, "").length;
    return Math.floor(spaces / 2);
  }

  function shiftIndent(line, delta) {
    if (!line.trim()) {
      return line;
    }
    var split = splitFields(line);
    var fields = split.fields;
    var labelAt = 1;
    while (labelAt < fields.length - 1 && !fields[labelAt].trim()) {
      labelAt += 1;
    }
    var skipped = labelAt - 1;
    var label = fields[labelAt] || "";
    var rest = fields.slice(labelAt + 1);
    // After the label come the unit, then the indent.
    var current = rest.length > 1 && /^\s*\d+\s*$/.test(rest[1])
      ? parseInt(rest[1], 10)
      : skipped + leadingLevels(label);
    var next = Math.max(0, Math.min(MAX_INDENT, current + delta));
    while (rest.length < 2) {
      rest.push("");
    }
    rest[1] = String(next);
    return [fields[0], label.replace(/^[ \u00a0]+/, "")].concat(rest).join(split.separator);
  }

  function applyLineAction(box, action) {
    var text = box.value;
    var lines = text.split("\n");
    var bounds = lineBounds(text, box.selectionStart, box.selectionEnd);
    var first = lineIndexAt(text, bounds.first);
    var last = lineIndexAt(text, bounds.last);
    var count = last - first + 1;
    if (action === "up" && first > 0) {
      var above = lines.splice(first - 1, 1)[0];
      lines.splice(last, 0, above);
      first -= 1;
    } else if (action === "down" && last < lines.length - 1) {
      var below = lines.splice(last + 1, 1)[0];
      lines.splice(first, 0, below);
      first += 1;
    } else if (action === "indent" || action === "outdent") {
      for (var i = first; i <= last; i += 1) {
        lines[i] = shiftIndent(lines[i], action === "indent" ? 1 : -1);
      }
    } else {
      box.focus();
      return;
    }
    box.value = lines.join("\n");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    selectLines(box, lines, first, count);
  }

  function gotoLine(box, number) {
    var lines = box.value.split("\n");
    var index = Math.max(0, Math.min(lines.length - 1, number - 1));
    selectLines(box, lines, index, 1);
    var lineHeight = parseFloat(window.getComputedStyle(box).lineHeight) || 20;
    box.scrollTop = Math.max(0, (index - 2) * lineHeight);
  }

  function setUpTabInput(box) {
    var leaving = false;
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        leaving = true;
        return;
      }
      if (event.key === "Tab" && !leaving && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
        event.preventDefault();
        var start = box.selectionStart;
        box.setRangeText("\t", start, box.selectionEnd, "end");
        box.dispatchEvent(new Event("input", { bubbles: true }));
        return;
      }
      leaving = false;
    });
    box.addEventListener("blur", function () { leaving = false; });
  }

  function setUp() {
    document.querySelectorAll("textarea[data-tab-input]").forEach(setUpTabInput);
    document.querySelectorAll("[data-line-tools]").forEach(function (tools) {
      var box = document.getElementById(tools.getAttribute("data-line-tools"));
      if (!box) {
        return;
      }
      tools.hidden = false;
      tools.addEventListener("click", function (event) {
        var button = event.target.closest("[data-line-action]");
        if (button) {
          applyLineAction(box, button.getAttribute("data-line-action"));
        }
      });
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-goto-line]");
      if (!button) {
        return;
      }
      var box = document.getElementById(button.getAttribute("data-target"));
      if (box) {
        gotoLine(box, parseInt(button.getAttribute("data-goto-line"), 10));
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
