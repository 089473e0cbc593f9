// The print view's "Print" button (no inline scripts under the CSP).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print-button]")) {
    window.print();
  }
});
