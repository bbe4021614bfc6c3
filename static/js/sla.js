/* SLA countdowns and the supervisors' alert banner.
   Every <time class="sla-countdown" datetime=...> counts down (or up, once overdue) and
   takes the colour of its urgency: ok, warning (past data-warn), breached. The banner is
   refetched when static/js/live.js reports an alert.raised event. */
(function () {
  "use strict";

  var TICK_MS = 15000;

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var rest = minutes % 60;
    if (days) return days + "d " + hours + "h";
    if (hours) return hours + "h " + rest + "m";
    return rest + "m";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.sla-countdown[datetime]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      var warn = el.dataset.warn ? Date.parse(el.dataset.warn) : null;
      if (isNaN(due)) return;
      var left = due - now;
      var template = left <= 0 ? document.body.dataset.slaOverdue : document.body.dataset.slaLeft;
      var text = template ? template.replace("%(time)s", span(left)) : el.textContent;
      // Only a changed text is written: writing it is itself a mutation the observer
      // below would hear, and an unchanged write would tick for ever.
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("sla-breached", left <= 0);
      el.classList.toggle("sla-warning", left > 0 && warn !== null && warn <= now);
      el.classList.toggle("sla-ok", left > 0 && (warn === null || warn > now));
    });
  }

  function refreshBanner() {
    var banner = document.getElementById("sla-banner");
    if (!banner || !banner.dataset.url) return;
    fetch(banner.dataset.url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("sla-banner");
        if (fresh) banner.replaceWith(fresh);
      })
      .catch(function () { /* the next alert tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, TICK_MS);
    // Rows and panes swapped in by live.js bring new countdowns: tick them at once.
    new MutationObserver(function () { tick(); }).observe(document.body,
      { childList: true, subtree: true });
    document.addEventListener("desk:alert", refreshBanner);
  });
})();
