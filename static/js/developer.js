// Developer console enhancements. Every page works without this file.

// URI list editor: remove a row (HTMX adds them), keeping one row and focus in place.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-remove-row]");
  if (!button) return;
  const row = button.closest(".dev-uri-row");
  const list = row.parentElement;
  const next = row.nextElementSibling || row.previousElementSibling;
  if (list.children.length === 1) {
    row.querySelector("input").value = "";
    row.querySelector("input").focus();
  } else {
    row.remove();
    (next?.querySelector("input") || list.nextElementSibling)?.focus();
  }
  list.closest("form")?.dispatchEvent(new Event("change", { bubbles: true }));
});

document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  // A row was added: put the cursor in it.
  if (target.matches?.(".dev-uri-rows") && event.detail.requestConfig?.verb === "get") {
    target.querySelector(".dev-uri-row:last-child input")?.focus();
  }
});

document.addEventListener("htmx:afterSettle", (event) => {
  // A playground step finished: bring its result into view.
  if (event.detail.elt?.id === "playground-run") {
    document.querySelector("#playground-run .dev-next")?.scrollIntoView({ block: "nearest" });
  }
});

// Choosing another app in the playground opens it (the Open button does the same without JS).
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-auto-submit]")) event.target.form.requestSubmit();
});

// App settings: show only the redirect fields (and the PAR switch) the chosen grants and client type
// need. The server renders the same choice (ApplicationForm.shown_uri_fields, shows_par_setting)
// for pages without JS.
function showNeededFields(form) {
  const code = form.querySelector('input[name="grant_types"][value="authorization-code"]')?.checked;
  const isPublic = form.querySelector('input[name="client_type"][value="public"]')?.checked;
  const needs = { code, spa: code && isPublic && form.dataset.kind !== "native", confidential: !isPublic };
  for (const element of form.querySelectorAll("[data-needs]")) {
    const holdsValues = [...element.querySelectorAll("textarea, input")].some((input) =>
      input.type === "checkbox" ? input.checked : input.value.trim(),
    );
    element.hidden = !(needs[element.dataset.needs] || (element.matches("fieldset, .dev-check-field") && holdsValues));
  }
  const section = form.querySelector("section[data-needs]");
  if (section) section.hidden = !section.querySelector("fieldset[data-needs]:not([hidden])");
}

document.addEventListener("change", (event) => {
  const form = event.target.closest("form#app-form");
  if (form && event.target.matches('[name="grant_types"], [name="client_type"]')) showNeededFields(form);
});
