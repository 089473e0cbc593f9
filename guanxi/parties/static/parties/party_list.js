// The party lists: row selection, bulk bar, export link, drag rows onto a category.
// Wired by data- attributes (no inline scripts: CSP script-src 'self').
(function () {
  "use strict";

  function root() { return document.querySelector("[data-party-list]"); }
  function rowBoxes() { return Array.prototype.slice.call(document.querySelectorAll("#party-rows [data-row-select]")); }
  function selectedIds() {
    return rowBoxes().filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }
  function csrfHeaders() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { return {}; }
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

  // Empty filters stay out of the address: /customers/?q=zw, not ?q=zw&type=&level=&…
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.closest || !elt.closest("#party-filter-form") || event.detail.verb !== "get") { return; }
    var params = event.detail.parameters;
    var empty = [];
    var keys = typeof params.keys === "function" ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (key) {
      var value = typeof params.get === "function" ? params.get(key) : params[key];
      if (value === "" || value === null) { empty.push(key); }
    });
    empty.forEach(function (key) {
      if (typeof params.delete === "function") { params.delete(key); } else { delete params[key]; }
    });
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var box = root();
    if (form.id === "party-filter-form") {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && field.value === "" && !field.disabled) { field.disabled = true; }
      });
      return;
    }
    if (form.matches("[data-bulk-form]")) {
      if (selectedIds().length === 0) {
        event.preventDefault();
        window.alert(box ? box.getAttribute("data-none-selected") : "");
        return;
      }
      var action = form.querySelector("[data-bulk-action]");
      if (action && action.value === "delete" && box && !window.confirm(box.getAttribute("data-confirm-delete"))) {
        event.preventDefault();
        return;
      }
      var next = form.querySelector("[data-bulk-next]");
      if (next) { next.value = window.location.pathname + window.location.search; }
    } else if (form.id === "save-segment") {
      // Searching with htmx changes the address without re-rendering this form.
      var filters = form.querySelector("[data-segment-filters]");
      var params = new URLSearchParams(window.location.search);
      params.delete("cursor");
      params.delete("sort");
      if (box && box.getAttribute("data-role") !== "customer") { params.set("role", box.getAttribute("data-role")); }
      if (filters) { filters.value = params.toString(); }
      var nextField = form.querySelector("input[name=next]");
      if (nextField) { nextField.value = window.location.pathname + window.location.search; }
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-export-link]");
    if (!link) { return; }
    var ids = selectedIds();
    var params = new URLSearchParams(window.location.search);
    params.delete("cursor");
    var box = root();
    if (box && box.getAttribute("data-role") !== "customer") { params.set("role", box.getAttribute("data-role")); }
    if (ids.length) { params.set("ids", ids.join(",")); }
    var base = link.getAttribute("data-href").split("?")[0];
    link.setAttribute("href", base + (params.toString() ? "?" + params.toString() : ""));
  });

  // --- drag rows onto a category -------------------------------------------------------
  var DRAG_TYPE = "application/x-guanxi-parties";
  var dragging = null;

  document.addEventListener("dragstart", function (event) {
    var row = event.target.closest && event.target.closest("tr[data-party-id][draggable=true]");
    if (!row) { return; }
    var box = row.querySelector("[data-row-select]");
    var ids = box && box.checked ? selectedIds() : [row.getAttribute("data-party-id")];
    dragging = ids;
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData(DRAG_TYPE, ids.join(","));
    event.dataTransfer.setData("text/plain", ids.join(","));
  });
  document.addEventListener("dragend", function (event) {
    dragging = null;
    document.querySelectorAll("tr.dragging").forEach(function (row) { row.classList.remove("dragging"); });
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });

  function dropTarget(event) {
    return event.target.closest && event.target.closest("[data-drop-category]");
  }
  document.addEventListener("dragover", function (event) {
    var target = dropTarget(event);
    if (!target || !dragging) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var target = dropTarget(event);
    if (target && !target.contains(event.relatedTarget)) { target.classList.remove("drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var target = dropTarget(event);
    if (!target) { return; }
    event.preventDefault();
    target.classList.remove("drop-target");
    var ids = event.dataTransfer.getData(DRAG_TYPE) || (dragging || []).join(",");
    var box = root();
    if (!ids || !box || !window.htmx) { return; }
    window.htmx.ajax("POST", box.getAttribute("data-file-url"), {
      source: document.getElementById("list-status") || document.body,
      target: "#list-status",
      swap: "innerHTML",
      headers: csrfHeaders(),
      values: { ids: ids, category: target.getAttribute("data-drop-category"), role: box.getAttribute("data-role") }
    });
  });

  // Back to a page whose filter form was submitted: its empty fields were disabled.
  window.addEventListener("pageshow", function () {
    var form = document.getElementById("party-filter-form");
    if (form) { Array.prototype.forEach.call(form.elements, function (field) { field.disabled = false; }); }
  });

  // Rows come and go with htmx: keep the counter and the bulk bar in step.
  document.addEventListener("htmx:afterSettle", refreshSelection);
  document.addEventListener("DOMContentLoaded", function () { showBulkParams(); refreshSelection(); });
})();
