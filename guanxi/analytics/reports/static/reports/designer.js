// The report designer's small behaviours (CSP: no inline scripts).
// - [data-column-search]: filter the column checkboxes by their label.
// - [data-remove-row]: remove a filter row.
// - select[data-autosubmit]: submit its form when changed.
// - form[data-confirm]: ask before submitting (delete).
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var box = event.target.closest("[data-column-search]");
    if (!box) { return; }
    var needle = box.value.trim().toLowerCase();
    document.querySelectorAll("[data-column-item]").forEach(function (item) {
      var hay = item.getAttribute("data-label") || "";
      item.classList.toggle("d-none", needle !== "" && hay.indexOf(needle) === -1);
    });
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) { return; }
    var row = button.closest(".gx-filter-row");
    if (row) { row.remove(); }
  });
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) { select.form.submit(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
})();
