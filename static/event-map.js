// Maps, only when the visitor asks: an event's place (.map-placeholder)
// and the map of upcoming events (.events-map, markers clustered). Until
// "Show map" is pressed, no tile server is contacted and Leaflet (served
// by this instance) is not even loaded. Without JavaScript the button
// stays hidden and the pages keep their links and lists.
(function () {
  "use strict";
  var loaded = {};

  // load adds a stylesheet or a script once; scripts resolve when run.
  function load(url) {
    if (!loaded[url]) {
      loaded[url] = new Promise(function (resolve, reject) {
        var el;
        if (/\.css$/.test(url)) {
          el = document.createElement("link");
          el.rel = "stylesheet";
          el.href = url;
          resolve();
        } else {
          el = document.createElement("script");
          el.src = url;
          el.onload = resolve;
          el.onerror = reject;
        }
        document.head.appendChild(el);
      });
    }
    return loaded[url];
  }

  function escapeHTML(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function newMap(box) {
    var d = box.dataset;
    var el = document.createElement("div");
    el.className = "map";
    box.appendChild(el);
    var map = window.L.map(el);
    window.L.tileLayer(d.tiles, { maxZoom: 19, attribution: escapeHTML(d.attribution) }).addTo(map);
    return map;
  }

  // An explicit icon: Leaflet's default one guesses its path from the
  // stylesheet, which checksum URLs defeat.
  function icon(d) {
    return window.L.icon({
      iconUrl: d.marker, iconRetinaUrl: d.marker2x, shadowUrl: d.shadow,
      iconSize: [25, 41], iconAnchor: [12, 41], popupAnchor: [1, -34], shadowSize: [41, 41]
    });
  }

  function showPlace(box) {
    var d = box.dataset;
    var at = [parseFloat(d.lat), parseFloat(d.lon)];
    var map = newMap(box);
    map.setView(at, 16);
    window.L.marker(at, { icon: icon(d), title: d.title, alt: d.title }).addTo(map);
  }

  // A popup built from elements, so a title is text, never markup.
  function popup(m) {
    var div = document.createElement("div");
    var when = document.createElement("div");
    when.textContent = m.when;
    var a = document.createElement("a");
    a.href = m.url;
    a.textContent = m.title;
    div.appendChild(when);
    div.appendChild(a);
    return div;
  }

  function showEvents(box) {
    var d = box.dataset;
    var markers = JSON.parse(d.markers || "[]");
    var map = newMap(box);
    var cluster = window.L.markerClusterGroup();
    var ic = icon(d);
    markers.forEach(function (m) {
      cluster.addLayer(window.L.marker([m.lat, m.lon], { icon: ic, title: m.when + " · " + m.title, alt: m.title }).bindPopup(popup(m)));
    });
    map.addLayer(cluster);
    map.fitBounds(cluster.getBounds(), { maxZoom: 15, padding: [20, 20] });
  }

  function offer(box, scripts, show) {
    var button = box.querySelector(".show-map");
    var notice = box.querySelector(".map-notice");
    button.hidden = false;
    notice.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      scripts.reduce(function (p, url) { return p.then(function () { return load(url); }); }, Promise.resolve())
        .then(function () {
          button.hidden = true;
          notice.hidden = true;
          show(box);
        }, function () { button.disabled = false; });
    });
  }

  document.querySelectorAll(".map-placeholder").forEach(function (box) {
    offer(box, [box.dataset.leafletCss, box.dataset.leafletJs], showPlace);
  });
  document.querySelectorAll(".events-map").forEach(function (box) {
    var d = box.dataset;
    offer(box, [d.leafletCss, d.clusterCss, d.clusterTheme, d.leafletJs, d.clusterJs], showEvents);
  });
}());
