// The item form: a deadline as a date or as N working days (one input enabled at a time),
// and a live preview of the date N working days gives. Without this script the form
// works the same; the server shows the preview after a submit.
(function () {
  "use strict";
  var form = document.querySelector("form.item-form");
  if (!form) return;
  var date = form.querySelector("#deadline");
  var days = form.querySelector("#deadline_working_days");
  var out = form.querySelector("#deadline-preview");
  if (!date || !days || !out) return;
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var asked = 0;

  function kind() {
    var checked = form.querySelector('input[name="deadline_kind"]:checked');
    return checked ? checked.value : "date";
  }

  function preview() {
    clearTimeout(timer);
    if (days.disabled || !/^\d+$/.test(days.value)) {
      out.textContent = "";
      return;
    }
    timer = setTimeout(function () {
      var mine = ++asked;
      fetch(url + "?days=" + encodeURIComponent(days.value), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (result) {
          if (mine !== asked) return;
          if (!result.ok) {
            out.textContent = result.body.error || "";
            return;
          }
          out.textContent =
            "按今天交办计算:" +
            result.body.date +
            (result.body.confirmed ? "" : "(待确认:该年度节假日安排尚未导入)");
        })
        .catch(function () {
          out.textContent = "";
        });
    }, 250);
  }

  function sync() {
    var byDays = kind() === "days";
    date.disabled = byDays;
    days.disabled = !byDays;
    preview();
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "deadline_kind") sync();
  });
  days.addEventListener("input", preview);
  sync();
})();
