/* Polls a running job (a <progress data-job-poll="/api/v1/jobs/ID">) and reloads the page once it is done. */
(function () {
  "use strict";
  var bar = document.querySelector("progress[data-job-poll]");
  if (!bar) { return; }
  var label = document.getElementById("job-status");
  var url = bar.getAttribute("data-job-poll");
  var delay = 500;
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.value = job.progress;
        bar.textContent = Math.round(job.progress * 100) + " %";
        if (label) { label.textContent = job.status + " (" + Math.round(job.progress * 100) + " %)"; }
        if (job.status === "done") { window.location.reload(); return; }
        if (job.status === "failed") {
          if (label) { label.textContent = "failed: " + (job.error || "unknown error") + "; reload to try again"; }
          return;
        }
        delay = Math.min(delay * 1.5, 3000);
        window.setTimeout(poll, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 5000); window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, delay);
}());
