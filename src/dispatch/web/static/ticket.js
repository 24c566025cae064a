// The ticket page: inline title edit, the reply box (keys, preview tab, files dropped
// or picked, uploaded at once as pending uploads), the history tab. Forms work without
// it; htmx does the saving.
(function () {
  "use strict";

  // 409 (changed meanwhile) and 422 (refused) answers carry the page to show: swap them.
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: false },
      { code: "...", swap: false, error: true }
    ];
  }

  function byId(id) { return document.getElementById(id); }

  function editTitle() {
    var form = byId("title-form"), title = byId("ticket-title");
    if (!form || !title) return;
    title.hidden = true;
    form.hidden = false;
    var input = byId("title-input");
    input.focus();
    input.select();
  }

  function cancelTitle() {
    var form = byId("title-form"), title = byId("ticket-title");
    if (!form || !title) return;
    var input = byId("title-input");
    input.value = input.dataset.original;
    form.hidden = true;
    title.hidden = false;
    title.focus();
  }

  function showTab(which) {
    var write = byId("reply-write"), preview = byId("reply-preview");
    write.hidden = which !== "write";
    preview.hidden = which !== "preview";
    document.querySelectorAll("[data-reply-tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.dataset.replyTab === which));
    });
  }

  function upload(file) {
    var form = byId("reply-form"), list = byId("reply-uploads");
    var data = new FormData();
    data.append("file", file);
    var token = document.querySelector("input[name=csrf_token]").value;
    var pending = document.createElement("li");
    pending.textContent = "Uploading " + file.name + "…";
    list.appendChild(pending);
    fetch(form.dataset.uploadUrl, {
      method: "POST", body: data, headers: { "X-CSRF-Token": token, "HX-Request": "true" }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok) { pending.outerHTML = html; }
        else { pending.textContent = file.name + ": not uploaded"; pending.className = "alert alert-error"; }
      });
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-edit-title]")) { editTitle(); return; }
    if (event.target.closest("[data-cancel-title]")) { cancelTitle(); return; }
    var tab = event.target.closest("[data-reply-tab]");
    if (tab) { showTab(tab.dataset.replyTab); return; }
    var remove = event.target.closest("[data-remove-upload]");
    if (remove) { remove.closest("li").remove(); return; }
    var history = event.target.closest("#history-tab");
    if (history) {
      var panel = byId("history-panel");
      panel.hidden = !panel.hidden;
      history.setAttribute("aria-selected", String(!panel.hidden));
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.id !== "reply-file") return;
    Array.prototype.forEach.call(event.target.files, upload);
    event.target.value = "";
  });

  document.addEventListener("dragover", function (event) {
    var box = event.target.closest && event.target.closest("#reply-form");
    if (box) { event.preventDefault(); box.classList.add("dropping"); }
  });
  document.addEventListener("dragleave", function (event) {
    var box = event.target.closest && event.target.closest("#reply-form");
    if (box) box.classList.remove("dropping");
  });
  document.addEventListener("drop", function (event) {
    var box = event.target.closest && event.target.closest("#reply-form");
    if (!box) return;
    event.preventDefault();
    box.classList.remove("dropping");
    Array.prototype.forEach.call(event.dataTransfer.files, upload);
  });

  document.addEventListener("keydown", function (event) {
    if (event.target.id === "ticket-title" && event.key === "Enter") { event.preventDefault(); editTitle(); return; }
    if (event.target.id === "title-input" && event.key === "Escape") { event.preventDefault(); event.stopPropagation(); cancelTitle(); return; }
    if (event.target.id === "reply-body" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      byId("send").click();
      return;
    }
    if (window.Dispatch && Dispatch.typing(event)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "r") { event.preventDefault(); showTab("write"); byId("reply-body").focus(); }
    else if (event.key === "e") { event.preventDefault(); editTitle(); }
    else if (event.key === "h") { event.preventDefault(); byId("history-tab").click(); }
  });

  // Live: when this ticket changes elsewhere (a customer's email, another agent), fetch
  // the view again; what others wrote since the page's newest entry comes marked "New".
  // The reply box is outside the view: a draft is never touched. Not while the member
  // edits a field of the view (the title form, a tag or custom field input).
  function reloadView() {
    var view = byId("ticket-view");
    var seen = document.querySelector("#reply-state input[name=seen_at]");
    if (!view || !window.htmx) return;
    var focusedId = document.activeElement && view.contains(document.activeElement) ? document.activeElement.id : "";
    var url = view.dataset.liveUrl + "?seen_at=" + encodeURIComponent(seen ? seen.value : "");
    htmx.ajax("GET", url, { target: "#ticket-view", swap: "outerHTML" }).then(function () {
      var again = focusedId && byId(focusedId);
      if (again) again.focus({ preventScroll: true });
      var panel = byId("history-panel");
      if (panel && !panel.hidden) htmx.ajax("GET", view.dataset.liveUrl.replace(/\/live$/, "/history"), { target: "#history-list" });
    });
  }

  if (window.Dispatch && window.Dispatch.live) {
    var schedule = window.Dispatch.live.later(reloadView, function () {
      var title = byId("title-form");
      return (title && !title.hidden) || window.Dispatch.live.editingWithin(byId("ticket-view"));
    });
    document.addEventListener("dispatch:live", function (event) {
      var view = byId("ticket-view");
      var detail = event.detail;
      if (!view) return;
      if (detail.ticketId === view.dataset.ticketId || detail.type === "resync" || detail.type.indexOf("status.") === 0) schedule();
    });
  }

  // After a swap the title form is fresh (hidden); the preview tab goes back to writing.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "reply-form") showTab("write");
  });
})();
