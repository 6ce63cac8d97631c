// Review screen of a note (admin change form): reorder Q&A rows, show each answer's
// evidence, keyboard shortcuts that press the save bar's buttons, come back to the same
// place after a save, and a warning before leaving with unsaved text.
"use strict";
(function () {
  const form = document.getElementById("note_form");

  // -- Q&A order: ↑↓ buttons or drag, positions 1..n ---------------------------------------
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
  // A new row gets its number as soon as something is typed in it, and numbers are
  // checked once more when the form is sent.
  document.addEventListener("input", function (event) {
    const row = event.target.closest && event.target.closest("tr.qa-row");
    if (row && !row.classList.contains("has_original")) renumber();
  });
  document.addEventListener("submit", renumber, true);

  if (!form) return;

  // -- Text areas as tall as their text: a whole answer is read without scrolling in a box --
  function fit(textarea) {
    if (!textarea.offsetParent) return; // hidden (the empty row template)
    textarea.style.height = "auto";
    textarea.style.height = textarea.scrollHeight + 2 + "px";
  }
  const growing = "textarea.qa-text, .review-field textarea";
  document.querySelectorAll(growing).forEach(function (textarea) {
    if (textarea.matches(".qa-text")) textarea.rows = 1; // a one-line question stays one line
    fit(textarea);
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(growing)) fit(event.target);
  });

  // -- Evidence beside each answer: shown (remembered), each passage scrolled to its quote --
  const EVIDENCE_KEY = "papernotes.review.evidence";
  const group = document.getElementById("qas-group");
  const toggle = document.getElementById("qa-evidence-toggle");
  function showQuotes() {
    document.querySelectorAll(".evidence__passage").forEach(function (box) {
      const mark = box.querySelector("mark");
      if (mark) box.scrollTop = Math.max(0, mark.offsetTop - 8);
    });
  }
  function showEvidence(shown) {
    if (!group || !toggle) return;
    group.classList.toggle("qa-evidence-hidden", !shown);
    toggle.setAttribute("aria-pressed", String(shown));
    if (shown) showQuotes();
  }
  if (toggle) {
    showEvidence(localStorage.getItem(EVIDENCE_KEY) !== "hidden");
    toggle.addEventListener("click", function () {
      const shown = toggle.getAttribute("aria-pressed") !== "true";
      localStorage.setItem(EVIDENCE_KEY, shown ? "shown" : "hidden");
      showEvidence(shown);
    });
  }

  // -- Unsaved text: warn before leaving, never after submitting ----------------------------
  function same(a, b) { return a.replace(/\r\n/g, "\n") === b.replace(/\r\n/g, "\n"); }
  function changed(field) {
    if (!field.name || field.disabled || field.type === "hidden" || field.closest(".empty-form")) return false;
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      return Array.from(field.options).some(function (option) { return option.selected !== option.defaultSelected; });
    }
    if (field.type === "submit" || field.type === "button") return false;
    // A regenerated draft updates the hidden copy of what the editor was shown: not theirs.
    const initial = form.querySelector("input[type=hidden][name='initial-" + field.name + "']");
    return !same(field.value, initial ? initial.value : field.defaultValue);
  }
  function unsaved() {
    return Array.from(form.elements).some(changed);
  }
  let submitting = false;
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !unsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // -- Keyboard: the save bar's buttons, and the next or previous Q&A pair -----------------
  function button(shortcut) {
    return document.querySelector("#save-bar button[data-shortcut='" + shortcut + "']");
  }
  function typing(target) {
    if (target.isContentEditable) return true;
    if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    return target.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(target.type);
  }
  function pairs() {
    return rows().filter(function (row) { return row.hasAttribute("data-qa-id") && row.offsetParent; });
  }
  function fieldOf(element) {
    const name = element && element.name ? element.name.split("-").pop() : "";
    return name === "question" || name === "answer" ? name : "";
  }
  function goTo(step, keepField) {
    const all = pairs();
    if (!all.length) return;
    const active = document.activeElement;
    const current = active && active.closest ? active.closest("tr.qa-row") : null;
    let index = all.indexOf(current);
    if (index < 0) {
      // Nothing chosen yet: start from what is on screen.
      const below = all.findIndex(function (row) { return row.getBoundingClientRect().top > 1; });
      index = step > 0 ? (below < 0 ? all.length : below) - 1 : (below < 0 ? all.length : below);
    }
    const target = all[Math.min(all.length - 1, Math.max(0, index + step))];
    const field = keepField && fieldOf(active);
    const into = field ? target.querySelector("textarea[name$='-" + field + "']") : null;
    (into || target).focus({ preventScroll: true });
    target.scrollIntoView({ block: "start" });
  }
  document.addEventListener("keydown", function (event) {
    if (event.isComposing || event.keyCode === 229) return; // an IME is converting Japanese
    const command = event.ctrlKey || event.metaKey;
    if (command && !event.altKey && (event.key === "s" || event.key === "S")) {
      const save = button("save");
      if (save) { event.preventDefault(); save.click(); }
      return;
    }
    if (command && event.key === "Enter") {
      const approve = button("approve");
      if (approve) { event.preventDefault(); approve.click(); }
      return;
    }
    if (event.altKey && !command && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      goTo(event.key === "ArrowDown" ? 1 : -1, true);
      return;
    }
    if (event.key === "Escape" && typing(event.target)) {
      const row = event.target.closest("tr.qa-row[data-qa-id]");
      if (row) row.focus({ preventScroll: true }); else event.target.blur();
      return;
    }
    if (command || event.altKey || typing(event.target)) return;
    if (event.key === "j" || event.key === "J") goTo(1, false);
    else if (event.key === "k" || event.key === "K") goTo(-1, false);
    else if (event.key === "Enter" && event.target.matches("tr.qa-row[data-qa-id]")) {
      event.preventDefault();
      const answer = event.target.querySelector("textarea[name$='-answer']");
      if (answer) answer.focus();
    }
  });

  // -- After a save: back where the editor was (same pair and field, same place on screen) --
  const POSITION_KEY = "papernotes.review.position:" + location.pathname;
  let lastPlace = null;
  form.addEventListener("focusin", function (event) {
    if (!event.target.closest("#save-bar")) lastPlace = event.target;
  });
  function onScreen(element) {
    const rect = element.getBoundingClientRect();
    return rect.bottom > 0 && rect.top < window.innerHeight;
  }
  function describe(element) {
    const row = element.closest("tr.qa-row[data-qa-id]");
    if (row) return { qa: row.dataset.qaId, field: fieldOf(element) };
    return element.id ? { id: element.id } : null;
  }
  function find(anchor) {
    if (!anchor) return null;
    if (anchor.qa) {
      const row = document.querySelector("tr.qa-row[data-qa-id='" + anchor.qa + "']");
      return row && anchor.field ? row.querySelector("textarea[name$='-" + anchor.field + "']") || row : row;
    }
    return anchor.id ? document.getElementById(anchor.id) : null;
  }
  form.addEventListener("submit", function () {
    let element = lastPlace && document.contains(lastPlace) && onScreen(lastPlace) ? lastPlace : null;
    const focused = Boolean(element);
    if (!element) {
      // What the editor was looking at: the first pair or field on screen.
      element = Array.from(document.querySelectorAll("tr.qa-row[data-qa-id], .review-field")).find(onScreen);
    }
    const anchor = element ? describe(element) : null;
    sessionStorage.setItem(POSITION_KEY, JSON.stringify({
      at: Date.now(),
      anchor: anchor,
      top: element ? element.getBoundingClientRect().top : 0,
      scrollY: window.scrollY,
      focused: focused,
      selection: focused && "selectionStart" in element ? [element.selectionStart, element.selectionEnd] : null,
    }));
  });
  function restore() {
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(POSITION_KEY)); } catch (error) { saved = null; }
    sessionStorage.removeItem(POSITION_KEY);
    if (!saved || Date.now() - saved.at > 30 * 60 * 1000) return;
    const error = document.querySelector("#note_form .errorlist");
    if (error) {
      // The save was refused: go to what needs fixing instead.
      const holder = error.closest(".review-field, tr.qa-row, .review-meta__row") || error;
      holder.scrollIntoView({ block: "center" });
      const field = holder.querySelector("textarea, input:not([type=hidden]), select");
      if (field) field.focus({ preventScroll: true });
      return;
    }
    const element = find(saved.anchor);
    if (!element) { window.scrollTo(0, saved.scrollY); return; }
    window.scrollBy(0, element.getBoundingClientRect().top - saved.top);
    if (saved.focused) {
      element.focus({ preventScroll: true });
      if (saved.selection && "setSelectionRange" in element) {
        try { element.setSelectionRange(saved.selection[0], saved.selection[1]); } catch (error) { /* not a text field */ }
      }
    }
  }
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  restore();

  // -- What the last action did, in the save bar, where the editor is looking -------------
  const status = document.getElementById("save-bar-status");
  const messages = Array.from(document.querySelectorAll("ul.messagelist li"));
  if (status && messages.length) {
    status.textContent = messages.map(function (message) { return message.textContent.trim(); }).join(" ");
    if (messages.some(function (message) { return message.classList.contains("error"); })) status.classList.add("is-error");
    else if (messages.some(function (message) { return message.classList.contains("warning"); })) status.classList.add("is-warning");
  }
})();
