// 最新論文ノート reader pages: close the phone contents popover once a paper is chosen.
// Everything works without this script; it only saves a tap.
document.addEventListener("click", (event) => {
  const link = event.target.closest("#toc-popover a[href^='#']");
  const popover = document.getElementById("toc-popover");
  if (link && popover && typeof popover.hidePopover === "function") {
    popover.hidePopover();
  }
});
