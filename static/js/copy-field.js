// A button [data-copy="<id>"] copies the value of the field with that id (the API tokens page's new
// secret). The button starts hidden and is shown here, so without script there is no button that
// does nothing: the field itself stays readable and selectable. Delegated, so it also works on
// content htmx swaps in.
function showCopyButtons(root) {
  root.querySelectorAll("button[data-copy][hidden]").forEach((button) => {
    button.hidden = false;
  });
}

function say(button, text) {
  const status = document.getElementById(`${button.dataset.copy}-status`);
  if (status) status.textContent = text;
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  try {
    await navigator.clipboard.writeText(field.value);
    say(button, button.dataset.copied);
  } catch {
    field.focus();
    field.select();
    say(button, button.dataset.copyFailed);
  }
});

showCopyButtons(document);
document.addEventListener("htmx:load", (event) => showCopyButtons(event.target));
