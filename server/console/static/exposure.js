// Exposure copy page (server/exposure): follow the rendering job until the copy shows the
// current boxes, and add a blur box by dragging on the photo (the x/y/w/h form is filled
// and sent: without JavaScript the same form is typed in).
"use strict";

(function () {
  const status = document.getElementById("exposure");
  if (!status) return;

  function follow() {
    // Only while the job has work to do: a failed rendering waits for the next edit.
    if (!["queued", "running"].includes(status.dataset.renderState)) return;
    const revision = Number(status.dataset.revision);
    const poll = () => fetch(status.dataset.stateUrl, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((state) => {
        if (state && ((state.rendered && state.render_state === "done") ||
            state.render_state === "failed" || state.revision !== revision)) {
          window.location.replace(window.location.pathname);
          return;
        }
        window.setTimeout(poll, 1500);
      })
      .catch(() => window.setTimeout(poll, 5000));
    window.setTimeout(poll, 1000);
  }

  function drag() {
    const stage = document.querySelector(".exposure-editable");
    const form = document.querySelector("form.exposure-add");
    if (!stage || !form) return;
    const width = Number(stage.dataset.width), height = Number(stage.dataset.height);
    const rect = stage.querySelector(".exposure-drag");
    let start = null;
    const point = (event) => {
      const box = stage.querySelector(".exposure-photo").getBoundingClientRect();
      const x = Math.min(Math.max(event.clientX - box.left, 0), box.width);
      const y = Math.min(Math.max(event.clientY - box.top, 0), box.height);
      return { x: Math.round(x * width / box.width), y: Math.round(y * height / box.height) };
    };
    const area = (a, b) => ({
      x: Math.min(a.x, b.x), y: Math.min(a.y, b.y),
      w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y),
    });
    const show = (r) => {
      rect.setAttribute("x", r.x); rect.setAttribute("y", r.y);
      rect.setAttribute("width", r.w); rect.setAttribute("height", r.h);
    };
    stage.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      start = point(event);
      stage.setPointerCapture(event.pointerId);
      show({ x: start.x, y: start.y, w: 0, h: 0 });
    });
    stage.addEventListener("pointermove", (event) => {
      if (start) show(area(start, point(event)));
    });
    stage.addEventListener("pointerup", (event) => {
      if (!start) return;
      const r = area(start, point(event));
      start = null;
      if (r.w < 4 || r.h < 4) { show({ x: 0, y: 0, w: 0, h: 0 }); return; }
      for (const name of ["x", "y", "w", "h"]) form.elements[name].value = r[name];
      form.requestSubmit();
    });
    stage.addEventListener("pointercancel", () => { start = null; });
  }

  follow();
  drag();
})();
