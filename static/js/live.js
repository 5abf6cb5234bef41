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
