// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.value ?? source.textContent.trim()).then(() => {
    const label = button.textContent;
    // The page gives the translated word (data-copied-label); English is only the fallback.
    button.textContent = button.dataset.copiedLabel || "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});

// <dialog> opened by HTMX-loaded content: show it modally so focus is trapped and Esc closes it.
document.addEventListener("htmx:afterSettle", (event) => {
  const dialog = event.detail.elt.querySelector?.("dialog[data-auto-open]") ??
    (event.detail.elt.matches?.("dialog[data-auto-open]") ? event.detail.elt : null);
  if (dialog && !dialog.open) dialog.showModal();
});
document.addEventListener("click", (event) => {
  const closer = event.target.closest("[data-close-dialog]");
  if (closer) { event.preventDefault(); closer.closest("dialog")?.close(); }
});

// A page rendered straight from a POST (a new app with its secret, shown once) names its own
// address, so reloading it fetches that page instead of posting the form again.
document.addEventListener("DOMContentLoaded", () => {
  const canonical = document.querySelector("[data-replace-url]");
  if (canonical) history.replaceState(null, "", canonical.dataset.replaceUrl);
});
