// The churn-risk list: "select all" ticks every customer row; the plan button says how
// many customers are selected. (CSP: no inline scripts, so this lives here.)
(function () {
  "use strict";
  function update(form) {
    var boxes = form.querySelectorAll('input[name="customers"]');
    var checked = form.querySelectorAll('input[name="customers"]:checked').length;
    var counter = form.querySelector("[data-selected-count]");
    if (counter) counter.textContent = String(checked);
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    var form = target.closest("form[data-churn-plan]");
    if (!form) return;
    if (target.hasAttribute("data-select-all")) {
      form.querySelectorAll('input[name="customers"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    update(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-churn-plan]").forEach(update);
  });
})();
