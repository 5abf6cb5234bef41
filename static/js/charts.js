// Charts drawn with the vendored Apache ECharts (static/vendor/echarts/). Each chart is a
// <div data-chart="KIND" data-chart-data="ID"> whose data is the <script type="application/json"
// id="ID"> Django's json_script wrote: no inline script, so the Content-Security-Policy holds.
// Kinds: "gantt" (a plan), "bars" (horizontal bars), "revenue" (money per day). The library
// (1 MB) is fetched only by pages that have a chart, from the URL on this script's tag.
const chartsScript = document.currentScript;

function chartsMain() {
  "use strict";
  const echarts = window.echarts;
  const STEP = "#2c6e9b";
  const LEG = "#b8860b";
  const PHONE = 600; // px: below this, labels get shorter and the Gantt starts compressed
  const MIN_BAR_PX = 6; // a ten-minute step stays visible beside three days on the road
  const escape = echarts.format.encodeHTML;
  const when = new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC", weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  const day = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short" });
  const clock = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", hour: "2-digit", minute: "2-digit" });

  // Money as the rest of the site writes it ("1,234.50 EUR"), from integer minor units.
  function money(minor, currency) {
    if (minor === null || minor === undefined || !currency) return "";
    const digits = new Intl.NumberFormat("en-GB", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
    const number = new Intl.NumberFormat("en-GB", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return number.format(minor / Math.pow(10, digits)) + " " + currency;
  }

  function duration(ms) {
    const minutes = Math.round(ms / 60000);
    if (minutes < 120) return minutes + " min";
    const hours = minutes / 60;
    return hours < 48 ? hours.toFixed(1) + " h" : (hours / 24).toFixed(1) + " days";
  }

  // A compressed time scale: every stretch between two consecutive start or end times gets a
  // width growing with the logarithm of its length, so short machining steps and multi-day
  // transport share the width; the mapping stays monotonic, so order and overlaps hold.
  function compressedScale(rows) {
    const cuts = Array.from(new Set(rows.flatMap((r) => [r.start, r.end]))).sort((a, b) => a - b);
    const at = [0];
    for (let i = 1; i < cuts.length; i++) at.push(at[i - 1] + Math.log1p((cuts[i] - cuts[i - 1]) / 600000));
    function find(values, x) {
      let i = 0;
      while (i < values.length - 2 && values[i + 1] < x) i++;
      return i;
    }
    return {
      max: at[at.length - 1] || 1,
      to(t) {
        if (cuts.length < 2) return 0;
        const i = find(cuts, t);
        const span = cuts[i + 1] - cuts[i] || 1;
        return at[i] + ((t - cuts[i]) / span) * (at[i + 1] - at[i]);
      },
      from(x) {
        if (cuts.length < 2) return cuts[0] || 0;
        const i = find(at, x);
        const span = at[i + 1] - at[i] || 1;
        return cuts[i] + ((x - at[i]) / span) * (cuts[i + 1] - cuts[i]);
      },
    };
  }

  function ganttOption(data, width, compressed) {
    const rows = data.rows.map((r) => ({ ...r, start: Date.parse(r.start), end: Date.parse(r.end) }));
    const scale = compressedScale(rows);
    const x = compressed ? (t) => scale.to(t) : (t) => t;
    const labelWidth = Math.round(Math.min(210, Math.max(96, width * 0.3)));
    return {
      useUTC: true,
      animation: false,
      grid: { left: 8, right: 16, top: 8, bottom: 64, containLabel: true },
      tooltip: {
        confine: true,
        formatter(p) {
          const r = rows[p.value[0]];
          const lines = ["<strong>" + escape(r.name) + "</strong>"];
          if (r.kind === "step") {
            lines.push(escape(r.workshop));
            if (r.machine) lines.push("Machine: " + escape(r.machine));
          } else {
            lines.push(escape(r.carrier) + (r.km ? ", " + r.km + " km" : ""));
          }
          lines.push(when.format(r.start) + " – " + when.format(r.end) + " UTC");
          lines.push(duration(r.end - r.start));
          const price = money(r.cost_minor, data.currency);
          if (price) lines.push("Price: " + price);
          return lines.join("<br>");
        },
      },
      xAxis: compressed
        ? {
            type: "value", min: 0, max: scale.max, splitNumber: width < PHONE ? 3 : 6,
            axisLabel: { formatter: (v) => day.format(scale.from(v)) + "\n" + clock.format(scale.from(v)), hideOverlap: true, lineHeight: 14 },
            splitLine: { lineStyle: { color: "#e3e8ee" } },
          }
        : {
            type: "time", min: Math.min(...rows.map((r) => r.start)), max: Math.max(...rows.map((r) => r.end)),
            axisLabel: { hideOverlap: true }, splitLine: { show: true, lineStyle: { color: "#e3e8ee" } },
          },
      yAxis: {
        type: "category", inverse: true, data: rows.map((r) => r.label),
        axisTick: { show: false },
        axisLabel: { width: labelWidth, overflow: "truncate", fontSize: width < PHONE ? 10 : 12 },
      },
      dataZoom: [
        { type: "slider", xAxisIndex: 0, filterMode: "weakFilter", height: 18, bottom: 8, showDetail: false },
        { type: "inside", xAxisIndex: 0, filterMode: "weakFilter", moveOnMouseWheel: false, preventDefaultMouseMove: false },
      ],
      series: [{
        type: "custom",
        encode: { x: [1, 2], y: 0 },
        renderItem(params, api) {
          const row = api.value(0);
          const from = api.coord([api.value(1), row]);
          const to = api.coord([api.value(2), row]);
          const height = api.size([0, 1])[1] * 0.6;
          const box = echarts.graphic.clipRectByRect(
            { x: from[0], y: from[1] - height / 2, width: Math.max(to[0] - from[0], MIN_BAR_PX), height },
            { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height },
          );
          return box && { type: "rect", shape: { ...box, r: 2 }, style: { fill: rows[row].kind === "leg" ? LEG : STEP } };
        },
        data: rows.map((r, i) => [i, x(r.start), x(r.end)]),
      }],
    };
  }

  function barsOption(data, width) {
    const unit = data.unit || "";
    return {
      animation: false,
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true, valueFormatter: (v) => v + (unit ? " " + unit : "") },
      xAxis: { type: "value", max: data.max || null, minInterval: 1, axisLabel: { hideOverlap: true } },
      yAxis: {
        type: "category", inverse: true, data: data.labels, axisTick: { show: false },
        axisLabel: { width: width < PHONE ? 100 : 180, overflow: "truncate" },
      },
      series: [{
        type: "bar", data: data.values, itemStyle: { color: data.color || STEP }, barMaxWidth: 18,
        label: { show: true, position: "right", formatter: (p) => p.value + (unit ? " " + unit : "") },
      }],
    };
  }

  function revenueOption(data) {
    return {
      useUTC: true,
      animation: false,
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis", confine: true,
        formatter: (items) => escape(day.format(Date.parse(items[0].axisValue))) + ": " + money(items[0].value, data.currency),
      },
      xAxis: { type: "category", data: data.days, axisLabel: { formatter: (v) => day.format(Date.parse(v)), hideOverlap: true } },
      yAxis: { type: "value", axisLabel: { formatter: (v) => money(v, data.currency), hideOverlap: true } },
      series: [{ type: "bar", data: data.minor, itemStyle: { color: STEP }, barMaxWidth: 14 }],
    };
  }

  function height(kind, data, el) {
    if (kind === "gantt") return Math.max(160, data.rows.length * 30 + 80);
    if (kind === "bars") return Math.max(80, data.labels.length * 26 + 24);
    return el.clientHeight || 200;
  }

  function draw(el) {
    const source = document.getElementById(el.dataset.chartData);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const kind = el.dataset.chart;
    el.style.height = height(kind, data, el) + "px";
    const chart = echarts.init(el, null, { renderer: "canvas" });
    const width = el.clientWidth;
    if (kind === "gantt") {
      let compressed = width < PHONE || el.dataset.scale === "compressed";
      const toggle = el.parentElement.querySelector("[data-gantt-scale]");
      const render = () => {
        chart.setOption(ganttOption(data, el.clientWidth, compressed), true);
        el.dataset.scale = compressed ? "compressed" : "calendar";
        if (toggle) toggle.textContent = compressed ? "Show calendar time" : "Show steps wider (compressed time)";
      };
      if (toggle) {
        toggle.hidden = false;
        toggle.addEventListener("click", () => { compressed = !compressed; render(); });
      }
      render();
    } else if (kind === "bars") {
      chart.setOption(barsOption(data, width));
    } else if (kind === "revenue") {
      chart.setOption(revenueOption(data));
    }
    el.dataset.chartReady = "true";
    new ResizeObserver(() => chart.resize()).observe(el);
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
}

function chartsStart() {
  if (!document.querySelector("[data-chart]")) return;
  if (window.echarts) return chartsMain();
  const library = document.createElement("script");
  library.src = chartsScript.dataset.echarts;
  library.addEventListener("load", chartsMain);
  document.head.appendChild(library);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", chartsStart);
else chartsStart();
