// The line editor of quotes, orders and purchase orders.
//
// Wired by data- attributes (no inline scripts under the CSP):
//   form[data-line-editor]  data-preview-url, data-search-url, data-purchase
//   tr[data-line-row]       one Django formset row; template[data-line-template] a new one
//   [data-line-search]      the product search box; [data-line-product] the chosen product id
//   [data-line-add] / [data-line-remove]
// Amounts are never computed here: every change posts the rows to the price preview,
// which prices them with guanxi.sales.pricing (the same code that saves them).
(() => {
  "use strict";

  const debounce = (fn, wait) => {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), wait);
    };
  };

  const formatMoney = (value) => {
    const number = Number(value);
    if (!Number.isFinite(number)) return value;
    return number.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  };

  function setup(form) {
    const previewUrl = form.dataset.previewUrl;
    const searchUrl = form.dataset.searchUrl;
    const purchase = form.dataset.purchase === "1";
    const body = form.querySelector("[data-line-body]");
    const template = form.querySelector("template[data-line-template]");
    const totalForms = form.querySelector('input[name="lines-TOTAL_FORMS"]');
    let previewSeq = 0;

    const rows = () => Array.from(body.querySelectorAll("tr[data-line-row]"));

    const preview = async () => {
      const seq = ++previewSeq;
      const data = new FormData(form);
      data.set("purchase", purchase ? "1" : "0");
      let answer;
      try {
        const response = await fetch(previewUrl, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch" },
        });
        if (!response.ok) return;
        answer = await response.json();
      } catch (error) {
        return;
      }
      if (seq !== previewSeq) return; // an older answer arriving late
      for (const row of rows()) {
        const line = answer.lines[row.dataset.index];
        const cells = {
          net: row.querySelector("[data-line-net]"),
          tax: row.querySelector("[data-line-tax-amount]"),
          total: row.querySelector("[data-line-total]"),
          unit: row.querySelector("[data-line-unit]"),
        };
        row.classList.toggle("line-invalid", Boolean(line && line.errors));
        if (!line || line.errors) {
          for (const cell of Object.values(cells)) if (cell) cell.textContent = "—";
          if (line && line.errors) {
            cells.total.title = Object.values(line.errors).join(" ");
          }
          continue;
        }
        const shown = line.display || {};
        cells.net.textContent = shown.net || formatMoney(line.net);
        cells.tax.textContent = shown.tax || formatMoney(line.tax);
        cells.total.textContent = shown.total || formatMoney(line.total);
        cells.total.title = "";
        if (cells.unit && line.unit_price !== undefined) {
          cells.unit.textContent = shown.unit_price || formatMoney(line.unit_price);
        }
      }
      const totalsShown = answer.totals_display || {};
      for (const [key, value] of Object.entries(answer.totals)) {
        const cell = form.querySelector(`[data-total="${key}"]`);
        if (cell) cell.textContent = totalsShown[key] || formatMoney(value);
      }
      form.dataset.previewed = String(seq);
    };
    const schedulePreview = debounce(preview, 250);

    // --- the product picker ----------------------------------------------------------
    const closeResults = (row) => {
      const box = row.querySelector("[data-line-results]");
      box.classList.remove("show");
      box.replaceChildren();
    };

    const choose = (row, product) => {
      row.querySelector("[data-line-product]").value = product.id;
      const search = row.querySelector("[data-line-search]");
      search.value = `${product.code} ${product.name}`;
      search.classList.remove("is-invalid");
      const price = row.querySelector("[data-line-price]");
      price.value = purchase ? product.cost_price : product.list_price;
      row.querySelector("[data-line-tax]").value = product.tax_rate;
      const discount = row.querySelector("[data-line-discount]");
      if (!discount.value) discount.value = "0";
      const quantity = row.querySelector("[data-line-quantity]");
      if (!quantity.value) quantity.value = "1";
      closeResults(row);
      quantity.focus();
      quantity.select();
      schedulePreview();
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

    // --- rows ------------------------------------------------------------------------
    const addRow = () => {
      const index = Number(totalForms.value);
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      const holder = document.createElement("tbody");
      holder.innerHTML = html;
      const row = holder.querySelector("tr");
      body.append(row);
      totalForms.value = String(index + 1);
      row.querySelector("[data-line-search]").focus();
      return row;
    };

    form.addEventListener("click", (event) => {
      if (event.target.closest("[data-line-add]")) {
        event.preventDefault();
        addRow();
        return;
      }
      const remove = event.target.closest("[data-line-remove]");
      if (remove) {
        event.preventDefault();
        const row = remove.closest("tr[data-line-row]");
        const box = row.querySelector('input[type="checkbox"][name$="-DELETE"]');
        if (box) box.checked = true;
        row.hidden = true;
        schedulePreview();
      }
    });

    form.addEventListener("input", (event) => {
      const target = event.target;
      const row = target.closest("tr[data-line-row]");
      if (row && target.matches("[data-line-search]")) {
        // Typing replaces the chosen product until a result is picked.
        row.querySelector("[data-line-product]").value = "";
        search(row, target.value);
        return;
      }
      if (row) schedulePreview();
    });

    form.addEventListener("keydown", (event) => {
      const target = event.target;
      if (!target.matches || !target.matches("[data-line-search]")) return;
      const row = target.closest("tr[data-line-row]");
      if (event.key === "Enter") {
        // Enter picks the first result rather than submitting the form.
        event.preventDefault();
        const first = row.querySelector("[data-line-results] button.dropdown-item");
        if (first) first.click();
      } else if (event.key === "Escape") {
        closeResults(row);
      }
    });

    document.addEventListener("click", (event) => {
      for (const row of rows()) {
        if (!row.contains(event.target)) closeResults(row);
      }
    });

    preview();
  }

  const start = () => document.querySelectorAll("form[data-line-editor]").forEach(setup);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
