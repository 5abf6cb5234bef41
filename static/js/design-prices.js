// The design page's instant prices, loaded after the page: one row per process, material and
// quantity break, each with a link to the quote form; or, in words, why there are none yet.
(function () {
  const box = document.getElementById("instant-prices");
  if (!box) return;
  const message = box.querySelector("[data-prices-message]");
  const table = box.querySelector("[data-testid=prices]");
  const body = table.querySelector("tbody");
  const note = box.querySelector("[data-prices-note]");
  const cell = (text, attrs) => Object.assign(document.createElement("td"), { textContent: text }, attrs || {});
  const say = (text, state) => {
    message.textContent = text;
    message.removeAttribute("aria-busy");
    box.dataset.state = state;
  };

  let quantities = [];
  const rowsOf = (row) => row.breaks.map((price, index) => {
    const tr = document.createElement("tr");
    tr.dataset.process = row.process;
    tr.dataset.material = row.material;
    if (index === 0) {
      tr.append(cell(row.process_name, { rowSpan: row.breaks.length }), cell(row.material_name, { rowSpan: row.breaks.length }));
      tr.classList.add("price-group");
    }
    if (!price) {
      tr.append(cell(String(quantities[index])), cell("—"), cell("—"), cell("no offer at this quantity", { colSpan: 2 }));
      return tr;
    }
    tr.dataset.quantity = String(price.quantity);
    tr.dataset.unitMinor = String(price.unit_minor);
    tr.dataset.totalMinor = String(price.total_minor);
    const link = Object.assign(document.createElement("a"), { href: price.quote_url, textContent: "Quote this" });
    link.dataset.testid = "quote-this";
    const action = document.createElement("td");
    action.append(link);
    tr.append(cell(String(price.quantity)), cell(price.unit), cell(price.total), cell(price.delivery), action);
    return tr;
  });

  const show = (answer) => {
    if (answer.state !== "ready") {
      say(answer.message, answer.state);
      return;
    }
    quantities = answer.quantities;
    body.replaceChildren(...answer.rows.flatMap(rowsOf));
    table.hidden = false;
    note.hidden = false;
    message.hidden = true;
    say("", "ready");
  };

  fetch(box.dataset.pricesUrl, { headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then(show)
    .catch(() => say("The prices could not be worked out just now; reload the page to try again.", "error"));
})();
