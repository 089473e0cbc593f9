// guanxi's small client-side behaviours. Everything else is htmx attributes.
(function () {
  "use strict";
  // Close the global search dropdown on Escape or on a click outside it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var box = document.getElementById("global-search-results");
      if (box) { box.innerHTML = ""; }
    }
  });
  document.addEventListener("click", function (event) {
    var box = document.getElementById("global-search-results");
    if (box && !box.contains(event.target) && !(event.target.closest && event.target.closest("[data-testid=global-search]"))) {
      box.innerHTML = "";
    }
  });
  // A stale edit or a refused action answered to an htmx request: show the message.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = xhr.getResponseHeader("X-Guanxi-Message");
    if (text) { window.alert(decodeURIComponent(text)); }
  });
})();
