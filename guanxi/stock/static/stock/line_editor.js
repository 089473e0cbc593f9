// The line editor of stock documents (进货单, 销售单, returns, transfers, adjustments).
//
// Wired by data- attributes (no inline scripts under the CSP):
//   form[data-stock-editor]  data-search-url (catalog:product_search JSON), data-purchase,
//                            data-priced
//   tr[data-line-row]        one formset row; template[data-line-template] a new one
//   [data-line-search]       the product search box; [data-line-product] the chosen id
//   [data-serials-box]       shown for serial-tracked products
//   [data-line-add] / [data-line-remove]
// Nothing is computed here: the server prices, checks and posts.
(() => {
  "use strict";

  const debounce = (fn, wait) => {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), wait);
    };
  };

  function setup(form) {
    const searchUrl = form.dataset.searchUrl;
    const purchase = form.dataset.purchase === "1";
    const priced = form.dataset.priced === "1";
    const body = form.querySelector("[data-line-body]");
    const template = form.querySelector("template[data-line-template]");
    const totalForms = form.querySelector('input[name="lines-TOTAL_FORMS"]');

    const closeResults = (row) => {
      const box = row.querySelector("[data-line-results]");
      box.classList.remove("show");
      box.replaceChildren();
    };

    const showSerials = (row, tracked) => {
      row.dataset.serialTracked = tracked ? "1" : "0";
      const box = row.querySelector("[data-serials-box]");
      if (box) box.hidden = !tracked && !box.querySelector("textarea").value.trim();
    };

    const choose = (row, product) => {
      row.querySelector("[data-line-product]").value = product.id;
      const search = row.querySelector("[data-line-search]");
      search.value = `${product.code} ${product.name}`;
      search.classList.remove("is-invalid");
      if (priced) {
        const price = row.querySelector("[data-line-price]");
        if (price && !price.value) price.value = purchase ? product.cost_price : product.list_price;
        const tax = row.querySelector("[data-line-tax]");
        if (tax && !tax.value) tax.value = product.tax_rate;
      }
      const quantity = row.querySelector("[data-line-quantity]");
      if (!quantity.value) quantity.value = "1";
      showSerials(row, Boolean(product.serial_tracked) && product.kind !== "service");
      closeResults(row);
      quantity.focus();
      quantity.select();
    };

    const search = debounce(async (row, text) => {
      const box = row.querySelector("[data-line-results]");
      if (!searchUrl || !text.trim()) {
        closeResults(row);
        return;
      }
      let results = [];
      try {
        const response = await fetch(`${searchUrl}?q=${encodeURIComponent(text.trim())}&limit=15`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        results = (await response.json()).results || [];
      } catch (error) {
        return;
      }
      box.replaceChildren();
      if (!results.length) {
        const empty = document.createElement("span");
        empty.className = "dropdown-item disabled";
        empty.textContent = form.dataset.noResults || "—";
        box.append(empty);
      }
      for (const product of results) {
        const item = document.createElement("button");
        item.type = "button";
        item.className = "dropdown-item";
        item.dataset.testid = "product-result";
        const title = document.createElement("div");
        title.textContent = `${product.code} ${product.name}`;
        const detail = document.createElement("div");
        detail.className = "small text-secondary";
        detail.textContent = [product.model, product.spec, product.unit,
          purchase ? product.cost_price : product.list_price].filter(Boolean).join(" · ");
        item.append(title, detail);
        item.addEventListener("click", () => choose(row, product));
        box.append(item);
      }
      box.classList.add("show");
    }, 200);

    const wire = (row) => {
      const input = row.querySelector("[data-line-search]");
      input.addEventListener("input", () => {
        // Typing a new name forgets the chosen product until one is picked again.
        row.querySelector("[data-line-product]").value = "";
        search(row, input.value);
      });
      input.addEventListener("keydown", (event) => {
        if (event.key === "Escape") closeResults(row);
        if (event.key === "Enter") {
          const first = row.querySelector("[data-line-results] .dropdown-item:not(.disabled)");
          if (first) {
            event.preventDefault();
            first.click();
          }
        }
      });
      row.querySelector("[data-line-remove]").addEventListener("click", () => {
        // The formset keeps its count: a missing row is a blank one, which is skipped.
        row.remove();
      });
      showSerials(row, row.dataset.serialTracked === "1");
    };

    for (const row of body.querySelectorAll("tr[data-line-row]")) wire(row);

    form.querySelector("[data-line-add]").addEventListener("click", () => {
      const index = Number(totalForms.value);
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      const holder = document.createElement("tbody");
      holder.innerHTML = html.trim();
      const row = holder.querySelector("tr");
      body.append(row);
      totalForms.value = String(index + 1);
      wire(row);
      row.querySelector("[data-line-search]").focus();
    });

    document.addEventListener("click", (event) => {
      for (const row of body.querySelectorAll("tr[data-line-row]")) {
        if (!row.contains(event.target)) closeResults(row);
      }
    });
    form.dataset.wired = "1";
  }

  const start = () => {
    for (const form of document.querySelectorAll("form[data-stock-editor]")) setup(form);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
