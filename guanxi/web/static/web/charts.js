// ECharts on guanxi pages: one component for every chart (see web/components/chart.html).
//
// A chart is <div class="gx-chart" data-chart-options="ID"> beside a
// {{ options|json_script:"ID" }} block holding an ECharts option object built on the
// server. Data items may carry a `url`: clicking that bar, slice or point opens it (the
// drill-down to the records behind the figure). Tooltips escape every name, since
// names are user text (customers, products).
(function () {
  "use strict";

  function esc(value) {
    return window.echarts.format.encodeHTML(value === null || value === undefined ? "" : String(value));
  }

  function shown(value) {
    if (Array.isArray(value)) { value = value[value.length - 1]; }
    if (typeof value === "number") { return value.toLocaleString(document.documentElement.lang || undefined); }
    return value;
  }

  function tooltip(params) {
    var list = Array.isArray(params) ? params : [params];
    if (!list.length) { return ""; }
    var head = list[0].axisValueLabel !== undefined ? list[0].axisValueLabel : list[0].name;
    var lines = [esc(head)];
    list.forEach(function (p) {
      var label = p.seriesName && p.seriesName !== head ? esc(p.seriesName) + ": " : "";
      var extra = p.percent !== undefined ? " (" + p.percent + "%)" : "";
      lines.push((p.marker || "") + label + esc(shown(p.value)) + extra);
    });
    return lines.join("<br>");
  }

  function render(node) {
    if (node.dataset.chartReady) { return; }
    var source = document.getElementById(node.dataset.chartOptions);
    if (!source || !window.echarts) { return; }
    var options = JSON.parse(source.textContent);
    options.tooltip = Object.assign({ trigger: "item", confine: true }, options.tooltip || {}, { formatter: tooltip });
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption(options);
    chart.on("click", function (params) {
      var data = params.data;
      if (data && typeof data === "object" && data.url) { window.location.assign(data.url); }
    });
    node.dataset.chartReady = "1";
    node.gxChart = chart;
  }

  function renderAll(root) {
    (root || document).querySelectorAll(".gx-chart[data-chart-options]").forEach(render);
  }

  document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { renderAll(event.target); });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".gx-chart").forEach(function (node) { if (node.gxChart) { node.gxChart.resize(); } });
  });
  window.guanxiCharts = { renderAll: renderAll };
})();
