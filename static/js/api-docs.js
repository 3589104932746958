// Starts Swagger UI on /api/docs/. A static file rather than drf-spectacular's inline script,
// so the page keeps the site's Content-Security-Policy (script-src 'self', no CDN).
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("swagger-ui");
  if (!node || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: node.dataset.schemaUrl,
    domNode: node,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Deep links put a link inside each operation's toggle button (nested controls, axe).
    deepLinking: false,
    defaultModelsExpandDepth: -1,
    // No calls to swagger.io's online validator: the page works offline.
    validatorUrl: null,
    persistAuthorization: false,
  });
  // Swagger UI's icon-only buttons have no name for screen readers; give them one as they appear.
  new MutationObserver(() => {
    node.querySelectorAll("button.close-modal:not([aria-label])").forEach((button) => {
      button.setAttribute("aria-label", "Close");
    });
  }).observe(node, { childList: true, subtree: true });
});
