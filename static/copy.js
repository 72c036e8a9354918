// Copy buttons: a button with data-copy="id" copies the value of the field
// with that id. Without this script the buttons stay hidden and the field
// is there to select and copy by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  var label = button.textContent;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = "✓ " + label;
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
});
