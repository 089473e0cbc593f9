// The product list: row selection, bulk bar, confirmations. Wired by data- attributes
// (no inline scripts: CSP script-src 'self').
(function () {
  "use strict";

  function rowBoxes() { return Array.prototype.slice.call(document.querySelectorAll("#product-rows [data-row-select]")); }
  function selectedIds() {
    return rowBoxes().filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  function refreshSelection() {
    var ids = selectedIds();
    var counter = document.querySelector("[data-selected-count]");
    if (counter) {
      var template = counter.getAttribute("data-template") || "%(count)s";
      counter.textContent = template.replace("%(count)s", String(ids.length));
    }
    rowBoxes().forEach(function (box) {
      var row = box.closest("tr");
      if (row) { row.classList.toggle("selected", box.checked); }
    });
    var all = document.querySelector("[data-select-all]");
    if (all) {
      var boxes = rowBoxes();
      all.checked = boxes.length > 0 && ids.length === boxes.length;
      all.indeterminate = ids.length > 0 && ids.length < boxes.length;
    }
  }

  function showBulkParams() {
    var select = document.querySelector("[data-bulk-action]");
    if (!select) { return; }
    document.querySelectorAll("[data-bulk-param]").forEach(function (el) {
      var wanted = el.getAttribute("data-bulk-param").split(" ").indexOf(select.value) !== -1;
      el.hidden = !wanted;
      el.disabled = !wanted;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      rowBoxes().forEach(function (box) { box.checked = target.checked; });
      refreshSelection();
    } else if (target.matches("[data-row-select]")) {
      refreshSelection();
    } else if (target.matches("[data-bulk-action]")) {
      showBulkParams();
    }
  });

  // Empty filters stay out of the address: /products/?q=dyj, not ?q=dyj&brand=&kind=…
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.closest || !elt.closest("#product-filter-form") || event.detail.verb !== "get") { return; }
    var params = event.detail.parameters;
    var keys = typeof params.keys === "function" ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (key) {
      var value = typeof params.get === "function" ? params.get(key) : params[key];
      if (value === "" || value === null) {
        if (typeof params.delete === "function") { params.delete(key); } else { delete params[key]; }
      }
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "product-filter-form") {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.value === "" && !field.disabled) { field.disabled = true; }
      });
      return;
    }
    if (form.matches("[data-bulk-form]")) {
      var root = document.querySelector("[data-product-list]");
      if (selectedIds().length === 0) {
        event.preventDefault();
        window.alert(root ? root.getAttribute("data-none-selected") : "");
        return;
      }
      var action = form.querySelector("[data-bulk-action]");
      if (action && action.value === "delete" && root && !window.confirm(root.getAttribute("data-confirm-delete"))) {
        event.preventDefault();
      }
    }
    var confirmText = form.getAttribute("data-confirm");
    if (confirmText && !window.confirm(confirmText)) { event.preventDefault(); }
  });

  document.addEventListener("htmx:afterSwap", refreshSelection);
  document.addEventListener("DOMContentLoaded", function () { showBulkParams(); refreshSelection(); });
})();
