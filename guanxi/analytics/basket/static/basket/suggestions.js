// Cross-sell suggestions beside the quote and order line editor.
//
// The page holds [data-basket-suggestions] with hx-get (the suggestions partial) and
// hx-trigger="load, basket-lines-changed". This script fires basket-lines-changed when
// the set of chosen products changes, and turns a click on a suggestion into a new line:
// it adds a row with the editor's own button, types the product code in its search box
// and picks the matching result, so the editor prices it as if chosen by hand.
(() => {
  "use strict";

  const chosen = (form) =>
    Array.from(form.querySelectorAll("tr[data-line-row]:not([hidden]) [data-line-product]"))
      .map((input) => input.value)
      .filter(Boolean)
      .sort()
      .join(",");

  function setup(box) {
    const form = box.closest("form[data-line-editor]");
    if (!form) return;
    let last = chosen(form);
    let timer = null;
    const check = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const now = chosen(form);
        if (now !== last) {
          last = now;
          if (window.htmx) window.htmx.trigger(box, "basket-lines-changed");
        }
      }, 350);
    };
    for (const name of ["click", "keyup", "change", "input"]) form.addEventListener(name, check);

    box.addEventListener("click", (event) => {
      const button = event.target.closest(".basket-add");
      if (!button) return;
      event.preventDefault();
      const add = form.querySelector("[data-line-add]");
      if (!add) return;
      add.click();
      const rows = form.querySelectorAll("tr[data-line-row]:not([hidden])");
      const row = rows[rows.length - 1];
      const search = row && row.querySelector("[data-line-search]");
      if (!search) return;
      const code = button.dataset.code;
      const results = row.querySelector("[data-line-results]");
      const observer = new MutationObserver(() => {
        for (const item of results.querySelectorAll('[data-testid="product-result"]')) {
          if (item.textContent.trim().startsWith(`${code} `)) {
            observer.disconnect();
            item.click();
            return;
          }
        }
      });
      observer.observe(results, { childList: true, subtree: true });
      setTimeout(() => observer.disconnect(), 5000);
      search.value = code;
      search.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  const start = () => document.querySelectorAll("[data-basket-suggestions]").forEach(setup);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
