// The desk pages' shared behaviour. Everything is wired here, never in the markup: the
// site's Content-Security-Policy allows no inline script and no onclick="" attributes.
(function () {
  "use strict";
  // <button data-print>: print the page (the 三个清单 and other printable lists).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
