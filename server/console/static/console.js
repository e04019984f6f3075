// The desk pages' shared behaviour. Everything is wired here, never in the markup: the
// site's Content-Security-Policy allows no inline script and no onclick="" attributes.
(function () {
  "use strict";
  // <button data-print>: print the page (the 三个清单 and other printable lists).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // <form data-needs-pick>: its submit button waits for at least one ticked box of the
  // form (the triage queue's "转为整改事项"); the hint says why while it is disabled.
  document.querySelectorAll("form[data-needs-pick]").forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    var hint = form.querySelector("[data-pick-hint]");
    var boxes = document.querySelectorAll('input[type=checkbox][form="' + form.id + '"]');
    function update() {
      var picked = Array.prototype.some.call(boxes, function (box) { return box.checked; });
      button.disabled = !picked;
      if (hint) { hint.hidden = picked; }
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  });
  // <button data-confirm="…" data-confirm-action data-confirm-subject>: an action that
  // cannot be undone (交办, 签收, 销号) asks once in a modal <dialog> (focus stays in it, Esc
  // cancels); 确认 sends the form with confirm=1, as the server's own confirmation page does
  // for a browser without JavaScript.
  var dialog = null;
  function confirmDialog() {
    if (dialog) { return dialog; }
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-text");
    dialog.innerHTML =
      '<h2 id="confirm-dialog-title"></h2>' +
      '<div id="confirm-dialog-text"><p class="confirm-subject"></p><p class="confirm-consequence"></p></div>' +
      '<div class="confirm-buttons"><button type="button" value="ok" class="confirm-ok"></button>' +
      '<button type="button" value="cancel" class="secondary confirm-cancel">返回</button></div>';
    dialog.querySelector(".confirm-cancel").addEventListener("click", function () {
      dialog.close("cancel");
    });
    dialog.querySelector(".confirm-ok").addEventListener("click", function () {
      dialog.close("ok");
    });
    document.body.appendChild(dialog);
    return dialog;
  }
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var form = event.target;
    if (!button || !button.hasAttribute("data-confirm") || form.dataset.confirming) { return; }
    // Without <dialog>, the form goes as it is and the server's confirmation page asks.
    if (typeof HTMLDialogElement === "undefined" || !form.requestSubmit) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();  // the portal's busy guard waits for the real send
    var box = confirmDialog();
    var action = button.getAttribute("data-confirm-action");
    box.querySelector("h2").textContent = "确认" + action + "?";
    box.querySelector(".confirm-subject").textContent = button.getAttribute("data-confirm-subject");
    box.querySelector(".confirm-consequence").textContent = button.getAttribute("data-confirm");
    box.querySelector(".confirm-ok").textContent = "确认" + action;
    box.onclose = function () {
      if (box.returnValue !== "ok") { button.focus(); return; }
      var flag = form.querySelector("input[name=confirm]");
      if (!flag) {
        flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "confirm";
        form.appendChild(flag);
      }
      flag.value = "1";
      form.dataset.confirming = "1";
      form.requestSubmit(button);
    };
    box.returnValue = "";
    box.showModal();
    box.querySelector(".confirm-cancel").focus();
  }, true);
  window.addEventListener("pageshow", function () {  // back to the page: ask again
    document.querySelectorAll("form[data-confirming]").forEach(function (form) {
      delete form.dataset.confirming;
    });
  });
  // Every data cell carries its column's header as data-label: on a phone the tables are
  // stacks of cards (console.css) and each value is shown under its name.
  document.querySelectorAll("main table").forEach(function (table) {
    var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!head) { return; }
    var names = [];
    Array.prototype.forEach.call(head.cells, function (cell) {
      for (var i = 0; i < cell.colSpan; i++) { names.push(cell.textContent.trim()); }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var name = names[column];
          if (cell.tagName === "TD" && name && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", name);
          }
          column += cell.colSpan;
        });
      });
    });
  });
})();
