// Live analysis progress: websocket events first, a status poll as a fallback.
(function () {
  const box = document.getElementById("analysis-status");
  if (!box) return;
  const revision = Number(box.dataset.revision);
  const waiting = () => ["queued", "analysing"].includes(box.dataset.status);
  if (!waiting()) return;
  const bar = box.querySelector("[data-progress]");
  const text = box.querySelector("[data-status-text]");
  document.addEventListener("live:design.progress", (e) => {
    if (e.detail.revision !== revision) return;
    if (bar) bar.value = e.detail.percent;
    if (text) text.textContent = e.detail.text + "…";
  });
  const done = () => location.reload();
  document.addEventListener("live:design.analysed", (e) => { if (e.detail.revision === revision) done(); });
  document.addEventListener("live:design.failed", (e) => { if (e.detail.revision === revision) done(); });
  const poll = () => fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } })
    .then((r) => r.json()).then((body) => { if (!["queued", "analysing"].includes(body.status)) done(); else setTimeout(poll, 4000); })
    .catch(() => setTimeout(poll, 8000));
  setTimeout(poll, 4000);
})();
