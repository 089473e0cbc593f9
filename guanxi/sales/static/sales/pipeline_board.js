// The sales pipeline kanban, wired by data- attributes (no inline scripts under the CSP).
//
// Cards ([data-opp]) are dragged between the stage columns ([data-drop-list]) with
// SortableJS. A drop posts the move at once (stage + the card's version) and the server
// answers JSON: the refreshed card and every column's totals, or a refusal — a stale
// version, a stage not in use, no right to change — after which the card snaps back to
// where it was and the message shows above the board. Dropping on a won or lost zone
// first asks for the reason (required for a lost deal) in the page's <dialog>.
// Without this file the board still shows everything, and each card's page moves it.
(function () {
  "use strict";

  var SORTABLE_OPTIONS = {
    group: "pipeline",
    animation: 150,
    handle: "[data-drag-handle]",
    draggable: "[data-opp]",
    // Mouse events instead of the HTML5 drag API: the same in every browser and touch.
    forceFallback: true,
    fallbackOnBody: true
  };

  function numberFormat() {
    var lang = document.documentElement.lang || undefined;
    try {
      return new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch (e) {
      return new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
  }

  function show(board, selector, text) {
    var box = board.parentNode.querySelector(selector);
    if (!box) { return; }
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }

  function updateTotals(board, columns) {
    var format = numberFormat();
    board.querySelectorAll("[data-drop-list]").forEach(function (list) {
      var column = list.closest("[data-stage]") || list;
      var totals = column.querySelector("[data-column-totals]");
      if (!totals) { return; }
      var value = columns[list.getAttribute("data-stage")] || { count: 0, amount: "0", weighted: "0" };
      var count = totals.querySelector("[data-count]");
      var amount = totals.querySelector("[data-amount]");
      var weighted = totals.querySelector("[data-weighted]");
      if (count) { count.textContent = String(value.count); }
      if (amount) { amount.textContent = format.format(Number(value.amount)); }
      if (weighted) { weighted.textContent = format.format(Number(value.weighted)); }
    });
  }

  function snapBack(event) {
    var item = event.item;
    var from = event.from;
    var reference = from.children[event.oldIndex] || null;
    if (reference === item) { reference = item.nextSibling; }
    from.insertBefore(item, reference);
  }

  function askReason(board, outcome) {
    var dialog = board.parentNode.querySelector("[data-close-dialog]");
    return new Promise(function (resolve) {
      if (!dialog || typeof dialog.showModal !== "function") {
        var answer = window.prompt(outcome);
        resolve(answer === null ? null : answer);
        return;
      }
      var title = dialog.querySelector("[data-dialog-title]");
      var hint = dialog.querySelector("[data-dialog-hint]");
      var input = dialog.querySelector("[data-dialog-reason]");
      var error = dialog.querySelector("[data-dialog-error]");
      var confirm = dialog.querySelector("[data-dialog-confirm]");
      var cancel = dialog.querySelector("[data-dialog-cancel]");
      title.textContent = title.getAttribute("data-title-" + outcome) || "";
      hint.textContent = hint.getAttribute("data-hint-" + outcome) || "";
      input.value = "";
      error.classList.add("d-none");
      function finish(value) {
        confirm.removeEventListener("click", onConfirm);
        cancel.removeEventListener("click", onCancel);
        dialog.removeEventListener("cancel", onCancel);
        if (dialog.open) { dialog.close(); }
        resolve(value);
      }
      function onConfirm() {
        var reason = input.value.trim();
        if (outcome === "lost" && !reason) {
          error.classList.remove("d-none");
          input.focus();
          return;
        }
        finish(reason);
      }
      function onCancel(e) { if (e) { e.preventDefault(); } finish(null); }
      confirm.addEventListener("click", onConfirm);
      cancel.addEventListener("click", onCancel);
      dialog.addEventListener("cancel", onCancel);
      dialog.showModal();
      input.focus();
    });
  }

  function send(board, event, reason) {
    var card = event.item;
    var body = new FormData();
    body.append("stage", event.to.getAttribute("data-stage"));
    body.append("version", card.getAttribute("data-version"));
    body.append("reason", reason || "");
    card.classList.add("opacity-50");
    show(board, "[data-board-message]", "");
    fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": board.getAttribute("data-csrf"), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      card.classList.remove("opacity-50");
      if (!result.ok || !result.data.ok) {
        snapBack(event);
        show(board, "[data-board-message]", result.data.message || "");
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = result.data.card.trim();
      var fresh = holder.firstElementChild;
      if (fresh) { card.replaceWith(fresh); }
      updateTotals(board, result.data.columns || {});
      show(board, "[data-board-notice]", result.data.message || "");
    }).catch(function () {
      card.classList.remove("opacity-50");
      snapBack(event);
      show(board, "[data-board-message]", board.getAttribute("data-error") || "Network error");
    });
  }

  function onEnd(board, event) {
    if (event.from === event.to) { return; }
    var outcome = event.to.getAttribute("data-outcome");
    if (outcome === "won" || outcome === "lost") {
      askReason(board, outcome).then(function (reason) {
        if (reason === null) { snapBack(event); return; }
        send(board, event, reason);
      });
      return;
    }
    send(board, event, "");
  }

  function initBoard(board) {
    if (board.dataset.boardReady) { return; }
    board.dataset.boardReady = "1";
    if (!window.Sortable || !board.getAttribute("data-can-change")) { return; }
    board.querySelectorAll("[data-drop-list]").forEach(function (list) {
      var options = {};
      var key;
      for (key in SORTABLE_OPTIONS) { options[key] = SORTABLE_OPTIONS[key]; }
      options.onEnd = function (event) { onEnd(board, event); };
      window.Sortable.create(list, options);
    });
    // Tests (and curious people) can tell that dragging works now.
    board.setAttribute("data-board-wired", "1");
  }

  function init(root) {
    if (!root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches("[data-pipeline-board]")) { initBoard(root); }
    root.querySelectorAll("[data-pipeline-board]").forEach(initBoard);
  }

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document.body); });
  }
})();
