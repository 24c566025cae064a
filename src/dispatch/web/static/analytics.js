// Analytics: the report in the browser's time zone, and the custom range's dates shown
// only when chosen. Without this script the page works in UTC with every field shown.
(function () {
  "use strict";

  var form = document.getElementById("analytics-controls");
  if (!form) return;
  var range = form.querySelector("[data-range]");
  var zone = form.querySelector("[data-timezone]");
  var from = form.querySelector("[name=from]");

  function showCustom() {
    var custom = range.value === "custom";
    form.querySelectorAll("[data-custom]").forEach(function (field) { field.hidden = !custom; });
  }
  showCustom();
  range.addEventListener("change", function () {
    showCustom();
    if (range.value === "custom" && !from.value) from.focus();
  });

  // A custom range waits for its first day instead of asking for a report without one.
  form.addEventListener("htmx:confirm", function (event) {
    if (range.value === "custom" && !from.value) event.preventDefault();
  });

  // No zone in the URL yet: take the browser's, and redraw if it is not UTC's day.
  if (zone && !zone.value) {
    var browserZone = "";
    try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* UTC */ }
    if (browserZone) {
      zone.value = browserZone;
      if (browserZone !== "UTC" && browserZone !== "Etc/UTC") {
        document.addEventListener("htmx:load", function once() {
          document.removeEventListener("htmx:load", once);
          form.requestSubmit();
        });
      }
    }
  }
})();
