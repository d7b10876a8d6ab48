// The header search (templates/search/_header_form.html). htmx fills #search-panel as one types;
// this shows and hides it and makes it keyboard navigable: ArrowDown/ArrowUp move through the
// results (and back to the input), Enter opens the focused result, Escape closes the panel.
// Without script the form still submits to the search page.
(() => {
  const form = document.querySelector("form[data-search]");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const panel = form.querySelector(".search-panel");
  const links = () => [...panel.querySelectorAll("a[href]")];
  const hasResults = () => input.value.trim() !== "" && panel.textContent.trim() !== "";

  function show(open) {
    panel.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target === panel) show(hasResults() && form.contains(document.activeElement));
  });
  input.addEventListener("input", () => { if (!input.value.trim()) show(false); });

  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (!panel.hidden) {
        event.preventDefault();
        show(false);
        input.focus();
      }
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const items = links();
    if (!items.length) return;
    event.preventDefault();
    if (panel.hidden) show(true);
    const at = items.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      items[Math.min(at + 1, items.length - 1)].focus();
    } else if (at <= 0) {
      input.focus();
    } else {
      items[at - 1].focus();
    }
  });

  // Focus left the form (Tab, a click elsewhere); a moment later, so a click on a result lands first.
  form.addEventListener("focusout", () => {
    setTimeout(() => { if (!form.contains(document.activeElement)) show(false); }, 150);
  });
})();
