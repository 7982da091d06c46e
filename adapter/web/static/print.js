// The Print button of the packing slip and the invoice. Pages may run only scripts of their own origin (CSP),
// so the button is wired here rather than by an inline handler. Without this script the button stays hidden and
// the page asks the reader to use the browser's own Print command.
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (!button || typeof window.print !== "function") {
    return;
  }
  button.addEventListener("click", function () {
    window.print();
  });
  button.hidden = false;
  var hint = document.getElementById("print-hint");
  if (hint) {
    hint.hidden = true;
  }
})();
