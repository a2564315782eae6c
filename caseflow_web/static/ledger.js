// Progress bar of a roster upload or a comparison: poll the job's small JSON endpoint and reload
// the page when the phase changes (no inline script: the Content-Security-Policy allows only
// 'self').
(function () {
  var box = document.getElementById("job-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  var phase = box.getAttribute("data-phase");
  var bar = box.querySelector("progress");
  var text = document.getElementById("progress-text");
  var percentOnly = box.hasAttribute("data-percent-only");  // a comparison: no rows to count
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.phase !== phase || !data.running) { window.location.reload(); return; }
        bar.value = data.percent;
        if (percentOnly) {
          text.textContent = data.phase_label + "：" + data.percent + "%";
        } else {
          text.textContent = data.phase_label + "：已处理 " + data.rows_done + " 行" +
            (data.rows_estimate ? "（约 " + data.rows_estimate + " 行，" + data.percent + "%）" : "");
        }
        window.setTimeout(poll, 800);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
