// 导出任务: while an export is queued or running, fetch the page again every two
// seconds and swap in its list (without JavaScript the page's own link reloads it).
(function () {
  "use strict";
  const INTERVAL_MS = 2000;

  function poll() {
    const list = document.getElementById("export-list");
    if (!list || list.dataset.busy !== "1") return;
    setTimeout(async function () {
      try {
        const response = await fetch(window.location.href, { credentials: "same-origin" });
        const page = response.ok
          ? new DOMParser().parseFromString(await response.text(), "text/html")
          : null;
        const fresh = page && page.getElementById("export-list");
        if (fresh) {
          list.innerHTML = fresh.innerHTML;
          list.dataset.busy = fresh.dataset.busy;
        }
      } catch (error) {
        // offline for a moment: try again at the next tick (as after a refused answer)
      }
      poll();
    }, INTERVAL_MS);
  }

  document.addEventListener("DOMContentLoaded", poll);
})();
