/* Crier live notices: every open console asks for the signed-in person's new notices every
   few seconds, shows each one at the top of the page (announced politely to screen readers)
   and, if the person allowed it, as a browser notification. */
(function () {
  "use strict";
  var root = document.getElementById("live-notices");
  if (!root) { return; }
  var list = document.getElementById("live-notices-list");
  var url = root.getAttribute("data-url");
  var after = parseInt(root.getAttribute("data-after"), 10) || 0;
  var every = parseInt(root.getAttribute("data-poll-ms"), 10) || 3000;
  var stopped = false;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function browserNotice(n) {
    if (!("Notification" in window) || Notification.permission !== "granted") { return; }
    try {
      var shown = new Notification(n.subject, { body: n.body.split("\n\n")[1] || n.body, tag: "crier-notice-" + n.id });
      shown.onclick = function () { window.focus(); window.location.href = n.link; };
    } catch (e) { /* some browsers allow notifications only from a service worker */ }
  }

  function show(n) {
    var box = el("article", { "class": "live-notice live-notice-" + n.event, id: "live-notice-" + n.id,
                              "data-event": n.event, "aria-labelledby": "live-notice-title-" + n.id });
    var title = el("h3", { id: "live-notice-title-" + n.id });
    title.appendChild(el("a", { href: n.link }, n.subject));
    box.appendChild(title);
    var lines = n.body.split("\n\n");
    box.appendChild(el("p", {}, lines.length > 1 ? lines.slice(0, 2).join(" ") : n.body));
    var close = el("button", { type: "button", "class": "button secondary" }, "Dismiss");
    close.appendChild(el("span", { "class": "visually-hidden" }, " notice: " + n.subject));
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    list.appendChild(box);
    browserNotice(n);
  }

  function poll() {
    if (stopped) { return; }
    fetch(url + "?after=" + after, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403 || r.redirected) { stopped = true; return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (data) {
        if (!data) { return; }
        data.notices.forEach(show);
        after = data.after;
      })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { if (!stopped) { window.setTimeout(poll, every); } });
  }

  window.setTimeout(poll, every);

  var allow = document.getElementById("allow-browser-notices");
  var state = document.getElementById("browser-notices-state");
  if (allow && "Notification" in window) {
    if (Notification.permission === "default") { allow.hidden = false; }
    if (state) {
      state.textContent = Notification.permission === "granted" ? "Browser notifications are allowed."
        : (Notification.permission === "denied" ? "Browser notifications are blocked in this browser's settings." : "");
    }
    allow.addEventListener("click", function () {
      Notification.requestPermission().then(function (answer) {
        allow.hidden = answer !== "default";
        if (state) { state.textContent = answer === "granted" ? "Browser notifications are allowed." : "Browser notifications are not allowed."; }
      });
    });
  }
})();
