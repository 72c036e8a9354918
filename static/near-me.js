// "Use my location" next to a "near" field: asks the browser for the
// visitor's position and writes it in the field, rounded to about 100 m.
// It goes nowhere else: the visitor sends the form, or not.
(function () {
  "use strict";
  if (!navigator.geolocation) { return; }
  document.querySelectorAll(".near-fields").forEach(function (box) {
    var button = box.querySelector(".use-location");
    var field = box.querySelector("input[name=near]");
    if (!button || !field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        field.value = pos.coords.latitude.toFixed(3) + "," + pos.coords.longitude.toFixed(3);
        field.focus();
      }, function () {}, { maximumAge: 600000, timeout: 10000 });
    });
  });
}());
