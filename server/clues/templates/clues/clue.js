// The clue pages: a live count of the characters typed in a textarea that names its
// counter (data-counter), and the 办结 form's suggested reply, which follows the chosen
// outcome as long as the reply has not been edited. Without this script the forms work
// the same: the limits are on the fields and the server checks them.
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    if (!out) return;
    var max = area.getAttribute("maxlength");
    function update() {
      out.textContent = "已输入 " + area.value.length + " / " + max + " 字";
    }
    area.addEventListener("input", update);
    update();
  });
  var outcome = document.querySelector("select[data-replies]");
  var reply = document.getElementById("close-reply");
  if (outcome && reply) {
    var replies = JSON.parse(outcome.getAttribute("data-replies"));
    var suggested = reply.value;
    outcome.addEventListener("change", function () {
      var next = replies[outcome.value] || "";
      if (reply.value === suggested || reply.value === "") {
        reply.value = next;
        reply.dispatchEvent(new Event("input"));
      }
      suggested = next;
    });
  }
})();
