/* Crier live status: asks the server for each channel's state every ~1.5 s and
   updates the table and the banner in place. Without it, a reload shows the same. */
(function () {
  "use strict";
  var root = document.getElementById("live-status");
  if (!root) { return; }
  var url = root.getAttribute("data-url");
  var every = parseInt(root.getAttribute("data-poll-ms"), 10) || 1500;
  var rows = document.getElementById("delivery-rows");
  var bannerEl = document.getElementById("status-banner");
  var stateEl = document.getElementById("message-state");
  var lastBanner = bannerEl.textContent.trim();
  var announce = document.getElementById("delivery-announce");
  var misses = 0;
  var known = {};
  rows.querySelectorAll("tr[data-state]").forEach(function (tr) { known[tr.id] = tr.getAttribute("data-state"); });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function row(d) {
    var tr = el("tr", { id: "delivery-" + d.id, "data-state": d.state });
    var th = el("th", { scope: "row" }, d.account);
    th.appendChild(el("span", { "class": "meta" }, " " + d.scope + (d.purpose !== "publish" ? " \u00b7 " + d.purpose : "")));
    tr.appendChild(th);
    tr.appendChild(el("td", {}, d.kind));
    var stateCell = el("td", { "class": "state-cell" });
    stateCell.appendChild(el("span", { "class": "dstate dstate-" + d.state }, d.label));
    tr.appendChild(stateCell);
    var detail = el("td", { "class": "detail-cell" });
    if (d.url) {
      var a = el("a", { href: d.url, rel: "noopener" }, "Open the live post");
      a.appendChild(el("span", { "class": "visually-hidden" }, " on " + d.account));
      detail.appendChild(a);
    }
    if (d.error) {
      var reason = el("p", { "class": "reason" });
      reason.appendChild(el("strong", {}, "Reason:"));
      reason.appendChild(document.createTextNode(" " + d.error));
      detail.appendChild(reason);
    }
    if (d.advice) {
      var advice = el("p", { "class": "advice" });
      advice.appendChild(el("strong", {}, "What to do:"));
      advice.appendChild(document.createTextNode(" " + d.advice));
      detail.appendChild(advice);
    }
    tr.appendChild(detail);
    return tr;
  }

  function render(view) {
    stateEl.textContent = view.status_label;
    var changes = [];
    view.deliveries.forEach(function (d) {
      var id = "delivery-" + d.id;
      if (known[id] !== d.state) { changes.push(d.account + ": " + d.label); known[id] = d.state; }
    });
    if (changes.length) { announce.textContent = changes.join(". ") + "."; }
    if (view.deliveries.length) {
      var fresh = document.createDocumentFragment();
      view.deliveries.forEach(function (d) { fresh.appendChild(row(d)); });
      rows.replaceChildren(fresh);
    }
    var b = view.banner;
    var text = b ? b.title + " " + b.text : "";
    if (text !== lastBanner) {
      lastBanner = text;
      bannerEl.replaceChildren();
      if (b) {
        var box = el("div", { "class": "banner banner-" + b.kind, "data-outcome": b.title });
        var h = el("h2");
        if (b.kind === "warning" || b.kind === "error") { h.appendChild(el("span", { "aria-hidden": "true" }, "\u26a0 ")); }
        h.appendChild(document.createTextNode(b.title));
        box.appendChild(h);
        box.appendChild(el("p", {}, b.text));
        bannerEl.appendChild(box);
      }
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (view) { misses = 0; render(view); })
      .catch(function () { misses += 1; })
      .then(function () { setTimeout(poll, misses ? Math.min(every * (misses + 1), 15000) : every); });
  }
  setTimeout(poll, every);
})();
