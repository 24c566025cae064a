// Settings → Statuses: the create/edit/delete dialog (forms come from htmx), the key
// derived from the name, the color palette, and reordering by drag and drop (SortableJS,
// mouse and touch) or by keyboard on a row's handle. Without this script the forms still
// work as plain pages; only reordering needs it.
(function () {
  "use strict";

  var SAVE_DELAY_MS = 600; // keyboard moves come in bursts: save once they stop

  function dialog() { return document.getElementById("status-dialog"); }

  function csrfToken() {
    var shell = document.querySelector(".shell[hx-headers]");
    return shell ? JSON.parse(shell.getAttribute("hx-headers"))["X-CSRF-Token"] : "";
  }

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

  // --- Reordering ---------------------------------------------------------------------

  function rows(body) { return Array.prototype.slice.call(body.querySelectorAll("tr[data-status-id]")); }
  function idsOf(body) { return rows(body).map(function (r) { return r.dataset.statusId; }); }

  function initReorder(body) {
    var section = body.closest("[data-reorder-url]");
    var saved = idsOf(body); // what the server holds: restored when it refuses an order
    var timer = null;

    function restore() {
      var byId = {};
      rows(body).forEach(function (r) { byId[r.dataset.statusId] = r; });
      saved.forEach(function (id) { body.appendChild(byId[id]); });
    }

    function showFlash(html) {
      var flash = document.getElementById("flash");
      if (flash) flash.innerHTML = html;
    }

    function save() {
      clearTimeout(timer);
      var ids = idsOf(body);
      if (ids.join() === saved.join()) return;
      var form = new URLSearchParams();
      ids.forEach(function (id) { form.append("status_ids", id); });
      // HX-Request: refusals come back as the page's flash message, not a whole page.
      fetch(section.dataset.reorderUrl, {
        method: "POST",
        headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true" },
        body: form,
        credentials: "same-origin"
      }).then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect) { window.location.href = redirect; return; }
        return response.text().then(function (html) {
          if (response.ok) saved = ids; else restore();
          showFlash(html);
        });
      }).catch(function () {
        restore();
        showFlash('<div class="alert alert-error" role="alert">The order was not saved: the server could not be reached.</div>');
      });
    }

    function saveSoon() { clearTimeout(timer); timer = setTimeout(save, SAVE_DELAY_MS); }

    function announce(row) {
      var all = rows(body);
      var text = row.dataset.statusName + " moved to position " + (all.indexOf(row) + 1) + " of " + all.length;
      document.getElementById("reorder-announcer").textContent = text;
    }

    body.addEventListener("keydown", function (event) {
      var handle = event.target.closest(".drag-handle");
      if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
      event.preventDefault();
      var row = handle.closest("tr");
      // Move the neighbour rather than the row, so the focused handle keeps focus.
      if (event.key === "ArrowUp" && row.previousElementSibling) {
        body.insertBefore(row, row.previousElementSibling);
      } else if (event.key === "ArrowDown" && row.nextElementSibling) {
        body.insertBefore(row.nextElementSibling, row);
      } else {
        return;
      }
      handle.focus();
      announce(row);
      saveSoon();
    });

    if (window.Sortable) {
      window.Sortable.create(body, {
        handle: ".drag-handle",
        draggable: "tr",
        animation: 150,
        // Pointer-event dragging for mouse and touch alike (native HTML5 drag and drop
        // does not work on touch screens and behaves differently per browser).
        forceFallback: true,
        ghostClass: "status-ghost",
        onEnd: function (event) { announce(event.item); save(); }
      });
    }
  }

  function init(root) {
    root.querySelectorAll("form.status-form").forEach(initForm);
    if (root.matches && root.matches("form.status-form")) initForm(root);
    root.querySelectorAll("tbody[data-sortable]").forEach(initReorder);
  }

  // Scripts are deferred: the page is parsed; htmx-loaded parts arrive through htmx:load.
  init(document);
  document.addEventListener("htmx:load", function (event) {
    if (event.target !== document.body) init(event.target);
  });
})();
