// A panel marked [data-fold-on-phone] (a list's filters) starts closed on a phone, so that the first
// screen shows the list itself; on a wider screen it stays open. Without script it is always open.
const phone = window.matchMedia("(max-width: 768px)");

function fold() {
  document.querySelectorAll("details[data-fold-on-phone]").forEach((panel) => {
    panel.open = !phone.matches;
  });
}

fold();
phone.addEventListener("change", fold);
