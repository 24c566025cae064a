// Live updates: the page's event stream (the shell's data-live URL, session-authenticated)
// re-sent as "dispatch:live" DOM events, detail {type, brandId, ticketId}. The browser's
// EventSource reconnects by itself and resumes after the last event it got; a 204 from the
// server (signed out) stops it. Screens decide what to refetch (inbox.js, ticket.js).
(function () {
  "use strict";

  var shell = document.querySelector("[data-live]");
  if (!shell || !window.EventSource) return;

  // The events a page may show (ticket and conversation changes, the brand's statuses),
  // and "resync": the stream could not resume, so everything shown may be stale.
  var TYPES = [
    "ticket.created", "ticket.updated", "ticket.closed", "ticket.reopened", "ticket.deleted",
    "comment.created", "comment.updated", "comment.deleted",
    "attachment.created", "attachment.deleted", "watcher.created", "watcher.deleted",
    "status.created", "status.updated", "status.deleted", "resync"
  ];

  var source = new EventSource(shell.dataset.live);
  TYPES.forEach(function (type) {
    source.addEventListener(type, function (message) {
      var data = {};
      try { data = JSON.parse(message.data); } catch (ignored) { /* keep {} */ }
      document.dispatchEvent(new CustomEvent("dispatch:live", {
        detail: { type: type, brandId: data.brandId || null, ticketId: data.ticketId || null }
      }));
    });
  });
  window.addEventListener("pagehide", function () { source.close(); });

  // A refresh that waits for a quiet moment: a burst of events makes one request, and
  // nothing is replaced under a member who is typing or choosing (`busy()`).
  function later(run, busy) {
    var timer = null;
    function attempt() {
      timer = null;
      if (busy()) { timer = setTimeout(attempt, 1500); return; }
      run();
    }
    return function () { if (!timer) timer = setTimeout(attempt, 600); };
  }

  // Typing in a field, or a dialog or menu open: not the moment to redraw.
  function editingWithin(element) {
    var active = document.activeElement;
    if (document.querySelector(".dialog:not([hidden]), details.menu[open]")) return true;
    return Boolean(element && active && element.contains(active) &&
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.type !== "checkbox");
  }

  window.Dispatch = window.Dispatch || {};
  window.Dispatch.live = { later: later, editingWithin: editingWithin };
})();
