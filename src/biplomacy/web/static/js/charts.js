/* Renders every Vega-Lite spec on the page with the vendored vega-embed (no network access needed). */
(function () {
  "use strict";
  function renderAll() {
    var specs = document.querySelectorAll("script[data-chart-spec]");
    specs.forEach(function (node) {
      var target = document.getElementById(node.getAttribute("data-chart-spec"));
      if (!target || typeof vegaEmbed !== "function") { return; }
      var spec;
      try { spec = JSON.parse(node.textContent); } catch (e) { target.textContent = "Chart spec is not valid JSON."; return; }
      if (!spec.width) { spec.width = "container"; }
      vegaEmbed(target, spec, { actions: false, renderer: "svg" })
        .then(function () { target.setAttribute("data-chart-ready", "true"); })
        .catch(function (err) { target.textContent = "The chart could not be drawn: " + err.message; });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", renderAll); } else { renderAll(); }
}());
