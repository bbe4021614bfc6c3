/* desk: the live desk. Socket.IO events carry ids; the page fetches the fragments
   it shows through the same authorised views as a page load (docs: DESIGN.md, Live).
   Also: who views or types on the open ticket, online/away heartbeats, reply drafts
   saved on the server, and small highlights of what changed. */
(function () {
  "use strict";

  var EVENTS = ["ticket.created", "ticket.updated", "ticket.assigned",
                "message.created", "delivery.updated", "escalation.raised",
                "escalation.acknowledged"];
  var DEBOUNCE_MS = 250;        // a burst of events becomes one fetch
  var HEARTBEAT_MS = 20000;     // presence expires on the server after ~45 s of silence
  var IDLE_MS = 5 * 60 * 1000;  // no input for this long: away
  var TYPING_EVERY_MS = 2000;   // the server broadcasts at most this often anyway
  var TYPING_SHOWN_MS = 6000;   // "is typing…" fades this long after the last word of it
  var DRAFT_SAVE_MS = 800;
  var timers = {};
  var socket = null;
  var unread = 0;
  var baseTitle = document.title;
  var lastInput = Date.now();
  var status = "online";

  function later(name, work, ms) {
    clearTimeout(timers[name]);
    timers[name] = setTimeout(work, ms === undefined ? DEBOUNCE_MS : ms);
  }

  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        return new DOMParser().parseFromString(html, "text/html");
      });
  }

  /* Replace each element of the page that the fragment has too, matched by id. */
  /* What the server last sent for each live element, by id. A refresh that brings the
     same markup again leaves the element alone, so an open form or a half-typed
     note inside it (e.g. "Propose for FAQ") survives the catch-up after connecting. */
  var served = {};

  // CSRF tokens are signed afresh on every render; they are not news.
  function markup(el) {
    return el.outerHTML.replace(/<input[^>]*csrf_token[^>]*>/g, "");
  }

  function rememberServed() {
    document.querySelectorAll("[data-live][id], #queue-rows [id]").forEach(function (el) {
      if (!(el.id in served)) served[el.id] = markup(el);
    });
  }

  function swap(fragment, selector) {
    fragment.querySelectorAll(selector).forEach(function (fresh) {
      var old = fresh.id && document.getElementById(fresh.id);
      if (!old) return;
      if (served[fresh.id] === markup(fresh)) return;  // nothing new from the server
      served[fresh.id] = markup(fresh);
      var replacement = document.importNode(fresh, true);
      keepWhatThePersonStarted(old, replacement);
      old.replaceWith(replacement);
      // htmx binds hx-* attributes only in what it swapped itself: bind these too.
      if (window.htmx) window.htmx.process(replacement);
    });
  }

  /* Open <details> and typed text inside a live element outlive its replacement:
     a refresh must never close a form someone is filling in. Drafts of the reply and
     note composers live outside the swapped elements and are not touched here. */
  function keepWhatThePersonStarted(old, replacement) {
    var oldDetails = old.querySelectorAll("details");
    var newDetails = replacement.querySelectorAll("details");
    oldDetails.forEach(function (details, index) {
      if (details.open && newDetails[index]) newDetails[index].open = true;
    });
    old.querySelectorAll("textarea[name], input[type=text][name]").forEach(function (field) {
      if (!field.value) return;
      var twin = replacement.querySelector('[name="' + field.name + '"]');
      if (twin && !twin.value) twin.value = field.value;
    });
    var focused = document.activeElement;
    if (focused && old.contains(focused) && focused.name) {
      var again = replacement.querySelector('[name="' + focused.name + '"]');
      if (again) window.setTimeout(function () { again.focus(); }, 0);
    }
  }

  /* A short highlight that fades by itself (CSS animation), on what just changed. */
  function flash(element) {
    element.classList.remove("is-changed");
    void element.offsetWidth;  // restart the animation
    element.classList.add("is-changed");
  }

  function rowTexts() {
    var texts = {};
    document.querySelectorAll(".queue-row").forEach(function (row) {
      texts[row.dataset.ticketId] = row.textContent.replace(/\s+/g, " ");
    });
    return texts;
  }

  function refreshQueue() {
    var rows = document.getElementById("queue-rows");
    if (!rows || !rows.dataset.rowsUrl) return;
    var selected = document.querySelector(".queue-row.is-selected");
    var selectedId = selected && selected.dataset.ticketId;
    var before = rowTexts();
    fetchHtml(rows.dataset.rowsUrl).then(function (fragment) {
      swap(fragment, "[id]");
      document.querySelectorAll(".queue-row").forEach(function (row) {
        var id = row.dataset.ticketId;
        if (before[id] !== row.textContent.replace(/\s+/g, " ")) flash(row);
        if (id === selectedId) row.classList.add("is-selected");
      });
    }).catch(function () { /* the next event or reconnect tries again */ });
  }

  function openTicket() {
    return document.getElementById("ticket");
  }

  function showNotice() {
    var notice = document.getElementById("ticket-live-notice");
    if (notice) notice.hidden = false;
  }

  function messageIds() {
    var ids = {};
    document.querySelectorAll("#ticket-thread .msg").forEach(function (item) {
      ids[item.id] = true;
    });
    return ids;
  }

  /* Header, thread and side panel come fresh; drafts stay, their version follows.
     The newest message seen does not follow: a message that arrived while one was
     writing holds the send on the server until its author has really seen it. */
  function refreshTicket() {
    var ticket = openTicket();
    if (!ticket || !ticket.dataset.paneUrl) return;
    var before = document.getElementById("ticket-header");
    var seen = before && before.dataset.version;
    var known = messageIds();
    var unseen = Array.prototype.map.call(
      document.querySelectorAll("#ticket-thread .msg.is-unseen"),
      function (item) { return [item.id, item.querySelector(".msg-new")]; });
    fetchHtml(ticket.dataset.paneUrl).then(function (fragment) {
      swap(fragment, "[data-live][id]");
      document.querySelectorAll("#ticket-thread .msg").forEach(function (item) {
        if (!known[item.id]) flash(item);
      });
      // Messages a held send pointed out stay marked until the page changes.
      unseen.forEach(function (pair) {
        var item = document.getElementById(pair[0]);
        if (!item || item.classList.contains("is-unseen")) return;
        item.classList.add("is-unseen");
        if (pair[1]) item.prepend(pair[1]);
      });
      var header = document.getElementById("ticket-header");
      var version = header && header.dataset.version;
      if (!version || version === seen) return;
      ticket.querySelectorAll('input[name$="-version"]').forEach(function (input) {
        input.value = version;
      });
      flash(header);
    }).catch(showNotice);  // e.g. moved to a team we are not in: reloading tells
  }

  function countWhileHidden() {
    if (!document.hidden) return;
    unread += 1;
    document.title = "(" + unread + ") " + baseTitle;
  }

  function onEvent(payload) {
    countWhileHidden();
    later("queue", refreshQueue);
    var ticket = openTicket();
    if (ticket && payload && String(payload.ticket_id) === ticket.dataset.ticketId) {
      later("ticket", refreshTicket);
    }
  }

  /* -- who else is on this ticket ------------------------------------------------------ */

  var viewers = [];
  var viewersAt = 0;

  function renderViewers() {
    var bar = document.getElementById("ticket-presence");
    var ticket = openTicket();
    if (!bar || !ticket) return;
    var me = ticket.dataset.me;
    var typingValid = Date.now() - viewersAt < TYPING_SHOWN_MS;
    var parts = viewers.filter(function (viewer) { return String(viewer.id) !== me; })
      .map(function (viewer) {
        var template = viewer.typing && typingValid ? bar.dataset.typing : bar.dataset.viewing;
        return template.replace("%(name)s", viewer.name);
      });
    bar.textContent = parts.join(" · ");
    bar.hidden = parts.length === 0;
    bar.classList.toggle("is-typing", typingValid && viewers.some(function (viewer) {
      return viewer.typing && String(viewer.id) !== me;
    }));
    if (typingValid) later("typing-fade", renderViewers, TYPING_SHOWN_MS);
  }

  function onPresence(payload) {
    if (!payload) return;
    var ticket = openTicket();
    if (payload.ticket_id !== undefined) {
      if (ticket && String(payload.ticket_id) === ticket.dataset.ticketId) {
        viewers = payload.viewers || [];
        viewersAt = Date.now();
        renderViewers();
      }
    } else if (payload.person_id !== undefined) {
      later("team", refreshTeam, 500);
    }
  }

  function joinTicket() {
    var ticket = openTicket();
    if (!ticket || !socket) return;
    socket.emit("join_ticket", { ticket_id: Number(ticket.dataset.ticketId) }, function (ack) {
      if (ack && ack.ok) {
        viewers = ack.viewers || [];
        viewersAt = Date.now();
        renderViewers();
        if (document.hidden) socket.emit("viewing", { viewing: false });
      }
    });
  }

  var lastTyping = 0;

  function onTyping() {
    if (!socket || !socket.connected) return;
    var now = Date.now();
    if (now - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = now;
    socket.emit("typing", { typing: true });
  }

  /* -- the supervisor's team list ------------------------------------------------------ */

  function refreshTeam() {
    var team = document.getElementById("team-presence");
    if (!team || !team.dataset.url) return;
    fetchHtml(team.dataset.url).then(function (fragment) {
      var list = fragment.getElementById("team-presence-list");
      if (list) team.replaceChildren(document.importNode(list, true));
    }).catch(function () { /* shown again on the next change */ });
  }

  /* -- online / away ------------------------------------------------------------------- */

  function currentStatus() {
    return document.hidden || Date.now() - lastInput > IDLE_MS ? "away" : "online";
  }

  function heartbeat() {
    status = currentStatus();
    if (socket && socket.connected) socket.emit("heartbeat", { status: status });
  }

  function checkStatus() {
    if (currentStatus() !== status) heartbeat();
  }

  function onInput() {
    lastInput = Date.now();
    if (status === "away") heartbeat();
  }

  function onVisibility() {
    if (!document.hidden) {
      unread = 0;
      document.title = baseTitle;
      lastInput = Date.now();
    }
    if (socket && socket.connected && openTicket()) {
      socket.emit("viewing", { viewing: !document.hidden });
    }
    heartbeat();
  }

  /* -- reply drafts, kept on the server ------------------------------------------------ */

  function draftSaver() {
    var field = document.getElementById("reply-body");
    var form = document.getElementById("reply-form");
    var ticket = openTicket();
    if (!field || !form || !ticket || !ticket.dataset.draftUrl) return;
    var token = form.querySelector('input[name$="csrf_token"]');
    var saved = field.value;
    var pending = false;

    function save(keepalive) {
      if (field.value === saved) return;
      var body = field.value;
      pending = false;
      fetch(ticket.dataset.draftUrl, {
        method: "PUT", credentials: "same-origin", keepalive: !!keepalive,
        headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
        body: JSON.stringify({ body: body })
      }).then(function (response) {
        if (response.ok) saved = body;
      }).catch(function () { pending = true; });
    }

    field.addEventListener("input", function () {
      pending = true;
      later("draft", save, DRAFT_SAVE_MS);
    });
    form.addEventListener("submit", function () { clearTimeout(timers.draft); });
    window.addEventListener("pagehide", function () { if (pending) save(true); });
  }

  function editButtons() {
    document.addEventListener("click", function (event) {
      var edit = event.target.closest && event.target.closest("[data-edit-draft]");
      if (!edit) return;
      var field = document.getElementById(edit.dataset.editDraft);
      if (!field) return;
      event.preventDefault();
      field.focus();
    });
  }

  /* -- the connection ------------------------------------------------------------------ */

  function setOnline(online) {
    var indicator = document.getElementById("live-status");
    if (indicator) indicator.hidden = online;
    document.body.classList.toggle("is-offline", !online);
  }

  function connect() {
    if (typeof window.io !== "function") return;
    rememberServed();
    // Reconnection with backoff is the Socket.IO client's own (1 s doubling up to 5 s).
    socket = window.io({ withCredentials: true });
    socket.on("connect", function () {
      setOnline(true);
      document.body.classList.add("is-live");
      joinTicket();
      heartbeat();
      // Catch up on whatever happened since the page was rendered or the connection
      // was lost: events sent before this moment never reached us.
      refreshQueue();
      refreshTicket();
    });
    socket.on("disconnect", function (reason) {
      setOnline(false);
      document.body.classList.remove("is-live");
      viewers = [];
      renderViewers();
      // The server ended it (sign-out, deactivation, new roles): ask once more; a
      // refused connection stays offline, an allowed one comes back with fresh rooms.
      if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 2000);
    });
    socket.on("connect_error", function () { setOnline(false); });
    EVENTS.forEach(function (name) { socket.on(name, onEvent); });
    socket.on("presence.updated", onPresence);
    // Early-warning alerts (supervisors only): static/js/sla.js refreshes the banner.
    socket.on("alert.raised", function (payload) {
      document.dispatchEvent(new CustomEvent("desk:alert", { detail: payload }));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    baseTitle = document.title;
    connect();
    refreshTeam();
    draftSaver();
    editButtons();
    ["reply-body", "note-body"].forEach(function (id) {
      var field = document.getElementById(id);
      if (field) field.addEventListener("input", onTyping);
    });
    ["keydown", "pointerdown", "pointermove", "wheel", "focus"].forEach(function (name) {
      window.addEventListener(name, onInput, { passive: true });
    });
    document.addEventListener("visibilitychange", onVisibility);
    setInterval(heartbeat, HEARTBEAT_MS);
    setInterval(checkStatus, 15000);
  });
})();
