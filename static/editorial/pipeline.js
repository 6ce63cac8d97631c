// Refresh the pipeline table while papers are still being ingested.
(function () {
  "use strict";
  const box = document.getElementById("pipeline");
  if (!box) return;
  const active = () => box.querySelector(".pipeline")?.dataset.active === "1";
  async function refresh() {
    if (!active()) return;
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin" });
      if (response.ok) box.innerHTML = await response.text();
    } catch (error) {
      // A failed poll is retried on the next tick; the last table stays on screen.
    }
    setTimeout(refresh, 3000);
  }
  setTimeout(refresh, 3000);
})();
