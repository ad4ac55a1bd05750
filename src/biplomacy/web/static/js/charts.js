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
        .then(function (result) { offerDownloads(target, result.view); target.setAttribute("data-chart-ready", "true"); })
        .catch(function (err) { target.textContent = "The chart could not be drawn: " + err.message; });
    });
  }
  // "Download PNG / SVG" under each chart (journey 1: the analyst takes a chart into her note). vega-embed's own
  // actions menu is off: it injects inline styles the Content-Security-Policy refuses.
  function offerDownloads(target, view) {
    var links = document.createElement("p");
    links.className = "chart-downloads muted";
    ["png", "svg"].forEach(function (kind) {
      var a = document.createElement("a");
      a.href = "#";
      a.textContent = "Download " + kind.toUpperCase();
      a.setAttribute("data-chart-download", kind);
      a.addEventListener("click", function (event) {
        event.preventDefault();
        view.toImageURL(kind, kind === "png" ? 2 : 1).then(function (url) {
          var save = document.createElement("a");
          save.href = url;
          save.download = target.id + "." + kind;  // a rehearsal chart says so in its own title
          document.body.appendChild(save);
          save.click();
          save.remove();
        });
      });
      if (links.childNodes.length) { links.appendChild(document.createTextNode(" · ")); }
      links.appendChild(a);
    });
    (target.closest("figure") || target.parentNode).appendChild(links);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", renderAll); } else { renderAll(); }
}());
