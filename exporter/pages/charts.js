// The exporter pages' drawing code: SVG line and bar charts with axes, units
// and a legend, in the Okabe-Ito colours (distinguishable with every common
// colour-vision deficiency). No dependencies; served as /pages/charts.js.
"use strict";
const DW = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = { blue: "#0072B2", orange: "#E69F00", green: "#009E73", vermillion: "#D55E00",
                   purple: "#CC79A7", sky: "#56B4E9", yellow: "#F0E442", black: "#000000" };
  const SERIES = [COLORS.blue, COLORS.orange, COLORS.green, COLORS.vermillion, COLORS.purple,
                  COLORS.sky, COLORS.yellow, COLORS.black];
  const MARGIN = { left: 62, right: 14, top: 12, bottom: 42 };

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    const t = el("text", Object.assign({ x, y }, attrs || {}), parent);
    t.textContent = s;
    return t;
  }
  // Short numbers for tick labels: 0.00123 -> "0.00123", 12000 -> "12k".
  function fmt(v) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toPrecision(3).replace(/\.?0+$/, "") + "M";
    if (a >= 1e4) return (v / 1e3).toPrecision(3).replace(/\.?0+$/, "") + "k";
    if (a >= 1) return String(+v.toPrecision(4));
    return String(+v.toPrecision(3));
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) hi = lo + 1;
    const raw = (hi - lo) / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      ticks.push(+v.toPrecision(12));
    }
    return ticks;
  }
  // A chart frame: an svg sized to its container, scales, axes and labels.
  function frame(container, o) {
    container.replaceChildren();
    const width = Math.max(280, Math.floor(container.clientWidth || 600));
    const height = o.height || 240;
    const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
                            "aria-label": o.title || "" }, container);
    const left = MARGIN.left, top = MARGIN.top;
    const right = width - MARGIN.right, bottom = height - MARGIN.bottom;
    const [x0, x1] = o.x, [y0, y1] = o.y;
    const sx = (v) => left + (x1 > x0 ? (v - x0) / (x1 - x0) : 0.5) * (right - left);
    const sy = (v) => bottom - (y1 > y0 ? (v - y0) / (y1 - y0) : 0.5) * (bottom - top);
    Object.assign(svg.dataset, { x0, x1, y0, y1, left, right, top, bottom });
    const axes = el("g", { class: "axes", "font-size": 11, fill: "#222" }, svg);
    for (const v of niceTicks(y0, y1, 5)) {
      el("line", { x1: left, x2: right, y1: sy(v), y2: sy(v), stroke: "#ddd" }, axes);
      text(axes, left - 6, sy(v) + 4, (o.yFormat || fmt)(v), { "text-anchor": "end" });
    }
    if (o.xTicks !== false) {
      for (const v of niceTicks(x0, x1, Math.max(3, Math.floor((right - left) / 80)))) {
        el("line", { x1: sx(v), x2: sx(v), y1: bottom, y2: bottom + 4, stroke: "#444" }, axes);
        text(axes, sx(v), bottom + 16, (o.xFormat || fmt)(v), { "text-anchor": "middle" });
      }
    }
    el("line", { x1: left, x2: right, y1: bottom, y2: bottom, stroke: "#444" }, axes);
    el("line", { x1: left, x2: left, y1: top, y2: bottom, stroke: "#444" }, axes);
    text(axes, (left + right) / 2, height - 6, o.xLabel || "", { "text-anchor": "middle" });
    text(axes, 12, (top + bottom) / 2, o.yLabel || "",
         { "text-anchor": "middle", transform: `rotate(-90 12 ${(top + bottom) / 2})` });
    return { svg, sx, sy, left, right, top, bottom, width, height };
  }
  // A legend above a chart: [{label, color, kind: "line"|"dash"|"dot"|"box"}].
  function legend(container, items) {
    const div = document.createElement("div");
    div.className = "legend";
    for (const it of items) {
      const span = document.createElement("span");
      const s = el("svg", { width: 22, height: 12, "aria-hidden": "true" }, span);
      if (it.kind === "dot") el("circle", { cx: 11, cy: 6, r: 4, fill: it.color }, s);
      else if (it.kind === "box") el("rect", { x: 3, y: 1, width: 16, height: 10, fill: it.color }, s);
      else el("line", { x1: 1, x2: 21, y1: 6, y2: 6, stroke: it.color, "stroke-width": 2.5,
                        "stroke-dasharray": it.kind === "dash" ? "5 3" : "" }, s);
      span.append(" " + it.label);
      div.appendChild(span);
    }
    container.appendChild(div);
  }
  // Lines: o.series = [{name, color, dash, points: [[x, y|null], ...]}];
  // a null y breaks the line.
  function lineChart(container, o) {
    const xs = [], ys = [];
    for (const s of o.series) for (const [x, y] of s.points) { xs.push(x); if (y != null) ys.push(y); }
    const x = o.xRange || [Math.min(...xs), Math.max(...xs)];
    const y = [o.yMin != null ? o.yMin : Math.min(0, ...ys),
               o.yMax != null ? o.yMax : (ys.length ? Math.max(...ys) * 1.1 || 1 : 1)];
    const f = frame(container, Object.assign({}, o, { x, y }));
    for (const s of o.series) {
      let d = "", pen = false;
      for (const [px, py] of s.points) {
        if (py == null) { pen = false; continue; }
        d += `${pen ? "L" : "M"}${f.sx(px).toFixed(1)},${f.sy(py).toFixed(1)}`;
        pen = true;
      }
      el("path", { d, fill: "none", stroke: s.color, "stroke-width": 2,
                   "stroke-dasharray": s.dash || "", class: "series" }, f.svg);
      // A dot per point too, so that a lone point (one busy second) shows.
      for (const [px, py] of s.points) {
        if (py != null) el("circle", { cx: f.sx(px), cy: f.sy(py), r: 2, fill: s.color }, f.svg);
      }
    }
    legend(container, o.series.map((s) => ({ label: s.name, color: s.color,
                                              kind: s.dash ? "dash" : "line" })));
    return f;
  }
  // Grouped bars: o.labels = category names, o.series = [{name, color, values}].
  function barChart(container, o) {
    const max = Math.max(1, ...o.series.flatMap((s) => s.values));
    const n = o.labels.length;
    const f = frame(container, Object.assign({}, o, { x: [0, Math.max(1, n)], y: [0, max * 1.1],
                                                      xTicks: false }));
    const band = (f.right - f.left) / Math.max(1, n);
    const bw = Math.max(1, (band * 0.8) / o.series.length);
    o.labels.forEach((label, i) => {
      o.series.forEach((s, k) => {
        const v = s.values[i] || 0;
        const r = el("rect", { x: f.left + i * band + band * 0.1 + k * bw, y: f.sy(v), width: bw,
                               height: f.bottom - f.sy(v), fill: s.color, class: "bar" }, f.svg);
        el("title", {}, r).textContent = `${label}: ${v}`;
      });
      // Every label when they fit, else every k-th.
      const every = Math.ceil(n / Math.max(1, Math.floor((f.right - f.left) / 46)));
      if (i % every === 0) {
        text(f.svg, f.left + (i + 0.5) * band, f.bottom + 14, label,
             { "text-anchor": "middle", "font-size": 10 });
      }
    });
    if (o.series.length > 1 || o.legend) {
      legend(container, o.series.map((s) => ({ label: s.name, color: s.color, kind: "box" })));
    }
    return f;
  }
  async function fetchJson(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
    const body = await res.json();
    return { status: res.status, body };
  }
  return { el, text, fmt, niceTicks, frame, legend, lineChart, barChart, fetchJson, COLORS, SERIES };
})();
