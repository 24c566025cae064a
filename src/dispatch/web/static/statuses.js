// Settings → Statuses: the create/edit/delete dialog (forms come from htmx), the key
// derived from the name and the color palette (reordering is reorder.js). Without this
// script the forms still work as plain pages.
(function () {
  "use strict";

  function dialog() { return document.getElementById("status-dialog"); }

  // --- The dialog: htmx fills it with a form; it closes once the list is saved. ---------

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = dialog();
    if (!box || event.detail.target.id !== "status-dialog-body") return;
    if (box.hidden) window.Dispatch.openDialog(box);
    var first = box.querySelector("[autofocus]");
    if (first) first.focus();
  });

  document.addEventListener("statuses-saved", function () {
    var box = dialog();
    if (box && !box.hidden) window.Dispatch.closeDialog(box);
  });

  document.addEventListener("click", function (event) {
    // In the dialog "Cancel" closes it (app.js); without the dialog it is a link back.
    var cancel = event.target.closest(".dialog a[data-close-dialog]");
    if (cancel) event.preventDefault();
    var swatch = event.target.closest("[data-color]");
    if (swatch) pickColor(swatch.closest("form"), swatch.dataset.color);
  });

  // A modal dialog keeps Tab inside it.
  document.addEventListener("keydown", function (event) {
    var box = dialog();
    if (event.key !== "Tab" || !box || box.hidden) return;
    var items = box.querySelectorAll("button, [href], input:not([type=hidden]), select, textarea");
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  });

  // --- The form: key from the name (until the key is typed in), palette. ----------------

  // "Waiting on Engineering" -> waiting_on_engineering (the server checks the pattern).
  function keyFrom(name) {
    return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/['\u2019]/g, "").replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 50);
  }

  function initForm(form) {
    var name = form.querySelector("[data-derive-key]");
    var key = name && document.getElementById(name.dataset.deriveKey);
    if (key) {
      // A key typed by hand (or sent back with an error) is the user's: leave it.
      var derived = !key.value || key.value === keyFrom(name.value);
      key.addEventListener("input", function () { derived = key.value === ""; });
      name.addEventListener("input", function () { if (derived) key.value = keyFrom(name.value); });
    }
    var palette = form.querySelector("[data-palette]");
    var picker = form.querySelector("input[type=color]");
    if (palette && picker) {
      palette.hidden = false;
      picker.addEventListener("input", function () { markPressed(form, picker.value); });
      markPressed(form, picker.value);
    }
    var invalid = form.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();
  }

  function pickColor(form, color) {
    var picker = form && form.querySelector("input[type=color]");
    if (!picker) return;
    picker.value = color;
    markPressed(form, color);
  }

  function markPressed(form, color) {
    form.querySelectorAll("[data-color]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.color.toLowerCase() === color.toLowerCase()));
    });
  }

  function init(root) {
    root.querySelectorAll("form.status-form").forEach(initForm);
    if (root.matches && root.matches("form.status-form")) initForm(root);
  }

  // Scripts are deferred: the page is parsed; htmx-loaded parts arrive through htmx:load.
  init(document);
  document.addEventListener("htmx:load", function (event) {
    if (event.target !== document.body) init(event.target);
  });
})();
