// The header's compact menu on phones: the button shows and hides the links. Without this script
// the links simply wrap under the title (the CSS collapses the menu only once the header is
// marked as having a working button).
(function () {
  "use strict";
  var header = document.querySelector("header.topbar");
  if (!header) { return; }
  var button = header.querySelector(".menu-toggle");
  if (!button) { return; }
  header.classList.add("has-toggle");
  button.addEventListener("click", function () {
    var open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
