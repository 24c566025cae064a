// Reordering a settings table (statuses, categories, custom fields) by drag and drop
// (SortableJS: mouse and touch) or by keyboard (arrow keys on a row's handle), each move
// announced, the new order saved once the moves stop. Markup: a container with
// data-reorder-url and data-reorder-field (the form field of the ids) around a
// tbody[data-sortable] whose tr[data-reorder-id][data-reorder-name] carry a .drag-handle,
// and an aria-live #reorder-announcer on the page. Without it the rows keep their order.
(function () {
  "use strict";

  var SAVE_DELAY_MS = 600; // keyboard moves come in bursts: save once they stop

  function csrfToken() {
    var shell = document.querySelector(".shell[hx-headers]");
    return shell ? JSON.parse(shell.getAttribute("hx-headers"))["X-CSRF-Token"] : "";
  }

  function rows(body) { return Array.prototype.slice.call(body.querySelectorAll("tr[data-reorder-id]")); }
  function idsOf(body) { return rows(body).map(function (r) { return r.dataset.reorderId; }); }

  function initReorder(body) {
    var section = body.closest("[data-reorder-url]");
    var saved = idsOf(body); // what the server holds: restored when it refuses an order
    var timer = null;

    function restore() {
      var byId = {};
      rows(body).forEach(function (r) { byId[r.dataset.reorderId] = r; });
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
      ids.forEach(function (id) { form.append(section.dataset.reorderField, id); });
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
      var text = row.dataset.reorderName + " moved to position " + (all.indexOf(row) + 1) + " of " + all.length;
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
        ghostClass: "reorder-ghost",
        onEnd: function (event) { announce(event.item); save(); }
      });
    }
  }

  function init(root) { root.querySelectorAll("tbody[data-sortable]").forEach(initReorder); }

  // Scripts are deferred: the page is parsed; htmx-loaded parts arrive through htmx:load.
  init(document);
  document.addEventListener("htmx:load", function (event) {
    if (event.target !== document.body) init(event.target);
  });
})();
