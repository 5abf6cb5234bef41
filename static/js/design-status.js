// Live analysis progress: websocket events first, a status poll as a fallback.
// On the design list: every card still waiting for its analysis follows it and shows the
// finished state; then the cards are fetched again (thumbnail and dimensions).
(function () {
  if (!window.followAnalysis) return;
  const follow = () => {
    const cards = Array.from(document.querySelectorAll("[data-waiting-status-url]:not([data-following])"));
    if (!cards.length) return;
    Promise.all(cards.map((card) => {
      card.dataset.following = "1";
      return window.followAnalysis(card.dataset.waitingStatusUrl).then((body) => {
        const badge = card.querySelector("[data-status]");
        if (badge) { badge.textContent = body.status_text; badge.className = "badge badge-" + body.status; }
      });
    })).then(window.refreshDesignGrid);
  };
  document.addEventListener("designs:refreshed", follow);
  follow();
})();
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
