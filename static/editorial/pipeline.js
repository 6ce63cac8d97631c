// Refresh the pipeline table while papers are still being ingested or drafted, and run the
// pipeline's buttons without submitting (and losing) the page's form.
(function () {
  "use strict";
  const box = document.getElementById("pipeline");
  if (!box) return;
  const active = () => box.querySelector(".pipeline")?.dataset.active === "1";
  let timer = null;

  async function refresh() {
    timer = null;
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin" });
      if (response.ok) box.innerHTML = await response.text();
    } catch (error) {
      // A failed poll is retried on the next tick; the last table stays on screen.
    }
    schedule();
  }

  function schedule() {
    if (timer === null && active()) timer = setTimeout(refresh, 3000);
  }

  const actions = document.querySelector(".pipeline-actions");
  if (actions) {
    const message = actions.querySelector(".pipeline-action-message");
    actions.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-post]");
      if (!button) return;
      button.disabled = true;
      try {
        const response = await fetch(button.dataset.post, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": actions.dataset.csrf, Accept: "application/json" },
        });
        const data = await response.json();
        message.textContent = data.message || "";
        message.classList.toggle("errornote", !response.ok);
        if (timer !== null) clearTimeout(timer);
        timer = null;
        await refresh();
      } catch (error) {
        message.textContent = actions.dataset.failed || "送信できませんでした。";
      } finally {
        button.disabled = false;
      }
    });
  }
  schedule();
})();
