/* The exact local time of every <time datetime=...> on hover, in the page's language and
   the viewer's time zone (<body data-timezone>). The server sends only the relative
   text ("3 hours ago"): a queue has two times per row, and formatting them all on the
   server cost more than the rest of the row (docs/benchmarks.md, queue page). */
(function () {
  "use strict";

  var format = null;

  function formatter() {
    if (format) return format;
    var options = { dateStyle: "short", timeStyle: "short" };
    var zone = document.body.dataset.timezone;
    try {
      format = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
        zone ? Object.assign({ timeZone: zone }, options) : options);
    } catch (error) {  // an unknown zone name: the browser's own
      format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, options);
    }
    return format;
  }

  function label(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("time[datetime]:not([title])")
      .forEach(function (el) {
        var when = Date.parse(el.getAttribute("datetime"));
        if (!isNaN(when)) el.setAttribute("title", formatter().format(when));
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    label(document);
    // Rows and panes swapped in later (htmx, live updates) bring new times.
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) { if (node.nodeType === 1) label(node); });
      });
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
