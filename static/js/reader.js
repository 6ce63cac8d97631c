// 最新論文ノート reader pages. Everything works without this script: each <details> opens
// on a tap, the 目次 button opens the contents, and the links between papers are plain
// anchors. The script adds what saves taps:
// - the <details> an anchor points into (#paper-3-q2, #toc) opens, on load, on a click and
//   on hashchange (the back button);
// - 「すべて開く」 for one paper's Q&A, and for the whole issue;
// - the contents and the bar at the bottom follow the paper being read (aria-current on its
//   link, the previous and next paper, "3/10");
// - the phone contents close once a paper is chosen; printing opens everything.
(() => {
  "use strict";

  const targetOf = (hash) => {
    if (!hash || hash.length < 2) return null;
    try {
      return document.getElementById(decodeURIComponent(hash.slice(1)));
    } catch {
      return null; // a malformed fragment names nothing
    }
  };

  // Open every closed <details> around (and at) the target; true when something opened.
  const reveal = (target) => {
    let opened = false;
    for (let node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) {
        node.open = true;
        opened = true;
      }
    }
    return opened;
  };

  const revealHash = () => {
    const target = targetOf(window.location.hash);
    if (target && reveal(target)) target.scrollIntoView();
  };

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    if (!link) return;
    // Opened before the browser follows the link, so it scrolls to the open target.
    const target = targetOf(link.hash);
    if (target) reveal(target);
    const popover = document.getElementById("toc-popover");
    if (popover && popover.contains(link) && typeof popover.hidePopover === "function") {
      popover.hidePopover();
    }
  });
  window.addEventListener("hashchange", revealHash);
  revealHash();

  // 「すべて開く」: data-expand names the container ("issue": the whole article).
  const togglable = (button) => {
    const name = button.dataset.expand;
    const scope = name === "issue" ? document.querySelector("[data-reader-issue]") : document.getElementById(name);
    return scope ? [...scope.querySelectorAll("details.qa__pair, details.paper__abstract")] : [];
  };
  const buttons = [...document.querySelectorAll("button[data-expand]")];
  const label = (button) => {
    const all = togglable(button);
    const allOpen = all.length > 0 && all.every((details) => details.open);
    button.dataset.openLabel ||= button.textContent;
    button.textContent = allOpen ? "すべて閉じる" : button.dataset.openLabel;
    button.setAttribute("aria-expanded", String(allOpen));
  };
  for (const button of buttons) {
    button.hidden = false;
    label(button);
    button.addEventListener("click", () => {
      const all = togglable(button);
      const open = !all.every((details) => details.open);
      for (const details of all) details.open = open;
    });
  }
  // "toggle" does not bubble: listen while it passes down to each <details>.
  document.addEventListener("toggle", () => buttons.forEach(label), true);
  window.addEventListener("beforeprint", () => {
    document.querySelectorAll("details").forEach((details) => {
      details.open = true;
    });
  });

  // The paper being read: the last one whose top has passed a third of the screen.
  const papers = [...document.querySelectorAll("[data-reader-issue] > .paper")];
  if (!papers.length) return;
  const previousLink = document.querySelector("[data-reader='previous']");
  const nextLink = document.querySelector("[data-reader='next']");
  const position = document.querySelector("[data-reader='position']");
  const contentsLinks = [...document.querySelectorAll(".toc-side__list a, .toc__list a")];
  let current;
  const point = (link, paper) => {
    if (!link) return;
    link.hidden = !paper;
    if (paper) link.href = `#${paper.id}`;
  };
  const follow = () => {
    const line = window.innerHeight / 3;
    let index = -1;
    for (const [i, paper] of papers.entries()) {
      if (paper.getBoundingClientRect().top > line) break;
      index = i;
    }
    if (index === current) return;
    current = index;
    const id = index >= 0 ? papers[index].id : null;
    for (const link of contentsLinks) {
      if (id && link.hash === `#${id}`) link.setAttribute("aria-current", "location");
      else link.removeAttribute("aria-current");
    }
    point(previousLink, papers[index - 1]);
    point(nextLink, papers[index + 1]);
    if (position) position.textContent = index >= 0 ? `${index + 1}/${papers.length}` : "";
  };
  let queued = false;
  const schedule = () => {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(() => {
      queued = false;
      follow();
    });
  };
  window.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", schedule);
  document.addEventListener("toggle", schedule, true);
  follow();
})();
