// Account settings: live field feedback, picture preview, passkey errors. Pages work without it.
(function () {
  // Under our CSP (no inline styles) htmx must not copy `style` attributes while settling a swap:
  // tools such as axe leave an empty one behind, and copying it is blocked and reported.
  if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];

  // A field's server-side check landed in its "<id>_errors" box: mirror it on the input.
  document.addEventListener("htmx:afterSwap", (event) => {
    const box = event.detail.target;
    if (!box.classList || !box.classList.contains("field-errors")) return;
    const input = document.getElementById(box.id.replace(/_errors$/, ""));
    const invalid = box.querySelector("[data-invalid]") !== null;
    if (input) input.setAttribute("aria-invalid", invalid ? "true" : "false");
    box.closest(".field, .avatar-field")?.classList.toggle("field-invalid", invalid);
    if (input && input.type === "file" && invalid) restorePreview();
  });

  // Show the chosen picture straight away (a data: URL: the CSP allows no blob: images).
  let original = null;
  function restorePreview() {
    const current = document.getElementById("avatar-preview");
    if (original && current) current.replaceWith(original);
    original = null;
  }
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("input.file-input[type=file]")) return;
    const file = input.files && input.files[0];
    const current = document.getElementById("avatar-preview");
    if (!file || !current || !file.type.startsWith("image/")) return;
    const reader = new FileReader();
    reader.onload = () => {
      const img = document.createElement("img");
      img.id = "avatar-preview";
      img.className = "avatar avatar-large";
      img.alt = "";
      img.width = img.height = 96;
      img.src = reader.result;
      const now = document.getElementById("avatar-preview");
      if (!original) original = now;
      now.replaceWith(img);
    };
    reader.readAsDataURL(file);
  });

  // allauth's WebAuthn script reports failures as an event and only logs them: say it on the page.
  document.addEventListener("allauth.error", (event) => {
    const box = document.querySelector("[data-webauthn-error]");
    if (!box) return;
    event.preventDefault();
    const error = event.detail && event.detail.exception;
    const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
    box.textContent = cancelled
      ? "The passkey request was cancelled or timed out. Try again when you're ready."
      : "Your browser or device could not complete the passkey request. Try again, or use another method.";
    box.hidden = false;
  });
})();
