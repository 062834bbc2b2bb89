/* Crier compose page: the template picker. Choosing a template shows a field for each of its
   gaps; "Fill in the text" asks the server to fill it (the same fill as the API) and puts the
   text in the message box, where autosave and the preview take it from there.
   Without this script the two buttons post the form and the server does the same. */
(function () {
  "use strict";
  var picker = document.getElementById("template-picker");
  var form = document.getElementById("compose-form");
  if (!picker || !form) { return; }
  var select = document.getElementById("template");
  var holder = document.getElementById("template-values");
  var status = document.getElementById("template-status");
  var pick = document.getElementById("template-pick");
  var fillButton = document.getElementById("template-fill");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  if (pick) { pick.hidden = true; }

  function label(name) {
    var words = name.replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function typed() {
    var values = {};
    holder.querySelectorAll("input").forEach(function (input) { values[input.name.slice(6)] = input.value; });
    return values;
  }

  function showGaps() {
    var option = select.options[select.selectedIndex];
    var names = option && option.value ? (option.getAttribute("data-placeholders") || "").split(",") : [];
    var before = typed();
    holder.replaceChildren();
    names.filter(function (n) { return n; }).forEach(function (name) {
      var field = document.createElement("div");
      field.className = "field";
      var tag = document.createElement("label");
      tag.setAttribute("for", "value-" + name);
      tag.textContent = label(name);
      var input = document.createElement("input");
      input.type = "text";
      input.id = "value-" + name;
      input.name = "value-" + name;
      input.value = before[name] || "";
      field.appendChild(tag);
      field.appendChild(input);
      holder.appendChild(field);
    });
    fillButton.hidden = !option || !option.value;
    status.textContent = option && option.value
      ? "Fill in the gaps of \u201c" + option.textContent + "\u201d, then press \u201cFill in the text\u201d." : "";
  }

  function tick(accounts) {
    var boxes = form.querySelectorAll('input[name="accounts"]');
    var any = Array.prototype.some.call(boxes, function (box) { return box.checked; });
    if (any) { return; }
    boxes.forEach(function (box) {
      if (accounts.indexOf(parseInt(box.value, 10)) !== -1) { box.checked = true; }
    });
  }

  fillButton.addEventListener("click", function (event) {
    if (!select.value) { return; }
    event.preventDefault();
    status.textContent = "Filling in\u2026";
    fetch(picker.getAttribute("data-fill-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ template: parseInt(select.value, 10), values: typed() })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) {
        status.textContent = ((result.body.error || {}).message) || "The template could not be filled.";
        return;
      }
      form.elements.body.value = result.body.text;
      tick(result.body.accounts || []);
      form.elements.body.dispatchEvent(new Event("input", { bubbles: true }));
      status.textContent = result.body.missing.length
        ? "Filled in. Still to fill: " + result.body.missing.join(", ") + "."
        : "Filled in: read it through before you save or submit it.";
    }).catch(function () {
      status.textContent = "No connection: the text was not filled in. Try again.";
    });
  });

  select.addEventListener("change", showGaps);
  if (!holder.querySelector("input")) { showGaps(); }
})();
