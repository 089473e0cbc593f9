// Drag and drop for the custom-field settings pages, wired by data- attributes (no
// inline scripts under the CSP). Everything also works without this file: the
// up/down buttons and the group selects post the form and the server applies them.
//
// * [data-sortable-rows]: rows of the custom field list; dropping a row fires
//   "rows-sorted" on its form, which htmx posts (hx-trigger="rows-sorted").
// * [data-layout-editor]: the edit scheme editor. Each [data-field-list] is a list
//   fields can be dragged between; the JSON in [data-structure] follows every change,
//   and "layout-changed" on the form makes htmx refresh the preview.
(function () {
  "use strict";

  var SORTABLE_OPTIONS = {
    animation: 150,
    handle: "[data-drag-handle], .drag-handle",
    // Mouse events instead of the HTML5 drag API: the same in every browser and touch.
    forceFallback: true,
    fallbackOnBody: true
  };

  function options(extra) {
    var result = {};
    var key;
    for (key in SORTABLE_OPTIONS) { result[key] = SORTABLE_OPTIONS[key]; }
    for (key in extra) { result[key] = extra[key]; }
    return result;
  }

  function fire(element, name) {
    element.dispatchEvent(new CustomEvent(name, { bubbles: true }));
  }

  // --- the custom field list -------------------------------------------------------

  function initRows(tbody) {
    if (tbody.dataset.sortableReady) { return; }
    tbody.dataset.sortableReady = "1";
    window.Sortable.create(tbody, options({
      onEnd: function (event) {
        if (event.oldIndex !== event.newIndex) {
          fire(tbody.closest("form") || tbody, "rows-sorted");
        }
      }
    }));
  }

  // --- the edit scheme editor ------------------------------------------------------

  // Write the groups, in page order, into the hidden JSON input, and bring the title
  // inputs' names, the group selects and the up/down buttons in line with the page.
  function serialise(editor) {
    var groups = [];
    var labels = {};
    editor.querySelectorAll("[data-group]").forEach(function (card, index) {
      var title = card.querySelector("[data-group-title]");
      if (title) { title.name = "title-" + index; }
      var keys = [];
      card.querySelectorAll("[data-field-key]").forEach(function (item) {
        keys.push(item.getAttribute("data-field-key"));
      });
      groups.push({ title: title ? title.value : "", fields: keys });
      // An empty title keeps the numbered name the server gave the option.
      if (title && title.value.trim()) { labels["g" + index] = title.value.trim(); }
    });
    editor.querySelector("[data-structure]").value = JSON.stringify(groups);
    editor.querySelectorAll("[data-field-list]").forEach(function (list) {
      var place = list.getAttribute("data-place");
      list.querySelectorAll("[data-field-key]").forEach(function (item) {
        var select = item.querySelector("[data-place-select]");
        if (select) {
          select.value = place;
          select.querySelectorAll("option").forEach(function (option) {
            if (labels[option.value]) { option.textContent = labels[option.value]; }
          });
        }
        var move = item.querySelector("[data-field-move]");
        if (move) { move.classList.toggle("d-none", place === "u"); }
      });
    });
  }

  function changed(editor) {
    serialise(editor);
    fire(editor, "layout-changed");
  }

  function initEditor(editor) {
    if (editor.dataset.editorReady) { return; }
    editor.dataset.editorReady = "1";
    editor.querySelectorAll("[data-field-list]").forEach(function (list) {
      window.Sortable.create(list, options({
        group: "layout-fields",
        onEnd: function () { changed(editor); }
      }));
    });
    editor.addEventListener("change", function (event) {
      var select = event.target.closest && event.target.closest("[data-place-select]");
      if (!select) { return; }
      var target = editor.querySelector('[data-field-list][data-place="' + select.value + '"]');
      var item = select.closest("[data-field-key]");
      if (target && item) { target.appendChild(item); }
      changed(editor);
    });
    editor.addEventListener("input", function (event) {
      if (event.target.matches && event.target.matches("[data-group-title]")) { changed(editor); }
    });
    // Every button posts the form: send the arrangement shown on the page.
    editor.addEventListener("submit", function () { serialise(editor); });
    serialise(editor);
  }

  function init(root) {
    if (!window.Sortable || !root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches("[data-sortable-rows]")) { initRows(root); }
    root.querySelectorAll("[data-sortable-rows]").forEach(initRows);
    if (root.matches && root.matches("[data-layout-editor]")) { initEditor(root); }
    root.querySelectorAll("[data-layout-editor]").forEach(initEditor);
  }

  if (window.htmx) {
    // Runs for the page itself and for every piece htmx swaps in later.
    window.htmx.onLoad(init);
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document.body); });
  }
})();
