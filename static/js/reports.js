// Reports: draw each chart from the table beside it; keep today's counters live.
(function () {
  "use strict";

  function cellNumber(cell) {
    var raw = cell ? cell.getAttribute("data-value") : "";
    if (raw === null || raw === "" || raw === "None") return null;
    var value = Number(raw);
    return isNaN(value) ? null : value;
  }

  function drawChart(canvas) {
    if (typeof window.Chart !== "function") return;
    var table = document.getElementById(canvas.getAttribute("data-chart-table"));
    if (!table) return;
    var keys = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.getAttribute("data-key");
    });
    var labels = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent;
    });
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    var xIndex = keys.indexOf(canvas.getAttribute("data-chart-x"));
    var stacked = canvas.getAttribute("data-chart-stacked") === "true";
    var datasets = canvas.getAttribute("data-chart-series").split(",").filter(Boolean)
      .map(function (key) {
        var index = keys.indexOf(key);
        return {
          label: labels[index],
          data: rows.map(function (row) { return cellNumber(row.children[index]); }),
        };
      });
    new window.Chart(canvas, {
      type: canvas.getAttribute("data-chart-type"),
      data: {
        labels: rows.map(function (row) { return row.children[xIndex].textContent; }),
        datasets: datasets,
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true } },
      },
    });
  }

  function liveCounters() {
    var box = document.getElementById("report-today");
    if (!box || typeof window.io !== "function") return;
    var url = box.getAttribute("data-refresh");
    var timer = null;
    function refresh() {
      timer = null;
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) box.innerHTML = html; })
        .catch(function () { /* offline: the next event or reconnect tries again */ });
    }
    function soon() { if (timer === null) timer = window.setTimeout(refresh, 500); }
    // The live layer's own events (desk/live): any ticket change may move a counter.
    var socket = window.io({ withCredentials: true });
    socket.on("connect", function () {
      document.body.classList.add("is-live");
      soon();  // catch up on what happened while not connected
    });
    socket.on("disconnect", function () { document.body.classList.remove("is-live"); });
    ["ticket.created", "ticket.updated", "ticket.assigned", "message.created"].forEach(
      function (name) { socket.on(name, soon); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart-type]").forEach(drawChart);
    liveCounters();
  });
})();
