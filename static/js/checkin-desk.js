/* The check-in desk, for speed at a queue: after each check-in the cursor is back in the code
   field for the next person (unless the camera is scanning); the walk-in form takes the name
   (or phone number) just searched for. The page works without this script: the walk-in link
   and the page after a walk-in do the same on the server. */
(function () {
  "use strict";

  var details = document.getElementById("walk-in");
  var search = document.getElementById("desk-q");
  var code = document.getElementById("code");
  if (!details || !search || !code) {
    return;
  }

  function looksLikePhone(text) {
    var digits = text.replace(/\D/g, "").length;
    return digits >= 7 && digits >= text.replace(/\s/g, "").length - 3;
  }

  // What was searched goes into the walk-in form, unless someone typed there already.
  function takeSearch() {
    var text = search.value.trim();
    if (!text) {
      return;
    }
    var phone = looksLikePhone(text);
    var field = document.getElementById(phone ? "walkin-phone" : "walkin-name");
    if (field && (!field.value || field.value === field.dataset.fromSearch)) {
      field.value = text;
      field.dataset.fromSearch = text;
    }
    var next = document.getElementById(phone ? "walkin-name" : "walkin-company");
    if (next) {
      next.focus();
    }
  }

  details.addEventListener("toggle", function () {
    if (details.open) {
      takeSearch();
    }
  });

  // "Add … as a walk-in" under an empty search opens the form here rather than reloading the page.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.add-walk-in");
    if (!link) {
      return;
    }
    event.preventDefault();
    if (details.open) {
      takeSearch();
    } else {
      details.open = true; // its toggle event fills it in
    }
    details.scrollIntoView({block: "start"});
  });

  // After a check-in (any POST that answered into the results), back to the code field.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail && event.detail.requestConfig;
    if (!config || config.verb !== "post" || !document.getElementById("desk-results")) {
      return;
    }
    var scanner = document.getElementById("scanner");
    if (scanner && scanner.classList.contains("scanning")) {
      return; // the camera reads the next code; a keyboard would only cover it
    }
    var field = document.getElementById("code");
    field.focus();
    if (document.querySelector("#desk-results .desk-message.error")) {
      field.select();
    }
  });
})();
