// Accessible names and keyboard access for what the page itself does not provide (axe-core in the
// page tests). Nothing here renders content: math and figures are static HTML.
function genmathPage() {
  document.querySelectorAll(".md-search[role=dialog]").forEach((el) => el.setAttribute("aria-label", "Search"));
  // a box that scrolls sideways (a wide formula, a notebook's code or output) must be reachable by keyboard
  document.querySelectorAll(".genmath-math > .genmath-scroll, .jupyter-wrapper pre").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
    else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
  });
}
if (window.document$) window.document$.subscribe(genmathPage);  // Material: every (instant) page load
else genmathPage();
window.addEventListener("resize", genmathPage);
