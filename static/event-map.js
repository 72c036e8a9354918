// "Show map": the event page's place on a map, only when the visitor asks.
// Until the button is pressed, no tile server is contacted and Leaflet
// (served by this instance) is not even loaded. Without JavaScript the
// button stays hidden and the page keeps its map links.
(function () {
  "use strict";
  var loading = null;

  function loadLeaflet(d) {
    if (window.L) { return Promise.resolve(); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var css = document.createElement("link");
        css.rel = "stylesheet";
        css.href = d.leafletCss;
        document.head.appendChild(css);
        var js = document.createElement("script");
        js.src = d.leafletJs;
        js.onload = resolve;
        js.onerror = reject;
        document.head.appendChild(js);
      });
    }
    return loading;
  }

  function escapeHTML(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function show(box) {
    var d = box.dataset;
    var at = [parseFloat(d.lat), parseFloat(d.lon)];
    var el = document.createElement("div");
    el.className = "map";
    box.appendChild(el);
    var map = window.L.map(el).setView(at, 16);
    window.L.tileLayer(d.tiles, { maxZoom: 19, attribution: escapeHTML(d.attribution) }).addTo(map);
    // An explicit icon: Leaflet's default one guesses its path from the
    // stylesheet, which checksum URLs defeat.
    var icon = window.L.icon({
      iconUrl: d.marker, iconRetinaUrl: d.marker2x, shadowUrl: d.shadow,
      iconSize: [25, 41], iconAnchor: [12, 41], popupAnchor: [1, -34], shadowSize: [41, 41]
    });
    window.L.marker(at, { icon: icon, title: d.title, alt: d.title }).addTo(map);
  }

  document.querySelectorAll(".map-placeholder").forEach(function (box) {
    var button = box.querySelector(".show-map");
    var notice = box.querySelector(".map-notice");
    button.hidden = false;
    notice.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      loadLeaflet(box.dataset).then(function () {
        button.hidden = true;
        notice.hidden = true;
        show(box);
      }, function () { button.disabled = false; });
    });
  });
}());
