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
})();
