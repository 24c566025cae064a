// Dispatch dashboard: what every page shares (navigation sheet, "/" and "?" keys,
// dialogs). Screens add their own small scripts; everything works without them.
(function () {
  "use strict";

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function openDialog(dialog) {
    dialog.hidden = false;
    dialog.dataset.returnFocus = document.activeElement && document.activeElement.id || "";
    var focusable = dialog.querySelector("button, [href], input, select, textarea");
    if (focusable) focusable.focus();
  }

  function closeDialog(dialog) {
    dialog.hidden = true;
    var back = dialog.dataset.returnFocus && document.getElementById(dialog.dataset.returnFocus);
    if (back) back.focus();
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var sidebar = document.getElementById("sidebar");
      var open = sidebar.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
      return;
    }
    var close = event.target.closest("[data-close-dialog]");
    if (close) closeDialog(close.closest(".dialog"));
    var copy = event.target.closest("[data-copy]");
    if (copy) copyFrom(copy);
  });

  // A button with data-copy="<input id>" copies that field's value (a secret shown once).
  function copyFrom(button) {
    var field = document.getElementById(button.dataset.copy);
    var label = button.textContent;
    function done(text) {
      button.textContent = text;
      setTimeout(function () { button.textContent = label; }, 2000);
    }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done("Copied"); },
        function () { done("Press Ctrl+C"); });
    } else {
      done(document.execCommand("copy") ? "Copied" : "Press Ctrl+C");
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll(".dialog:not([hidden])").forEach(closeDialog);
      document.querySelectorAll("details.menu[open]").forEach(function (d) { d.open = false; });
      var sidebar = document.getElementById("sidebar");
      if (sidebar) sidebar.classList.remove("open");
      return;
    }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "?") {
      var help = document.getElementById("shortcuts");
      if (help) { event.preventDefault(); openDialog(help); }
    }
  });

  // Forms that take a local time learn the browser's time zone (UTC without script).
  var zoneName = window.Intl ? Intl.DateTimeFormat().resolvedOptions().timeZone : "";
  if (zoneName) {
    document.querySelectorAll("[data-browser-timezone]").forEach(function (input) { input.value = zoneName; });
    document.querySelectorAll("[data-browser-timezone-label]").forEach(function (label) { label.textContent = "(" + zoneName + ")"; });
  }

  window.Dispatch = { openDialog: openDialog, closeDialog: closeDialog, typing: typing };
})();
