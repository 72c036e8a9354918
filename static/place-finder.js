// The event form's place finder: as the address is typed, candidates from
// the instance's own /places/suggest (which paces and caches the map
// service; the browser never talks to it) are offered, and choosing one
// fills the coordinates. Without this script, the "Find on map" button
// sends the form and it comes back with the same candidates.
(function () {
  "use strict";
  var finder = document.querySelector(".place-finder");
  if (!finder || !window.fetch) { return; }
  var form = finder.closest("form");
  var out = finder.querySelector(".place-candidates");
  var el = function (name) { return form.elements.namedItem(name); };
  var timer = null;
  var asked = "";

  // The same query the server builds (app/geocoding.go addressQuery).
  function query() {
    var v = function (n) { var f = el(n); return f ? f.value.trim() : ""; };
    var parts = [];
    if (!v("street") && v("venue")) { parts.push(v("venue")); }
    [v("street"), (v("postal_code") + " " + v("locality")).trim(), v("region"), v("country")].forEach(function (p) {
      if (p) { parts.push(p); }
    });
    return parts.join(", ");
  }

  function choose(c) {
    var ll = c.coordinates.split(",");
    el("latitude").value = ll[0];
    el("longitude").value = ll[1];
    out.textContent = "";
    var p = document.createElement("p");
    p.className = "place-chosen";
    p.textContent = "✓ " + c.name;
    out.appendChild(p);
  }

  function show(data) {
    out.textContent = "";
    if (data.problem) {
      var p = document.createElement("p");
      p.className = "field-error";
      p.textContent = data.problem;
      out.appendChild(p);
    }
    var list = document.createElement("ul");
    list.className = "place-suggestions";
    (data.places || []).forEach(function (c) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "link";
      b.textContent = c.name;
      b.addEventListener("click", function () { choose(c); });
      li.appendChild(b);
      list.appendChild(li);
    });
    out.appendChild(list);
  }

  function ask(force) {
    var q = query();
    if (q.length < 3 || (q === asked && !force)) { return; }
    asked = q;
    fetch(finder.dataset.suggest + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) { show(d); } })
      .catch(function () {});
  }

  ["venue", "street", "postal_code", "locality", "region", "country"].forEach(function (n) {
    var f = el(n);
    if (f) {
      f.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(ask, 1200);
      });
    }
  });
  finder.querySelector("button[name=find_place]").addEventListener("click", function (e) {
    e.preventDefault();
    ask(true);
  });
}());
