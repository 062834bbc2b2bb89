/* Crier compose page: add images by dropping them on the drop zone or choosing a file.
   Each file is uploaded at once (Crier strips its metadata), shown as a preview, and given
   an alt text box. Without this script the file chosen in the form is uploaded with it. */
(function () {
  "use strict";
  var drop = document.getElementById("image-drop");
  var list = document.getElementById("image-list");
  var input = document.getElementById("image-file");
  var status = document.getElementById("image-status");
  if (!drop || !list || !input) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var uploadUrl = drop.getAttribute("data-upload-url");
  var max = parseInt(drop.getAttribute("data-max"), 10) || 4;

  function say(text) { status.textContent = text; }
  function count() { return list.querySelectorAll(".image-item").length; }

  function renumber() {
    list.querySelectorAll(".image-item").forEach(function (item, index) {
      var n = index + 1;
      var area = item.querySelector("textarea");
      area.id = "image-alt-" + n;
      item.querySelector("label").setAttribute("for", area.id);
      item.querySelector("label").textContent = "Alt text for image " + n;
      item.querySelector(".image-remove").textContent = "Remove image " + n;
    });
    drop.hidden = count() >= max;
  }

  function addItem(stored) {
    var item = document.createElement("li");
    item.className = "image-item";
    var img = document.createElement("img");
    img.src = stored.url;
    img.alt = "";
    img.className = "image-thumb";
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "image-media";
    hidden.value = String(stored.id);
    var wrap = document.createElement("div");
    wrap.className = "image-alt";
    var label = document.createElement("label");
    var area = document.createElement("textarea");
    area.name = "image-alt";
    area.rows = 2;
    area.maxLength = 1000;
    area.setAttribute("aria-describedby", "images-hint");
    wrap.appendChild(label);
    wrap.appendChild(area);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button secondary image-remove";
    item.appendChild(img);
    item.appendChild(hidden);
    item.appendChild(wrap);
    item.appendChild(remove);
    list.appendChild(item);
    renumber();
    area.focus();
  }

  function upload(file) {
    if (count() >= max) { say("A message can carry at most " + max + " images."); return; }
    var body = new FormData();
    body.append("file", file, file.name || "image");
    say("Uploading " + (file.name || "the image") + "…");
    fetch(uploadUrl, { method: "POST", body: body, credentials: "same-origin",
                       headers: { "X-CSRFToken": csrf, "Accept": "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (answer) {
        if (!answer.ok) {
          say("Not added: " + ((answer.data.error && answer.data.error.message) || "the upload failed") + ".");
          return;
        }
        addItem(answer.data);
        say("Added image " + count() + " (" + answer.data.width + " by " + answer.data.height +
            " pixels, hidden details removed). Write its alt text.");
      })
      .catch(function () { say("Not added: the upload did not reach Crier. Try again."); });
  }

  function uploadAll(files) {
    Array.prototype.forEach.call(files, function (file) { upload(file); });
  }

  input.addEventListener("change", function () {
    uploadAll(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("image-drop-active");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("image-drop-active"); });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files) { uploadAll(event.dataTransfer.files); }
  });
  list.addEventListener("click", function (event) {
    var button = event.target.closest(".image-remove");
    if (!button) { return; }
    button.closest(".image-item").remove();
    renumber();
    say("Image removed.");
    input.focus();
  });
  renumber();
}());
