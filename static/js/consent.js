// Connected apps: when an HTMX swap removes the element that had focus (a dialog's button, a
// Remove button), move focus to the status line so keyboard and screen-reader users hear what
// happened and keep their place.
document.addEventListener("htmx:afterSettle", () => {
  const status = document.querySelector(".status-region.message");
  const lost = !document.activeElement || document.activeElement === document.body;
  if (status && lost) status.focus();
});
