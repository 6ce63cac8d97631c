// Review screen: reorder Q&A rows (↑↓ buttons or drag) and keep their positions 1..n.
"use strict";
(function () {
  function rows() {
    return Array.from(document.querySelectorAll(".qa-rows > tr.qa-row:not(.empty-form)"));
  }
  function renumber() {
    let position = 1;
    rows().forEach(function (row) {
      const input = row.querySelector("input.qa-position");
      const deleted = row.querySelector("td.delete input[type=checkbox]");
      if (!input || (deleted && deleted.checked)) return;
      // Only rows that hold something get a number (an untouched new row stays empty).
      const texts = Array.from(row.querySelectorAll("textarea")).some(function (t) { return t.value.trim(); });
      if (row.classList.contains("has_original") || texts) input.value = position++;
    });
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button.qa-move");
    if (!button) return;
    const row = button.closest("tr");
    const target = button.dataset.move === "-1" ? row.previousElementSibling : row.nextElementSibling;
    if (!target || !target.classList.contains("qa-row") || target.classList.contains("empty-form")) return;
    if (button.dataset.move === "-1") target.before(row); else target.after(row);
    renumber();
    button.focus();
  });
  let dragged = null;
  document.addEventListener("dragstart", function (event) {
    const row = event.target.closest && event.target.closest("tr.qa-row");
    if (!row || event.target.matches("textarea, input")) return;
    dragged = row;
    event.dataTransfer.effectAllowed = "move";
  });
  document.addEventListener("dragover", function (event) {
    const row = dragged && event.target.closest && event.target.closest("tr.qa-row");
    if (!row || row === dragged || row.classList.contains("empty-form")) return;
    event.preventDefault();
    const rect = row.getBoundingClientRect();
    if (event.clientY < rect.top + rect.height / 2) row.before(dragged); else row.after(dragged);
  });
  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    event.preventDefault();
    dragged = null;
    renumber();
  });
  document.addEventListener("dragend", function () { dragged = null; renumber(); });
  document.addEventListener("change", function (event) {
    if (event.target.matches(".qa-rows td.delete input[type=checkbox]")) renumber();
  });
  document.addEventListener("formset:added", renumber);
})();
