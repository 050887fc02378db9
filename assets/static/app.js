// Small enhancements; every action also works without JavaScript.
(function () {
  "use strict";
  // Ask before destructive actions marked with data-confirm.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });
  // Close the user menu when clicking elsewhere or pressing Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.usermenu[open], details.navmenu[open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (e) {
    closeMenus(e.target.closest("details.usermenu, details.navmenu"));
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") closeMenus(null);
  });
  // Prevent double submission of forms.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.submitted) {
      e.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
    setTimeout(function () { delete form.dataset.submitted; }, 4000);
  });
})();

// The deal board: drag a card onto another column to move the deal. The move is the same
// form post as the card's stage selector (which works without JavaScript), sent with fetch.
(function () {
  "use strict";
  var board = document.querySelector("[data-board]");
  if (!board) return;
  var dragged = null;
  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest(".deal-card[draggable]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.id);
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".column.over").forEach(function (c) { c.classList.remove("over"); });
    dragged = null;
  });
  board.addEventListener("dragover", function (e) {
    var col = e.target.closest(".column");
    if (!col || !dragged) return;
    e.preventDefault();
    board.querySelectorAll(".column.over").forEach(function (c) { if (c !== col) c.classList.remove("over"); });
    col.classList.add("over");
  });
  function askReason() {
    var dialog = document.querySelector("[data-reason-dialog]");
    return new Promise(function (resolve) {
      if (!dialog || !dialog.showModal) {
        resolve(window.prompt(board.dataset.lostPrompt) || null);
        return;
      }
      dialog.addEventListener("close", function once() {
        dialog.removeEventListener("close", once);
        resolve(dialog.returnValue === "ok" ? dialog.querySelector("select").value : null);
      });
      dialog.showModal();
    });
  }
  function send(card, stage, reason) {
    var body = new URLSearchParams();
    body.set("csrf", board.dataset.csrf);
    body.set("version", card.dataset.version);
    body.set("stage_id", stage);
    if (reason) body.set("lost_reason", reason);
    return fetch("/deals/" + card.dataset.id + "/stage", {
      method: "POST",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); });
  }
  board.addEventListener("drop", function (e) {
    var col = e.target.closest(".column");
    if (!col || !dragged) return;
    e.preventDefault();
    col.classList.remove("over");
    var card = dragged;
    var from = card.closest(".column");
    if (from === col) return;
    var stage = col.dataset.stage;
    var ready = col.dataset.outcome === "lost" ? askReason() : Promise.resolve("");
    ready.then(function (reason) {
      if (reason === null) return;
      col.querySelector(".cards").prepend(card);
      card.classList.add("moving");
      return send(card, stage, reason).then(function (res) {
        if (res.body && res.body.ok) {
          // Counts and totals change with every move: the page is read again.
          window.location.reload();
        } else {
          from.querySelector(".cards").prepend(card);
          card.classList.remove("moving");
          window.alert((res.body && res.body.error) || board.dataset.failed);
        }
      });
    }).catch(function () {
      window.alert(board.dataset.failed);
      window.location.reload();
    });
  });
})();

// ===== Quotes =====
// The lines editor: picking a product fills the row's SKU, name, unit, price and tax rate at
// once and records it as the row's source, so what is shown is what is saved. Without
// JavaScript the server fills them on "add rows" or save. The print page's button prints.
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var select = e.target.closest("select[data-quote-product]");
    if (!select) return;
    var option = select.options[select.selectedIndex];
    var row = select.closest("tr");
    if (!option || !option.value || !row) return;
    var prefix = select.name.replace(/-product$/, "-");
    var fill = { sku: "sku", name: "name", unit: "unit", price: "price", tax_rate: "tax" };
    Object.keys(fill).forEach(function (field) {
      var input = row.querySelector('[name="' + prefix + field + '"]');
      var value = option.getAttribute("data-" + fill[field]);
      if (input && value !== null) input.value = value;
    });
    var from = row.querySelector('[name="' + prefix + 'from"]');
    if (from) from.value = option.value;
    var qty = row.querySelector('[name="' + prefix + 'quantity"]');
    if (qty && !qty.value) qty.value = "1";
  });
  var print = document.querySelector("[data-print]");
  if (print && window.print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
