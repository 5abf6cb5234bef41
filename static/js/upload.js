// Drag-and-drop, several files at once, a progress bar; a plain form post without JavaScript.
// Resolves with the revision's status once its analysis has finished (analysed or failed):
// live events first, a status poll as a fallback.
window.followAnalysis = function (statusUrl) {
  return new Promise((resolve) => {
    const check = () => fetch(statusUrl, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((body) => { if (["queued", "analysing"].includes(body.status)) setTimeout(check, 3000); else resolve(body); })
      .catch(() => setTimeout(check, 6000));
    ["live:design.analysed", "live:design.failed"].forEach((type) => document.addEventListener(type, check));
    check();
  });
};
// Replaces the design list's cards with the server's current ones (messages stay).
window.refreshDesignGrid = function () {
  const old = document.querySelector(".design-grid, p.empty");
  if (!old) return Promise.resolve();
  return fetch(location.href, { headers: { Accept: "text/html" } })
    .then((r) => r.text())
    .then((html) => {
      const fresh = new DOMParser().parseFromString(html, "text/html").querySelector(".design-grid, p.empty");
      if (fresh) old.replaceWith(fresh);
      document.dispatchEvent(new CustomEvent("designs:refreshed"));
    });
};
(function () {
  document.querySelectorAll("[data-uploader]").forEach((form) => {
    const input = form.querySelector("input[type=file]");
    const bar = form.querySelector("[data-progress]");
    const results = form.querySelector("[data-results]");
    ["dragenter", "dragover"].forEach((type) => form.addEventListener(type, (e) => {
      e.preventDefault(); form.classList.add("dragging");
    }));
    ["dragleave", "drop"].forEach((type) => form.addEventListener(type, () => form.classList.remove("dragging")));
    form.addEventListener("drop", (e) => {
      e.preventDefault();
      input.files = e.dataTransfer.files;
      form.requestSubmit();
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!input.files.length) return;
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      bar.hidden = false; bar.value = 0; results.innerHTML = "";
      request.upload.onprogress = (p) => { if (p.lengthComputable) bar.value = (100 * p.loaded) / p.total; };
      request.onload = () => {
        let body = {};
        try { body = JSON.parse(request.responseText); } catch (err) { body = { errors: [{ file: "", message: "The upload failed (" + request.status + ")." }] }; }
        (body.errors || []).forEach((error) => {
          const li = document.createElement("li");
          li.className = "message message-error"; li.setAttribute("role", "alert");
          li.textContent = (error.file ? error.file + ": " : "") + error.message;
          results.appendChild(li);
        });
        const uploaded = body.uploaded || [];
        if (uploaded.length === 1 && !(body.errors || []).length) { location.href = uploaded[0].url; return; }
        const waiting = uploaded.map((item) => {
          const li = document.createElement("li");
          li.className = "message message-success";
          li.innerHTML = "";
          const link = document.createElement("a"); link.href = item.url; link.textContent = item.file;
          const note = document.createTextNode(" uploaded; analysis under way.");
          li.appendChild(link); li.appendChild(note);
          results.appendChild(li);
          // Follow the analysis to its end, so the line never claims it is still under way.
          return window.followAnalysis(item.status_url).then((body) => {
            note.textContent = body.analysed ? " uploaded and analysed." : " could not be analysed: " + (body.error || body.status_text) + ".";
            if (!body.analysed) li.className = "message message-error";
          });
        });
        bar.hidden = true;
        // The list below is the server's: fetch it again once every new design has its result.
        if (waiting.length) Promise.all(waiting).then(window.refreshDesignGrid);
      };
      request.onerror = () => { bar.hidden = true; results.innerHTML = '<li class="message message-error">The connection failed; try again.</li>'; };
      request.send(new FormData(form));
    });
  });
})();
