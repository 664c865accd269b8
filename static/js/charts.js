/*
 * Oversight page behaviour, loaded as a file because the CSP allows script-src 'self' only
 * (no inline scripts, no inline event handlers).
 *
 * - Charts: every <div class="chart" data-figure="ID"> is drawn with Plotly from the
 *   <script type="application/json" id="ID"> block the server rendered. A chart inside a closed
 *   <details> is drawn when it is opened (it has no size before), so long pages stay light.
 *   A chart with data-click-url opens the URL a clicked point carries in its customdata.
 * - Selects with data-autosubmit submit their form on change (the button stays for no-JS use).
 * - A form with data-progress shows its "importing…" status and disables its button on submit.
 */
(function () {
  "use strict";

  // No Plotly toolbar: it added seven tab stops per chart. Its useful actions sit behind one
  // "Chart options" control under each chart (templates/includes/chart.html).
  var CONFIG = { responsive: true, displaylogo: false, displayModeBar: false };
  var TABLE_ROW_LIMIT = 2000;

  function safeUrl(value) {
    if (Array.isArray(value)) value = value[0];
    // Only same-site paths: never "//host" or "javascript:".
    return typeof value === "string" && value.charAt(0) === "/" && value.charAt(1) !== "/" ? value : null;
  }

  function draw(div) {
    if (div.getAttribute("data-drawn") || typeof window.Plotly === "undefined") return;
    var source = document.getElementById(div.getAttribute("data-figure"));
    if (!source) return;
    var figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      div.textContent = "This chart could not be read.";
      return;
    }
    div.setAttribute("data-drawn", "1");
    // Give the box the figure's height: on a window resize Plotly's responsive mode re-reads the
    // box's size, and a box sized only by its content would collapse and the chart overflow it.
    var layout = figure.layout || {};
    if (layout.height) div.style.height = layout.height + "px";
    window.Plotly.newPlot(div, figure.data || [], layout, CONFIG).then(function () {
      if (!div.hasAttribute("data-click-url")) return;
      div.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        var url = point ? safeUrl(point.customdata) : null;
        if (url) window.location.assign(url);
      });
    });
  }

  function cellText(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "number") return Math.abs(value) >= 1000 ? value.toLocaleString("en-GB") : String(+value.toFixed(4));
    return String(value);
  }

  // The chart's data as a table: one row per point (series, x, y), a link where the point has one.
  function buildTable(holder) {
    if (holder.getAttribute("data-built")) return;
    var source = document.getElementById(holder.getAttribute("data-table-for"));
    if (!source) return;
    var figure;
    try { figure = JSON.parse(source.textContent); } catch (error) { return; }
    holder.setAttribute("data-built", "1");
    var layout = figure.layout || {};
    var axisTitle = function (axis, fallback) {
      var title = layout[axis] && layout[axis].title;
      return (title && (title.text || title)) || fallback;
    };
    var table = document.createElement("table");
    table.className = "data nhsuk-table chart-table";
    var caption = table.createCaption();
    caption.textContent = "Data of the chart: " + (holder.getAttribute("data-summary") || "");
    var head = table.createTHead().insertRow();
    ["Series", axisTitle("xaxis", "x"), axisTitle("yaxis", "y")].forEach(function (label) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = typeof label === "string" ? label : "";
      head.appendChild(th);
    });
    var body = table.createTBody();
    var rows = 0;
    // The points, not the reference lines (limits, bands): traces drawn with markers, or every trace if none is.
    var traces = figure.data || [];
    var points = traces.filter(function (trace) { return !trace.mode || trace.mode.indexOf("markers") !== -1; });
    (points.length ? points : traces).forEach(function (trace) {
      var xs = trace.x || [], ys = trace.y || [];
      var n = Math.max(xs.length, ys.length);
      for (var i = 0; i < n && rows < TABLE_ROW_LIMIT; i++) {
        var row = body.insertRow();
        var name = document.createElement("th");
        name.scope = "row";
        var label = (trace.text && Array.isArray(trace.text) && trace.text[i]) || trace.name || "";
        var url = trace.customdata ? safeUrl(trace.customdata[i]) : null;
        if (url) {
          var link = document.createElement("a");
          link.href = url;
          link.textContent = label;
          name.appendChild(link);
        } else {
          name.textContent = label;
        }
        row.appendChild(name);
        row.insertCell().textContent = cellText(xs[i]);
        row.insertCell().textContent = cellText(ys[i]);
        rows++;
      }
    });
    var scroll = document.createElement("div");
    scroll.className = "table-scroll";
    scroll.tabIndex = 0;
    scroll.setAttribute("role", "region");
    scroll.setAttribute("aria-label", "Chart data (scrolls)");
    scroll.appendChild(table);
    holder.appendChild(scroll);
  }

  function chartAction(button) {
    var div = document.getElementById(button.getAttribute("data-chart") + "-chart");
    if (!div || typeof window.Plotly === "undefined" || !div.getAttribute("data-drawn")) return;
    var action = button.getAttribute("data-chart-action");
    if (action === "png") window.Plotly.downloadImage(div, { format: "png", filename: button.getAttribute("data-chart") });
    if (action === "reset") window.Plotly.relayout(div, { "xaxis.autorange": true, "yaxis.autorange": true });
  }

  function drawWhenShown(div) {
    var details = div.closest("details");
    if (details && !details.open) {
      details.addEventListener("toggle", function onToggle() {
        if (details.open) {
          details.removeEventListener("toggle", onToggle);
          drawWhenShown(div);
        }
      });
      return;
    }
    draw(div);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-figure]"), drawWhenShown);

    Array.prototype.forEach.call(document.querySelectorAll("details.chart-data"), function (details) {
      var holder = details.querySelector("[data-table-for]");
      if (details.open) buildTable(holder);
      details.addEventListener("toggle", function () { if (details.open) buildTable(holder); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("button[data-chart-action]"), function (button) {
      button.addEventListener("click", function () { chartAction(button); });
    });

    Array.prototype.forEach.call(document.querySelectorAll("select[data-autosubmit]"), function (select) {
      select.addEventListener("change", function () {
        if (select.form) select.form.submit();
      });
    });

    Array.prototype.forEach.call(document.querySelectorAll("form[data-progress]"), function (form) {
      form.addEventListener("submit", function () {
        var status = document.getElementById(form.getAttribute("aria-describedby"));
        if (status) status.hidden = false;
        form.classList.add("busy");
        Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
          // Disable after the submit has been dispatched, or the button's own value would be lost.
          window.setTimeout(function () { button.disabled = true; }, 0);
        });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
