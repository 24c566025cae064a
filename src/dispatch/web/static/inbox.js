// The inbox's keyboard and selection: j/k move between rows, Enter opens, x selects,
// e resolves, shift-click selects a range. Without this script the page still works:
// rows are links and checkboxes, the bulk bar a plain form.
(function () {
  "use strict";

  var focused = -1;   // index of the focused row
  var anchor = -1;    // the last row clicked, where a shift-click range starts

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-inbox-table] tbody tr[data-ticket-id]"));
  }

  function box(row) { return row.querySelector("[data-select]"); }

  function selected() {
    return rows().filter(function (row) { return box(row).checked; });
  }

  function refresh() {
    var all = document.querySelector("[data-select-all]");
    var count = document.querySelector("[data-selected-count]");
    var picked = selected().length;
    if (all) {
      all.hidden = false;
      all.checked = picked > 0 && picked === rows().length;
      all.indeterminate = picked > 0 && picked < rows().length;
    }
    if (count) count.textContent = picked ? picked + " selected" : "With the selected tickets";
    // On a phone the bulk bar folds away until a ticket is selected (see app.css).
    var results = document.getElementById("inbox-results");
    if (results) results.dataset.selection = String(picked);
  }

  function focusRow(index) {
    var list = rows();
    if (!list.length) return;
    focused = Math.max(0, Math.min(index, list.length - 1));
    var row = list[focused];
    row.tabIndex = -1;
    row.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    var row = document.activeElement && document.activeElement.closest("tr[data-ticket-id]");
    if (row) focused = rows().indexOf(row);
    return row || rows()[focused] || null;
  }

  function setRange(from, to, value) {
    var list = rows();
    for (var i = Math.min(from, to); i <= Math.max(from, to); i++) box(list[i]).checked = value;
  }

  function toggle(row, shift) {
    var index = rows().indexOf(row);
    var value = !box(row).checked;
    if (shift && anchor >= 0) setRange(anchor, index, value); else box(row).checked = value;
    anchor = index;
    refresh();
  }

  function resolve() {
    var button = document.querySelector('#bulk-form [data-action="resolve"]');
    if (!button) return;
    if (!selected().length) {
      var row = currentRow();
      if (!row) return;
      box(row).checked = true;
    }
    button.click();
  }

  document.addEventListener("click", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      rows().forEach(function (row) { box(row).checked = all.checked; });
      refresh();
      return;
    }
    var row = event.target.closest("[data-inbox-table] tr[data-ticket-id]");
    if (!row) return;
    if (event.target.closest("[data-select]")) {
      // The browser already flipped the box: undo, then apply with range support.
      box(row).checked = !box(row).checked;
      toggle(row, event.shiftKey);
    } else if (!event.target.closest("a, button, input, select, label")) {
      toggle(row, event.shiftKey);
    }
  });

  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.dataset.confirm && !window.confirm(submitter.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (window.Dispatch.typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!document.querySelector("[data-inbox-table]")) return;
    var row;
    switch (event.key) {
      case "j": event.preventDefault(); focusRow(currentRow() ? focused + 1 : 0); break;
      case "k": event.preventDefault(); focusRow(currentRow() ? focused - 1 : 0); break;
      case "x":
        row = currentRow();
        if (row) { event.preventDefault(); toggle(row, false); }
        break;
      case "e": event.preventDefault(); resolve(); break;
      case "Enter":
        row = document.activeElement && document.activeElement.matches("tr[data-ticket-id]") && document.activeElement;
        if (row) { event.preventDefault(); window.location.href = row.dataset.href; }
        break;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "inbox-results" && !document.getElementById("inbox-results")) return;
    focused = -1;
    anchor = -1;
    refresh();
  });

  document.addEventListener("DOMContentLoaded", refresh);

  // Live: when a ticket of this inbox's brands changes, fetch the results again (the same
  // URL, so filters, sort and page hold) and keep what the member had: the selection, the
  // focused row, the open filters, the last bulk summary. New rows are marked and announced.
  function snapshot() {
    var results = document.getElementById("inbox-results");
    var row = currentRow();
    var filters = results.querySelector("details.filters");
    var summary = results.querySelector("[data-bulk-summary]");
    return {
      ids: rows().map(function (r) { return r.dataset.ticketId; }),
      checked: selected().map(function (r) { return box(r).value; }),
      focused: row && row === document.activeElement ? row.dataset.ticketId : null,
      filtersOpen: Boolean(filters && filters.open),
      summary: summary ? summary.outerHTML : null
    };
  }

  function restore(before) {
    var results = document.getElementById("inbox-results");
    var fresh = 0;
    rows().forEach(function (row) {
      if (before.checked.indexOf(box(row).value) >= 0) box(row).checked = true;
      if (before.ids.indexOf(row.dataset.ticketId) < 0) { row.classList.add("row-new"); fresh += 1; }
    });
    var filters = results.querySelector("details.filters");
    if (filters && before.filtersOpen) filters.open = true;
    if (before.summary && !results.querySelector("[data-bulk-summary]")) {
      results.insertAdjacentHTML("afterbegin", before.summary);
    }
    refresh();
    var again = before.focused && document.querySelector('tr[data-ticket-id="' + before.focused + '"]');
    if (again) { again.tabIndex = -1; again.focus({ preventScroll: true }); focused = rows().indexOf(again); }
    var status = document.getElementById("live-status");
    if (status && fresh) status.textContent = fresh === 1 ? "1 new ticket" : fresh + " new tickets";
  }

  function reload() {
    var results = document.getElementById("inbox-results");
    if (!results || !window.htmx) return;
    var before = snapshot();
    htmx.ajax("GET", window.location.pathname + window.location.search, {
      target: "#inbox-results", swap: "outerHTML"
    }).then(function () { restore(before); });
  }

  if (window.Dispatch && window.Dispatch.live) {
    var schedule = window.Dispatch.live.later(reload, function () {
      return window.Dispatch.live.editingWithin(document.getElementById("inbox-results"));
    });
    document.addEventListener("dispatch:live", function (event) {
      var detail = event.detail;
      if (detail.ticketId || detail.type === "resync" || detail.type.indexOf("status.") === 0) schedule();
    });
  }
})();
