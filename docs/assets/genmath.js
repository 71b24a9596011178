// Accessible names for two Material widgets that have none (found by axe-core in the page tests).
// Nothing here renders content: math and figures are static HTML.
document.querySelectorAll(".md-search[role=dialog]").forEach((el) => el.setAttribute("aria-label", "Search"));
