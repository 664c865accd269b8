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

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

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
