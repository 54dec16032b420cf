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
      }
    });
  }

  function chart(el, data, labels) {
    var series = [{}];
    var cols = [data.t];
    function add(key, label, stroke, dash, width) {
      if (!data[key]) return;
      cols.push(data[key]);
      series.push({ label: label, stroke: stroke, dash: dash, width: width || 2, spanGaps: true,
        value: function (u, v) { return v == null ? "—" : fmt.format(v) + " °C"; } });
    }
    add("measured", labels.measured, "#8cc8ff");
    add("predicted", labels.predicted, "#e8eef3", [6, 4]);
    add("lower", labels.lower, "#7d8b99", [2, 4], 1);
    add("upper", labels.upper, "#7d8b99", [2, 4], 1);
    add("forecast", labels.forecast, "#c58cff", [8, 4]);
    add("threshold_alert", labels.alert, "#e09a1a", [10, 6], 1.5);
    add("threshold_critical", labels.critical, "#d83a3a", [10, 6], 1.5);
    var opts = {
      width: Math.max(320, el.clientWidth - 8), height: 360,
      series: series, scales: { x: { time: true } },
      // 24-hour clock, day/month: what a French control room reads (times in UTC, as the server).
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      axes: [{ stroke: "#9fb0bf", grid: { stroke: "#2c3845" }, values: [
                [86400 * 28, "{MM}/{YYYY}", null, null, null, null, null, null, 1],
                [86400, "{DD}/{MM}", "\n{YYYY}", null, null, null, null, null, 1],
                [3600, "{HH}:{mm}", "\n{DD}/{MM}", null, "\n{DD}/{MM}", null, null, null, 1],
                [60, "{HH}:{mm}", "\n{DD}/{MM}", null, "\n{DD}/{MM}", null, null, null, 1],
                [1, "{HH}:{mm}:{ss}", "\n{DD}/{MM}", null, "\n{DD}/{MM}", null, null, null, 1]] },
             { stroke: "#9fb0bf", grid: { stroke: "#2c3845" }, size: 80, values: function (u, v) { return v.map(function (x) { return fmt.format(x) + " °C"; }); } }],
      legend: { live: true }
    };
    el.innerHTML = "";
    var plot = new uPlot(opts, cols, el);
    window.addEventListener("resize", function () { plot.setSize({ width: Math.max(320, el.clientWidth - 8), height: 360 }); });
    return { plot: plot, cols: cols, keys: ["t"].concat(["measured", "predicted", "lower", "upper", "forecast", "threshold_alert", "threshold_critical"].filter(function (k) { return data[k]; })) };
  }

  function transformerPage(cfg) {
    var el = document.getElementById("chart");
    var state = null;
    fetch(cfg.series, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      document.getElementById("chart-points").textContent = data.points_text;
      if (!data.t.length) { el.textContent = data.empty_text; return; }
      state = chart(el, data, cfg.labels);
      el.dataset.points = String(data.t.length);
      el.dataset.drawnMs = String(Math.round(performance.now()));  // read by the benchmark
      el.dataset.ready = "1";
    });
    liveStream("/events?transformer=" + encodeURIComponent(cfg.id), {
      alert: toast,
      reading: function (r) {
        var last = document.getElementById("last-measured");
        if (last && r.measured !== null) { last.textContent = fmt.format(r.measured); }
        if (!state) return;
        var i = state.keys.indexOf("measured"), p = state.keys.indexOf("predicted");
        state.cols.forEach(function (col, k) {
          var key = state.keys[k], v = null;
          if (key === "t") v = r.t;
          else if (key === "measured") v = r.measured;
          else if (key === "predicted") v = r.predicted;
          else if (key.indexOf("threshold") === 0) v = col[col.length - 1];
          col.push(v);
        });
        state.plot.setData(state.cols);
        el.dataset.points = String(state.cols[0].length);
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
