/* Crier compose page: live per-channel preview, autosave to the server, and a copy
   on this device so that a reload or a lost connection never loses the text.
   Without this script the form still works: Save and Submit post it normally. */
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  if (!form) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var statusEl = document.getElementById("save-status");
  var previewEl = document.getElementById("preview");
  var previewStatus = document.getElementById("preview-status");
  var idField = document.getElementById("message_id");
  var versionField = document.getElementById("version");
  var autosaveOn = form.getAttribute("data-autosave") === "on";
  var AUTOSAVE_MS = 1200, PREVIEW_MS = 300;
  var saveTimer = null, previewTimer = null, saving = false, again = false;
  var lastSent = null, previewSeq = 0, waitingSubmit = null;

  function storageKey() { return "crier:draft:" + (idField.value || "new"); }

  function collect() {
    var accounts = [], variants = {};
    form.querySelectorAll('input[name="accounts"]').forEach(function (box) {
      if (box.checked) {
        var id = parseInt(box.value, 10);
        accounts.push(id);
        var variant = form.querySelector('[name="variant-' + id + '"]');
        if (variant && variant.value.trim()) { variants[String(id)] = variant.value; }
      }
    });
    function val(name) { var el = form.elements[name]; return el ? el.value : ""; }
    var values = {};
    form.querySelectorAll('input[name^="value-"]').forEach(function (input) {
      values[input.name.slice(6)] = input.value;
    });
    return {
      template: val("template"), values: values,
      body: val("body"), accounts: accounts, variants: variants,
      incident: val("incident"), incident_title: val("incident_title"), incident_area: val("incident_area"),
      publish_at: val("publish_at"), recurrence: val("recurrence"),
      message_id: idField.value, version: versionField.value
    };
  }

  function content(data) {
    return JSON.stringify([data.body, data.accounts, data.variants, data.incident, data.incident_title,
                           data.incident_area, data.publish_at, data.recurrence, data.template]);
  }

  function say(text) { statusEl.textContent = text; }
  function clock() { return new Date().toLocaleTimeString("en-GB"); }

  function keepLocal() {
    try {
      var data = collect();
      localStorage.setItem(storageKey(), JSON.stringify({ data: data, version: versionField.value, at: Date.now() }));
    } catch (e) { /* storage full or disabled: the server copy still works */ }
  }

  function apply(data) {
    form.elements.body.value = data.body || "";
    form.querySelectorAll('input[name="accounts"]').forEach(function (box) {
      box.checked = (data.accounts || []).indexOf(parseInt(box.value, 10)) !== -1;
    });
    Object.keys(data.variants || {}).forEach(function (id) {
      var el = form.querySelector('[name="variant-' + id + '"]');
      if (el) { el.value = data.variants[id]; }
    });
    ["incident", "incident_title", "incident_area", "publish_at", "recurrence"].forEach(function (name) {
      var el = form.elements[name];
      if (el && data[name] !== undefined && data[name] !== null) { el.value = data[name]; }
    });
  }

  function restore() {
    var raw = null;
    try { raw = localStorage.getItem(storageKey()); } catch (e) { return; }
    if (!raw) { return; }
    var saved;
    try { saved = JSON.parse(raw); } catch (e) { return; }
    if (!saved || !saved.data) { return; }
    if (content(saved.data) === content(collect())) { return; }
    if (!idField.value || String(saved.version) === String(versionField.value)) {
      apply(saved.data);
      say("Restored the text you had not saved yet, from this device.");
      schedule();
    } else {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary";
      button.textContent = "Restore my unsaved text from this device";
      button.addEventListener("click", function () {
        apply(saved.data); button.remove(); say("Restored your unsaved text."); schedule();
      });
      say("A newer version was saved since you last typed here. ");
      statusEl.appendChild(button);
    }
  }

  function autosave() {
    saveTimer = null;
    if (!autosaveOn) { return; }
    var data = collect();
    var key = content(data);
    if (key === lastSent) { return; }
    if (saving) { again = true; return; }
    saving = true;
    say("Saving\u2026");
    fetch(form.getAttribute("data-autosave-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(data)
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; },
                                  function () { return { ok: false, status: response.status, body: {} }; });
    }).then(function (result) {
      if (result.ok) {
        var wasNew = !idField.value;
        idField.value = result.body.id;
        versionField.value = result.body.version;
        lastSent = key;
        if (wasNew) {
          try { localStorage.removeItem("crier:draft:new"); } catch (e) { /* ignore */ }
          form.setAttribute("action", result.body.edit_url);
          if (window.history && history.replaceState) { history.replaceState(null, "", result.body.edit_url); }
        }
        keepLocal();
        say(result.body.saved ? "Saved as version " + result.body.version + " at " + clock() + "."
                              : "All changes saved (version " + result.body.version + ").");
      } else {
        var error = (result.body && result.body.error) || {};
        if (error.code === "not_autosaved") { autosaveOn = false; }
        say((error.message || "Not saved.") + (error.code === "not_autosaved" ? "" :
            " Your text is kept on this device."));
      }
    }).catch(function () {
      say("No connection: your text is kept on this device and will be saved when the connection returns.");
    }).then(function () {
      saving = false;
      if (waitingSubmit) {
        var submitter = waitingSubmit;
        waitingSubmit = null;
        if (submitter === true) { form.requestSubmit(); } else { form.requestSubmit(submitter); }
        return;
      }
      if (again) { again = false; schedule(); }
    });
  }

  function preview() {
    previewTimer = null;
    var seq = ++previewSeq;
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(collect())
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (seq !== previewSeq) { return; }
      if (!result.ok) {
        var p = document.createElement("p");
        p.className = "field-error";
        p.textContent = "No preview: " + ((result.body.error || {}).message || "the text cannot be shown");
        previewEl.replaceChildren(p);
        previewStatus.textContent = p.textContent;
        return;
      }
      previewEl.innerHTML = result.body.html;  // rendered and escaped by the server
      previewStatus.textContent = result.body.summary;
    }).catch(function () { /* offline: the preview catches up on the next change */ });
  }

  function schedule() {
    keepLocal();
    if (previewTimer) { clearTimeout(previewTimer); }
    previewTimer = setTimeout(preview, PREVIEW_MS);
    if (!autosaveOn) {
      say("Not saved automatically while a supervisor has it: press Save to make a new version. Your text is kept on this device.");
      return;
    }
    if (saveTimer) { clearTimeout(saveTimer); }
    saveTimer = setTimeout(autosave, AUTOSAVE_MS);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    if (saveTimer) { clearTimeout(saveTimer); saveTimer = null; }
    if (saving) {
      // The first autosave may be creating the draft right now: wait for its id,
      // or this submit would create a second copy.
      event.preventDefault();
      waitingSubmit = event.submitter || true;
      say("Finishing the save first\u2026");
      return;
    }
    if (!idField.value) { try { localStorage.removeItem("crier:draft:new"); } catch (e) { /* ignore */ } }
  });
  window.addEventListener("online", function () { lastSent = null; schedule(); });

  lastSent = idField.value ? content(collect()) : null;
  restore();
})();
