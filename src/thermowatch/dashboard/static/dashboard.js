/* thermowatch dashboard: sort/filter of the fleet table, live updates (server-sent events),
   the transformer chart (uPlot). No build step, no framework, no network beyond our server. */
"use strict";
var TW = (function () {
  var lang = document.body.dataset.lang || "fr";
  var fmt = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: 1 });

  function liveStream(url, handlers) {
    var badge = document.getElementById("live");
    var es = new EventSource(url);
    es.onopen = function () {
      if (badge) { badge.textContent = badge.dataset.on; badge.className = "live on"; }
    };
    es.onerror = function () {
      if (badge) { badge.textContent = badge.dataset.off; badge.className = "live off"; }
    };
    Object.keys(handlers).forEach(function (name) {
      es.addEventListener(name, function (ev) { handlers[name](JSON.parse(ev.data)); });
    });
    window.addEventListener("beforeunload", function () { es.close(); });
    return es;
  }

  // The vendored icon of a level (decorative: the word beside it says the same).
  function icon(level) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg"), use = document.createElementNS(ns, "use");
    svg.setAttribute("class", "icon"); svg.setAttribute("aria-hidden", "true");
    use.setAttribute("href", "/static/vendor/icons-lucide-1.87.0.svg#i-" + level);
    svg.appendChild(use);
    return svg;
  }

  function toast(alert) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var div = document.createElement("div");
    div.className = "toast lv-" + alert.level;
    div.setAttribute("data-alert-id", alert.id);
    var title = document.createElement("strong");
    title.textContent = box.dataset.title + " — " + alert.transformer_id + " (" + alert.level_text + ")";
    var text = document.createElement("div");
    text.textContent = alert.message;
    title.prepend(icon(alert.level));
    div.appendChild(title); div.appendChild(text);
    box.prepend(div);
    setTimeout(function () { div.remove(); }, 20000);
  }

  function fleetPage() {
    var table = document.getElementById("fleet");
    if (!table) { liveStream("/events", { alert: toast }); return; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var search = document.getElementById("fleet-search");
    var level = document.getElementById("fleet-level");
    function applyFilter() {
      var q = search.value.trim().toLowerCase(), lv = level.value;
      rows.forEach(function (r) {
        var d = r.dataset;
        var text = (d.id + " " + d.name + " " + d.site).toLowerCase();
        r.hidden = (q && text.indexOf(q) < 0) || (lv && d.level !== lv);
      });
    }
    search.addEventListener("input", applyFilter);
    level.addEventListener("change", applyFilter);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var key = th.dataset.key; if (!key) return;
      var numeric = th.dataset.type === "num";
      th.querySelector("button").addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = a.dataset[key], y = b.dataset[key], c;
          if (numeric) {
            x = x === "" ? Infinity : parseFloat(x); y = y === "" ? Infinity : parseFloat(y);
            c = x - y;
          } else { c = x.localeCompare(y); }
          return asc ? c : -c;
        });
        var frag = document.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(r); });
        body.appendChild(frag);
      });
    });
    liveStream("/events", {
      alert: function (a) {
        toast(a);
        var row = document.getElementById("tr-" + a.transformer_id);
        if (!row) return;
        var cell = row.querySelector(".alerts");
        cell.textContent = String(parseInt(cell.textContent, 10) + 1);
        row.dataset.alerts = cell.textContent;
        if (a.level === "CRITIQUE" || (a.level === "ALERTE" && row.dataset.level !== "CRITIQUE")) {
          row.className = row.className.replace(/lv-\w+/, "lv-" + a.level);
          row.dataset.level = a.level;
          var badge = row.querySelector(".badge");
          badge.className = "badge lv-" + a.level; badge.textContent = a.level_text;
          badge.prepend(icon(a.level));
        }
        row.classList.add("flash");
      },
      reading: function (r) {
        var row = document.getElementById("tr-" + r.transformer_id);
        if (!row) return;
        if (r.measured !== null) { row.querySelector(".measured").textContent = fmt.format(r.measured); }
        row.querySelector(".age").textContent = r.age_text;
        row.classList.remove("stale");
      }
    });
  }

  function alertsPage() {
    liveStream("/events", {
      alert: function (a) {
        toast(a);
        var table = document.getElementById("alerts");
        if (!table) return;
        var tr = table.tBodies[0].insertRow(0);
        tr.className = "lv-" + a.level + " flash";
        tr.id = "alert-" + a.id;
        [a.level_text, a.transformer_id, a.kind, a.raised_at_text, a.message].forEach(function (v) {
          tr.insertCell().textContent = v;
        });
        tr.cells[0].prepend(icon(a.level));
      }
    });
  }

  // Colours with ≥ 3:1 contrast on the panel (WCAG 1.4.11); dashes tell the series apart too.
  var COLOURS = { measured: "#8cc8ff", predicted: "#e8eef3", band: "#9fb0bf", forecast: "#d7a6ff",
    alert: "#f0a830", critical: "#ff6b6b", load: "#7fe0a0", ambient: "#ffd27f" };

  function timeAxis(tz) {
    return { stroke: "#b8c6d3", grid: { stroke: "#2c3845" }, values: [
      [86400 * 28, "{MM}/{YYYY}", null, null, null, null, null, null, 1],
      [86400, "{DD}/{MM}", "\n{YYYY}", null, null, null, null, null, 1],
      [3600, "{HH}:{mm}", "\n{DD}/{MM}", null, "\n{DD}/{MM}", null, null, null, 1],
      [60, "{HH}:{mm}", "\n{DD}/{MM}", null, "\n{DD}/{MM}", null, null, null, 1],
      [1, "{HH}:{mm}:{ss}", "\n{DD}/{MM}", null, "\n{DD}/{MM}", null, null, null, 1]] };
  }

  // Hover values in the page's language and the site's time zone.
  function timeSeries(label, tz) {
    var f = new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB", { timeZone: tz,
      day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
    return { label: label, value: function (u, v) { return v == null ? "—" : f.format(new Date(v * 1e3)); } };
  }

  function unitValue(unit, digits) {
    var f = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: digits });
    return function (u, v) { return v == null ? "—" : f.format(v) + " " + unit; };
  }

  function plotOf(el, data, labels, cfg, defs, axes, height, hooks) {
    var series = [timeSeries(labels.time, cfg.tz)], cols = [data.t], keys = ["t"];
    defs.forEach(function (d) {
      if (!data[d.key]) return;
      cols.push(data[d.key]); keys.push(d.key);
      series.push({ label: d.label, stroke: d.stroke, dash: d.dash, width: d.width || 2,
        spanGaps: true, scale: d.scale || "y", value: d.value, points: { show: false } });
    });
    var range = [data.start, data.end];
    var opts = {
      width: Math.max(320, el.clientWidth - 8), height: height, series: series,
      scales: { x: { time: true, range: function () { return range; } } },
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), cfg.tz); },
      cursor: { sync: { key: "tw-" + cfg.id } },
      axes: [timeAxis(cfg.tz)].concat(axes), legend: { live: true }, hooks: hooks || {}
    };
    el.innerHTML = "";
    var plot = new uPlot(opts, cols, el);
    el.dataset.plotLeft = String(plot.bbox.left); el.dataset.plotWidth = String(plot.bbox.width);
    window.addEventListener("resize", function () { plot.setSize({ width: Math.max(320, el.clientWidth - 8), height: height }); });
    return { plot: plot, cols: cols, keys: keys, range: range };
  }

  function chart(el, data, labels, cfg) {
    var deg = unitValue("°C", 1);
    var defs = [
      { key: "measured", label: labels.measured, stroke: COLOURS.measured, value: deg },
      { key: "predicted", label: labels.predicted, stroke: COLOURS.predicted, dash: [6, 4], value: deg },
      { key: "lower", label: labels.lower, stroke: COLOURS.band, dash: [2, 4], width: 1, value: deg },
      { key: "upper", label: labels.upper, stroke: COLOURS.band, dash: [2, 4], width: 1, value: deg },
      { key: "forecast", label: labels.forecast, stroke: COLOURS.forecast, dash: [8, 4], width: 2.5, value: deg },
      { key: "forecast_lower", label: labels.forecast_lower, stroke: COLOURS.forecast, dash: [2, 3], width: 1, value: deg },
      { key: "forecast_upper", label: labels.forecast_upper, stroke: COLOURS.forecast, dash: [2, 3], width: 1, value: deg },
      // thresholds: plain lines, no marker at every point
      { key: "threshold_alert", label: labels.alert, stroke: COLOURS.alert, dash: [10, 6], width: 1.5, value: deg },
      { key: "threshold_critical", label: labels.critical, stroke: COLOURS.critical, dash: [10, 6], width: 1.5, value: deg }
    ];
    var degrees = function (u, v) { return v.map(function (x) { return fmt.format(x); }); };
    // Same axis sizes as the chart below: both plots span the same pixels for the same instants.
    var axes = [{ label: labels.temperature, stroke: "#b8c6d3", grid: { stroke: "#2c3845" }, size: 70, values: degrees },
                { side: 1, label: labels.temperature, stroke: "#b8c6d3", grid: { show: false }, size: 60, values: degrees }];
    // A vertical line where the measured past ends and the forecast begins.
    var hooks = { draw: [function (u) {
      if (!data.forecast_from) return;
      var x = u.valToPos(data.forecast_from, "x", true), ctx = u.ctx;
      ctx.save(); ctx.strokeStyle = COLOURS.forecast; ctx.setLineDash([3, 3]); ctx.beginPath();
      ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); ctx.restore();
    }] };
    return plotOf(el, data, labels, cfg, defs, axes, 340, hooks);
  }

  function driversChart(el, data, labels, cfg) {
    var amps = data.current_a || [];
    var pu = unitValue("pu", 2), a = unitValue("A", 0);
    var defs = [
      { key: "load_pu", label: labels.load_pu, stroke: COLOURS.load, scale: "pu",
        value: function (u, v, s, i) { return v == null ? "—" : pu(u, v) + (amps[i] != null ? " (" + a(u, amps[i]) + ")" : ""); } },
      { key: "ambient", label: labels.ambient, stroke: COLOURS.ambient, dash: [6, 3], scale: "C", value: unitValue("°C", 1) }
    ];
    if (!data.load_pu && data.current_a) {
      defs[0] = { key: "current_a", label: labels.current_a, stroke: COLOURS.load, scale: "pu", value: a };
    }
    if (!data.load_pu && !data.current_a && !data.ambient) { el.textContent = labels.no_data; return null; }
    var axes = [
      { scale: "pu", label: data.load_pu ? labels.load_pu : labels.current_a, stroke: "#b8c6d3", grid: { stroke: "#2c3845" }, size: 70 },
      { scale: "C", side: 1, label: labels.ambient, stroke: "#b8c6d3", grid: { show: false }, size: 60 }
    ];
    return plotOf(el, data, labels, cfg, defs, axes, 180);
  }

  function transformerPage(cfg) {
    var el = document.getElementById("chart");
    var below = document.getElementById("drivers-chart");
    var state = null, lower = null;
    fetch(cfg.series, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      document.getElementById("chart-points").textContent = data.points_text;
      if (!data.t.length) { el.textContent = data.empty_text; below.textContent = data.empty_text; return; }
      state = chart(el, data, cfg.labels, cfg);
      lower = driversChart(below, data, cfg.labels, cfg);
      el.dataset.points = String(data.measured_points + data.predicted_points);  // drawn
      el.dataset.predictedPoints = String(data.predicted_points);
      el.dataset.start = String(data.start); el.dataset.end = String(data.end);
      if (data.forecast_from) el.dataset.forecastFrom = String(data.forecast_from);
      el.dataset.drawnMs = String(Math.round(performance.now()));  // read by the benchmark
      el.dataset.ready = "1";
      if (lower) below.dataset.ready = "1";
    });
    liveStream("/events?transformer=" + encodeURIComponent(cfg.id), {
      alert: toast,
      reading: function (r) {
        var last = document.getElementById("last-measured");
        if (last && r.measured !== null) { last.textContent = fmt.format(r.measured); }
        if (!state || !cfg.live) return;
        [state, lower].forEach(function (s) {
          if (!s) return;
          // uPlot needs increasing times: the reading goes before any forecast instant.
          var at = s.cols[0].length;
          while (at > 0 && s.cols[0][at - 1] > r.t) at--;
          s.cols.forEach(function (col, k) {
            var key = s.keys[k], v = null;
            if (key === "t") v = r.t;
            else if (key === "measured") v = r.measured;
            else if (key === "predicted") v = r.predicted;
            else if (key.indexOf("threshold") === 0) v = col[col.length - 1];
            col.splice(at, 0, v);
          });
          if (r.t > s.range[1]) s.range[1] = r.t;
          s.plot.setData(s.cols);
        });
        var n = parseInt(el.dataset.points || "0", 10) + (r.measured !== null ? 1 : 0) + (r.predicted !== null ? 1 : 0);
        el.dataset.points = String(n);
        el.dataset.lastReading = String(r.t);
        if (r.predicted !== null) { el.dataset.lastPredicted = String(r.predicted); }
      }
    });
  }

  // No inline script (the Content-Security-Policy forbids it): each page says what it is.
  document.addEventListener("DOMContentLoaded", function () {
    var kind = document.body.dataset.page;
    if (kind === "fleet") fleetPage();
    else if (kind === "alerts") alertsPage();
    else if (kind === "transformer") transformerPage(JSON.parse(document.getElementById("chart").dataset.config));
    else if (document.getElementById("live")) liveStream("/events", { alert: toast });
  });

  return { fleetPage: fleetPage, alertsPage: alertsPage, transformerPage: transformerPage, liveStream: liveStream, toast: toast };
})();
