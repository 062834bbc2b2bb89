/* Every console page: after a refused form, move the focus to the list of problems,
   so that keyboard and screen-reader users land on it first. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
