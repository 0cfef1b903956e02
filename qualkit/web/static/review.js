// Keyboard-first passage review. The page works with plain forms; these keys press its buttons.
// Nothing here builds HTML from text: codebook and participant text only ever go in as textContent.
(function () {
  "use strict";
  var page = document.querySelector("[data-review]");
  var proposals = Array.prototype.slice.call(document.querySelectorAll(".proposal"));
  var marks = Array.prototype.slice.call(document.querySelectorAll("#passage mark[data-for]"));
  var note = document.getElementById("note");
  var selected = 0;
  var sent = false; // one action per page: a second key press before the next page arrives does nothing

  for (var i = 0; i < proposals.length; i++) {
    if (proposals[i].getAttribute("data-status") === "pending") { selected = i; break; }
  }

  function select(index) {
    if (!proposals.length) { return; }
    selected = Math.max(0, Math.min(proposals.length - 1, index));
    var number = proposals[selected].getAttribute("data-number");
    proposals.forEach(function (item, n) {
      var about = item.querySelector("details.about-code");
      item.classList.toggle("selected", n === selected);
      if (about) { about.open = n === selected; }
      if (n === selected) { item.setAttribute("aria-current", "true"); } else { item.removeAttribute("aria-current"); }
    });
    if (proposals[selected].scrollIntoView) { proposals[selected].scrollIntoView({ block: "nearest" }); }
    // the chosen code's evidence stands out in the passage
    marks.forEach(function (mark) {
      var mine = (" " + mark.getAttribute("data-for") + " ").indexOf(" " + number + " ") >= 0;
      mark.classList.toggle("focus", mine);
      mark.classList.toggle("other", !mine);
    });
  }

  function press(selector, within) {
    var found = (within || document).querySelector(selector);
    if (found && !found.disabled) { sent = true; found.click(); return true; }
    return false;
  }

  function focus(selector) {
    var found = document.querySelector(selector);
    if (found) { found.focus(); return true; }
    return false;
  }

  // the note goes with whichever action is taken: copy it into the form being sent
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var copy = form.querySelector("input.note-copy");
      if (copy && note) { copy.value = note.value; }
    });
  });

  // -- type-ahead over the codebook's keys and names -----------------------------------------------
  var input = document.getElementById("add-code");
  var list = document.getElementById("code-options");
  var codes = Array.prototype.map.call(document.querySelectorAll("#codebook-codes option"), function (option) {
    return { key: option.value, name: option.label };
  });
  var shown = [];
  var active = -1;

  function matches(typed) {
    // as the terminal completes: keys that start with it, then names that contain it
    var t = typed.trim().toLowerCase();
    if (!t) { return []; }
    var byKey = codes.filter(function (c) { return c.key.toLowerCase().indexOf(t) === 0; });
    var byName = codes.filter(function (c) {
      return byKey.indexOf(c) < 0 && c.name.toLowerCase().indexOf(t) >= 0;
    });
    return byKey.concat(byName).slice(0, 8);
  }

  function render() {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    shown.forEach(function (code, n) {
      var item = document.createElement("li");
      item.id = "code-option-" + n;
      item.setAttribute("role", "option");
      item.setAttribute("data-key", code.key);
      var key = document.createElement("span");
      key.className = "code-key";
      key.textContent = code.key;
      var name = document.createElement("span");
      name.className = "option-name";
      name.textContent = code.name;
      item.appendChild(key);
      item.appendChild(name);
      if (n === active) { item.setAttribute("aria-selected", "true"); }
      item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(n, true); });
      list.appendChild(item);
    });
    list.hidden = shown.length === 0;
    input.setAttribute("aria-expanded", shown.length ? "true" : "false");
    if (active >= 0) { input.setAttribute("aria-activedescendant", "code-option-" + active); }
    else { input.removeAttribute("aria-activedescendant"); }
  }

  function choose(n, submit) {
    if (n < 0 || n >= shown.length) { return; }
    input.value = shown[n].key;
    shown = []; active = -1; render();
    if (submit) { sent = true; input.form.requestSubmit(); }
  }

  if (input && list) {
    input.removeAttribute("list"); // this list replaces the browser's own
    input.addEventListener("input", function () { shown = matches(input.value); active = shown.length ? 0 : -1; render(); });
    input.addEventListener("blur", function () { shown = []; active = -1; render(); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && shown.length) { active = (active + 1) % shown.length; render(); event.preventDefault(); }
      else if (event.key === "ArrowUp" && shown.length) { active = (active - 1 + shown.length) % shown.length; render(); event.preventDefault(); }
      else if (event.key === "Tab" && shown.length && active >= 0) { choose(active, false); event.preventDefault(); }
      else if (event.key === "Enter") {
        event.preventDefault();
        if (sent) { return; }
        if (shown.length && active >= 0) { choose(active, true); } else if (input.value.trim()) { sent = true; input.form.requestSubmit(); }
      }
      else if (event.key === "Escape" && shown.length) { shown = []; active = -1; render(); event.stopPropagation(); event.preventDefault(); }
    });
  }

  select(selected);
  // a click on a code (not on its buttons) chooses it, as its number key does
  proposals.forEach(function (item, n) {
    item.addEventListener("click", function (event) {
      if (!event.target.closest("button, summary")) { select(n); }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && target.closest && target.closest("input, textarea, select")) {
      if (event.key === "Escape" || (event.key === "Enter" && target === note)) { target.blur(); event.preventDefault(); }
      return;
    }
    if (sent) { if (event.key.length === 1) { event.preventDefault(); } return; }
    var current = proposals[selected];
    var key = event.key;
    var handled = true;
    if (key === "a" && page) { handled = !!current && press("button.accept", current); }
    else if (key === "r" && page) { handled = !!current && press("button.reject", current); }
    else if (key === "j" || key === "ArrowDown") { handled = proposals.length > 0; select(selected + 1); }
    else if (key === "k" || key === "ArrowUp") { handled = proposals.length > 0; select(selected - 1); }
    else if (key >= "1" && key <= "9") { handled = Number(key) <= proposals.length; if (handled) { select(Number(key) - 1); } }
    else if (key === "d") { handled = press("#done"); }
    else if (key === "s") { handled = press("#skip"); }
    else if (key === "u") { handled = press("#undo"); }
    else if (key === "n") { handled = focus("#note"); }
    else if (key === "c") { handled = focus("#add-code"); }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });
}());
