// The dashboards' charts (server/dashboards): ECharts draws the numbers the page already
// shows as tables, read from the JSON data island #dashboard-data. A click on a bar or a
// point opens the list behind that number (the same link as the table's cell). Without
// this script, or without ECharts, the tables are the page. No inline code, no eval (CSP).
(function () {
  "use strict";

  var COLOURS = {
    "红色": "#c62828", "黄色": "#f9a825", "绿色": "#2e7d32"
  };
  var PALETTE = ["#1565c0", "#2e7d32", "#ef6c00", "#c62828", "#6a1b9a", "#00838f"];
  // Charts by unit or township: on a phone, bars run across, one named row each (slanted
  // names under upright bars left the bars a few pixels tall at 390 px).
  var GROUPS = { units: true, regions: true };
  var PHONE = 480, ROW = 30, NAME = 7, SHOWN = 30;

  function across(spec, width) {
    return width < PHONE && GROUPS[spec.id] === true && spec.type !== "line";
  }

  function shortName(name) {
    return name.length > NAME ? name.slice(0, NAME - 1) + "…" : name;
  }

  function options(spec, width) {
    var byColour = spec.id === "colours";
    var series = spec.series.map(function (s, n) {
      var one = {
        name: s.name,
        type: spec.type === "line" ? "line" : "bar",
        data: s.values.map(function (v, i) {
          var point = { value: v };
          if (byColour && n === 0 && COLOURS[spec.categories[i]]) {
            point.itemStyle = { color: COLOURS[spec.categories[i]] };
          }
          return point;
        }),
        cursor: "pointer"
      };
      if (spec.stacked) { one.stack = "total"; }
      if (spec.type === "line") { one.smooth = false; one.symbolSize = 6; }
      return one;
    });
    if (across(spec, width)) {
      return {
        animation: false,
        color: PALETTE,
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { top: 0, type: "scroll" },
        grid: { left: 8, right: spec.categories.length > SHOWN ? 28 : 16, top: 36, bottom: 8,
          containLabel: true },
        yAxis: {
          type: "category",
          inverse: true,
          data: spec.categories,
          axisLabel: { interval: 0, formatter: shortName }
        },
        xAxis: { type: "value", minInterval: 1 },
        // More rows than fit: the first SHOWN, and a slider (or a swipe) for the rest.
        dataZoom: spec.categories.length > SHOWN ? [
          { type: "slider", yAxisIndex: 0, right: 0, width: 14, startValue: 0, endValue: SHOWN - 1 },
          { type: "inside", yAxisIndex: 0, zoomOnMouseWheel: false, moveOnMouseWheel: true }
        ] : [],
        series: series
      };
    }
    // Many categories, or a phone-wide chart: slanted labels, the overlapping ones hidden.
    var wide = spec.categories.length > 12 || (width < PHONE && spec.categories.length > 2);
    return {
      animation: false,
      // By colour: the bars carry their own 红/黄/绿, so the legend's swatch is a neutral
      // grey and the other series (挂牌督办) a colour that is none of the three.
      color: byColour ? ["#607d8b", "#6a1b9a"] : PALETTE,
      // Drawn on the canvas: an HTML tooltip would need inline styles the CSP refuses.
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 48, right: 16, top: 36, bottom: wide ? 64 : 32, containLabel: true },
      xAxis: {
        type: "category",
        data: spec.categories,
        axisLabel: { rotate: wide ? 45 : 0, interval: wide ? "auto" : 0, hideOverlap: true }
      },
      yAxis: { type: "value", minInterval: 1 },
      dataZoom: spec.categories.length > 30 && spec.type !== "line"
        ? [{ type: "slider", bottom: 0, height: 16 }] : [],
      series: series
    };
  }

  function draw(spec) {
    var el = document.querySelector('[data-chart="' + spec.id + '"]');
    if (!el) { return; }
    el.hidden = false;
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", spec.title + "(数据见下表)");
    if (across(spec, el.clientWidth)) {
      // A row per unit: the chart grows with them (the table below has the full names).
      var rows = Math.min(spec.categories.length, SHOWN);
      el.style.height = Math.max(280, 60 + rows * ROW) + "px";
    }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(options(spec, el.clientWidth));
    chart.on("click", function (params) {
      var s = spec.series[params.seriesIndex];
      var url = s && s.links[params.dataIndex];
      if (url) { window.location.assign(url); }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    var island = document.getElementById("dashboard-data");
    if (!island || !window.echarts) { return; }
    var data;
    try { data = JSON.parse(island.textContent); } catch (e) { return; }
    (data.charts || []).forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
