// Settings → Webhooks: the events picker. "All events" and a group's "(all)" box stand
// for every type they cover, so those boxes are shown ticked and locked while it is on
// (locked boxes are not sent: the pattern says it). Without this script the server folds
// the boxes the same way.
(function () {
  "use strict";

  // Locking remembers each box's own choice; unlocking gives it back.
  function lock(boxes, on) {
    boxes.forEach(function (box) {
      if (on === box.disabled) return;
      if (on) {
        box.dataset.was = String(box.checked);
        box.checked = true;
      } else {
        box.checked = box.dataset.was === "true";
      }
      box.disabled = on;
    });
  }

  function sync(picker) {
    var all = picker.querySelector("[data-all-events]");
    var everything = all && all.checked;
    picker.querySelectorAll("[data-event-group]").forEach(function (group) {
      var head = group.querySelector("[data-group-all]");
      var types = Array.prototype.slice.call(group.querySelectorAll("input[type=checkbox]:not([data-group-all])"));
      lock([head], everything);
      lock(types, everything || head.checked);
    });
  }

  document.querySelectorAll("[data-event-picker]").forEach(function (picker) {
    picker.addEventListener("change", function () { sync(picker); });
    sync(picker);
  });
})();
