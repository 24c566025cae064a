// Settings → General: a placeholder chip inserts its {{name}} where the cursor was in the
// autoresponse's subject or body (the body when neither had focus), then tells htmx the
// field changed so the preview follows. Without it the placeholders can be typed.
(function () {
  "use strict";

  var last = null;

  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-placeholder-target]")) last = event.target;
  });

  document.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-placeholder]");
    if (!chip) return;
    var field = last || document.querySelector("textarea[data-placeholder-target]");
    if (!field || field.disabled) return;
    var text = chip.dataset.placeholder;
    var start = field.selectionStart, end = field.selectionEnd;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
