// Drag-and-drop, several files at once, a progress bar; a plain form post without JavaScript.
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
        uploaded.forEach((item) => {
          const li = document.createElement("li");
          li.className = "message message-success";
          li.innerHTML = "";
          const link = document.createElement("a"); link.href = item.url; link.textContent = item.file;
          li.appendChild(link); li.appendChild(document.createTextNode(" uploaded; analysis under way."));
          results.appendChild(li);
        });
        bar.hidden = true;
      };
      request.onerror = () => { bar.hidden = true; results.innerHTML = '<li class="message message-error">The connection failed; try again.</li>'; };
      request.send(new FormData(form));
    });
  });
})();
