// The dashboard's live line, refreshed every 30 seconds: visitors of the last 30 minutes and
// the pages they are on, read from the page's own URL with live=1 (same origin, the
// session's cookie; counts only, no identifiers). Without JavaScript the line is as the
// server rendered it. Text only (textContent), never markup from the answer.
(function () {
  "use strict";
  var line = document.querySelector("[data-live-src]");
  if (!line || !window.fetch) return;
  var src = line.getAttribute("data-live-src");
  function render(doc) {
    var n = Number(doc.visitors) || 0;
    var pages = (doc.pages || []).slice(0, 5).map(function (p) {
      return String(p.page) + " (" + (Number(p.visitors) || 0) + ")";
    }).join(", ");
    line.setAttribute("data-live", String(n));
    line.querySelector("strong").textContent = String(n);
    line.childNodes[1].textContent = " " + (n === 1 ? "visitor" : "visitors") +
      " in the last " + (Number(doc.minutes) || 30) + " minutes";
    line.querySelector(".live-pages").textContent = pages ? ": " + pages : "";
    line.setAttribute("data-refreshed", new Date().toISOString());
  }
  function refresh() {
    fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) { if (doc) render(doc); })
      .catch(function () {});
  }
  var every = Number(line.getAttribute("data-live-every")) || 30000;
  setInterval(refresh, every);
  refresh();
})();
