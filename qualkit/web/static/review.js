// Keyboard-first review. The page works with plain forms; these keys press its buttons.
(function () {
  "use strict";
  var page = document.querySelector("[data-review]");
  var proposals = Array.prototype.slice.call(document.querySelectorAll(".proposal"));
  var selected = 0;
  for (var i = 0; i < proposals.length; i++) {
    if (proposals[i].getAttribute("data-status") === "pending") { selected = i; break; }
  }

  function select(index) {
    if (!proposals.length) { return; }
    selected = Math.max(0, Math.min(proposals.length - 1, index));
    proposals.forEach(function (item, n) {
      item.classList.toggle("selected", n === selected);
      if (n === selected) { item.setAttribute("aria-current", "true"); } else { item.removeAttribute("aria-current"); }
    });
  }

  function press(selector, within) {
    var found = (within || document).querySelector(selector);
    if (found) { found.click(); return true; }
    return false;
  }

  function focus(selector) {
    var found = document.querySelector(selector);
    if (found) { found.focus(); return true; }
    return false;
  }

  select(selected);
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && target.closest && target.closest("input, textarea, select")) {
      if (event.key === "Escape") { target.blur(); event.preventDefault(); }
      return;
    }
    var current = proposals[selected];
    var key = event.key;
    var handled = true;
    if (key === "a" && page) { handled = press("button.accept", current); }
    else if (key === "r" && page) { handled = press("button.reject", current); }
    else if (key === "j" || key === "ArrowDown") { select(selected + 1); }
    else if (key === "k" || key === "ArrowUp") { select(selected - 1); }
    else if (key >= "1" && key <= "9") { select(Number(key) - 1); }
    else if (key === "s") { handled = press("#skip"); }
    else if (key === "u") { handled = press("#undo"); }
    else if (key === "d") { handled = press("#coded"); }
    else if (key === "n") { handled = focus("#note"); }
    else if (key === "c") { handled = focus("#add-code"); }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });
}());
