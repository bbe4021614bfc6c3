/* desk: canned replies in the reply box. Type "/" at the start of a line or "::"
   anywhere, then the shortcut or words of the title; arrows choose, Enter inserts
   (asking first for the values the reply needs), Escape closes. No inline script (CSP). */
(function () {
  "use strict";

  var TRIGGER_LINE = /^\/([\w-]*)$/;   // "/" at the start of a line
  var TRIGGER_ANY = /::([\w-]*)$/;     // "::" anywhere

  function setup() {
    var picker = document.getElementById("canned-picker");
    var box = document.getElementById("reply-body");
    var used = document.getElementById("reply-canned");
    if (!picker || !box || !used) return;
    var options = document.getElementById("canned-options");
    var preview = document.getElementById("canned-preview");
    var prompts = document.getElementById("canned-prompts");
    var status = document.getElementById("canned-status");
    var hint = status.textContent;
    var csrf = box.form.querySelector('input[name$="csrf_token"]');
    var state = { open: false, items: [], active: -1, start: 0, end: 0, seq: 0,
                  rendered: null, renderSeq: 0, skipInput: false };

    function close() {
      state.open = false;
      state.items = [];
      state.active = -1;
      state.rendered = null;
      picker.hidden = true;
      prompts.hidden = true;
      prompts.textContent = "";
      box.removeAttribute("aria-activedescendant");
      box.setAttribute("aria-expanded", "false");
    }

    function trigger() {
      var caret = box.selectionStart;
      if (caret !== box.selectionEnd) return null;
      var before = box.value.slice(0, caret);
      var lineStart = before.lastIndexOf("\n") + 1;
      var match = TRIGGER_LINE.exec(before.slice(lineStart));
      if (match) return { start: lineStart, end: caret, query: match[1] };
      match = TRIGGER_ANY.exec(before);
      if (match) return { start: caret - match[0].length, end: caret, query: match[1] };
      return null;
    }

    function getJson(url) {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        });
    }

    function search(query) {
      var seq = ++state.seq;
      var url = picker.dataset.searchUrl + "?q=" + encodeURIComponent(query) +
                "&ticket_id=" + encodeURIComponent(picker.dataset.ticketId);
      getJson(url).then(function (data) {
        if (seq !== state.seq || !state.open) return;  // a newer keystroke won
        state.items = data.items;
        showOptions();
        choose(state.items.length ? 0 : -1);
      }).catch(function () { status.textContent = picker.dataset.error; });
    }

    function showOptions() {
      options.textContent = "";
      state.items.forEach(function (item, index) {
        var li = document.createElement("li");
        li.id = "canned-option-" + item.id;
        li.className = "canned-option";
        li.setAttribute("role", "option");
        li.dataset.index = String(index);
        var title = document.createElement("span");
        title.className = "canned-option-title";
        title.textContent = item.title;
        var shortcut = document.createElement("span");
        shortcut.className = "canned-option-shortcut";
        shortcut.textContent = "/" + item.shortcut;
        var scope = document.createElement("span");
        scope.className = "canned-option-scope";
        scope.textContent = item.scope_label + " · " + item.languages.join(", ");
        li.append(title, shortcut, scope);
        options.appendChild(li);
      });
      if (!state.items.length) {
        preview.textContent = picker.dataset.empty;
      }
    }

    function choose(index) {
      state.active = index;
      prompts.hidden = true;
      prompts.textContent = "";
      status.textContent = hint;
      Array.prototype.forEach.call(options.children, function (li, i) {
        var on = i === index;
        li.classList.toggle("is-active", on);
        li.setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          box.setAttribute("aria-activedescendant", li.id);
          li.scrollIntoView({ block: "nearest" });
        }
      });
      if (index >= 0) render(state.items[index], {});
    }

    function render(item, values) {
      var seq = ++state.renderSeq;
      state.rendered = null;
      var url = picker.dataset.renderUrl.replace("/0/render", "/" + item.id + "/render");
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   "X-CSRFToken": csrf ? csrf.value : "" },
        body: JSON.stringify({ ticket_id: Number(picker.dataset.ticketId), values: values })
      }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      }).then(function (data) {
        if (seq !== state.renderSeq) return null;
        state.rendered = { item: item, data: data, values: values };
        preview.textContent = data.body_text;
        return state.rendered;
      }).catch(function () {
        if (seq === state.renderSeq) status.textContent = picker.dataset.error;
        return null;
      });
    }

    function fillable(missing) {
      return missing.filter(function (name) { return name.indexOf("faq:") !== 0; });
    }

    /* Enter in the box: insert, or first ask for what the reply still needs. */
    function accept() {
      var current = state.rendered;
      if (!current || state.active < 0 || current.item !== state.items[state.active]) return;
      var missing = current.data.missing;
      if (!missing.length) {
        insert(current.item, current.data.body_text);
        return;
      }
      if (fillable(missing).length < missing.length) {
        status.textContent = picker.dataset.blocked;
        return;
      }
      askFor(current.item, missing, current.values);
    }

    function askFor(item, missing, values) {
      prompts.textContent = "";
      missing.forEach(function (name) {
        var label = document.createElement("label");
        label.textContent = name.replace(/^ask\./, "");
        var input = document.createElement("input");
        input.type = "text";
        input.name = name;
        input.maxLength = 500;
        input.autocomplete = "off";
        input.className = "canned-prompt";
        input.value = values[name] || "";
        label.appendChild(input);
        prompts.appendChild(label);
      });
      prompts.hidden = false;
      status.textContent = picker.dataset.fill;
      var first = prompts.querySelector("input");
      if (first) first.focus();
    }

    function promptValues() {
      var values = {};
      prompts.querySelectorAll("input").forEach(function (input) {
        if (input.value.trim()) values[input.name] = input.value.trim();
      });
      return values;
    }

    function onPromptKey(event) {
      if (!event.target.classList.contains("canned-prompt")) return;
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        box.focus();
        return;
      }
      if (event.key !== "Enter") return;
      event.preventDefault();
      var inputs = Array.prototype.slice.call(prompts.querySelectorAll("input"));
      var empty = inputs.filter(function (input) { return !input.value.trim(); });
      if (empty.length) {
        empty[0].focus();
        return;
      }
      var item = state.items[state.active];
      render(item, promptValues()).then(function (current) {
        if (!current) return;
        var missing = current.data.missing;
        if (missing.length) askFor(item, missing, current.values);
        else insert(item, current.data.body_text);
      });
    }

    var previewTimer = null;
    function onPromptInput() {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(function () {
        if (state.active >= 0) render(state.items[state.active], promptValues());
      }, 150);
    }

    function insert(item, text) {
      var value = box.value;
      box.value = value.slice(0, state.start) + text + value.slice(state.end);
      var caret = state.start + text.length;
      var ids = used.value ? used.value.split(",") : [];
      if (ids.indexOf(String(item.id)) === -1) ids.push(String(item.id));
      used.value = ids.slice(-10).join(",");
      close();
      box.focus();
      box.setSelectionRange(caret, caret);
      state.skipInput = true;
      box.dispatchEvent(new Event("input", { bubbles: true }));  // keeps the draft
      state.skipInput = false;
    }

    box.setAttribute("aria-controls", "canned-options");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-autocomplete", "list");

    box.addEventListener("input", function () {
      if (state.skipInput) return;
      var found = trigger();
      if (!found) {
        if (state.open) close();
        return;
      }
      state.open = true;
      state.start = found.start;
      state.end = found.end;
      picker.hidden = false;
      box.setAttribute("aria-expanded", "true");
      search(found.query);
    });

    box.addEventListener("keydown", function (event) {
      if (!state.open) return;
      var handled = true;
      switch (event.key) {
        case "ArrowDown":
          if (state.items.length) choose((state.active + 1) % state.items.length);
          break;
        case "ArrowUp":
          if (state.items.length) {
            choose((state.active - 1 + state.items.length) % state.items.length);
          }
          break;
        case "Enter":
          if (event.ctrlKey || event.metaKey) { handled = false; break; }
          accept();
          break;
        case "Escape":
          close();
          break;
        default:
          handled = false;
      }
      if (handled) event.preventDefault();
    });

    box.addEventListener("blur", function () {
      // Leaving the box for a prompt keeps the picker; leaving elsewhere closes it.
      setTimeout(function () {
        if (state.open && !picker.contains(document.activeElement) &&
            document.activeElement !== box) close();
      }, 0);
    });

    options.addEventListener("mousedown", function (event) {
      var li = event.target.closest(".canned-option");
      if (!li) return;
      event.preventDefault();  // keep the focus in the box
      choose(Number(li.dataset.index));
    });

    prompts.addEventListener("keydown", onPromptKey);
    prompts.addEventListener("input", onPromptInput);
    box.form.addEventListener("submit", close);
  }

  document.addEventListener("DOMContentLoaded", setup);
})();
