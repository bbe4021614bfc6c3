/* desk: FAQ entries beside a ticket. "Insert link" / "Insert text" put the entry into the
   reply draft at the cursor. Event delegation, because the live view swaps the side panel. */
(function () {
  "use strict";

  function insert(field, text) {
    var start = field.selectionStart, end = field.selectionEnd;
    var value = field.value;
    if (typeof start !== "number") { start = end = value.length; }
    var before = value.slice(0, start), after = value.slice(end);
    var lead = before && !/\s$/.test(before) ? " " : "";
    var tail = after && !/^\s/.test(after) ? " " : "";
    field.value = before + lead + text + tail + after;
    var caret = (before + lead + text).length;
    field.focus();
    field.setSelectionRange(caret, caret);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-faq-insert]");
    if (!button) return;
    var field = document.querySelector("#reply-form textarea");
    if (!field) return;
    event.preventDefault();
    insert(field, button.getAttribute("data-faq-insert"));
  });
})();
