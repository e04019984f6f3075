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
