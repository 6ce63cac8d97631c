// Review screen: regenerate one field or one answer, and start a draft, without submitting
// the page's form. A regenerated text appears in its box only if the editor has not typed
// in it since the page opened; otherwise it is saved as the suggestion shown under it.
(function () {
  "use strict";
  const panel = document.getElementById("drafting-panel");
  if (!panel) return;
  const csrf = panel.dataset.csrf;

  function statusBox(button) {
    return button.parentElement.querySelector(".regenerate-status");
  }

  async function post(url, data) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      body: new URLSearchParams(data),
    });
    return { ok: response.ok, data: await response.json() };
  }

  function textareaFor(target, button) {
    if (target.startsWith("qa:")) {
      const row = button.closest("tr");
      return row && row.querySelector("textarea[name$='-answer']");
    }
    return document.querySelector(`textarea[name='${target}']`);
  }

  function show(target, button, state) {
    const box = statusBox(button);
    const textarea = textareaFor(target, button);
    const initial = textarea && document.querySelector(`input[name='initial-${textarea.name}']`);
    const untouched = textarea && initial && textarea.value.replace(/\r\n/g, "\n") === initial.value.replace(/\r\n/g, "\n");
    if (state.changed && textarea && untouched) {
      // The stored text is the new draft: show it, and let a save start from it.
      textarea.value = state.text;
      initial.value = state.text;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      box.textContent = state.message;
    } else if (state.changed) {
      box.textContent = "新しい機械下書きが保存されました。入力中の文章はそのままです(保存すると比較して確認できます)。";
    } else {
      box.textContent = state.message || "";
    }
  }

  async function follow(target, button) {
    const url = `${panel.dataset.statusUrl}?target=${encodeURIComponent(target)}`;
    for (let tries = 0; tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      let state;
      try {
        state = await (await fetch(url, { credentials: "same-origin" })).json();
      } catch (error) {
        continue;
      }
      if (state.status === "done") return show(target, button, state);
      if (state.status === "failed") {
        statusBox(button).textContent = state.message;
        return;
      }
      statusBox(button).textContent = state.message || "再生成中…";
    }
  }

  document.addEventListener("click", async (event) => {
    const regenerate = event.target.closest("button[data-regenerate]");
    if (regenerate) {
      const target = regenerate.dataset.regenerate;
      regenerate.disabled = true;
      statusBox(regenerate).textContent = "再生成中…";
      try {
        const answer = await post(panel.dataset.regenerateUrl, { target });
        statusBox(regenerate).textContent = answer.data.message;
        if (answer.ok) await follow(target, regenerate);
      } finally {
        regenerate.disabled = false;
      }
      return;
    }
    const draft = event.target.closest("button[data-draft-note]");
    if (draft) {
      draft.disabled = true;
      const answer = await post(draft.dataset.draftNote, { force: draft.dataset.force });
      statusBox(draft).textContent = answer.data.message;
    }
  });
})();
