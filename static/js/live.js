// One websocket per page for the signed-in user; pages listen for dotted event types.
(function () {
  const url = document.body.dataset.liveUrl;
  if (!url || !("WebSocket" in window)) return;
  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + url);
    socket.onopen = () => { delay = 1000; document.dispatchEvent(new CustomEvent("live:open")); };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      document.dispatchEvent(new CustomEvent("live:" + event.type, { detail: event.data }));
      document.dispatchEvent(new CustomEvent("live:any", { detail: event }));
    };
    socket.onclose = () => { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  }
  connect();
})();

// Regions marked data-live-refresh="event.type other.type" are re-fetched and swapped in
// place (htmx) when one of those events arrives; data-live-match="key=value" narrows the
// events to those about this page's object.
(function () {
  function refresh(region) {
    if (!window.htmx) { location.reload(); return; }
    window.htmx.ajax("GET", location.href, { target: "#" + region.id, select: "#" + region.id, swap: "outerHTML" });
  }
  document.querySelectorAll("[data-live-refresh]").forEach((region) => {
    const [key, value] = (region.dataset.liveMatch || "").split("=");
    region.dataset.liveRefresh.split(/\s+/).forEach((type) => {
      document.addEventListener("live:" + type, (e) => {
        if (key && String((e.detail || {})[key]) !== value) return;
        const current = document.getElementById(region.id) || region;
        refresh(current);
      });
    });
  });
})();
