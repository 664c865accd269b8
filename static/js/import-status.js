/* The import status page (issue 11): poll the batch's JSON and update the rows read; reload when it
 * finishes, so the server renders the summary or the errors. Without this script the page refreshes
 * itself (a <noscript> meta refresh). */
(function () {
  "use strict";
  var section = document.getElementById("import-progress");
  if (!section || section.getAttribute("data-done") === "true") {
    return;
  }
  var url = section.getAttribute("data-import-status");
  function field(name) {
    return section.querySelector('[data-field="' + name + '"]');
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        field("rows_read").textContent = String(state.rows_read);
        field("status_display").textContent = state.status_display;
        if (state.done) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
})();
