/* desk: keyboard speed for the agent's screen. No inline script anywhere (CSP). */
(function () {
  "use strict";

  var DRAFT_PREFIX = "desk.draft.";

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll(".queue-row"));
  }

  function selectedIndex(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("is-selected")) return i;
    }
    for (var j = 0; j < list.length; j++) {
      if (list[j].classList.contains("is-current")) return j;
    }
    return -1;
  }

  function select(list, index) {
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (row) { row.classList.remove("is-selected"); });
    var row = list[index];
    row.classList.add("is-selected");
    var link = row.querySelector("a");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = rows();
    var index = selectedIndex(list);
    select(list, index === -1 ? 0 : index + step);
  }

  function openSelected() {
    var list = rows();
    var index = selectedIndex(list);
    if (index === -1) return false;
    var link = list[index].querySelector("a");
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    field.focus();
    field.scrollIntoView({ block: "nearest" });
    return true;
  }

  function submitForm(form) {
    if (!form) return false;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
    return true;
  }

  function toggleHelp() {
    var dialog = document.getElementById("shortcut-help");
    if (!dialog || typeof dialog.showModal !== "function") return false;
    if (dialog.open) dialog.close();
    else dialog.showModal();
    return true;
  }

  function onKey(event) {
    if (event.defaultPrevented) return;
    var target = event.target;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      if (target && target.form && submitForm(target.form)) event.preventDefault();
      return;
    }
    if (event.key === "Escape") {
      if (isTyping(target)) target.blur();
      return;
    }
    if (isTyping(target) || event.altKey || event.ctrlKey || event.metaKey) return;
    var handled = false;
    switch (event.key) {
      case "j": case "ArrowDown": move(1); handled = true; break;
      case "k": case "ArrowUp": move(-1); handled = true; break;
      case "Enter": case "o":
        // Enter on a link or button already does its own thing.
        if (event.key === "o" || !(target.closest && target.closest("a, button, summary"))) {
          handled = openSelected();
        }
        break;
      case "r": handled = focusField("reply-body"); break;
      case "n": handled = focusField("note-body"); break;
      case "c": handled = submitForm(document.getElementById("claim-form")); break;
      case "/": handled = focusField("q"); break;
      case "?": handled = toggleHelp(); break;
    }
    if (handled) event.preventDefault();
  }

  /* Drafts survive a reload or a lost tab: kept per ticket in this tab's sessionStorage. */
  function draftKey(field) {
    var ticket = document.getElementById("ticket");
    return ticket ? DRAFT_PREFIX + ticket.dataset.ticketId + "." + field.id : null;
  }

  function keepDrafts() {
    ["reply-body", "note-body"].forEach(function (id) {
      var field = document.getElementById(id);
      var key = field && draftKey(field);
      if (!key) return;
      try {
        if (!field.value && sessionStorage.getItem(key)) field.value = sessionStorage.getItem(key);
        field.addEventListener("input", function () { sessionStorage.setItem(key, field.value); });
        field.form.addEventListener("submit", function () { sessionStorage.removeItem(key); });
      } catch (error) { /* storage blocked: the server still keeps text on errors */ }
    });
  }

  function copyButtons() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-copy]");
      if (!button || !navigator.clipboard) return;
      var source = document.querySelector(button.dataset.copy);
      if (source) navigator.clipboard.writeText(source.innerText.trim());
    });
    document.addEventListener("click", function (event) {
      var toggle = event.target.closest && event.target.closest("[data-shortcut-help]");
      if (toggle) toggleHelp();
    });
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("DOMContentLoaded", function () {
    keepDrafts();
    copyButtons();
  });
  window.desk = { keepDrafts: keepDrafts };
})();
