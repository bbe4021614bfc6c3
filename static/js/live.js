/* desk: the live queue. Socket.IO events carry ids; the page fetches the fragments
   it shows through the same authorised views as a page load (docs: DESIGN.md, Live). */
(function () {
  "use strict";

  var EVENTS = ["ticket.created", "ticket.updated", "ticket.assigned",
                "message.created", "delivery.updated"];
  var DEBOUNCE_MS = 250;  // a burst of events becomes one fetch
  var timers = {};

  function later(name, work) {
    clearTimeout(timers[name]);
    timers[name] = setTimeout(work, DEBOUNCE_MS);
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
  function swap(fragment, selector) {
    fragment.querySelectorAll(selector).forEach(function (fresh) {
      var old = fresh.id && document.getElementById(fresh.id);
      if (old) old.replaceWith(document.importNode(fresh, true));
    });
  }

  function refreshQueue() {
    var rows = document.getElementById("queue-rows");
    if (!rows || !rows.dataset.rowsUrl) return;
    var selected = document.querySelector(".queue-row.is-selected");
    var selectedId = selected && selected.dataset.ticketId;
    fetchHtml(rows.dataset.rowsUrl).then(function (fragment) {
      swap(fragment, "[id]");
      if (selectedId) {
        var row = document.querySelector('.queue-row[data-ticket-id="' + selectedId + '"]');
        if (row) row.classList.add("is-selected");
      }
    }).catch(function () { /* the next event or reconnect tries again */ });
  }

  function openTicket() {
    return document.getElementById("ticket");
  }

  function showNotice() {
    var notice = document.getElementById("ticket-live-notice");
    if (notice) notice.hidden = false;
  }

  /* Header, thread and side panel come fresh; drafts stay, their version follows. */
  function refreshTicket() {
    var ticket = openTicket();
    if (!ticket || !ticket.dataset.paneUrl) return;
    var before = document.getElementById("ticket-header");
    var seen = before && before.dataset.version;
    fetchHtml(ticket.dataset.paneUrl).then(function (fragment) {
      swap(fragment, "[data-live][id]");
      var header = document.getElementById("ticket-header");
      var version = header && header.dataset.version;
      if (!version || version === seen) return;
      ticket.querySelectorAll('input[name$="-version"]').forEach(function (input) {
        input.value = version;
      });
      showNotice();
    }).catch(showNotice);  // e.g. moved to a team we are not in: reloading tells
  }

  function onEvent(payload) {
    later("queue", refreshQueue);
    var ticket = openTicket();
    if (ticket && payload && String(payload.ticket_id) === ticket.dataset.ticketId) {
      later("ticket", refreshTicket);
    }
  }

  function setOnline(online) {
    var status = document.getElementById("live-status");
    if (status) status.hidden = online;
    document.body.classList.toggle("is-offline", !online);
  }

  function connect() {
    if (typeof window.io !== "function") return;
    var socket = window.io({ withCredentials: true });
    var connectedBefore = false;
    socket.on("connect", function () {
      setOnline(true);
      // After a reconnect, catch up on whatever happened while we were away.
      if (connectedBefore) {
        refreshQueue();
        refreshTicket();
      }
      connectedBefore = true;
    });
    socket.on("disconnect", function () { setOnline(false); });
    socket.on("connect_error", function () { setOnline(false); });
    EVENTS.forEach(function (name) { socket.on(name, onEvent); });
  }

  document.addEventListener("DOMContentLoaded", connect);
})();
