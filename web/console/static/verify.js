/* Crier verify page: the Approve button stays disabled until every legal and privacy finding is
   ticked, a serious one has a reason, and naming someone arrested has its authority; a status line
   says what is still needed. Without this script the server refuses the same approval. */
(function () {
  "use strict";
  var form = document.getElementById("approve-form");
  var findings = document.getElementById("findings");
  if (!form || !findings) { return; }
  var button = form.querySelector("button[type=submit]");
  var status = document.getElementById("approve-status");
  var ticks = Array.prototype.slice.call(findings.querySelectorAll("input[name=acknowledged]"));
  var note = document.getElementById("note");
  var officer = document.getElementById("authority_officer");
  var reason = document.getElementById("authority_reason");
  var serious = findings.getAttribute("data-serious") === "yes";

  function filled(el) { return !el || el.value.trim() !== ""; }

  function update() {
    var left = ticks.filter(function (t) { return !t.checked; }).length;
    var needs = [];
    if (left) { needs.push(left + " of " + ticks.length + " findings still to acknowledge"); }
    var authorityGiven = filled(officer) && filled(reason);
    if (officer && !authorityGiven) { needs.push("the authorising officer and their reason for naming"); }
    if (serious && !filled(note) && !(officer && authorityGiven && findings.getAttribute("data-only-naming") === "yes")) {
      needs.push("a reason why it is safe to publish");
    }
    button.disabled = needs.length > 0;
    status.textContent = needs.length ? "Before approving: " + needs.join("; ") + "." : "Every finding is acknowledged.";
  }

  findings.addEventListener("input", update);
  findings.addEventListener("change", update);
  update();
})();
