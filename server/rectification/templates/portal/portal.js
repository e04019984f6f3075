// The unit portal's only script: a busy state while a form is sent (photos can take a
// while on a phone network), one submission per tap, and the photo count checked early.
(function () {
  "use strict";
  var max = {{ max_photos }};
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    var label = button ? button.textContent : "";
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      if (input && input.files && input.files.length > max) {
        event.preventDefault();
        window.alert("每次最多上传 " + max + " 张照片,本次选择了 " + input.files.length + " 张");
        return;
      }
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      if (button) { button.disabled = true; button.textContent = form.dataset.busy; }
      var note = form.querySelector(".uploading");
      if (note && input && input.files && input.files.length) { note.hidden = false; }
    });
    // Coming back to the page (browser back) must not leave the form stuck.
    window.addEventListener("pageshow", function () {
      delete form.dataset.sent;
      if (button) { button.disabled = false; button.textContent = label; }
      var note = form.querySelector(".uploading");
      if (note) { note.hidden = true; }
    });
  });
})();
