// A quote still being solved: reload when the live event says it is ready, or when polling
// its status finds it done (the page may have missed the event).
(function () {
  const box = document.getElementById("quote-status");
  if (!box || box.dataset.status !== "solving") return;
  document.addEventListener("live:quote.ready", () => location.reload());
  const poll = () => fetch(box.dataset.statusUrl).then((r) => r.json()).then((b) => { if (b.status !== "solving") location.reload(); else setTimeout(poll, 3000); });
  setTimeout(poll, 3000);
})();
